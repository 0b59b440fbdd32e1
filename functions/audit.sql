-- Audit trail API: attach/detach the trigger, verify chains, checkpoints,
-- retention, partitions and the history helpers. The trigger and the chain
-- walk are C++ (extension/src/pg/audit_sql.cpp, extension/src/audit.cpp).

-- audit_log and its partitions are never audited themselves.
CREATE OR REPLACE FUNCTION switchboard.audit_is_log(p_table regclass) RETURNS boolean
  LANGUAGE sql STABLE
  SET search_path = pg_catalog
AS $$
  SELECT p_table = to_regclass('public.audit_log')
      OR EXISTS (SELECT 1 FROM pg_partition_ancestors(p_table) a
                 WHERE a.relid = to_regclass('public.audit_log'))
$$;
COMMENT ON FUNCTION switchboard.audit_is_log(regclass) IS 'true for public.audit_log and its partitions';

-- Free-text columns whose audit copy goes through the redaction engine
-- (switchboard::redact_text in C++, fail closed) unless told otherwise:
-- text columns named transcript, body or notes. call_logs.transcript is
-- stored redacted already; the audit copy is redacted again, never raw.
-- Secrets need no default: the C++ trigger never writes a column named
-- secret (org_credentials.secret), whatever it is told.
CREATE OR REPLACE FUNCTION switchboard.audit_default_redactions(p_table regclass) RETURNS text[]
  LANGUAGE sql STABLE
  SET search_path = pg_catalog
AS $$
  SELECT coalesce(array_agg(a.attname::text ORDER BY a.attnum), '{}')
  FROM pg_attribute a
  WHERE a.attrelid = p_table AND a.attnum > 0 AND NOT a.attisdropped
    AND a.attname IN ('transcript', 'body', 'notes')
    AND a.atttypid IN ('text'::regtype, 'varchar'::regtype)
$$;
COMMENT ON FUNCTION switchboard.audit_default_redactions(regclass) IS
  'free-text columns redacted in the audit trail by default: text columns named transcript, body or notes';

CREATE OR REPLACE FUNCTION switchboard.disable_audit(p_table regclass) RETURNS void
  LANGUAGE plpgsql
  SET search_path = pg_catalog
AS $$
DECLARE
  v_name name;
BEGIN
  IF p_table IS NULL THEN
    RAISE EXCEPTION 'p_table must not be null' USING ERRCODE = '22023';
  END IF;
  -- only the triggers that exist: DROP ... IF EXISTS would print notices into
  -- other engines' CREATE TABLE (this runs from the event trigger)
  FOR v_name IN SELECT t.tgname FROM pg_trigger t
                WHERE t.tgrelid = p_table AND NOT t.tgisinternal
                  AND t.tgname IN ('zz_audit_insert', 'zz_audit_update', 'zz_audit_delete', 'zz_audit_truncate') LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', v_name, p_table);
  END LOOP;
END
$$;
COMMENT ON FUNCTION switchboard.disable_audit(regclass) IS 'removes the audit triggers of a table';
REVOKE ALL ON FUNCTION switchboard.disable_audit(regclass) FROM PUBLIC;

CREATE OR REPLACE FUNCTION switchboard.enable_audit(p_table regclass, p_exclude_columns text[] DEFAULT '{}',
                                                   p_redact_columns text[] DEFAULT NULL)
  RETURNS void
  LANGUAGE plpgsql
  SET search_path = pg_catalog
AS $$
DECLARE
  v_kind "char";
  v_col text;
  v_args text;
  v_redact text[];
BEGIN
  IF p_table IS NULL THEN
    RAISE EXCEPTION 'p_table must not be null' USING ERRCODE = '22023';
  END IF;
  SELECT c.relkind INTO v_kind FROM pg_class c WHERE c.oid = p_table;
  IF v_kind IS NULL OR v_kind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'only tables can be audited' USING ERRCODE = '22023';
  END IF;
  IF switchboard.audit_is_log(p_table) THEN
    RAISE EXCEPTION 'audit_log is not audited by itself' USING ERRCODE = '22023';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = p_table AND a.attname = 'org_id'
                 AND a.atttypid = 'uuid'::regtype AND NOT a.attisdropped) THEN
    RAISE EXCEPTION 'only tenant tables (org_id uuid) can be audited'
      USING ERRCODE = '22023', HINT = 'audit entries are chained per org';
  END IF;
  v_redact := coalesce(p_redact_columns, switchboard.audit_default_redactions(p_table));
  FOREACH v_col IN ARRAY coalesce(p_exclude_columns, '{}') || v_redact LOOP
    IF v_col IS NULL OR NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = p_table
                                    AND a.attname = v_col AND a.attnum > 0 AND NOT a.attisdropped) THEN
      RAISE EXCEPTION 'no column % to exclude', coalesce(quote_ident(v_col), 'NULL')
        USING ERRCODE = '22023';
    END IF;
  END LOOP;
  -- trigger arguments: "col" is excluded, "redact:col" is redacted
  SELECT coalesce(string_agg(quote_literal(c), ', ' ORDER BY c), '')
    INTO v_args FROM (SELECT DISTINCT unnest(coalesce(p_exclude_columns, '{}')) AS c
                      UNION SELECT 'redact:' || unnest(v_redact)) s;
  PERFORM switchboard.disable_audit(p_table);
  EXECUTE format('CREATE TRIGGER zz_audit_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS audit_new '
                 'FOR EACH STATEMENT EXECUTE FUNCTION switchboard.audit_trigger(%s)', p_table, v_args);
  EXECUTE format('CREATE TRIGGER zz_audit_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS audit_old '
                 'NEW TABLE AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION switchboard.audit_trigger(%s)',
                 p_table, v_args);
  EXECUTE format('CREATE TRIGGER zz_audit_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS audit_old '
                 'FOR EACH STATEMENT EXECUTE FUNCTION switchboard.audit_trigger(%s)', p_table, v_args);
  EXECUTE format('CREATE TRIGGER zz_audit_truncate BEFORE TRUNCATE ON %s '
                 'FOR EACH STATEMENT EXECUTE FUNCTION switchboard.audit_trigger(%s)', p_table, v_args);
END
$$;
COMMENT ON FUNCTION switchboard.enable_audit(regclass, text[], text[]) IS
  'attaches the statement-level audit triggers to a tenant table; p_exclude_columns are recorded as "[excluded]" only, p_redact_columns (NULL: the defaults) through the redaction engine';
REVOKE ALL ON FUNCTION switchboard.enable_audit(regclass, text[], text[]) FROM PUBLIC;

-- Event trigger: every table created later in public is audited too.
CREATE OR REPLACE FUNCTION switchboard.audit_on_create_table() RETURNS event_trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog
AS $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT DISTINCT d.objid FROM pg_event_trigger_ddl_commands() d
           WHERE d.object_type = 'table' AND d.schema_name = 'public'
             AND d.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO') LOOP
    CONTINUE WHEN switchboard.audit_is_log(r.objid::regclass);
    CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = r.objid AND a.attname = 'org_id'
                              AND a.atttypid = 'uuid'::regtype AND NOT a.attisdropped);
    BEGIN
      PERFORM switchboard.enable_audit(r.objid::regclass);
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'audit could not be enabled on %: %', r.objid::regclass, SQLERRM;
    END;
  END LOOP;
END
$$;
COMMENT ON FUNCTION switchboard.audit_on_create_table() IS
  'ddl_command_end event trigger: enables the audit trail on each new tenant table in public';
REVOKE ALL ON FUNCTION switchboard.audit_on_create_table() FROM PUBLIC;

-- Monthly partitions from this month to p_months_ahead months ahead (UTC).
CREATE OR REPLACE FUNCTION switchboard.audit_ensure_partitions(p_months_ahead int DEFAULT 3) RETURNS int
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog
  SET timezone = 'UTC'
AS $$
DECLARE
  v_start timestamptz;
  v_end timestamptz;
  v_name text;
  v_created int := 0;
BEGIN
  IF p_months_ahead IS NULL OR p_months_ahead < 0 OR p_months_ahead > 120 THEN
    RAISE EXCEPTION 'p_months_ahead must be between 0 and 120' USING ERRCODE = '22023';
  END IF;
  FOR m IN 0 .. p_months_ahead LOOP
    v_start := date_trunc('month', now()) + make_interval(months => m);
    v_end := v_start + interval '1 month';
    v_name := 'audit_log_p' || to_char(v_start, 'YYYYMM');
    CONTINUE WHEN to_regclass('public.' || v_name) IS NOT NULL;
    -- entries that already fell into the default partition keep it from splitting
    CONTINUE WHEN EXISTS (SELECT 1 FROM public.audit_log_default d
                          WHERE d.created_at >= v_start AND d.created_at < v_end);
    EXECUTE format('CREATE TABLE public.%I PARTITION OF public.audit_log FOR VALUES FROM (%L) TO (%L)',
                   v_name, v_start, v_end);
    EXECUTE format('COMMENT ON TABLE public.%I IS %L', v_name,
                   'audit entries of ' || to_char(v_start, 'YYYY-MM') || ' (UTC)');
    EXECUTE format('CREATE TRIGGER audit_append_only_stmt BEFORE UPDATE OR DELETE OR TRUNCATE ON public.%I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION switchboard.audit_append_only()', v_name);
    EXECUTE format('REVOKE ALL ON public.%I FROM PUBLIC', v_name);
    v_created := v_created + 1;
  END LOOP;
  RETURN v_created;
END
$$;
COMMENT ON FUNCTION switchboard.audit_ensure_partitions(int) IS
  'creates the monthly audit_log partitions from this month to p_months_ahead months ahead; returns how many it created';
REVOKE ALL ON FUNCTION switchboard.audit_ensure_partitions(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.audit_ensure_partitions(int) TO service_role;

-- The chain's start for an org: genesis, or the newest retention checkpoint.
CREATE OR REPLACE FUNCTION switchboard.verify_audit_chain(p_org_id uuid)
  RETURNS TABLE (valid boolean, checked bigint, first_invalid_id bigint)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog
AS $$
DECLARE
  v_org uuid;
  v_start_seq bigint := 0;
  v_start_hash bytea := decode(repeat('00', 32), 'hex');
  v_head_seq bigint;
  v_head_hash bytea;
BEGIN
  v_org := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin']);
  SELECT c.seq, c.hash INTO v_start_seq, v_start_hash
  FROM switchboard.audit_checkpoints c
  WHERE c.org_id = v_org AND c.kind = 'retention'
  ORDER BY c.seq DESC LIMIT 1;
  IF NOT FOUND THEN
    v_start_seq := 0;
    v_start_hash := decode(repeat('00', 32), 'hex');
  END IF;
  SELECT h.seq, h.hash INTO v_head_seq, v_head_hash
  FROM switchboard.audit_chain_heads h WHERE h.org_id = v_org;
  IF NOT FOUND THEN
    -- no chain yet: nothing may exist either
    v_head_seq := v_start_seq;
    v_head_hash := v_start_hash;
  END IF;
  RETURN QUERY SELECT * FROM switchboard._audit_verify_chain(v_org, v_start_seq, v_start_hash, v_head_seq, v_head_hash);
END
$$;
COMMENT ON FUNCTION switchboard.verify_audit_chain(uuid) IS
  'recomputes the org''s audit hash chain: valid, entries checked, and the id of the first edited, missing or reordered entry';
REVOKE ALL ON FUNCTION switchboard.verify_audit_chain(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.verify_audit_chain(uuid) TO authenticated, service_role;

-- A checkpoint to keep outside the database: (org, seq, hash) of the head of
-- a verified chain. Recorded in audit_checkpoints too.
CREATE OR REPLACE FUNCTION switchboard.export_audit_checkpoint(p_org_id uuid)
  RETURNS TABLE (org_id uuid, seq bigint, hash text)
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog
AS $$
#variable_conflict use_column
DECLARE
  v_org uuid;
  v_check record;
  v_seq bigint := 0;
  v_hash bytea := decode(repeat('00', 32), 'hex');
BEGIN
  v_org := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin']);
  PERFORM pg_advisory_xact_lock(k[1], k[2]) FROM switchboard.lock_key('audit_chain', v_org, v_org) k;
  SELECT * INTO v_check FROM switchboard.verify_audit_chain(v_org);
  IF NOT v_check.valid THEN
    RAISE EXCEPTION 'the audit chain of this org does not verify' USING ERRCODE = 'XX001',
      DETAIL = format('first invalid entry: %s', coalesce(v_check.first_invalid_id::text, 'the newest entries are missing'));
  END IF;
  SELECT h.seq, h.hash INTO v_seq, v_hash FROM switchboard.audit_chain_heads h WHERE h.org_id = v_org;
  IF NOT FOUND THEN
    v_seq := 0;
    v_hash := decode(repeat('00', 32), 'hex');
  END IF;
  INSERT INTO switchboard.audit_checkpoints (org_id, seq, hash, kind) VALUES (v_org, v_seq, v_hash, 'export');
  RETURN QUERY SELECT v_org, v_seq, encode(v_hash, 'hex');
END
$$;
COMMENT ON FUNCTION switchboard.export_audit_checkpoint(uuid) IS
  'verifies the org''s chain and returns its head (org, seq, hex hash) to store outside the database';
REVOKE ALL ON FUNCTION switchboard.export_audit_checkpoint(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.export_audit_checkpoint(uuid) TO authenticated, service_role;

-- true when the live chain verifies and still holds (p_seq, p_hash): nothing
-- up to that point was rewritten since the checkpoint was exported.
CREATE OR REPLACE FUNCTION switchboard.verify_audit_checkpoint(p_org_id uuid, p_seq bigint, p_hash text)
  RETURNS boolean
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog
AS $$
DECLARE
  v_org uuid;
  v_want bytea;
  v_have bytea;
  v_check record;
BEGIN
  v_org := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin']);
  IF p_seq IS NULL OR p_seq < 0 THEN
    RAISE EXCEPTION 'p_seq must be a chain position (0 or more)' USING ERRCODE = '22023';
  END IF;
  IF p_hash IS NULL OR p_hash !~ '^[0-9a-fA-F]{64}$' THEN
    RAISE EXCEPTION 'p_hash must be 64 hex digits' USING ERRCODE = '22023';
  END IF;
  v_want := decode(p_hash, 'hex');
  SELECT * INTO v_check FROM switchboard.verify_audit_chain(v_org);
  IF NOT v_check.valid THEN
    RETURN false;
  END IF;
  IF p_seq = 0 THEN
    RETURN v_want = decode(repeat('00', 32), 'hex');
  END IF;
  SELECT a.hash INTO v_have FROM public.audit_log a WHERE a.org_id = v_org AND a.seq = p_seq;
  IF NOT FOUND THEN
    SELECT c.hash INTO v_have FROM switchboard.audit_checkpoints c
    WHERE c.org_id = v_org AND c.kind = 'retention' AND c.seq = p_seq
    ORDER BY c.id DESC LIMIT 1;
  END IF;
  RETURN coalesce(v_have = v_want, false);
END
$$;
COMMENT ON FUNCTION switchboard.verify_audit_checkpoint(uuid, bigint, text) IS
  'true when the org''s chain verifies and its entry p_seq still has hash p_hash (hex)';
REVOKE ALL ON FUNCTION switchboard.verify_audit_checkpoint(uuid, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.verify_audit_checkpoint(uuid, bigint, text) TO authenticated, service_role;

-- Retention: drops whole months that end on or before p_before, after
-- verifying each org's chain and sealing its last dropped entry as a
-- retention checkpoint (where verification then starts).
CREATE OR REPLACE FUNCTION switchboard.audit_drop_months(p_before timestamptz) RETURNS int
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog
  SET timezone = 'UTC'
AS $$
DECLARE
  v_part record;
  v_org_id uuid;
  v_last_seq bigint;
  v_check record;
  v_dropped int := 0;
BEGIN
  IF NOT switchboard.is_service() THEN
    RAISE EXCEPTION 'only service_role may drop audit months' USING ERRCODE = '42501';
  END IF;
  IF p_before IS NULL OR p_before > date_trunc('month', now()) THEN
    RAISE EXCEPTION 'p_before must not be later than the start of the current month' USING ERRCODE = '22023';
  END IF;
  FOR v_part IN
    SELECT c.oid::regclass AS part, b.upper_bound
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    CROSS JOIN LATERAL (SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz AS upper_bound) b
    WHERE i.inhparent = 'public.audit_log'::regclass AND b.upper_bound IS NOT NULL AND b.upper_bound <= p_before
    ORDER BY b.upper_bound
  LOOP
    FOR v_org_id, v_last_seq IN EXECUTE format('SELECT org_id, max(seq) FROM %s GROUP BY org_id ORDER BY org_id', v_part.part) LOOP
      SELECT * INTO v_check FROM switchboard.verify_audit_chain(v_org_id);
      IF NOT v_check.valid THEN
        RAISE EXCEPTION 'the audit chain of an org does not verify; nothing was dropped' USING ERRCODE = 'XX001',
          DETAIL = format('org %s, first invalid entry %s', v_org_id, coalesce(v_check.first_invalid_id::text, 'tail missing'));
      END IF;
      IF EXISTS (SELECT 1 FROM public.audit_log a WHERE a.org_id = v_org_id AND a.seq < v_last_seq
                 AND a.created_at >= v_part.upper_bound) THEN
        RAISE EXCEPTION 'audit entries of a later month precede this month''s; nothing was dropped' USING ERRCODE = '55000';
      END IF;
      INSERT INTO switchboard.audit_checkpoints (org_id, seq, hash, kind, note)
      SELECT a.org_id, a.seq, a.hash, 'retention', format('dropped %s', v_part.part)
      FROM public.audit_log a WHERE a.org_id = v_org_id AND a.seq = v_last_seq;
    END LOOP;
    EXECUTE format('DROP TABLE %s', v_part.part);
    v_dropped := v_dropped + 1;
  END LOOP;
  RETURN v_dropped;
END
$$;
COMMENT ON FUNCTION switchboard.audit_drop_months(timestamptz) IS
  'retention: seals a checkpoint per org, then drops the audit_log months ending on or before p_before; service_role only';
REVOKE ALL ON FUNCTION switchboard.audit_drop_months(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.audit_drop_months(timestamptz) TO service_role;

-- History of one record: p_record_pk may be a subset of the key, e.g. {"id": "…"}.
CREATE OR REPLACE FUNCTION switchboard.audit_record_history(p_table text, p_record_pk jsonb, p_org_id uuid DEFAULT NULL)
  RETURNS SETOF public.audit_log
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog
AS $$
DECLARE
  v_org uuid;
BEGIN
  v_org := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin']);
  IF p_table IS NULL OR p_table = '' OR p_record_pk IS NULL OR jsonb_typeof(p_record_pk) <> 'object' THEN
    RAISE EXCEPTION 'p_table and p_record_pk (a JSON object) are required' USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
    SELECT a.* FROM public.audit_log a
    WHERE a.org_id = v_org AND a.table_name = p_table AND a.record_pk @> p_record_pk
    ORDER BY a.seq;
END
$$;
COMMENT ON FUNCTION switchboard.audit_record_history(text, jsonb, uuid) IS
  'every audit entry of one record (table name and primary-key values), oldest first; owners and admins';
REVOKE ALL ON FUNCTION switchboard.audit_record_history(text, jsonb, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.audit_record_history(text, jsonb, uuid) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION switchboard.audit_user_activity(p_user_id uuid, p_from timestamptz, p_to timestamptz,
                                                           p_org_id uuid DEFAULT NULL)
  RETURNS SETOF public.audit_log
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog
AS $$
DECLARE
  v_org uuid;
BEGIN
  v_org := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin']);
  IF p_user_id IS NULL OR p_from IS NULL OR p_to IS NULL THEN
    RAISE EXCEPTION 'p_user_id, p_from and p_to are required' USING ERRCODE = '22023';
  END IF;
  IF p_from > p_to THEN
    RAISE EXCEPTION 'p_from must not be after p_to' USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
    SELECT a.* FROM public.audit_log a
    WHERE a.org_id = v_org AND a.actor_user_id = p_user_id
      AND a.created_at >= p_from AND a.created_at < p_to
    ORDER BY a.seq;
END
$$;
COMMENT ON FUNCTION switchboard.audit_user_activity(uuid, timestamptz, timestamptz, uuid) IS
  'what one user changed in the org between p_from (inclusive) and p_to (exclusive), in chain order; owners and admins';
REVOKE ALL ON FUNCTION switchboard.audit_user_activity(uuid, timestamptz, timestamptz, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.audit_user_activity(uuid, timestamptz, timestamptz, uuid) TO authenticated, service_role;

-- The C entry points live in the extension (sql/switchboard--0.1.0--0.2.0.sql);
-- the API roles exist only once the roles change ran, so they are granted here.
GRANT EXECUTE ON FUNCTION switchboard.audit_flush() TO authenticated, service_role;
