-- Tenancy roles and member-role policies on the tenancy tables.
BEGIN;
SELECT plan(16);
SELECT has_role('anon');
SELECT has_role('authenticated');
SELECT has_role('service_role');
SELECT ok((SELECT rolbypassrls FROM pg_roles WHERE rolname = 'service_role'), 'service_role bypasses RLS');
SELECT ok(NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'anon'), 'anon cannot log in');

-- viewer: reads, never writes
CREATE TEMP TABLE expected AS SELECT count(*) AS n FROM contacts WHERE org_id = '11111111-1111-1111-1111-111111111111';
GRANT SELECT ON expected TO authenticated;
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000004', '11111111-1111-1111-1111-111111111111');
SELECT is((SELECT count(*) FROM contacts), (SELECT n FROM expected), 'a viewer reads all of the org''s contacts');
SELECT throws_ok($$INSERT INTO contacts (org_id, first_name) VALUES ('11111111-1111-1111-1111-111111111111', 'V')$$,
                 '42501', NULL, 'a viewer cannot insert contacts');
UPDATE contacts SET first_name = 'Changed' WHERE org_id = '11111111-1111-1111-1111-111111111111';
SELECT switchboard_test.act_reset();
SELECT is((SELECT count(*) FROM contacts WHERE first_name = 'Changed'), 0::bigint, 'a viewer''s update changes nothing');

-- agent: writes contacts, cannot manage members
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
SELECT lives_ok($$INSERT INTO contacts (org_id, first_name) VALUES ('11111111-1111-1111-1111-111111111111', 'Agent-made')$$,
                'an agent inserts a contact');
SELECT throws_ok($$INSERT INTO org_members (org_id, user_id, role) VALUES ('11111111-1111-1111-1111-111111111111', gen_random_uuid(), 'agent')$$,
                 '42501', NULL, 'an agent cannot add members');
SELECT is((SELECT count(*) FROM organizations), 1::bigint, 'a member sees only its own org');

-- admin: manages members but not owners
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000002', '11111111-1111-1111-1111-111111111111');
SELECT lives_ok($$INSERT INTO org_members (org_id, user_id, role) VALUES ('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000000aa', 'agent')$$,
                'an admin adds an agent');
SELECT throws_ok($$UPDATE org_members SET role = 'owner' WHERE user_id = 'a0000000-0000-0000-0000-0000000000aa'$$,
                 '42501', NULL, 'an admin cannot promote to owner');
DELETE FROM org_members WHERE user_id = 'a0000000-0000-0000-0000-000000000001';
SELECT switchboard_test.act_reset();
SELECT is((SELECT count(*) FROM org_members WHERE user_id = 'a0000000-0000-0000-0000-000000000001'), 1::bigint,
          'an admin cannot remove an owner');

-- a member of org A whose claims name org B gets nothing (membership is checked)
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000001', '22222222-2222-2222-2222-222222222222');
SELECT is((SELECT count(*) FROM contacts), 0::bigint, 'claims naming an org the user is not a member of see nothing');
SELECT throws_ok($$SELECT switchboard.assert_org_access(NULL)$$, '42501', NULL, 'and API calls are refused');
SELECT switchboard_test.act_reset();

SELECT * FROM finish();
ROLLBACK;
