-- Deploy switchboard:audit_ddl_guard to pg
-- requires: audit
BEGIN;
\ir ../../functions/audit_ddl_guard.sql
COMMIT;
