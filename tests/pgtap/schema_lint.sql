-- The schema lint: clean on the deployed schema, and each check fires on a
-- deliberately broken object (so a table that lost its policy fails CI).
BEGIN;
SELECT plan(14);

SELECT is_empty($$SELECT * FROM switchboard.schema_lint()$$, 'the deployed schema has no lint violations');

CREATE FUNCTION public.lint_no_path() RETURNS int LANGUAGE sql AS 'SELECT 1';
SELECT ok(EXISTS (SELECT 1 FROM switchboard.schema_lint() WHERE check_name = 'function_search_path_mutable'
                  AND object_name = 'public.lint_no_path()'), 'a function without a pinned search_path is flagged');

CREATE FUNCTION public.lint_definer() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT 1';
SELECT ok(EXISTS (SELECT 1 FROM switchboard.schema_lint() WHERE check_name = 'security_definer_exposed'
                  AND object_name = 'public.lint_definer()'), 'a SECURITY DEFINER function executable by PUBLIC is flagged');
REVOKE ALL ON FUNCTION public.lint_definer() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.lint_definer() TO anon;
SELECT ok(EXISTS (SELECT 1 FROM switchboard.schema_lint() WHERE check_name = 'security_definer_exposed'
                  AND object_name = 'public.lint_definer()'), 'a SECURITY DEFINER function executable by anon is flagged');
INSERT INTO switchboard.lint_exceptions VALUES ('security_definer_exposed', 'public.lint_definer()', 'meant for anon in this test');
SELECT ok(NOT EXISTS (SELECT 1 FROM switchboard.schema_lint() WHERE check_name = 'security_definer_exposed'
                  AND object_name = 'public.lint_definer()'), 'an intended exception is listed, not flagged');

CREATE VIEW public.lint_view AS SELECT 1 AS x;
SELECT ok(EXISTS (SELECT 1 FROM switchboard.schema_lint() WHERE check_name = 'view_without_security_invoker'
                  AND object_name = 'public.lint_view'), 'a view without security_invoker is flagged');

CREATE TABLE public.lint_plain (id int PRIMARY KEY);
SELECT ok(EXISTS (SELECT 1 FROM switchboard.schema_lint() WHERE check_name = 'table_without_org_id'
                  AND object_name = 'public.lint_plain'), 'a public table without org_id is flagged');

CREATE TABLE public.lint_tenant (org_id uuid NOT NULL, id uuid NOT NULL, code text, PRIMARY KEY (id), UNIQUE (code));
SELECT ok(EXISTS (SELECT 1 FROM switchboard.schema_lint() WHERE check_name = 'rls_not_forced'
                  AND object_name = 'public.lint_tenant'), 'a tenant table without RLS is flagged');
SELECT ok(EXISTS (SELECT 1 FROM switchboard.schema_lint() WHERE check_name = 'constraint_without_org_id'
                  AND object_name = 'public.lint_tenant.lint_tenant_pkey'), 'a primary key without org_id is flagged');
SELECT ok(EXISTS (SELECT 1 FROM switchboard.schema_lint() WHERE check_name = 'no_index_leading_org_id'
                  AND object_name = 'public.lint_tenant'), 'a tenant table without an org_id-leading index is flagged');
ALTER TABLE public.lint_tenant ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.lint_tenant FORCE ROW LEVEL SECURITY;
SELECT ok(EXISTS (SELECT 1 FROM switchboard.schema_lint() WHERE check_name = 'rls_without_policy'
                  AND object_name = 'public.lint_tenant'), 'RLS without any policy is flagged');

SELECT ok(EXISTS (SELECT 1 FROM switchboard.schema_lint() WHERE check_name = 'missing_comment'
                  AND object_name = 'public.lint_tenant'), 'a table without a COMMENT is flagged');
SELECT ok(EXISTS (SELECT 1 FROM switchboard.schema_lint() WHERE check_name = 'missing_comment'
                  AND object_name = 'public.lint_no_path()'), 'a function without a COMMENT is flagged');

-- a table that loses its policies and its forced RLS is caught
ALTER TABLE public.contacts NO FORCE ROW LEVEL SECURITY;
SELECT ok(EXISTS (SELECT 1 FROM switchboard.schema_lint() WHERE check_name = 'rls_not_forced'
                  AND object_name = 'public.contacts'), 'contacts without forced RLS is flagged');

SELECT * FROM finish();
ROLLBACK;
