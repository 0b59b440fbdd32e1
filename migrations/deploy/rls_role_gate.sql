-- Deploy switchboard:rls_role_gate to pg
-- requires: audit
-- functions/rls_role_gate.sql: tenant policies check the caller's role once
-- per statement inside the org subquery (no per-row role filter);
-- apply_tenant_policies writes that form for new tables.
BEGIN;
\ir ../../functions/rls_role_gate.sql
COMMIT;
