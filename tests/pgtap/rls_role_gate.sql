-- Tenant policies check the caller's role once per statement, inside the
-- org subquery (Sqitch change rls_role_gate): the scan of a policy-filtered
-- query carries no role filter, and who sees and writes what is unchanged.
BEGIN;
SELECT plan(12);

-- catalog: no policy on a public table keeps the role test outside the subquery
SELECT is((SELECT count(*) FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
           WHERE c.relnamespace = 'public'::regnamespace
             AND (pg_get_expr(pol.polqual, pol.polrelid) ~ 'AS current_org_role\) (= ANY|IS NOT NULL)'
                  OR pg_get_expr(pol.polwithcheck, pol.polrelid) ~ 'AS current_org_role\) (= ANY|IS NOT NULL)')),
          0::bigint, 'no policy tests the role per row');
SELECT cmp_ok((SELECT count(*) FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
               WHERE c.relnamespace = 'public'::regnamespace
                 AND pg_get_expr(pol.polqual, pol.polrelid) LIKE '%current_org_id() AS current_org_id%WHERE (switchboard.current_org_role()%'),
              '>=', 40::bigint, 'the tenant policies test the role inside the org subquery');

-- a new tenant table gets the same form from apply_tenant_policies
CREATE TABLE public.rls_gate_probe (org_id uuid NOT NULL, id int NOT NULL, note text, PRIMARY KEY (org_id, id));
SELECT switchboard.apply_tenant_policies('public.rls_gate_probe', ARRAY['owner', 'admin'], ARRAY['owner']);
SELECT is((SELECT pg_get_expr(polqual, polrelid) FROM pg_policy
           WHERE polrelid = 'public.rls_gate_probe'::regclass AND polname = 'tenant_select'),
          E'(org_id = ( SELECT switchboard.current_org_id() AS current_org_id\n  WHERE (switchboard.current_org_role() = ANY (''{owner,admin}''::text[]))))',
          'apply_tenant_policies writes the role test inside the subquery');
GRANT SELECT, INSERT ON public.rls_gate_probe TO authenticated;
INSERT INTO public.rls_gate_probe VALUES ('11111111-1111-1111-1111-111111111111', 1, 'a'),
                                          ('22222222-2222-2222-2222-222222222222', 1, 'b');

-- the plan: the scan has only its index condition; the role test is a one-time filter
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE l text; r text := '';
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP r := r || l || E'\n'; END LOOP;
  RETURN r;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.plan_of(text) TO authenticated;
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
SET LOCAL enable_seqscan = off;
SELECT pg_temp.plan_of($$SELECT count(*) FROM contacts WHERE last_name LIKE 'x%'$$) AS contacts_plan \gset
RESET enable_seqscan;
SELECT switchboard_test.act_reset();
SELECT doesnt_match(:'contacts_plan'::text, E'\n +Filter: [^\n]*current_org_role', 'no row filter on the role in the contacts scan');
SELECT alike(:'contacts_plan'::text, '%One-Time Filter: (switchboard.current_org_role() = ANY%',
            'the role is tested once, in the init plan');
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');

-- who sees and writes what: unchanged
SELECT is((SELECT count(*) FROM public.rls_gate_probe), 0::bigint, 'an agent is not among the probe''s readers: sees nothing');
SELECT throws_ok($$INSERT INTO public.rls_gate_probe VALUES ('11111111-1111-1111-1111-111111111111', 2, 'x')$$,
                 '42501', NULL, 'nor writes');
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000002', '11111111-1111-1111-1111-111111111111');
SELECT is((SELECT array_agg(note) FROM public.rls_gate_probe), ARRAY['a'], 'an admin reads its own org''s row only');
SELECT throws_ok($$INSERT INTO public.rls_gate_probe VALUES ('11111111-1111-1111-1111-111111111111', 3, 'x')$$,
                 '42501', NULL, 'an admin is not a writer of the probe');
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111');
SELECT lives_ok($$INSERT INTO public.rls_gate_probe VALUES ('11111111-1111-1111-1111-111111111111', 4, 'o')$$,
                'an owner writes');
SELECT throws_ok($$INSERT INTO public.rls_gate_probe VALUES ('22222222-2222-2222-2222-222222222222', 5, 'o')$$,
                 '42501', NULL, 'but not into another org');
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000001', '22222222-2222-2222-2222-222222222222');
SELECT is((SELECT count(*) FROM public.rls_gate_probe), 0::bigint, 'claims naming an org the user is not a member of see nothing');
SELECT switchboard_test.act_reset();

SELECT * FROM finish();
ROLLBACK;
