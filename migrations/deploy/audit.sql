-- Deploy switchboard:audit to pg
BEGIN;
\ir ../../policies/audit.sql
\ir ../../functions/audit.sql

DO $$
BEGIN
  PERFORM switchboard.audit_ensure_partitions(3);
  -- every tenant table that exists now (other engines' tables created later
  -- are picked up by the event trigger below)
  PERFORM switchboard.enable_audit(c.oid::regclass)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
    AND NOT switchboard.audit_is_log(c.oid::regclass)
    AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id'
                AND a.atttypid = 'uuid'::regtype AND NOT a.attisdropped);
END
$$;

CREATE EVENT TRIGGER switchboard_audit_new_tables ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO')
  EXECUTE FUNCTION switchboard.audit_on_create_table();
COMMENT ON EVENT TRIGGER switchboard_audit_new_tables IS 'audits every tenant table created in public';
COMMIT;
