-- Verify switchboard:roles on pg
SELECT 1/count(*) FROM pg_roles WHERE rolname = 'anon' AND NOT rolcanlogin;
SELECT 1/count(*) FROM pg_roles WHERE rolname = 'authenticated' AND NOT rolcanlogin;
SELECT 1/count(*) FROM pg_roles WHERE rolname = 'service_role' AND rolbypassrls;
SELECT 1/(has_schema_privilege('authenticated', 'switchboard', 'USAGE'))::int;
