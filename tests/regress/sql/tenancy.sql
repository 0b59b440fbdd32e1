-- Claims are read exactly as PostgREST sets them; user_metadata is never trusted.
\set SHOW_CONTEXT never
BEGIN;
SELECT switchboard.current_org_id() IS NULL AS no_claims_org, switchboard.current_user_id() IS NULL AS no_claims_user;
SELECT set_config('request.jwt.claims', '{"sub":"a0000000-0000-0000-0000-000000000001","role":"authenticated","app_metadata":{"org_id":"11111111-1111-1111-1111-111111111111"},"user_metadata":{"org_id":"22222222-2222-2222-2222-222222222222"}}', true) IS NOT NULL AS set;
SELECT switchboard.current_org_id(), switchboard.current_user_id();
-- user_metadata alone gives no org
SELECT set_config('request.jwt.claims', '{"sub":"a0000000-0000-0000-0000-000000000001","user_metadata":{"org_id":"22222222-2222-2222-2222-222222222222"}}', true) IS NOT NULL AS set;
SELECT switchboard.current_org_id() IS NULL AS user_metadata_ignored;
-- malformed ids read as no claims
SELECT set_config('request.jwt.claims', '{"sub":"nope","app_metadata":{"org_id":"1; drop table x"}}', true) IS NOT NULL AS set;
SELECT switchboard.current_org_id() IS NULL AS bad_org, switchboard.current_user_id() IS NULL AS bad_sub;
-- claims that are not JSON are the caller's error, reported as such
SELECT set_config('request.jwt.claims', 'not json', true) IS NOT NULL AS set;
SELECT switchboard.current_org_id();
ROLLBACK;
BEGIN;
-- a non-object JSON value carries no ids
SELECT set_config('request.jwt.claims', '[1,2]', true) IS NOT NULL AS set;
SELECT switchboard.current_org_id() IS NULL AS no_org, switchboard.current_user_id() IS NULL AS no_user,
       switchboard.current_org_role() IS NULL AS no_role;
-- the member role comes from org_members, not from the claims
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub":"a0000000-0000-0000-0000-000000000004","app_metadata":{"org_id":"11111111-1111-1111-1111-111111111111"},"role":"owner"}', true) IS NOT NULL AS set;
SELECT switchboard.current_org_role(), switchboard.caller_role(), switchboard.is_service();
-- a viewer reads contacts but cannot write them
SELECT count(*) AS contacts_visible FROM public.contacts;
INSERT INTO public.contacts (org_id, first_name) VALUES ('11111111-1111-1111-1111-111111111111', 'X');
ROLLBACK;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub":"a0000000-0000-0000-0000-000000000002","app_metadata":{"org_id":"11111111-1111-1111-1111-111111111111"}}', true) IS NOT NULL AS set;
-- assert_org_access: own org, NULL, another org, wrong member role
SELECT switchboard.assert_org_access(NULL);
SELECT switchboard.assert_org_access('11111111-1111-1111-1111-111111111111', ARRAY['owner', 'admin']);
SELECT switchboard.assert_org_access('22222222-2222-2222-2222-222222222222');
ROLLBACK;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub":"a0000000-0000-0000-0000-000000000002","app_metadata":{"org_id":"11111111-1111-1111-1111-111111111111"}}', true) IS NOT NULL AS set;
SELECT switchboard.assert_org_access(NULL, ARRAY['owner']);
ROLLBACK;
BEGIN;
SET LOCAL ROLE authenticated;
-- an admin may not create an owner; only an owner may
SELECT set_config('request.jwt.claims', '{"sub":"a0000000-0000-0000-0000-000000000002","app_metadata":{"org_id":"11111111-1111-1111-1111-111111111111"}}', true) IS NOT NULL AS set;
INSERT INTO public.org_members (org_id, user_id, role) VALUES ('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000000ff', 'owner');
ROLLBACK;
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub":"a0000000-0000-0000-0000-000000000001","app_metadata":{"org_id":"11111111-1111-1111-1111-111111111111"}}', true) IS NOT NULL AS set;
INSERT INTO public.org_members (org_id, user_id, role) VALUES ('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000000ff', 'owner');
SELECT count(*) AS owners FROM public.org_members WHERE role = 'owner';
ROLLBACK;
-- service_role must name the org
BEGIN;
SET LOCAL ROLE service_role;
SELECT switchboard.is_service();
SELECT switchboard.assert_org_access(NULL);
ROLLBACK;
-- time zones are validated
SELECT switchboard.is_valid_timezone('America/New_York'), switchboard.is_valid_timezone('Mars/Olympus'),
       switchboard.is_valid_timezone(''), switchboard.is_valid_timezone(NULL);
