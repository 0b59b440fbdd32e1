-- Vault: a clinic's Twilio token, as the attacker, the front-end and the backend see it
\set QUIET on
\pset footer off
-- Northside Clinic's owner stores its Twilio auth token (front-end RPC; the token is a parameter)
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub":"a0000000-0000-0000-0000-000000000001","role":"authenticated","app_metadata":{"org_id":"11111111-1111-1111-1111-111111111111"}}', true) IS NOT NULL AS claims_set;
SELECT set_credential(NULL, 'twilio', 'demo_9f8e7d6c5b4a39281706f5e4d3c2b1a0', 'main',
                      '{"account_sid": "AC5ef8732a3c49700934481addd5ce1659", "from": "+14155550100"}') AS credential_id;
COMMIT;
-- an attacker with table access (a leaked dump, a stolen backup, a superuser session) sees only the envelope:
-- format 01, key version 00000001, a 24-byte nonce, ciphertext + tag; no key anywhere in the database
SELECT provider, label, key_version, octet_length(secret) AS bytes,
       encode(substr(secret, 1, 1), 'hex') AS fmt, encode(substr(secret, 2, 4), 'hex') AS key_ver,
       encode(substr(secret, 6, 24), 'hex') AS nonce, left(encode(substr(secret, 30), 'hex'), 32) || '…' AS ciphertext_and_tag
FROM org_credentials WHERE org_id = '11111111-1111-1111-1111-111111111111' AND provider = 'twilio' AND label = 'main';
-- and the envelope is bound to its row: copied onto Harbor's Twilio row, it does not decrypt
BEGIN;
UPDATE org_credentials SET secret = (SELECT secret FROM org_credentials WHERE org_id = '11111111-1111-1111-1111-111111111111' AND provider = 'twilio' AND label = 'main')
WHERE org_id = '22222222-2222-2222-2222-222222222222' AND provider = 'twilio';
SELECT reveal_credential('22222222-2222-2222-2222-222222222222', 'twilio');
ROLLBACK;
-- the front-end's masked listing (owner/admin): hints and metadata, never the envelope
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub":"a0000000-0000-0000-0000-000000000002","role":"authenticated","app_metadata":{"org_id":"11111111-1111-1111-1111-111111111111"}}', true) IS NOT NULL AS claims_set;
SELECT provider, label, secret_hint, metadata ->> 'account_sid' AS account_sid, key_version, updated_at::date FROM list_credentials();
-- the front-end cannot read the envelope column nor reveal, even for its own org
SAVEPOINT s;
SELECT secret FROM org_credentials;
ROLLBACK TO SAVEPOINT s;
SELECT reveal_credential(NULL, 'twilio');
ROLLBACK;
-- the backend (service_role) reveals it to call Twilio
BEGIN;
SET LOCAL ROLE service_role;
SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio', 'main') AS twilio_auth_token;
COMMIT;
-- keys: versions, public fingerprints, rows per version (rotation progress)
SELECT key_version, fingerprint, in_keyring, newest, matches, credentials FROM switchboard.vault_status();
