-- The audit log's DDL guard. Row triggers refuse UPDATE, DELETE and TRUNCATE
-- on audit_log; these event triggers refuse the DDL that would remove entries
-- wholesale: dropping audit_log or one of its months, and ALTER TABLE on them
-- (DETACH PARTITION, a rename before a drop, DISABLE TRIGGER, …). Months go
-- only through switchboard.audit_drop_months(), which seals a checkpoint per
-- org first; the guard lets a drop through only when that function is on the
-- call stack. A superuser can still switch event triggers off (for instance
-- with session_replication_role = replica): what catches that is the hash
-- chain, whose verification reports the first missing entry.

CREATE FUNCTION switchboard.audit_ddl_by_retention() RETURNS boolean
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog
AS $$
DECLARE
  v_stack text;
BEGIN
  GET DIAGNOSTICS v_stack = PG_CONTEXT;
  RETURN strpos(v_stack, 'function switchboard.audit_drop_months(timestamp with time zone)') > 0;
END
$$;
COMMENT ON FUNCTION switchboard.audit_ddl_by_retention() IS
  'true when the current DDL runs inside switchboard.audit_drop_months() (the only path that may drop audit months)';
REVOKE ALL ON FUNCTION switchboard.audit_ddl_by_retention() FROM PUBLIC;

CREATE FUNCTION switchboard.audit_guard_drop() RETURNS event_trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog
AS $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
    IF r.object_type = 'table' AND r.schema_name = 'public'
       AND (r.object_name = 'audit_log' OR r.object_name ~ '^audit_log_(p[0-9]{6}|default)$')
       AND NOT switchboard.audit_ddl_by_retention() THEN
      RAISE EXCEPTION 'audit_log is append-only: dropping % is not allowed', r.object_identity
        USING ERRCODE = '42501', HINT = 'old months are removed only by switchboard.audit_drop_months()';
    END IF;
  END LOOP;
END
$$;
COMMENT ON FUNCTION switchboard.audit_guard_drop() IS
  'sql_drop event trigger: refuses dropping audit_log or one of its months outside switchboard.audit_drop_months()';
REVOKE ALL ON FUNCTION switchboard.audit_guard_drop() FROM PUBLIC;

CREATE FUNCTION switchboard.audit_guard_alter() RETURNS event_trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog
AS $$
DECLARE
  r record;
  v_log regclass := to_regclass('public.audit_log');
BEGIN
  IF v_log IS NULL THEN
    RETURN;
  END IF;
  FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
    IF r.classid = 'pg_class'::regclass
       AND (r.objid = v_log OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = r.objid AND i.inhparent = v_log))
       AND NOT switchboard.audit_ddl_by_retention() THEN
      RAISE EXCEPTION 'audit_log is append-only: ALTER TABLE on % is not allowed', r.object_identity
        USING ERRCODE = '42501', HINT = 'old months are removed only by switchboard.audit_drop_months()';
    END IF;
  END LOOP;
END
$$;
COMMENT ON FUNCTION switchboard.audit_guard_alter() IS
  'ddl_command_end event trigger: refuses ALTER TABLE on audit_log or its months (detach, rename, disable trigger, ...)';
REVOKE ALL ON FUNCTION switchboard.audit_guard_alter() FROM PUBLIC;

CREATE EVENT TRIGGER switchboard_audit_guard_drop ON sql_drop
  EXECUTE FUNCTION switchboard.audit_guard_drop();
COMMENT ON EVENT TRIGGER switchboard_audit_guard_drop IS
  'audit_log and its months are dropped only by switchboard.audit_drop_months()';
CREATE EVENT TRIGGER switchboard_audit_guard_alter ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE')
  EXECUTE FUNCTION switchboard.audit_guard_alter();
COMMENT ON EVENT TRIGGER switchboard_audit_guard_alter IS
  'no ALTER TABLE on audit_log or its months (detach, rename, disable trigger, ...)';
