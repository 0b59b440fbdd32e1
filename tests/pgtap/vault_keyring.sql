-- Vault keyring: wrong keyrings say "keyring does not match" up front; unsafe
-- files are refused; rotation is online (reads keep working mid-rotation and
-- from snapshots taken before it), progress is visible, a key version can be
-- retired only when unused and then leave the file. Test keyrings are written
-- to /tmp by the server (mode 600 under its umask) and removed at the end.
BEGIN;
SELECT plan(43);

-- shell commands run through COPY FROM PROGRAM (their stdout, none, lands
-- here): COPY TO PROGRAM would race a command that never reads its stdin
CREATE TEMP TABLE sh_out (line text);
CREATE TEMP TABLE keys AS
SELECT encode(extensions.gen_random_bytes(32), 'base64') AS t1,
       encode(extensions.gen_random_bytes(32), 'base64') AS t2,
       encode(extensions.gen_random_bytes(32), 'base64') AS w1;
CREATE FUNCTION pg_temp.keyring_path(p_name text) RETURNS text LANGUAGE sql AS $$
  SELECT format('/tmp/sbv-test-%s-%s.keyring', pg_backend_pid(), p_name)
$$;
CREATE FUNCTION pg_temp.write_keyring(p_name text, p_lines text[]) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_path text := pg_temp.keyring_path(p_name);
BEGIN
  EXECUTE format('COPY (SELECT unnest(%L::text[])) TO %L', p_lines, v_path);
  -- COPY creates files 644; a keyring must be 600
  EXECUTE format('COPY sh_out FROM PROGRAM %L', 'chmod 600 ' || v_path);
  RETURN v_path;
END $$;
CREATE FUNCTION pg_temp.use_keyring(p_name text) RETURNS void LANGUAGE sql AS $$
  SELECT set_config('switchboard.keyring_file', pg_temp.keyring_path(p_name), true)
$$;
CREATE FUNCTION pg_temp.reveal_all() RETURNS text[] LANGUAGE sql AS $$
  SELECT array_agg(c.provider || '=' || reveal_credential(c.org_id, c.provider, c.label) ORDER BY c.org_id, c.provider, c.label)
  FROM org_credentials c
$$;
CREATE FUNCTION pg_temp.progress() RETURNS text[] LANGUAGE sql AS $$
  SELECT array_agg(key_version || ':' || credentials ORDER BY key_version) FROM switchboard.vault_rotation_progress
$$;

DO $$ BEGIN
  PERFORM pg_temp.write_keyring('wrong', ARRAY['1:' || w1]) FROM keys;
  PERFORM pg_temp.write_keyring('only2', ARRAY['2:' || t2]) FROM keys;
  PERFORM pg_temp.write_keyring('open', ARRAY['1:' || w1]) FROM keys;
  PERFORM pg_temp.write_keyring('garbled', ARRAY['1:not-a-key']);
  PERFORM pg_temp.write_keyring('live', ARRAY['# test keyring', '1:' || t1]) FROM keys;
  EXECUTE format('COPY sh_out FROM PROGRAM %L', 'chmod 644 ' || pg_temp.keyring_path('open'));
  EXECUTE format('COPY (SELECT %L) TO %L', '1:' || (SELECT t1 FROM keys), current_setting('data_directory') || '/sbv-test.keyring');
END $$;

-- ------------------------------------------------------------ the server's keyring
SELECT is(reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio'), 'seed_twilio_token_northside_0001',
          'the server keyring reveals the seed');
SELECT is((SELECT count(*) FROM switchboard.vault_status() WHERE matches AND in_keyring), 1::bigint,
          'vault_status: key version 1 is in the keyring and matches the database');

-- ------------------------------------------------------------ wrong or unsafe keyrings
SAVEPOINT s;
SELECT pg_temp.use_keyring('wrong');
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio')$$, 'F0000',
                 'keyring does not match', 'another key under the same version: keyring does not match');
SELECT is((SELECT matches FROM switchboard.vault_status() WHERE key_version = 1), false,
          'vault_status shows the fingerprint mismatch');
SELECT throws_ok($$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'custom', 'never-stored-0000001')$$, 'F0000',
                 'keyring does not match', 'nothing is sealed under a mismatching keyring');
ROLLBACK TO SAVEPOINT s;
SELECT pg_temp.use_keyring('only2');
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio')$$, 'F0000',
                 'keyring does not match', 'a keyring holding none of the database''s versions does not match');
ROLLBACK TO SAVEPOINT s;
SELECT pg_temp.use_keyring('open');
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio')$$, 'F0000',
                 'the keyring file is accessible by group or others', 'a group/other-readable keyring is refused');
ROLLBACK TO SAVEPOINT s;
DO $$ BEGIN PERFORM set_config('switchboard.keyring_file', current_setting('data_directory') || '/sbv-test.keyring', true); END $$;
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio')$$, 'F0000',
                 'the keyring file lies inside the data directory', 'a keyring inside PGDATA is refused');
ROLLBACK TO SAVEPOINT s;
SELECT pg_temp.use_keyring('missing');
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio')$$, 'F0000',
                 'could not open the keyring file', 'a missing keyring file');
ROLLBACK TO SAVEPOINT s;
SELECT pg_temp.use_keyring('garbled');
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio')$$, 'F0000',
                 'keyring line 1 does not hold a base64 32-byte key', 'a garbled keyring names the line, not its content');
ROLLBACK TO SAVEPOINT s;
SELECT set_config('switchboard.keyring_file', '', true);
SELECT throws_ok($$SELECT reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio')$$, 'F0000',
                 'no keyring configured', 'no keyring configured');
ROLLBACK TO SAVEPOINT s;
SELECT throws_ok($$SET switchboard.keyring_file = '/tmp/x'$$, '42501', NULL, 'only a superuser may point at another keyring')
FROM (SELECT switchboard_test.act_as_role('service_role')) x;
SELECT switchboard_test.act_reset();
SELECT is(reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio'), 'seed_twilio_token_northside_0001',
          'back on the server keyring, reveals work again');

-- ------------------------------------------------------------ online rotation
-- A clean slate under a test keyring (all rolled back at the end).
DELETE FROM org_credentials;
DELETE FROM switchboard.vault_keys;
SELECT pg_temp.use_keyring('live');
DO $$ BEGIN
  PERFORM set_credential('11111111-1111-1111-1111-111111111111', 'twilio', 'rot-twilio-A-0000000001');
  PERFORM set_credential('11111111-1111-1111-1111-111111111111', 'vapi', 'rot-vapi-A-00000000002');
  PERFORM set_credential('22222222-2222-2222-2222-222222222222', 'twilio', 'rot-twilio-B-0000000003');
END $$;
CREATE TEMP TABLE expected AS SELECT pg_temp.reveal_all() AS v;
SELECT is((SELECT v FROM expected),
          ARRAY['twilio=rot-twilio-A-0000000001', 'vapi=rot-vapi-A-00000000002', 'twilio=rot-twilio-B-0000000003'],
          'three credentials under key version 1');
SELECT is(pg_temp.progress(), ARRAY['1:3'], 'progress: three rows under version 1');
SELECT is((SELECT fingerprint FROM switchboard.vault_keys WHERE version = 1),
          (SELECT fingerprint FROM switchboard.vault_keyring() WHERE version = 1),
          'first use registered the fingerprint of version 1');
SELECT is(switchboard.rotate_credentials(), 0, 'nothing to rotate while version 1 is the newest');

-- A new key version lands in the same file; the backend notices the change.
DO $$ BEGIN PERFORM pg_temp.write_keyring('live', ARRAY['1:' || t1, '2:' || t2]) FROM keys; END $$;
SELECT is((SELECT version FROM switchboard.vault_keyring() WHERE newest), 2, 'the rewritten keyring file is reloaded: version 2 is newest');

-- A reader whose snapshot predates the rotation, and rotation in the middle of it.
CREATE FUNCTION pg_temp.read_across_rotation() RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  cur refcursor;
  v text;
  out text[] := '{}';
  n int;
BEGIN
  OPEN cur FOR SELECT c.provider || '=' || reveal_credential(c.org_id, c.provider, c.label)
               FROM org_credentials c ORDER BY c.org_id, c.provider, c.label;
  FETCH cur INTO v;
  out := out || v;
  n := switchboard.rotate_credentials(1);
  IF n <> 1 THEN RAISE EXCEPTION 'rotated % rows, expected 1', n; END IF;
  LOOP
    FETCH cur INTO v;
    EXIT WHEN NOT FOUND;
    out := out || v;
  END LOOP;
  CLOSE cur;
  RETURN out;
END $$;
SELECT is(pg_temp.read_across_rotation(), (SELECT v FROM expected), 'a read that spans a rotation batch returns every secret');
SELECT is(pg_temp.progress(), ARRAY['1:2', '2:1'], 'progress: one row moved to version 2');
SELECT is(pg_temp.reveal_all(), (SELECT v FROM expected), 'mixed versions all reveal (newest encrypts, all decrypt)');
SELECT throws_ok($$SELECT switchboard.vault_retire_key(1)$$, '55000', 'key version 1 is still used by 2 credentials',
                 'a version still in use cannot be retired');
SAVEPOINT before_drop;
SELECT pg_temp.use_keyring('only2');
SELECT throws_ok($$SELECT pg_temp.reveal_all()$$, '55000', 'key version 1 is not in the keyring',
                 'dropping version 1 from the file too early: rows under it say so');
ROLLBACK TO SAVEPOINT before_drop;
SELECT is(switchboard.rotate_credentials(1000), 2, 'the rest is rotated in one batch');
SELECT is(switchboard.rotate_credentials(1000), 0, 'then nothing is left');
SELECT is(pg_temp.progress(), ARRAY['1:0', '2:3'], 'progress: every row under version 2');
SELECT is((SELECT count(*) FROM org_credentials WHERE rotated_at IS NOT NULL AND key_version = 2), 3::bigint,
          'rotated rows carry rotated_at');
SELECT is((SELECT array_agg(switchboard.vault_envelope_key_version(secret)) FROM org_credentials), ARRAY[2, 2, 2],
          'every envelope header names version 2');
SELECT is(pg_temp.reveal_all(), (SELECT v FROM expected), 'every secret survives rotation');
SELECT throws_ok($$SELECT switchboard.vault_retire_key(2)$$, '55000', NULL, 'the newest version cannot be retired');
SELECT is(switchboard.vault_retire_key(1), true, 'version 1 is retired once unused');
SELECT isnt((SELECT retired_at FROM switchboard.vault_keys WHERE version = 1), NULL, 'vault_keys records the retirement');
SELECT pg_temp.use_keyring('only2');
SELECT is(pg_temp.reveal_all(), (SELECT v FROM expected), 'version 1 removed from the file: everything still reveals');
SELECT is((SELECT in_keyring FROM switchboard.vault_status() WHERE key_version = 1), false, 'vault_status: the retired version left the keyring');
DO $$ BEGIN PERFORM set_credential('22222222-2222-2222-2222-222222222222', 'custom', 'after-rotation-00000004'); END $$;
SELECT is((SELECT key_version FROM org_credentials WHERE provider = 'custom'), 2, 'new credentials are sealed under version 2');
-- the old key cannot come back to encrypt
DO $$ BEGIN PERFORM pg_temp.write_keyring('old', ARRAY['1:' || t1]) FROM keys; END $$;
SELECT pg_temp.use_keyring('old');
SELECT throws_ok($$SELECT set_credential('22222222-2222-2222-2222-222222222222', 'custom', 'with-old-key-00000005')$$, 'F0000',
                 'keyring does not match', 'a keyring holding only the retired version is refused');
SELECT throws_ok($$SELECT switchboard.rotate_credentials(10)$$, 'F0000', 'keyring does not match', 'rotation checks the keyring too');
SELECT pg_temp.use_keyring('only2');
SELECT is(reveal_credential('22222222-2222-2222-2222-222222222222', 'custom'), 'after-rotation-00000004', 'and the new secret reveals');
SELECT is((SELECT count(*) FROM switchboard.vault_status()), 2::bigint, 'vault_status lists both versions');
SELECT is((SELECT credentials FROM switchboard.vault_status() WHERE key_version = 2), 4::bigint, 'vault_status counts credentials per version');

-- A backend that verified an old keyring before its version was retired must
-- still not seal under it: every writer checks the version it sealed under
-- (the concurrent cases are tests/isolation/specs/vault_retire_race.spec).
UPDATE switchboard.vault_keys SET retired_at = NULL WHERE version = 1;
SELECT pg_temp.use_keyring('old');
SELECT switchboard.vault_check_keyring();
UPDATE switchboard.vault_keys SET retired_at = now() WHERE version = 1;
SELECT throws_ok($$SELECT set_credential('22222222-2222-2222-2222-222222222222', 'custom', 'stale-backend-00000006')$$, '55000',
                 'key version 1 is retired', 'set_credential refuses to seal under a retired version');
SELECT throws_ok($$SELECT switchboard.vault_store('22222222-2222-2222-2222-222222222222', 'smtp', 'default', 'stale-backend-00000007', '{}', NULL)$$,
                 '55000', 'key version 1 is retired', 'the legacy migration''s writer refuses too');
SELECT is((SELECT count(*) FROM org_credentials WHERE key_version = 1), 0::bigint, 'no row was left under the retired version');
SELECT pg_temp.use_keyring('only2');

DO $$ BEGIN
  EXECUTE format('COPY sh_out FROM PROGRAM %L', format('rm -f /tmp/sbv-test-%s-*.keyring %s/sbv-test.keyring',
                 pg_backend_pid(), current_setting('data_directory')));
END $$;
SELECT * FROM finish();
ROLLBACK;
