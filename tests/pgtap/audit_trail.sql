-- Audit trail: every table is covered (from the catalog), each operation
-- writes exactly the expected entry, secrets and free text never land in the
-- log, the log is append-only and readable only by owners/admins, the
-- helpers answer, rollbacks leave nothing, and tampering is found at the
-- right entry.
BEGIN;
SELECT plan(110);

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

-- 8b. the direct encoder: tables without a jsonb column get their canonical
--     encoding built from the column values, not from JSON text. Every kind of
--     value, stored as expected; the same rows in a table with a jsonb column
--     (text path) store the same values; section 9 re-derives every hash from
--     the stored jsonb's text (the text path) and must find both chains valid.
SET LOCAL TimeZone = 'America/New_York';
CREATE TABLE public.audit_types (
  org_id uuid NOT NULL, id int8 NOT NULL, u uuid, t text, v varchar(12), c char(5), i2 int2, i4 int4, i8 int8,
  n numeric, b boolean, tz timestamptz, ts timestamp, d date, tm time, ttz timetz, iv interval, f8 float8,
  arr text[], "Mixed Key" text, "é" text, a bigint, ab text, "A" int, PRIMARY KEY (org_id, id));
CREATE TABLE public.audit_types_j (LIKE public.audit_types INCLUDING ALL, j jsonb);
INSERT INTO public.audit_types VALUES
  ('11111111-1111-1111-1111-111111111111', 1, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
   E'quote " backslash \\ newline \n tab \t bell \007 unit \037 / é 😀', 'varchar', 'ab', -32768, 2147483647,
   -9223372036854775808, 1.50, true, '2026-11-23 15:40:00.123456-05', '2026-11-23 20:40:00', '2026-11-23', '20:40:00.5',
   '20:40:00+02', '1 day 02:03:04', 1.5e-7, ARRAY['x', 'y z', NULL], 'mixed', 'accent', 0, '', 100),
  ('11111111-1111-1111-1111-111111111111', 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('11111111-1111-1111-1111-111111111111', 3, NULL, '', NULL, NULL, 0, -1, 9223372036854775807, 'NaN', false,
   NULL, NULL, NULL, NULL, NULL, NULL, 'NaN', '{}', NULL, NULL, 1000, NULL, -120);
INSERT INTO public.audit_types (org_id, id, n) VALUES
  ('11111111-1111-1111-1111-111111111111', 4, 'Infinity'), ('11111111-1111-1111-1111-111111111111', 5, '-Infinity'),
  ('11111111-1111-1111-1111-111111111111', 6, '-0.000'), ('11111111-1111-1111-1111-111111111111', 7, '0.00000000000000000001'),
  ('11111111-1111-1111-1111-111111111111', 8, '123456789012345678901234567890.0100');
UPDATE public.audit_types SET n = 2.500, t = 'changed', tz = '2026-01-01 00:00:00+00', i8 = i8 WHERE id = 1;
DELETE FROM public.audit_types WHERE id = 2;
-- a value stored out of line (TOAST): the DELETE reads it back from disk
INSERT INTO public.audit_types (org_id, id, t) VALUES ('11111111-1111-1111-1111-111111111111', 9, repeat('é' || md5('x'), 2000));
DELETE FROM public.audit_types WHERE id = 9;
INSERT INTO public.audit_types_j SELECT *, '{"k": [1, 2.50, "x", {"b": null, "a": true}]}' FROM public.audit_types;
UPDATE public.audit_types_j SET n = 2.500, t = 'changed again' WHERE id = 1;
SELECT is(switchboard.audit_flush(), 20::bigint, 'the typed rows are audited (9 inserts, an update, 2 deletes; 7 inserts, an update)');
SELECT is((SELECT new_values FROM public.audit_log WHERE table_name = 'audit_types' AND op = 'INSERT' AND record_pk->>'id' = '1'),
          jsonb_build_object('org_id', '11111111-1111-1111-1111-111111111111', 'id', 1, 'u', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
            't', E'quote " backslash \\ newline \n tab \t bell \007 unit \037 / é 😀', 'v', 'varchar', 'c', 'ab   ',
            'i2', -32768, 'i4', 2147483647, 'i8', -9223372036854775808, 'n', 1.50, 'b', true,
            'tz', '2026-11-23T20:40:00.123456+00:00', 'ts', '2026-11-23T20:40:00', 'd', '2026-11-23', 'tm', '20:40:00.5',
            'ttz', '20:40:00+02:00', 'iv', '1 day 02:03:04', 'f8', '1.5e-07', 'arr', '{x,"y z",NULL}', 'Mixed Key', 'mixed',
            'é', 'accent', 'a', 0, 'ab', '', 'A', 100),
          'every kind of value is stored as the text path stored it');
SELECT is((SELECT (i.new_values || u.new_values)::text FROM public.audit_log i, public.audit_log u
            WHERE i.table_name = 'audit_types' AND i.op = 'INSERT' AND i.record_pk->>'id' = '1'
              AND u.table_name = 'audit_types' AND u.op = 'UPDATE'),
          (SELECT (new_values - 'j')::text FROM public.audit_log WHERE table_name = 'audit_types_j' AND op = 'INSERT' AND record_pk->>'id' = '1'),
          'the same row in a table with a jsonb column (text path) stores the same values');
SELECT is((SELECT array_agg((new_values - 'arr')::text ORDER BY (record_pk->>'id')::int) FROM public.audit_log
            WHERE table_name = 'audit_types' AND op = 'INSERT' AND record_pk->>'id' NOT IN ('1', '2', '9')),
          (SELECT array_agg((to_jsonb(r) - 'arr')::text ORDER BY r.id) FROM public.audit_types r WHERE r.id <> 1),
          'empty strings, numeric NaN/Infinity/zero/tiny/huge, integer limits are stored as to_jsonb shows them');
SELECT is((SELECT old_values::text || ' -> ' || new_values::text FROM public.audit_log WHERE table_name = 'audit_types' AND op = 'UPDATE'),
          '{"n": 1.50, "t": "quote \" backslash \\ newline \n tab \t bell \u0007 unit \u001f / é 😀", "tz": "2026-11-23T20:40:00.123456+00:00"} -> '
          || '{"n": 2.500, "t": "changed", "tz": "2026-01-01T00:00:00+00:00"}',
          'an update stores the changed columns only');
SELECT is((SELECT array_agg(old_values::text ORDER BY record_pk->>'id') FROM public.audit_log WHERE table_name = 'audit_types' AND op = 'DELETE'),
          (SELECT array_agg(new_values::text ORDER BY record_pk->>'id') FROM public.audit_log
            WHERE table_name = 'audit_types' AND op = 'INSERT' AND record_pk->>'id' IN ('2', '9')),
          'a delete stores the old row as its insert stored it, a TOASTed value included');
SELECT is((SELECT length(old_values->>'t') FROM public.audit_log WHERE table_name = 'audit_types' AND op = 'DELETE' AND record_pk->>'id' = '9'),
          66000, 'the TOASTed value is stored whole');
SELECT is((SELECT record_pk FROM public.audit_log WHERE table_name = 'audit_types' AND op = 'DELETE' AND record_pk->>'id' = '2'),
          '{"id": 2, "org_id": "11111111-1111-1111-1111-111111111111"}'::jsonb, 'record_pk of a typed key');
CREATE FUNCTION pg_temp.jsonb_as_built(j jsonb) RETURNS boolean LANGUAGE sql AS $$
  -- j (as stored: a short varlena header when small) has the content and the
  -- byte size of the jsonb that jsonb_in builds from j's text (the size only
  -- when stored inline and uncompressed)
  SELECT j IS NULL OR (j = j::text::jsonb AND (pg_column_compression(j) IS NOT NULL OR pg_column_size(j::text::jsonb) > 2000
         OR pg_column_size(j) = pg_column_size(j::text::jsonb) - 4
            + CASE WHEN pg_column_size(j::text::jsonb) - 3 <= 127 THEN 1 ELSE 4 END))
$$;
SELECT is((SELECT count(*)::int FROM public.audit_log WHERE table_name = 'audit_types'
            AND NOT (pg_temp.jsonb_as_built(record_pk) AND pg_temp.jsonb_as_built(old_values) AND pg_temp.jsonb_as_built(new_values))),
          0, 'the jsonb written directly (24 keys: offsets every 32 entries, padded numerics) is laid out as jsonb_in lays it out');
RESET TimeZone;

-- 8c. the chain head moves on every flush (a heap update of its row): once its
--     page is full the move is not HOT and the new version needs its own index
--     entry, or the next flush would not find the head
DO $$
BEGIN
  FOR i IN 1..300 LOOP
    INSERT INTO public.audit_probe VALUES ('22222222-2222-2222-2222-222222222222', 1000 + i, 'n', NULL);
    PERFORM switchboard.audit_flush();
  END LOOP;
END $$;
SELECT is((SELECT count(*)::int FROM switchboard.audit_chain_heads WHERE org_id = '22222222-2222-2222-2222-222222222222'), 1,
          'one head row per org after 300 moves in one transaction');
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT is((SELECT seq FROM switchboard.audit_chain_heads WHERE org_id = '22222222-2222-2222-2222-222222222222'),
          (SELECT max(seq) FROM public.audit_log WHERE org_id = '22222222-2222-2222-2222-222222222222'),
          'the head found through its primary key is the newest entry (moves that are not HOT are indexed)');
RESET enable_seqscan;
RESET enable_bitmapscan;

-- 8d. the flush remembers the audit tables' oids per backend: a rename (any
--     relcache invalidation of them) makes it look them up again (audit_log
--     itself refuses ALTER TABLE; its id sequence is one of them too)
INSERT INTO public.audit_probe VALUES ('22222222-2222-2222-2222-222222222222', 5000, 'n', NULL);
SELECT is(switchboard.audit_flush(), 1::bigint, 'a flush with the audit tables'' oids remembered');
ALTER SEQUENCE switchboard.audit_log_id_seq RENAME TO audit_log_id_seq_renamed;
INSERT INTO public.audit_probe VALUES ('22222222-2222-2222-2222-222222222222', 5001, 'n', NULL);
SELECT throws_ok($$SELECT switchboard.audit_flush()$$, '42P01', NULL,
                 'once the id sequence is renamed the flush no longer uses the remembered oids');
ALTER SEQUENCE switchboard.audit_log_id_seq_renamed RENAME TO audit_log_id_seq;
SELECT is(switchboard.audit_flush(), 1::bigint, 'and writes again once it has its name back');

-- 8e. the SPI fallback: with an INSERT trigger on audit_log (which the
--     direct write would skip) the flush writes through SQL statements, the
--     JSON values as text of the same jsonb; section 9 verifies their hashes
CREATE TEMP TABLE fallback_seen (id text);
CREATE FUNCTION pg_temp.audit_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO pg_temp.fallback_seen VALUES (NEW.record_pk->>'id');
  RETURN NEW;
END $$;
CREATE TRIGGER audit_fallback_probe BEFORE INSERT ON public.audit_log FOR EACH ROW EXECUTE FUNCTION pg_temp.audit_seen();
INSERT INTO public.audit_probe VALUES ('22222222-2222-2222-2222-222222222222', 6000, 'n', 'one');
SELECT is(switchboard.audit_flush(), 1::bigint, 'one entry through the SPI fallback');
INSERT INTO public.audit_probe VALUES ('22222222-2222-2222-2222-222222222222', 6001, 'n', 'two'),
  ('22222222-2222-2222-2222-222222222222', 6002, NULL, NULL), ('11111111-1111-1111-1111-111111111111', 6003, 'n', 'four');
SELECT is(switchboard.audit_flush(), 3::bigint, 'three entries of two orgs through the SPI fallback');
DROP TRIGGER audit_fallback_probe ON public.audit_log;
SELECT is((SELECT array_agg(id ORDER BY id) FROM pg_temp.fallback_seen), ARRAY['6000', '6001', '6002', '6003'],
          'the trigger on audit_log saw every entry (the SPI statements wrote them)');
SELECT is((SELECT array_agg(new_values::text ORDER BY record_pk->>'id') FROM public.audit_log
            WHERE table_name = 'audit_probe' AND op = 'INSERT' AND record_pk->>'id' IN ('6000', '6001', '6002', '6003')),
          ARRAY['{"id": 6000, "note": "[excluded]", "notes": "one", "org_id": "22222222-2222-2222-2222-222222222222"}',
                '{"id": 6001, "note": "[excluded]", "notes": "two", "org_id": "22222222-2222-2222-2222-222222222222"}',
                '{"id": 6002, "note": null, "notes": null, "org_id": "22222222-2222-2222-2222-222222222222"}',
                '{"id": 6003, "note": "[excluded]", "notes": "four", "org_id": "11111111-1111-1111-1111-111111111111"}'],
          'the fallback stores the values the direct write stores');

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
