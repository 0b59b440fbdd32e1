-- Vault permissions, from every seat: owner, admin, agent, viewer of org A,
-- org B's owner, anon, a caller without claims, service_role, superuser.
-- Nobody but service_role/superuser gets plaintext; no API role can read the
-- envelope column at all, not even of its own org.
BEGIN;
SELECT plan(68);

CREATE FUNCTION pg_temp.as_member(p_who text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  CASE p_who
    WHEN 'owner' THEN PERFORM switchboard_test.act_as('a0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111');
    WHEN 'admin' THEN PERFORM switchboard_test.act_as('a0000000-0000-0000-0000-000000000002', '11111111-1111-1111-1111-111111111111');
    WHEN 'agent' THEN PERFORM switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
    WHEN 'viewer' THEN PERFORM switchboard_test.act_as('a0000000-0000-0000-0000-000000000004', '11111111-1111-1111-1111-111111111111');
    WHEN 'b_owner' THEN PERFORM switchboard_test.act_as('b0000000-0000-0000-0000-000000000001', '22222222-2222-2222-2222-222222222222');
    WHEN 'anon' THEN PERFORM switchboard_test.act_as_role('anon');
    WHEN 'noclaims' THEN PERFORM switchboard_test.act_as_role('authenticated');
    WHEN 'service' THEN PERFORM switchboard_test.act_as_role('service_role');
  END CASE;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.as_member(text) TO PUBLIC;

-- SQLSTATE of running p_sql as p_who ('ok' when it succeeds)
CREATE FUNCTION pg_temp.state_as(p_who text, p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v text := 'ok';
BEGIN
  BEGIN
    PERFORM pg_temp.as_member(p_who);
    EXECUTE p_sql;
    PERFORM switchboard_test.act_reset();
  EXCEPTION WHEN OTHERS THEN
    v := SQLSTATE;
  END;
  PERFORM switchboard_test.act_reset();
  RETURN v;
END $$;

-- ------------------------------------------------------------- set_credential
SELECT is(pg_temp.state_as('owner', $$SELECT set_credential(NULL, 'openai', 'sk-owner-000000000000001')$$), 'ok',
          'owner stores a credential for its org');
SELECT is(pg_temp.state_as('admin', $$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'openai', 'sk-admin-000000000000002')$$), 'ok',
          'admin stores (replaces) a credential for its org');
SELECT is(pg_temp.state_as('agent', $$SELECT set_credential(NULL, 'openai', 'sk-agent-000000000000003')$$), '42501',
          'agent cannot store credentials');
SELECT is(pg_temp.state_as('viewer', $$SELECT set_credential(NULL, 'openai', 'sk-viewer-00000000000004')$$), '42501',
          'viewer cannot store credentials');
SELECT is(pg_temp.state_as('b_owner', $$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'openai', 'sk-intruder-000000000005')$$), '42501',
          'org B''s owner cannot store a credential into org A');
SELECT is(pg_temp.state_as('anon', $$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'openai', 'sk-anon-0000000000000006')$$), '42501',
          'anon cannot store credentials');
SELECT is(pg_temp.state_as('noclaims', $$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'openai', 'sk-noclaims-000000000007')$$), '42501',
          'authenticated without claims cannot store credentials');
SELECT is(pg_temp.state_as('service', $$SELECT set_credential('22222222-2222-2222-2222-222222222222', 'openai', 'sk-service-0000000000008')$$), 'ok',
          'service_role stores a credential for any org');
SELECT is(pg_temp.state_as('service', $$SELECT set_credential(NULL, 'openai', 'sk-service-0000000000009')$$), '22023',
          'service_role must name the org');
SELECT is((SELECT count(*) FROM org_credentials WHERE provider = 'openai'), 2::bigint,
          'exactly the two allowed openai credentials exist (A replaced once, B once)');
SELECT is(reveal_credential('11111111-1111-1111-1111-111111111111', 'openai'), 'sk-admin-000000000000002',
          'the admin''s replacement is what org A''s openai credential holds');

-- ---------------------------------------------------------- reveal_credential
SELECT is(pg_temp.state_as(w, $$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio')$$), '42501',
          format('%s cannot reveal', w))
FROM unnest(ARRAY['owner', 'admin', 'agent', 'viewer', 'b_owner', 'anon', 'noclaims']) w;
SELECT is(pg_temp.state_as('owner', $$SELECT reveal_credential(NULL, 'twilio')$$), '42501',
          'owner cannot reveal even with p_org_id NULL (own org)');
SELECT is(pg_temp.state_as('service', $$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio')$$), 'ok',
          'service_role reveals');
SELECT switchboard_test.act_as_role('service_role');
SELECT is(reveal_credential('22222222-2222-2222-2222-222222222222', 'smtp', 'outbound'), 'seed_smtp_password_harbor_0004',
          'service_role reveals org B''s labelled credential');
SELECT switchboard_test.act_reset();
SELECT is(reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio'), 'seed_twilio_token_northside_0001',
          'a superuser reveals');

-- --------------------------------------------- direct table access: no secret
SELECT is(pg_temp.state_as(w, $$SELECT secret FROM org_credentials$$), '42501',
          format('%s cannot select the secret column', w))
FROM unnest(ARRAY['owner', 'admin', 'agent', 'viewer', 'anon', 'noclaims', 'service']) w;
SELECT is(pg_temp.state_as('owner', $$SELECT * FROM org_credentials$$), '42501',
          'owner cannot select * (the envelope column is not granted)');
SELECT is(pg_temp.state_as('owner', $$SELECT org_credentials FROM org_credentials$$), '42501',
          'owner cannot read the whole-row value either');
SELECT is(pg_temp.state_as('owner', $$UPDATE org_credentials SET secret = '\x00' WHERE true$$), '42501',
          'owner cannot write the envelope column');
SELECT is(pg_temp.state_as('owner', $$INSERT INTO org_credentials (org_id, provider, secret, key_version) VALUES ('11111111-1111-1111-1111-111111111111', 'custom', '\x00', 1)$$), '42501',
          'owner cannot insert rows directly');
SELECT is(pg_temp.state_as('owner', $$DELETE FROM org_credentials$$), '42501',
          'owner cannot delete rows directly');
SELECT is(pg_temp.state_as('service', $$UPDATE org_credentials SET metadata = '{}' WHERE true$$), '42501',
          'service_role writes only through the functions');
SELECT ok(NOT has_column_privilege(r, 'public.org_credentials', 'secret', 'SELECT'),
          format('%s has no SELECT privilege on org_credentials.secret', r))
FROM unnest(ARRAY['anon', 'authenticated', 'service_role']) r;

-- ------------------------------------------------------------ masked listing
SELECT pg_temp.as_member('owner');
SELECT is((SELECT count(*) FROM org_credentials_masked), 3::bigint, 'owner lists its org''s three credentials (view)');
SELECT is((SELECT count(*) FROM list_credentials()), 3::bigint, 'owner lists its org''s three credentials (function)');
SELECT is((SELECT secret_hint FROM list_credentials() WHERE provider = 'twilio'), '0001', 'the hint is the last four characters');
SELECT ok((SELECT bool_and(NOT (to_jsonb(l)::text LIKE '%seed_twilio%' OR to_jsonb(l)::text LIKE '%sk-admin%')) FROM list_credentials() l),
          'the listing carries no secret');
SELECT switchboard_test.act_reset();
SELECT pg_temp.as_member('admin');
SELECT is((SELECT count(*) FROM org_credentials_masked), 3::bigint, 'admin lists its org''s credentials');
SELECT switchboard_test.act_reset();
SELECT pg_temp.as_member('agent');
SELECT is((SELECT count(*) FROM org_credentials_masked), 0::bigint, 'an agent sees no credential rows');
SELECT switchboard_test.act_reset();
SELECT is(pg_temp.state_as('agent', $$SELECT * FROM list_credentials()$$), '42501', 'an agent cannot call the listing');
SELECT is(pg_temp.state_as('viewer', $$SELECT * FROM list_credentials()$$), '42501', 'a viewer cannot call the listing');
SELECT pg_temp.as_member('b_owner');
SELECT is((SELECT count(*) FROM org_credentials_masked WHERE org_id = '11111111-1111-1111-1111-111111111111'), 0::bigint,
          'org B''s owner sees none of org A''s credentials');
SELECT switchboard_test.act_reset();
SELECT is(pg_temp.state_as('b_owner', $$SELECT * FROM list_credentials('11111111-1111-1111-1111-111111111111')$$), '42501',
          'org B''s owner cannot list org A');
SELECT is(pg_temp.state_as('anon', $$SELECT * FROM org_credentials_masked$$), '42501', 'anon cannot read the masked view');
SELECT switchboard_test.act_as_role('service_role');
SELECT is((SELECT count(*) FROM list_credentials('22222222-2222-2222-2222-222222222222')), 3::bigint, 'service_role lists any org');
SELECT switchboard_test.act_reset();

-- ---------------------------------------------------------- delete_credential
SELECT is(pg_temp.state_as('agent', $$SELECT delete_credential(NULL, 'openai')$$), '42501', 'an agent cannot delete');
SELECT is(pg_temp.state_as('viewer', $$SELECT delete_credential(NULL, 'openai')$$), '42501', 'a viewer cannot delete');
SELECT is(pg_temp.state_as('b_owner', $$SELECT delete_credential('11111111-1111-1111-1111-111111111111', 'openai')$$), '42501',
          'org B''s owner cannot delete org A''s credential');
SELECT is(pg_temp.state_as('anon', $$SELECT delete_credential('11111111-1111-1111-1111-111111111111', 'openai')$$), '42501',
          'anon cannot delete');
SELECT pg_temp.as_member('owner');
SELECT is(delete_credential(NULL, 'openai'), true, 'the owner deletes its org''s credential');
SELECT is(delete_credential(NULL, 'openai'), false, 'deleting it again returns false');
SELECT switchboard_test.act_reset();
SELECT switchboard_test.act_as_role('service_role');
SELECT is(delete_credential('22222222-2222-2222-2222-222222222222', 'openai'), true, 'service_role deletes for any org');
SELECT switchboard_test.act_reset();

-- ------------------------------------------------------- key management: backend only
SELECT is(pg_temp.state_as(w, $$SELECT switchboard.rotate_credentials(10)$$), '42501', format('%s cannot rotate', w))
FROM unnest(ARRAY['owner', 'anon', 'noclaims']) w;
SELECT is(pg_temp.state_as('owner', $$SELECT * FROM switchboard.vault_status()$$), '42501', 'owner cannot read the keyring status');
SELECT is(pg_temp.state_as('owner', $$SELECT switchboard.vault_retire_key(1)$$), '42501', 'owner cannot retire keys');
SELECT is(pg_temp.state_as('owner', $$SELECT switchboard.vault_seal('11111111-1111-1111-1111-111111111111', 'custom', 'x', gen_random_uuid(), 'x')$$), '42501',
          'owner cannot call the sealing primitive');
SELECT is(pg_temp.state_as('service', $$SELECT switchboard.vault_open('11111111-1111-1111-1111-111111111111', 'custom', 'x', gen_random_uuid(), '\x00')$$), '42501',
          'not even service_role calls the opening primitive directly');
SELECT is(pg_temp.state_as('service', $$SELECT switchboard.rotate_credentials(10)$$), 'ok', 'service_role rotates');

-- ------------------------------------------------------- reveal reads as its owner would
-- reveal_credential reads the row without SPI when its owner (the SECURITY
-- DEFINER user) has SELECT on org_credentials and RLS does not apply to it;
-- otherwise it runs the query, which enforces both. Owned by a role without
-- that privilege it fails; owned by one that RLS filters, it finds nothing.
CREATE ROLE vault_probe_owner NOLOGIN;
ALTER FUNCTION public.reveal_credential(uuid, text, text) OWNER TO vault_probe_owner;
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio')$$, '42501', NULL,
                 'an owner without SELECT on org_credentials cannot read through reveal_credential');
GRANT SELECT ON public.org_credentials TO vault_probe_owner;
GRANT USAGE ON SCHEMA switchboard TO vault_probe_owner;
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio')$$, 'P0002', 'credential not found',
                 'an owner subject to row-level security sees only what the policies let it');
ALTER FUNCTION public.reveal_credential(uuid, text, text) OWNER TO postgres;
SELECT is(reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio'), 'seed_twilio_token_northside_0001',
          'owned by the superuser again, it reveals');

SELECT * FROM finish();
ROLLBACK;
