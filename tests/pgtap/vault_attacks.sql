-- Vault: row-swapping attacks (an attacker with write access to the table
-- moves a ciphertext to another row, org, provider or label), tampering,
-- malformed envelopes, wrong key versions, bad input. Each fails with a clear
-- SQLSTATE, writes nothing, and no error text carries a secret.
BEGIN;
SELECT plan(49);

CREATE FUNCTION pg_temp.err(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_state text; v_msg text; v_detail text; v_hint text;
BEGIN
  EXECUTE p_sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL,
                          v_hint = PG_EXCEPTION_HINT;
  RETURN v_state || ' ' || v_msg || ' | ' || coalesce(v_detail, '') || ' | ' || coalesce(v_hint, '');
END $$;

DO $$ BEGIN PERFORM set_credential('11111111-1111-1111-1111-111111111111', 'twilio', 'attack_twilio_second_label_A', 'second'); END $$;
-- ---------------------------------------------------------- row swapping
-- A's twilio envelope copied into B's twilio row
SAVEPOINT s;
UPDATE org_credentials SET secret = (SELECT secret FROM org_credentials WHERE org_id = '11111111-1111-1111-1111-111111111111' AND provider = 'twilio' AND label = 'default')
WHERE org_id = '22222222-2222-2222-2222-222222222222' AND provider = 'twilio';
SELECT throws_ok($$SELECT reveal_credential('22222222-2222-2222-2222-222222222222', 'twilio')$$, 'XX001',
                 'credential does not decrypt for this row', 'an envelope copied to another org fails to decrypt');
ROLLBACK TO SAVEPOINT s;
-- A's twilio envelope copied into A's vapi row (another provider, same org)
UPDATE org_credentials SET secret = (SELECT secret FROM org_credentials WHERE org_id = '11111111-1111-1111-1111-111111111111' AND provider = 'twilio' AND label = 'default')
WHERE org_id = '11111111-1111-1111-1111-111111111111' AND provider = 'vapi';
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'vapi')$$, 'XX001',
                 'credential does not decrypt for this row', 'an envelope copied to another provider fails to decrypt');
ROLLBACK TO SAVEPOINT s;
-- same org and provider, another label
UPDATE org_credentials SET secret = (SELECT secret FROM org_credentials WHERE org_id = '11111111-1111-1111-1111-111111111111' AND provider = 'twilio' AND label = 'default')
WHERE org_id = '11111111-1111-1111-1111-111111111111' AND provider = 'twilio' AND label = 'second';
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio', 'second')$$, 'XX001',
                 'credential does not decrypt for this row', 'an envelope copied to another label fails to decrypt');
ROLLBACK TO SAVEPOINT s;
-- the row re-keyed: same envelope, new row id (delete and re-insert with another id)
UPDATE org_credentials SET id = gen_random_uuid()
WHERE org_id = '11111111-1111-1111-1111-111111111111' AND provider = 'twilio' AND label = 'default';
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio')$$, 'XX001',
                 'credential does not decrypt for this row', 'an envelope under another row id fails to decrypt');
ROLLBACK TO SAVEPOINT s;
-- the whole row moved to org B (org_id rewritten)
DELETE FROM org_credentials WHERE org_id = '22222222-2222-2222-2222-222222222222' AND provider = 'twilio';
UPDATE org_credentials SET org_id = '22222222-2222-2222-2222-222222222222'
WHERE org_id = '11111111-1111-1111-1111-111111111111' AND provider = 'twilio' AND label = 'default';
SELECT throws_ok($$SELECT reveal_credential('22222222-2222-2222-2222-222222222222', 'twilio')$$, 'XX001',
                 'credential does not decrypt for this row', 'a row moved to another org fails to decrypt');
ROLLBACK TO SAVEPOINT s;
-- provider rewritten in place
UPDATE org_credentials SET provider = 'custom'
WHERE org_id = '11111111-1111-1111-1111-111111111111' AND provider = 'vapi';
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'custom')$$, 'XX001',
                 'credential does not decrypt for this row', 'a row whose provider was rewritten fails to decrypt');
ROLLBACK TO SAVEPOINT s;
SELECT is(reveal_credential('22222222-2222-2222-2222-222222222222', 'twilio'), 'seed_twilio_token_harbor_0003',
          'after the attacks are rolled back, B''s credential reveals again');

-- ---------------------------------------------------------- tampering
UPDATE org_credentials SET secret = set_byte(secret, 40, get_byte(secret, 40) # 1)
WHERE org_id = '11111111-1111-1111-1111-111111111111' AND provider = 'vapi';
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'vapi')$$, 'XX001',
                 'credential does not decrypt for this row', 'a flipped ciphertext bit fails to decrypt');
ROLLBACK TO SAVEPOINT s;
UPDATE org_credentials SET secret = set_byte(secret, 10, get_byte(secret, 10) # 1)
WHERE org_id = '11111111-1111-1111-1111-111111111111' AND provider = 'vapi';
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'vapi')$$, 'XX001',
                 'credential does not decrypt for this row', 'a flipped nonce bit fails to decrypt');
ROLLBACK TO SAVEPOINT s;
-- header says key version 9, column agrees: the keyring has no version 9
UPDATE org_credentials SET secret = set_byte(secret, 4, 9), key_version = 9
WHERE org_id = '11111111-1111-1111-1111-111111111111' AND provider = 'vapi';
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'vapi')$$, '55000',
                 'key version 9 is not in the keyring', 'a key version missing from the keyring is 55000');
ROLLBACK TO SAVEPOINT s;
-- malformed envelopes cannot even be stored
SELECT throws_ok($$UPDATE org_credentials SET secret = substr(secret, 1, 20) WHERE provider = 'vapi'$$, '23514', NULL,
                 'a truncated envelope violates the envelope check');
SELECT throws_ok($$UPDATE org_credentials SET secret = '\x02' || substr(secret, 2) WHERE provider = 'vapi'$$, '23514', NULL,
                 'an unknown format byte violates the envelope check');
SELECT throws_ok($$UPDATE org_credentials SET key_version = 2 WHERE provider = 'vapi'$$, '23514', NULL,
                 'a key_version column that disagrees with the header violates the check');
SELECT throws_ok($$UPDATE org_credentials SET secret = convert_to('plaintext-secret-value', 'UTF8') WHERE provider = 'vapi'$$, '23514', NULL,
                 'plaintext cannot be stored in the envelope column');
-- and the primitive itself says what is wrong
SELECT throws_ok($$SELECT switchboard.vault_open('11111111-1111-1111-1111-111111111111', 'vapi', 'default', gen_random_uuid(), '\x0100000001')$$,
                 'XX001', 'credential envelope is malformed', 'a truncated envelope is reported as malformed');
SELECT is(switchboard.vault_envelope_key_version('\x01'), NULL, 'key version of a malformed envelope is NULL');
SELECT throws_ok($$SELECT switchboard.vault_open(NULL, 'vapi', 'default', gen_random_uuid(), '\x01')$$, '22004', 'org id must not be null',
                 'the primitives refuse NULL arguments cleanly');
SELECT throws_ok($$SELECT switchboard.vault_seal('11111111-1111-1111-1111-111111111111', 'vapi', 'default', gen_random_uuid(), repeat('x', 16385))$$,
                 '22001', 'secret is longer than 16384 bytes', 'the sealing primitive enforces the size limit itself');
SELECT throws_ok($$SELECT switchboard.vault_open('11111111-1111-1111-1111-111111111111', 'vapi', 'default', gen_random_uuid(), '\x01' || decode(repeat('00', 17000), 'hex'))$$,
                 'XX001', 'credential envelope is malformed', 'an oversized envelope is malformed, not a crash');
SELECT is(switchboard.vault_envelope_key_version(NULL), NULL, 'key version of NULL is NULL');
SELECT is(switchboard.vault_envelope_key_version(secret), key_version, 'header and column agree for a stored row')
FROM org_credentials WHERE org_id = '11111111-1111-1111-1111-111111111111' AND provider = 'twilio' AND label = 'default';

-- ---------------------------------------------------------- bad input, nothing written
CREATE TEMP TABLE before AS SELECT count(*) AS n, md5(string_agg(secret::text, ',' ORDER BY id)) AS h FROM org_credentials;
SELECT throws_ok($$SELECT set_credential('11111111-1111-1111-1111-111111111111', NULL, 'x-secret-value')$$, '22004', 'provider must not be null', 'NULL provider');
SELECT throws_ok($$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'twilio', NULL)$$, '22004', 'secret must not be null', 'NULL secret');
SELECT throws_ok($$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'myspace', 'x-secret-value')$$, '22023', 'unknown provider', 'unknown provider');
SELECT throws_ok($$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'twilio', '')$$, '22023', 'secret must not be empty', 'empty secret');
SELECT throws_ok($$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'twilio', repeat('k', 65536))$$, '22001', 'secret is longer than 16384 bytes', '64 KiB secret');
SELECT throws_ok($$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'twilio', 'x-secret-value', '')$$, '22023', NULL, 'empty label');
SELECT throws_ok($$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'twilio', 'x-secret-value', ' padded ')$$, '22023', NULL, 'label with surrounding spaces');
SELECT throws_ok($$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'twilio', 'x-secret-value', repeat('l', 129))$$, '22023', NULL, 'label over 128 bytes');
SELECT throws_ok($$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'twilio', 'x-secret-value', 'default', '[1,2]')$$, '22023', 'metadata must be a json object', 'metadata that is not an object');
SELECT throws_ok($$SELECT set_credential('33333333-3333-3333-3333-333333333333', 'twilio', 'x-secret-value')$$, 'P0002', 'org not found', 'unknown org');
SELECT throws_ok($$SELECT set_credential(NULL, 'twilio', 'x-secret-value')$$, '22023', NULL, 'service/superuser without an org');
SELECT is((SELECT count(*) FROM org_credentials), (SELECT n FROM before), 'no bad call wrote a row');
SELECT is((SELECT md5(string_agg(secret::text, ',' ORDER BY id)) FROM org_credentials), (SELECT h FROM before), 'no bad call changed an envelope');
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'openai')$$, 'P0002', 'credential not found', 'reveal of a missing credential');
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', NULL)$$, '22004', NULL, 'reveal with a NULL provider');
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'myspace')$$, '22023', NULL, 'reveal of an unknown provider');
SELECT throws_ok($$SELECT delete_credential('11111111-1111-1111-1111-111111111111', NULL)$$, '22004', NULL, 'delete with a NULL provider');
SELECT throws_ok($$SELECT switchboard.rotate_credentials(0)$$, '22023', NULL, 'rotate with a batch of 0');
SELECT throws_ok($$SELECT switchboard.rotate_credentials(NULL)$$, '22023', NULL, 'rotate with a NULL batch');
SELECT throws_ok($$SELECT switchboard.vault_retire_key(424242)$$, 'P0002', NULL, 'retiring an unknown key version');

-- ---------------------------------------------------------- the hint discloses little
DO $$ BEGIN
  PERFORM set_credential('11111111-1111-1111-1111-111111111111', 'custom', 'short-pw', 'short');
  PERFORM set_credential('11111111-1111-1111-1111-111111111111', 'custom', 'twelve-chars', 'twelve');
  PERFORM set_credential('11111111-1111-1111-1111-111111111111', 'custom', 'pässwörd-ünïcödé', 'unicode');
END $$;
SELECT is((SELECT secret_hint FROM org_credentials WHERE label = 'short'), NULL, 'a secret under 12 characters gets no hint');
SELECT is((SELECT secret_hint FROM org_credentials WHERE label = 'twelve'), 'hars', 'twelve characters: the last four');
SELECT is((SELECT secret_hint FROM org_credentials WHERE label = 'unicode'), 'cödé', 'the hint counts characters, not bytes');
SELECT is(reveal_credential('11111111-1111-1111-1111-111111111111', 'custom', 'unicode'), 'pässwörd-ünïcödé', 'multibyte secrets round-trip');

-- ---------------------------------------------------------- no secret in any error text
SELECT unalike(pg_temp.err($$SELECT set_credential('33333333-3333-3333-3333-333333333333', 'twilio', 'LEAKCHECK-unknown-org-0001')$$),
              '%LEAKCHECK%', 'the unknown-org error does not echo the secret');
SELECT unalike(pg_temp.err($$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'twilio', 'LEAKCHECK-bad-meta-00002', 'default', '"x"')$$),
              '%LEAKCHECK%', 'the metadata error does not echo the secret');
SELECT unalike(pg_temp.err($$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'twilio', 'LEAKCHECK-' || repeat('z', 70000))$$),
              '%LEAKCHECK%', 'the too-long error does not echo the secret');
SELECT ok((SELECT proconfig @> ARRAY['log_min_error_statement=panic'] FROM pg_proc WHERE oid = 'public.set_credential(uuid, text, text, text, jsonb)'::regprocedure),
          'set_credential keeps the calling statement (which may carry the secret) out of error logs');

SELECT * FROM finish();
ROLLBACK;
