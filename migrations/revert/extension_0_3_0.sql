-- Revert switchboard:extension_0_3_0 from pg
BEGIN;
ALTER SEQUENCE switchboard.audit_log_id_seq CACHE 1;
ALTER EXTENSION switchboard UPDATE TO '0.2.0';
COMMIT;
