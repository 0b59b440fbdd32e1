-- Tenancy: what each org sees under its own claims, and what anon sees
\set QUIET on
\pset footer off
-- Northside Clinic's owner (claims as PostgREST sets them)
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub":"a0000000-0000-0000-0000-000000000001","role":"authenticated","app_metadata":{"org_id":"11111111-1111-1111-1111-111111111111"}}', true) IS NOT NULL AS claims_set;
SELECT switchboard.current_org_id() AS my_org, switchboard.current_org_role() AS my_role;
SELECT o.name AS org, c.first_name, c.last_name, c.phone FROM contacts c JOIN organizations o ON o.id = c.org_id ORDER BY 2;
-- asking for the other clinic's rows by id returns nothing
SELECT count(*) AS harbor_rows_visible FROM contacts WHERE org_id = '22222222-2222-2222-2222-222222222222';
COMMIT;
-- Harbor Family Practice's viewer
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub":"b0000000-0000-0000-0000-000000000004","role":"authenticated","app_metadata":{"org_id":"22222222-2222-2222-2222-222222222222"}}', true) IS NOT NULL AS claims_set;
SELECT o.name AS org, c.first_name, c.last_name FROM contacts c JOIN organizations o ON o.id = c.org_id ORDER BY 2;
-- a viewer cannot write
SAVEPOINT s;
INSERT INTO contacts (org_id, first_name) VALUES ('22222222-2222-2222-2222-222222222222', 'Eve');
ROLLBACK TO SAVEPOINT s;
COMMIT;
-- anon: no claims, no privileges
BEGIN;
SET LOCAL ROLE anon;
SAVEPOINT s;
SELECT count(*) FROM contacts;
ROLLBACK TO SAVEPOINT s;
COMMIT;
-- the schema lint (splinter-style checks + tenant keys): no rows means clean
SELECT * FROM switchboard.schema_lint();
