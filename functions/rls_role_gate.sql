-- Tenant policies with the role check inside the org subquery.
--
-- The released form, org_id = (SELECT current_org_id()) AND
-- (SELECT current_org_role()) = ANY (roles), leaves the role comparison in
-- the scan's row filter: PostgreSQL does not hoist a security qual into a
-- one-time filter, so every row the org's index returns pays an array
-- search of text comparisons. Written as
--   org_id = (SELECT current_org_id() WHERE current_org_role() = ANY (roles))
-- the role check runs once per statement inside the init plan, and the scan
-- keeps only its index condition: the plan is the hand-written
-- WHERE org_id = ... plan plus one init plan. Same rows: when the role is
-- not allowed (or absent) the subquery yields no row, org_id = NULL, and
-- nothing is visible or writable, as before.

-- Rewrites every policy expression (USING and WITH CHECK) on a public table
-- that matches p_pattern (a regular expression over its deparsed text) with
-- p_replacement; returns how many it rewrote. Used by the Sqitch change
-- rls_role_gate in both directions.
CREATE OR REPLACE FUNCTION switchboard._rewrite_policy_exprs(p_pattern text, p_replacement text)
  RETURNS int
  LANGUAGE plpgsql
  SET search_path = pg_catalog
AS $$
DECLARE
  p record;
  v_n int := 0;
BEGIN
  FOR p IN
    SELECT pol.polname, pol.polrelid::regclass AS tbl, k.clause,
           pg_get_expr(CASE k.clause WHEN 'USING' THEN pol.polqual ELSE pol.polwithcheck END, pol.polrelid) AS expr
    FROM pg_policy pol
    JOIN pg_class c ON c.oid = pol.polrelid
    CROSS JOIN (VALUES ('USING'), ('WITH CHECK')) k(clause)
    WHERE c.relnamespace = 'public'::regnamespace
    ORDER BY 2, 1, 3
  LOOP
    CONTINUE WHEN p.expr IS NULL OR p.expr !~ p_pattern;
    EXECUTE format('ALTER POLICY %I ON %s %s (%s)', p.polname, p.tbl, p.clause,
                   regexp_replace(p.expr, p_pattern, p_replacement));
    v_n := v_n + 1;
  END LOOP;
  RETURN v_n;
END
$$;
COMMENT ON FUNCTION switchboard._rewrite_policy_exprs(text, text) IS
  'maintenance: rewrites the policy expressions on public tables that match a pattern (Sqitch change rls_role_gate)';
REVOKE ALL ON FUNCTION switchboard._rewrite_policy_exprs(text, text) FROM PUBLIC;

-- New tenant tables get the gated form.
CREATE OR REPLACE FUNCTION switchboard.apply_tenant_policies(
  p_table regclass,
  p_read_roles text[] DEFAULT ARRAY['owner', 'admin', 'agent', 'viewer'],
  p_write_roles text[] DEFAULT ARRAY['owner', 'admin', 'agent'])
  RETURNS void
  LANGUAGE plpgsql
  SET search_path = pg_catalog
AS $$
DECLARE
  v_gate constant text :=
    'org_id = (SELECT switchboard.current_org_id() WHERE switchboard.current_org_role() = ANY (%L::text[]))';
BEGIN
  EXECUTE format('ALTER TABLE %1$s ENABLE ROW LEVEL SECURITY; ALTER TABLE %1$s FORCE ROW LEVEL SECURITY;'
                 ' CREATE POLICY tenant_select ON %1$s FOR SELECT TO authenticated USING (%2$s);'
                 ' CREATE POLICY tenant_insert ON %1$s FOR INSERT TO authenticated WITH CHECK (%3$s);'
                 ' CREATE POLICY tenant_update ON %1$s FOR UPDATE TO authenticated USING (%3$s) WITH CHECK (%3$s);'
                 ' CREATE POLICY tenant_delete ON %1$s FOR DELETE TO authenticated USING (%3$s)',
                 p_table, format(v_gate, p_read_roles), format(v_gate, p_write_roles));
END
$$;
COMMENT ON FUNCTION switchboard.apply_tenant_policies(regclass, text[], text[]) IS
  'enables and forces RLS on a tenant table and creates its tenant_select/insert/update/delete policies';
REVOKE ALL ON FUNCTION switchboard.apply_tenant_policies(regclass, text[], text[]) FROM PUBLIC;

-- The policies that exist: (col = (SELECT current_org_id())) AND
-- ((SELECT current_org_role()) <role test>) becomes
-- col = (SELECT current_org_id() WHERE current_org_role() <role test>).
SELECT switchboard._rewrite_policy_exprs(
  '^\(\((\w+) = \( SELECT switchboard\.current_org_id\(\) AS current_org_id\)\) AND \(\( SELECT switchboard\.current_org_role\(\) AS current_org_role\) (= ANY \(.*\)|IS NOT NULL)\)\)$',
  '\1 = (SELECT switchboard.current_org_id() WHERE switchboard.current_org_role() \2)') AS rewritten \gset
