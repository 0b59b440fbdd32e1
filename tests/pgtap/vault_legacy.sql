-- Vault legacy migration: plaintext secrets from the original backend's
-- layout (a table with org id, label and plaintext token columns) move into
-- org_credentials in batches, each verified by decrypting it again.
BEGIN;
SELECT plan(22);

-- the legacy layout: one of the four overlapping tables of the old backend
CREATE TEMP TABLE legacy_twilio (
  id serial PRIMARY KEY,
  clinic_id text,
  account_name text,
  auth_token text
);
INSERT INTO legacy_twilio (clinic_id, account_name, auth_token) VALUES
  ('11111111-1111-1111-1111-111111111111', 'main', 'legacy-tw-A-main-000001'),
  ('11111111-1111-1111-1111-111111111111', 'backup', 'legacy-tw-A-backup-0002'),
  ('11111111-1111-1111-1111-111111111111', NULL, 'legacy-tw-A-dflt-000003'),
  ('22222222-2222-2222-2222-222222222222', 'main', 'legacy-tw-B-main-000004'),
  ('22222222-2222-2222-2222-222222222222', 'main', 'legacy-tw-B-dupe-000005'),
  ('22222222-2222-2222-2222-222222222222', 'empty', '   '),
  ('22222222-2222-2222-2222-222222222222', 'none', NULL),
  ('99999999-9999-9999-9999-999999999999', 'main', 'legacy-tw-orphan-000006');
-- the seed already holds a twilio 'default' for both orgs: those are kept
DELETE FROM org_credentials WHERE provider = 'twilio' AND org_id = '11111111-1111-1111-1111-111111111111';

SELECT results_eq(
  $$SELECT * FROM switchboard.vault_migrate_legacy('pg_temp.legacy_twilio', 'auth_token', 'twilio', 'clinic_id', 'account_name', 2)$$,
  $$VALUES (2, 2, 3::bigint, 2::bigint, 2::bigint, 1::bigint)$$,
  'first batch of 2: migrated and verified 2; 3 rows remain, 2 already in the vault, 2 empty, 1 unknown org');
SELECT results_eq(
  $$SELECT * FROM switchboard.vault_migrate_legacy('pg_temp.legacy_twilio', 'auth_token', 'twilio', 'clinic_id', 'account_name', 2)$$,
  $$VALUES (2, 2, 0::bigint, 5::bigint, 2::bigint, 1::bigint)$$,
  'second batch: the rest; nothing remains (the duplicate label counts as already in the vault)');
SELECT results_eq(
  $$SELECT * FROM switchboard.vault_migrate_legacy('pg_temp.legacy_twilio', 'auth_token', 'twilio', 'clinic_id', 'account_name', 2)$$,
  $$VALUES (0, 0, 0::bigint, 5::bigint, 2::bigint, 1::bigint)$$,
  'a third call is a no-op: the migration is idempotent');
SELECT is(reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio', 'main'), 'legacy-tw-A-main-000001', 'A/main reveals its legacy value');
SELECT is(reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio', 'backup'), 'legacy-tw-A-backup-0002', 'A/backup reveals its legacy value');
SELECT is(reveal_credential('11111111-1111-1111-1111-111111111111', 'twilio', 'default'), 'legacy-tw-A-dflt-000003', 'a NULL label becomes default');
SELECT ok(reveal_credential('22222222-2222-2222-2222-222222222222', 'twilio', 'main') IN ('legacy-tw-B-main-000004', 'legacy-tw-B-dupe-000005'),
          'B/main holds one of its two legacy values');
SELECT is(reveal_credential('22222222-2222-2222-2222-222222222222', 'twilio'), 'seed_twilio_token_harbor_0003',
          'a credential already in the vault is not overwritten');
SELECT is((SELECT count(*) FROM org_credentials WHERE metadata @> '{"migrated_from_legacy": true}'), 4::bigint,
          'four rows carry the migration marker');
SELECT is((SELECT count(*) FROM org_credentials WHERE org_id = '99999999-9999-9999-9999-999999999999'), 0::bigint,
          'rows of unknown orgs are skipped, not invented');
SELECT is((SELECT count(*) FROM legacy_twilio WHERE auth_token IS NOT NULL), 7::bigint, 'without p_clear_source the legacy table is untouched');

-- clearing the source: another legacy table, smtp passwords, one label column absent
CREATE TEMP TABLE legacy_smtp (org_id uuid, smtp_password text);
INSERT INTO legacy_smtp VALUES
  ('11111111-1111-1111-1111-111111111111', 'legacy-smtp-A-000000007'),
  ('22222222-2222-2222-2222-222222222222', 'legacy-smtp-B-000000008');
SELECT results_eq(
  $$SELECT migrated, verified, remaining FROM switchboard.vault_migrate_legacy('pg_temp.legacy_smtp', 'smtp_password', 'smtp', p_clear_source => true)$$,
  $$VALUES (2, 2, 0::bigint)$$, 'the smtp table moves in one batch');
SELECT is((SELECT count(*) FROM legacy_smtp WHERE smtp_password IS NOT NULL), 0::bigint, 'p_clear_source clears the plaintext');
SELECT is(reveal_credential('22222222-2222-2222-2222-222222222222', 'smtp'), 'legacy-smtp-B-000000008', 'and the vault holds it');

-- who may run it, and bad arguments
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111');
SELECT throws_ok($$SELECT * FROM switchboard.vault_migrate_legacy('pg_temp.legacy_smtp', 'smtp_password', 'smtp')$$, '42501', NULL,
                 'an org owner cannot run the migration');
SELECT switchboard_test.act_reset();
CREATE TABLE public.vault_legacy_private (org_id uuid, token text);
SELECT switchboard_test.act_as_role('service_role');
SELECT throws_ok($$SELECT * FROM switchboard.vault_migrate_legacy('public.vault_legacy_private', 'token', 'custom')$$, '42501',
                 'caller may not read (or clear) the legacy columns', 'service_role cannot pull columns it cannot read itself');
SELECT switchboard_test.act_reset();
SELECT throws_ok($$SELECT * FROM switchboard.vault_migrate_legacy('pg_temp.legacy_smtp', 'smtp_password', 'myspace')$$, '22023', 'unknown provider', 'unknown provider');
SELECT throws_ok($$SELECT * FROM switchboard.vault_migrate_legacy('pg_temp.legacy_smtp', NULL, 'smtp')$$, '22004', NULL, 'NULL column');
SELECT throws_ok($$SELECT * FROM switchboard.vault_migrate_legacy('pg_temp.legacy_smtp', 'smtp_password', 'smtp', p_batch => 0)$$, '22023', NULL, 'batch of 0');
SELECT throws_ok($$SELECT * FROM switchboard.vault_migrate_legacy('pg_temp.legacy_smtp', 'no_such_column', 'smtp')$$, '42703', NULL, 'unknown column');
SELECT throws_ok($$SELECT * FROM switchboard.vault_migrate_legacy('public.org_credentials', 'label', 'custom')$$, '22023', NULL, 'the vault is not a legacy source');
SELECT unalike((SELECT string_agg(x::text, ',') FROM switchboard.vault_migrate_legacy('pg_temp.legacy_twilio', 'auth_token', 'twilio', 'clinic_id', 'account_name') x),
               '%legacy-tw%', 'the report carries counts, never secrets');

SELECT * FROM finish();
ROLLBACK;
