-- Revert switchboard:audit_ddl_guard from pg
BEGIN;
DROP EVENT TRIGGER switchboard_audit_guard_alter;
DROP EVENT TRIGGER switchboard_audit_guard_drop;
DROP FUNCTION switchboard.audit_guard_alter();
DROP FUNCTION switchboard.audit_guard_drop();
DROP FUNCTION switchboard.audit_ddl_by_retention();
COMMIT;
