-- Deploy switchboard:audit_trigger_no_guc to pg
-- requires: audit_ddl_guard
-- Extension 0.3.0 (the audit trigger without a per-statement search_path
-- switch) and a cached id sequence: audit_log.id is a global id with no
-- order promised (the per-org order is seq); a backend now takes 32 ids per
-- visit to the sequence instead of one per entry.
BEGIN;
ALTER EXTENSION switchboard UPDATE TO '0.3.0';
ALTER SEQUENCE switchboard.audit_log_id_seq CACHE 32;
COMMIT;
