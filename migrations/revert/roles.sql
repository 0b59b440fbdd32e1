-- Revert switchboard:roles from pg
-- Roles are cluster-wide and may serve other databases: only this database's grants go.
BEGIN;
REVOKE ALL ON SCHEMA switchboard FROM anon, authenticated, service_role;
REVOKE ALL ON SCHEMA public FROM anon, authenticated, service_role;
REVOKE ALL ON SCHEMA extensions FROM anon, authenticated, service_role;
COMMIT;
