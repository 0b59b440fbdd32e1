-- Deploy switchboard:extension_0_3_0 to pg
-- requires: audit_ddl_guard
-- Extension 0.3.0: the audit trigger and the redaction entry points run
-- without a SET search_path clause (a GUC switch on every statement or
-- transcript; sql/switchboard--0.2.0--0.3.0.sql), and a cached id sequence:
-- audit_log.id is a global id with no order promised (the per-org order is
-- seq), so a backend takes 32 ids per visit to the sequence.
BEGIN;
DO $$
BEGIN
  -- a fresh deploy created 0.3.0 already (the `extensions` change)
  IF (SELECT extversion FROM pg_extension WHERE extname = 'switchboard') <> '0.3.0' THEN
    ALTER EXTENSION switchboard UPDATE TO '0.3.0';
  END IF;
END
$$;
ALTER SEQUENCE switchboard.audit_log_id_seq CACHE 32;
COMMIT;
