-- Revert switchboard:audit from pg
BEGIN;
DROP EVENT TRIGGER IF EXISTS switchboard_audit_new_tables;
-- the triggers this change attached to every tenant table (other engines' too)
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT DISTINCT t.tgrelid::regclass AS tbl FROM pg_trigger t
           WHERE t.tgfoid = 'switchboard.audit_trigger()'::regprocedure LOOP
    PERFORM switchboard.disable_audit(r.tbl);
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION switchboard.audit_flush() FROM authenticated, service_role;
DROP FUNCTION switchboard.audit_user_activity(uuid, timestamptz, timestamptz, uuid);
DROP FUNCTION switchboard.audit_record_history(text, jsonb, uuid);
DROP FUNCTION switchboard.audit_drop_months(timestamptz);
DROP FUNCTION switchboard.verify_audit_checkpoint(uuid, bigint, text);
DROP FUNCTION switchboard.export_audit_checkpoint(uuid);
DROP FUNCTION switchboard.verify_audit_chain(uuid);
DROP FUNCTION switchboard.audit_ensure_partitions(int);
DROP FUNCTION switchboard.audit_on_create_table();
DROP FUNCTION switchboard.enable_audit(regclass, text[], text[]);
DROP FUNCTION switchboard.disable_audit(regclass);
DROP FUNCTION switchboard.audit_default_redactions(regclass);
DROP FUNCTION switchboard.audit_is_log(regclass);
DROP TABLE public.audit_log;
DROP TABLE switchboard.audit_checkpoints;
DROP TABLE switchboard.audit_chain_heads;
DROP FUNCTION switchboard.audit_append_only();
DROP SEQUENCE switchboard.audit_log_id_seq;
COMMIT;
