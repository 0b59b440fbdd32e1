-- Audit trail: every table is covered (from the catalog), each operation
-- writes exactly the expected entry, secrets and free text never land in the
-- log, the log is append-only and readable only by owners/admins, the
-- helpers answer, rollbacks leave nothing, and tampering is found at the
-- right entry.
BEGIN;
SELECT plan(92);

-- runs p_sql as a caller (user+org claims, or a bare role); 'ok' or the SQLSTATE
CREATE FUNCTION pg_temp.state_as(p_user uuid, p_org uuid, p_role text, p_sql text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  IF p_user IS NULL THEN PERFORM switchboard_test.act_as_role(p_role);
  ELSE PERFORM switchboard_test.act_as(p_user, p_org); END IF;
  EXECUTE p_sql;
  PERFORM switchboard_test.act_reset();
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
-- a count(*) query as a caller; -1 when refused
CREATE FUNCTION pg_temp.count_as(p_user uuid, p_org uuid, p_role text, p_sql text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  IF p_user IS NULL THEN PERFORM switchboard_test.act_as_role(p_role);
  ELSE PERFORM switchboard_test.act_as(p_user, p_org); END IF;
  EXECUTE p_sql INTO n;
  PERFORM switchboard_test.act_reset();
  RETURN n;
EXCEPTION WHEN OTHERS THEN
  RETURN -1;
END $$;
CREATE FUNCTION pg_temp.entry(p_op text, p_id text) RETURNS public.audit_log LANGUAGE sql AS $$
  SELECT a.* FROM public.audit_log a
  WHERE a.table_name = 'contacts' AND a.record_pk @> jsonb_build_object('id', p_id) AND a.op = p_op
  ORDER BY a.seq DESC LIMIT 1
$$;

-- 1. coverage, from the catalog: tables added by any engine are included
SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT switchboard.audit_is_log(c.oid::regclass)
    AND (SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgenabled <> 'D'
         AND t.tgfoid = 'switchboard.audit_trigger()'::regprocedure) <> 4
$$, 'every table in public except audit_log carries the four audit triggers');
SELECT cmp_ok((SELECT count(DISTINCT tgrelid)::int FROM pg_trigger WHERE tgfoid = 'switchboard.audit_trigger()'::regprocedure),
              '>=', 3, 'the tenancy tables at least are audited');
SELECT is((SELECT count(*)::int FROM pg_trigger WHERE tgfoid = 'switchboard.audit_trigger()'::regprocedure
           AND switchboard.audit_is_log(tgrelid::regclass)), 0, 'audit_log and its partitions are not audited');
CREATE TABLE public.audit_probe (org_id uuid NOT NULL, id int NOT NULL, note text, notes text, PRIMARY KEY (org_id, id));
SELECT is((SELECT count(*)::int FROM pg_trigger WHERE tgrelid = 'public.audit_probe'::regclass
           AND tgfoid = 'switchboard.audit_trigger()'::regprocedure), 4, 'a table created later is audited (event trigger)');
CREATE TABLE public.audit_plain (x int);
SELECT is((SELECT count(*)::int FROM pg_trigger WHERE tgrelid = 'public.audit_plain'::regclass AND NOT tgisinternal), 0,
          'a table without org_id is left alone (the lint flags it)');

-- 2. one entry per changed row, in the same transaction, with the actor
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111');
SET LOCAL switchboard.audit_reason = 'pgtap: patient asked to update phone';
INSERT INTO public.contacts (id, org_id, phone, first_name, last_name)
VALUES ('a0000000-0000-0000-0000-0000000000d1', '11111111-1111-1111-1111-111111111111', '+14155550111', 'Test', 'Person');
UPDATE public.contacts SET phone = '+14155550112' WHERE id = 'a0000000-0000-0000-0000-0000000000d1';
UPDATE public.contacts SET phone = phone WHERE id = 'a0000000-0000-0000-0000-0000000000d1';
DELETE FROM public.contacts WHERE id = 'a0000000-0000-0000-0000-0000000000d1';
SELECT switchboard_test.act_reset();
RESET switchboard.audit_reason;
SELECT is((SELECT count(*)::int FROM public.audit_log WHERE record_pk @> '{"id":"a0000000-0000-0000-0000-0000000000d1"}'), 0,
          'entries are chained at commit: none before');
SELECT is(switchboard.audit_flush(), 3::bigint, 'audit_flush writes the three pending entries (the no-op update wrote none)');
SELECT is(switchboard.audit_flush(), 0::bigint, 'nothing is pending after a flush');
SELECT is((SELECT array_agg(op ORDER BY seq) FROM public.audit_log WHERE table_name = 'contacts'
             AND record_pk @> '{"id":"a0000000-0000-0000-0000-0000000000d1"}'),
          ARRAY['INSERT', 'UPDATE', 'DELETE'], 'insert, update, delete: one entry each, in order');
SELECT is((pg_temp.entry('INSERT', 'a0000000-0000-0000-0000-0000000000d1')).record_pk,
          '{"id": "a0000000-0000-0000-0000-0000000000d1", "org_id": "11111111-1111-1111-1111-111111111111"}'::jsonb,
          'record_pk holds the primary-key values');
SELECT ok((pg_temp.entry('INSERT', 'a0000000-0000-0000-0000-0000000000d1')).new_values
          @> '{"phone": "+14155550111", "first_name": "Test", "last_name": "Person", "email": null}'
          AND (pg_temp.entry('INSERT', 'a0000000-0000-0000-0000-0000000000d1')).new_values ? 'created_at'
          AND (pg_temp.entry('INSERT', 'a0000000-0000-0000-0000-0000000000d1')).old_values IS NULL,
          'INSERT stores the whole new row and no old values');
SELECT is((pg_temp.entry('UPDATE', 'a0000000-0000-0000-0000-0000000000d1')).old_values, '{"phone": "+14155550111"}'::jsonb,
          'UPDATE stores only the changed column''s old value');
SELECT is((pg_temp.entry('UPDATE', 'a0000000-0000-0000-0000-0000000000d1')).new_values, '{"phone": "+14155550112"}'::jsonb,
          'UPDATE stores only the changed column''s new value');
SELECT ok((pg_temp.entry('DELETE', 'a0000000-0000-0000-0000-0000000000d1')).old_values @> '{"phone": "+14155550112", "first_name": "Test"}'
          AND (pg_temp.entry('DELETE', 'a0000000-0000-0000-0000-0000000000d1')).new_values IS NULL,
          'DELETE stores the old row');
SELECT is((SELECT array_agg(DISTINCT actor_user_id::text || '/' || actor_role || '/' || current_user_name || '/' || session_user_name || '/' || reason)
           FROM public.audit_log WHERE record_pk @> '{"id":"a0000000-0000-0000-0000-0000000000d1"}'),
          ARRAY['a0000000-0000-0000-0000-000000000001/authenticated/authenticated/' || session_user || '/pgtap: patient asked to update phone'],
          'actor from the claims, the roles, and the transaction''s reason');
SELECT is((SELECT max(seq) - min(seq) FROM public.audit_log WHERE record_pk @> '{"id":"a0000000-0000-0000-0000-0000000000d1"}'),
          2::bigint, 'the three entries are consecutive in the org''s chain');
SELECT is((SELECT DISTINCT txid FROM public.audit_log WHERE record_pk @> '{"id":"a0000000-0000-0000-0000-0000000000d1"}'),
          txid_current(), 'txid is the writing transaction''s');
SELECT is((SELECT DISTINCT created_at FROM public.audit_log WHERE record_pk @> '{"id":"a0000000-0000-0000-0000-0000000000d1"}')
          BETWEEN now() AND clock_timestamp(), true, 'created_at is when the entries were chained');

-- 3. multi-row statements, two orgs, excluded and redacted columns, TRUNCATE
INSERT INTO public.audit_probe VALUES
  ('11111111-1111-1111-1111-111111111111', 1, 'a', NULL),
  ('11111111-1111-1111-1111-111111111111', 2, 'b', NULL),
  ('22222222-2222-2222-2222-222222222222', 3, 'c', NULL);
SELECT is(switchboard.audit_flush(), 3::bigint, 'a three-row INSERT writes three entries');
SELECT is((SELECT array_agg(org_id::text || ':' || (record_pk->>'id') ORDER BY org_id, seq) FROM public.audit_log WHERE table_name = 'audit_probe'),
          ARRAY['11111111-1111-1111-1111-111111111111:1', '11111111-1111-1111-1111-111111111111:2', '22222222-2222-2222-2222-222222222222:3'],
          'each row''s entry lands in its own org''s chain');
SELECT lives_ok($$SELECT switchboard.enable_audit('public.audit_probe', '{note}')$$, 'enable_audit with an excluded column');
INSERT INTO public.audit_probe VALUES ('11111111-1111-1111-1111-111111111111', 4, 'PRIVATE-NOTE-4711',
  'patient called from 415-555-0134, SSN 123-45-6789');
UPDATE public.audit_probe SET note = 'PRIVATE-NOTE-4712' WHERE id = 4;
SELECT is(switchboard.audit_flush(), 2::bigint, 'insert and update of the probe are pending');
SELECT is((SELECT new_values->>'note' FROM public.audit_log WHERE table_name = 'audit_probe' AND record_pk->>'id' = '4' AND op = 'INSERT'),
          '[excluded]', 'an excluded column is recorded as [excluded]');
SELECT is((SELECT old_values || new_values FROM public.audit_log WHERE table_name = 'audit_probe' AND record_pk->>'id' = '4' AND op = 'UPDATE'),
          '{"note": "[excluded]"}'::jsonb, 'an update of an excluded column says that it changed, not to what');
SELECT is((SELECT count(*)::int FROM public.audit_log a WHERE a::text LIKE '%PRIVATE-NOTE-47%'), 0, 'the excluded value appears nowhere in the log');
SELECT ok((SELECT new_values->>'notes' FROM public.audit_log WHERE table_name = 'audit_probe' AND record_pk->>'id' = '4' AND op = 'INSERT')
          !~ '6789|0134', 'free text (notes) goes through the redaction engine');
SELECT ok((SELECT new_values->>'notes' FROM public.audit_log WHERE table_name = 'audit_probe' AND record_pk->>'id' = '4' AND op = 'INSERT')
          LIKE 'patient called from %', 'the redacted free text keeps its non-PHI words');
TRUNCATE public.audit_probe;
SELECT is(switchboard.audit_flush(), 2::bigint, 'TRUNCATE writes one entry per org');
SELECT is((SELECT array_agg(org_id::text || '=' || row_count ORDER BY org_id) FROM public.audit_log WHERE table_name = 'audit_probe' AND op = 'TRUNCATE'),
          ARRAY['11111111-1111-1111-1111-111111111111=3', '22222222-2222-2222-2222-222222222222=1'],
          'TRUNCATE is recorded with each org''s row count');

-- 4. secrets: org_credentials.secret never reaches the log, even when told to include it
SELECT lives_ok($$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'custom', 'SENTINEL-7f3a9c-secret', 'audit-test')$$,
                'a credential is stored');
SELECT lives_ok($$SELECT switchboard.enable_audit('public.org_credentials', '{}', '{}')$$, 'audit re-enabled with no exclusions');
SELECT lives_ok($$SELECT set_credential('11111111-1111-1111-1111-111111111111', 'custom', 'SENTINEL-7f3a9c-rotated', 'audit-test')$$,
                'the credential is replaced');
SELECT lives_ok($$SELECT switchboard.enable_audit('public.org_credentials')$$, 'audit back to the defaults');
SELECT cmp_ok(switchboard.audit_flush(), '>=', 2::bigint, 'the credential writes are audited');
SELECT is((SELECT count(*)::int FROM public.audit_log a WHERE a::text LIKE '%SENTINEL-7f3a9c%'), 0,
          'the sentinel secret appears nowhere in audit_log');
SELECT is((SELECT count(*)::int FROM public.audit_log a, public.org_credentials c
           WHERE c.label = 'audit-test' AND strpos(a::text, encode(c.secret, 'hex')) > 0), 0,
          'the secret''s ciphertext appears nowhere in audit_log either');
SELECT is((SELECT array_agg(DISTINCT coalesce(new_values->>'secret', '-')) FROM public.audit_log
           WHERE table_name = 'org_credentials' AND record_pk->>'org_id' = '11111111-1111-1111-1111-111111111111'
             AND txid = txid_current()),
          ARRAY['[excluded]'], 'the secret column reads [excluded] in every credential entry');

-- 5. append-only, for every role
SELECT throws_ok($$UPDATE public.audit_log SET reason = 'x'$$, '42501', NULL, 'superuser UPDATE of audit_log is refused');
SELECT throws_ok($$DELETE FROM public.audit_log$$, '42501', NULL, 'superuser DELETE of audit_log is refused');
SELECT throws_ok($$DELETE FROM public.audit_log WHERE false$$, '42501', NULL, 'even a DELETE that matches no row is refused');
SELECT throws_ok($$TRUNCATE public.audit_log$$, '42501', NULL, 'superuser TRUNCATE of audit_log is refused');
SELECT throws_ok(format('UPDATE %s SET reason = %L', (SELECT tableoid::regclass FROM public.audit_log LIMIT 1), 'x'), '42501', NULL,
                 'UPDATE of a partition directly is refused');
SELECT throws_ok(format('TRUNCATE public.audit_log_p%s', to_char(now() AT TIME ZONE 'UTC', 'YYYYMM')), '42501', NULL,
                 'TRUNCATE of a partition directly is refused');
SELECT is(pg_temp.state_as('a0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111', NULL,
          $$UPDATE public.audit_log SET reason = 'x'$$), '42501', 'an org owner cannot UPDATE audit_log');
SELECT is(pg_temp.state_as('a0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111', NULL,
          $$INSERT INTO public.audit_log SELECT * FROM public.audit_log LIMIT 1$$), '42501', 'an org owner cannot INSERT into audit_log');
SELECT is(pg_temp.state_as(NULL, NULL, 'service_role', $$DELETE FROM public.audit_log$$), '42501', 'service_role cannot DELETE from audit_log');
SELECT is(pg_temp.state_as(NULL, NULL, 'service_role', $$TRUNCATE public.audit_log$$), '42501', 'service_role cannot TRUNCATE audit_log');

-- 6. reading: owners/admins of the org; not agents, viewers, other orgs, anon
SELECT is(pg_temp.count_as('a0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111', NULL,
          'SELECT count(*) FROM public.audit_log'),
          (SELECT count(*) FROM public.audit_log WHERE org_id = '11111111-1111-1111-1111-111111111111'), 'the owner reads all of the org''s entries');
SELECT is(pg_temp.count_as('a0000000-0000-0000-0000-000000000002', '11111111-1111-1111-1111-111111111111', NULL,
          $$SELECT count(*) FROM public.audit_log WHERE org_id <> '11111111-1111-1111-1111-111111111111'$$),
          0::bigint, 'the admin reads no other org''s entries');
SELECT cmp_ok(pg_temp.count_as('a0000000-0000-0000-0000-000000000002', '11111111-1111-1111-1111-111111111111', NULL,
              'SELECT count(*) FROM public.audit_log'), '>', 0::bigint, 'the admin reads the org''s entries');
SELECT is(pg_temp.count_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111', NULL,
          'SELECT count(*) FROM public.audit_log'), 0::bigint, 'an agent reads no audit entries');
SELECT is(pg_temp.count_as('a0000000-0000-0000-0000-000000000004', '11111111-1111-1111-1111-111111111111', NULL,
          'SELECT count(*) FROM public.audit_log'), 0::bigint, 'a viewer reads no audit entries');
SELECT is(pg_temp.count_as(NULL, NULL, 'anon', 'SELECT count(*) FROM public.audit_log'), -1::bigint, 'anon may not read audit_log');
SELECT is(pg_temp.count_as(NULL, NULL, 'service_role', 'SELECT count(*) FROM public.audit_log'),
          (SELECT count(*) FROM public.audit_log), 'service_role reads every entry');

-- 7. history helpers
SELECT is(pg_temp.count_as('a0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111', NULL,
          $$SELECT count(*) FROM switchboard.audit_record_history('contacts', '{"id":"a0000000-0000-0000-0000-0000000000d1"}')$$),
          3::bigint, 'the owner gets the record''s history');
SELECT is(pg_temp.state_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111', NULL,
          $$SELECT switchboard.audit_record_history('contacts', '{"id":"a0000000-0000-0000-0000-0000000000d1"}')$$),
          '42501', 'an agent may not read a record''s history');
SELECT is(pg_temp.state_as('b0000000-0000-0000-0000-000000000001', '22222222-2222-2222-2222-222222222222', NULL,
          $$SELECT switchboard.audit_record_history('contacts', '{"id":"a0000000-0000-0000-0000-0000000000d1"}', '11111111-1111-1111-1111-111111111111')$$),
          '42501', 'another org''s owner may not read it');
SELECT throws_ok($$SELECT switchboard.audit_record_history('contacts', NULL, '11111111-1111-1111-1111-111111111111')$$, '22023', NULL,
                 'a NULL key is invalid');
SELECT is(pg_temp.count_as('a0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111', NULL,
          $$SELECT count(*) FROM switchboard.audit_user_activity('a0000000-0000-0000-0000-000000000001', now() - interval '1 hour', now() + interval '1 day')
            WHERE actor_user_id = 'a0000000-0000-0000-0000-000000000001'$$),
          3::bigint, 'what the owner did in the window: the three contact changes');
SELECT throws_ok($$SELECT switchboard.audit_user_activity('a0000000-0000-0000-0000-000000000001', now(), now() - interval '1 day', '11111111-1111-1111-1111-111111111111')$$,
                 '22023', NULL, 'a window that ends before it starts is invalid');

-- 8. rollback leaves nothing
SAVEPOINT before_insert;
INSERT INTO public.contacts (id, org_id, first_name) VALUES ('a0000000-0000-0000-0000-0000000000d2', '11111111-1111-1111-1111-111111111111', 'Gone');
ROLLBACK TO SAVEPOINT before_insert;
SELECT is(switchboard.audit_flush(), 0::bigint, 'a rolled-back change leaves no pending entry');
SAVEPOINT before_flush;
INSERT INTO public.contacts (id, org_id, first_name) VALUES ('a0000000-0000-0000-0000-0000000000d3', '11111111-1111-1111-1111-111111111111', 'Gone too');
SELECT is(switchboard.audit_flush(), 1::bigint, 'flushed inside a savepoint');
ROLLBACK TO SAVEPOINT before_flush;
SELECT is((SELECT count(*)::int FROM public.audit_log WHERE record_pk->>'id' IN ('a0000000-0000-0000-0000-0000000000d2', 'a0000000-0000-0000-0000-0000000000d3')),
          0, 'rolled-back changes have no audit entry, flushed or not');
SELECT is(pg_temp.state_as(NULL, NULL, 'service_role',
          $$INSERT INTO public.contacts (org_id, phone) VALUES ('11111111-1111-1111-1111-111111111111', 'not a phone')$$),
          '23514', 'a failing statement');
SELECT is(switchboard.audit_flush(), 0::bigint, 'a failed statement leaves no entry');

-- 9. the chain verifies, and tampering is found at the right entry
SELECT is((SELECT row(valid, first_invalid_id)::text FROM switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111')),
          '(t,)', 'org A''s chain verifies');
SELECT is((SELECT valid FROM switchboard.verify_audit_chain('22222222-2222-2222-2222-222222222222')), true, 'org B''s chain verifies');
SELECT is((SELECT checked FROM switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111')),
          (SELECT count(*) FROM public.audit_log WHERE org_id = '11111111-1111-1111-1111-111111111111'), 'every entry is checked');
CREATE TEMP TABLE cp AS SELECT * FROM switchboard.export_audit_checkpoint('11111111-1111-1111-1111-111111111111');
SELECT is((SELECT switchboard.verify_audit_checkpoint(org_id, seq, hash) FROM cp), true, 'an exported checkpoint verifies');
CREATE TEMP TABLE victim AS SELECT id, seq FROM public.audit_log
  WHERE org_id = '11111111-1111-1111-1111-111111111111' AND record_pk @> '{"id":"a0000000-0000-0000-0000-0000000000d1"}' AND op = 'UPDATE';
CREATE TEMP TABLE neighbours AS SELECT a.seq, a.id FROM public.audit_log a, victim v
  WHERE a.org_id = '11111111-1111-1111-1111-111111111111' AND a.seq IN (v.seq - 1, v.seq, v.seq + 1);

SAVEPOINT tamper;
SET LOCAL session_replication_role = replica;
UPDATE public.audit_log SET new_values = '{"phone": "+19999999999"}' WHERE id = (SELECT id FROM victim);
SELECT is((SELECT row(valid, first_invalid_id)::text FROM switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111')),
          (SELECT row(false, id)::text FROM victim), 'an edited entry is reported at that entry');
SELECT is((SELECT switchboard.verify_audit_checkpoint(org_id, seq, hash) FROM cp), false, 'the checkpoint no longer verifies');
ROLLBACK TO SAVEPOINT tamper;

SAVEPOINT tamper;
SET LOCAL session_replication_role = replica;
DELETE FROM public.audit_log WHERE id = (SELECT id FROM victim);
SELECT is((SELECT row(valid, first_invalid_id)::text FROM switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111')),
          (SELECT row(false, n.id)::text FROM neighbours n, victim v WHERE n.seq = v.seq + 1),
          'a deleted entry is reported at the entry after the gap');
ROLLBACK TO SAVEPOINT tamper;

SAVEPOINT tamper;
SET LOCAL session_replication_role = replica;
-- swap the positions of two neighbours (through a spare value: seq is in the key)
UPDATE public.audit_log a SET seq = -1 FROM victim v WHERE a.org_id = '11111111-1111-1111-1111-111111111111' AND a.seq = v.seq;
UPDATE public.audit_log a SET seq = v.seq FROM victim v WHERE a.org_id = '11111111-1111-1111-1111-111111111111' AND a.seq = v.seq + 1;
UPDATE public.audit_log a SET seq = v.seq + 1 FROM victim v WHERE a.org_id = '11111111-1111-1111-1111-111111111111' AND a.seq = -1;
SELECT is((SELECT row(valid, first_invalid_id)::text FROM switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111')),
          (SELECT row(false, n.id)::text FROM neighbours n, victim v WHERE n.seq = v.seq + 1),
          'swapped entries are reported at the first one out of place');
ROLLBACK TO SAVEPOINT tamper;

SAVEPOINT tamper;
SET LOCAL session_replication_role = replica;
DELETE FROM public.audit_log WHERE org_id = '11111111-1111-1111-1111-111111111111'
  AND seq = (SELECT max(seq) FROM public.audit_log WHERE org_id = '11111111-1111-1111-1111-111111111111');
SELECT is((SELECT row(valid, first_invalid_id)::text FROM switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111')),
          '(f,)', 'a removed newest entry breaks the chain (the head remembers it)');
ROLLBACK TO SAVEPOINT tamper;

SAVEPOINT tamper;
SET LOCAL session_replication_role = replica;
UPDATE public.audit_log SET hash = decode(repeat('00', 32), 'hex') WHERE id = (SELECT id FROM victim);
SELECT is((SELECT row(valid, first_invalid_id)::text FROM switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111')),
          (SELECT row(false, id)::text FROM victim), 'an overwritten hash is reported at that entry');
ROLLBACK TO SAVEPOINT tamper;
SELECT is((SELECT valid FROM switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111')), true, 'the untouched chain verifies again');

-- 10. who may verify, and bad inputs
SELECT is(pg_temp.state_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111', NULL,
          $$SELECT switchboard.verify_audit_chain(NULL)$$), '42501', 'an agent may not verify the chain');
SELECT is(pg_temp.state_as('b0000000-0000-0000-0000-000000000001', '22222222-2222-2222-2222-222222222222', NULL,
          $$SELECT switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111')$$), '42501', 'another org''s owner may not verify it');
SELECT is(pg_temp.count_as('a0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111', NULL,
          $$SELECT count(*) FROM switchboard.verify_audit_chain(NULL) WHERE valid$$), 1::bigint, 'the owner verifies the own org''s chain');
SELECT is(pg_temp.state_as(NULL, NULL, 'anon', $$SELECT switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111')$$),
          '42501', 'anon may not verify');
SELECT throws_ok($$SELECT switchboard.verify_audit_checkpoint('11111111-1111-1111-1111-111111111111', 1, 'zz')$$, '22023', NULL,
                 'a checkpoint hash must be hex');
SELECT throws_ok($$SELECT switchboard.enable_audit(NULL)$$, '22023', NULL, 'enable_audit(NULL) is invalid');
SELECT throws_ok($$SELECT switchboard.enable_audit('public.audit_log')$$, '22023', NULL, 'audit_log cannot audit itself');
SELECT throws_ok($$SELECT switchboard.enable_audit('public.contacts', '{no_such_column}')$$, '22023', NULL, 'an unknown column is invalid');
SELECT throws_ok($$SELECT switchboard.enable_audit('public.audit_plain')$$, '22023', NULL, 'a table without org_id cannot be audited');
SELECT is(pg_temp.state_as(NULL, NULL, 'service_role', $$SELECT switchboard.audit_drop_months(now() + interval '1 month')$$),
          '22023', 'retention cannot drop the current month');
SELECT is(pg_temp.state_as('a0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111', NULL,
          $$SELECT switchboard.audit_drop_months(now() - interval '1 year')$$), '42501', 'an org owner may not run retention');
SELECT is(switchboard.audit_drop_months(date_trunc('month', now()) - interval '1 year'), 0, 'no month that old: nothing dropped');
CREATE TABLE public.audit_log_p202001 PARTITION OF public.audit_log FOR VALUES FROM ('2020-01-01 00:00+00') TO ('2020-02-01 00:00+00');
SELECT is(switchboard.audit_drop_months('2020-03-01 00:00+00'), 1, 'retention drops a whole old month');
SELECT is(to_regclass('public.audit_log_p202001'), NULL, 'the month''s partition is gone');
SELECT is((SELECT valid FROM switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111')), true, 'the chain still verifies');
SELECT ok(to_regclass('public.audit_log_p' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMM')) IS NOT NULL, 'the current month is kept');

SELECT * FROM finish();
ROLLBACK;
