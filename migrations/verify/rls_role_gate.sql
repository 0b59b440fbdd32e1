-- Verify switchboard:rls_role_gate on pg: no policy on a public table keeps
-- the role test outside the org subquery, and the tenant tables have the new form.
SELECT 1/(count(*) = 0)::int FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
WHERE c.relnamespace = 'public'::regnamespace
  AND (pg_get_expr(pol.polqual, pol.polrelid) ~ 'AS current_org_role\) (= ANY|IS NOT NULL)'
       OR pg_get_expr(pol.polwithcheck, pol.polrelid) ~ 'AS current_org_role\) (= ANY|IS NOT NULL)');
SELECT 1/count(*) FROM pg_policy WHERE polname = 'tenant_select' AND polrelid = 'public.contacts'::regclass
  AND pg_get_expr(polqual, polrelid) LIKE '%WHERE (switchboard.current_org_role() = ANY%';
