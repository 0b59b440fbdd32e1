-- PHI redaction: the SQL functions, fail-closed paths (size limit, DFA out of
-- memory) in both failure modes, NULL/empty/10 MB inputs, per-org policy with
-- invalid names, HMAC tokens, the call_logs trigger, and tenancy from the
-- attacker's seat.
BEGIN;
SELECT plan(62);

CREATE TEMP TABLE t (name text PRIMARY KEY, v text);
GRANT ALL ON t TO PUBLIC;

-- ------------------------------------------------------------ default policy
SELECT is(switchboard.redact(NULL), NULL, 'redact(NULL) is NULL');
SELECT is(switchboard.redact(''), '', 'redact('''') is ''''');
SELECT is((SELECT count(*)::int FROM switchboard.phi_spans(NULL)), 0, 'phi_spans(NULL) has no rows');
SELECT is((SELECT count(*)::int FROM switchboard.phi_spans('')), 0, 'phi_spans('''') has no rows');
SELECT is(switchboard.redact('hello, how can I help you today?'), 'hello, how can I help you today?',
          'text without PHI is unchanged');
SELECT is(switchboard.redact('my social is four one five, two two, one two three four'), 'my social is [SSN]',
          'a spoken SSN with pauses');
SELECT is(switchboard.redact('date of birth march third nineteen sixty one'), 'date of birth [DATE]',
          'a spoken date of birth');
SELECT is(switchboard.redact('card four one one one, one one one one, one one one one, one one one one please'),
          'card [CREDIT_CARD] please', 'a spoken card number');
SELECT is(switchboard.redact('SSN 123-45-6789, card 4111-1111-1111-1111, call (415) 555-2671, mail a.b@example.com'),
          'SSN [SSN], card [CREDIT_CARD], call [PHONE], mail [EMAIL]', 'written SSN, card, phone, e-mail');
SELECT is(switchboard.redact('order 4111 1111 1111 1112, badge 666-12-3456, room 412, 500 mg at 3:30 pm for $12.50'),
          'order 4111 1111 1111 1112, badge 666-12-3456, room 412, 500 mg at 3:30 pm for $12.50',
          'look-alikes (Luhn-invalid order number, invalid SSN, room, dosage, time, price) survive');
SELECT is(switchboard.redact('NPI 1234567893, NPI 1234567890'), 'NPI [NPI], NPI 1234567890',
          'NPI needs its 80840-prefixed Luhn');

-- phi_spans: 1-based character positions, UTF-8 aware, never the value
SELECT results_eq(
  $$SELECT entity, start_pos, length FROM switchboard.phi_spans('José — ssn 123-45-6789 🙂 ok')$$,
  $$VALUES ('SSN'::text, 12, 11)$$, 'phi_spans reports character positions in UTF-8 text');
SELECT is((SELECT substr('José — ssn 123-45-6789 🙂 ok', start_pos, length) FROM switchboard.phi_spans('José — ssn 123-45-6789 🙂 ok')),
          '123-45-6789', 'substr(text, start_pos, length) is the finding');
SELECT is((SELECT substr(x, s.start_pos, s.length)
           FROM (SELECT 'so my social is four one five, two two, one two three four ok'::text AS x) q,
                switchboard.phi_spans(q.x) s),
          'four one five, two two, one two three four', 'a spoken span covers the spoken words');
SELECT results_eq(
  $$SELECT entity, start_pos, length FROM switchboard.phi_spans('call 415-555-2671 or mail a.b@example.com, ssn 123-45-6789')$$,
  $$VALUES ('PHONE'::text, 6, 12), ('EMAIL', 27, 15), ('SSN', 48, 11)$$, 'several findings come in text order');
SELECT is((SELECT array_agg(a ORDER BY n) FROM pg_proc p,
             unnest(p.proargnames, p.proargmodes::text[]) WITH ORDINALITY AS x(a, m, n)
           WHERE p.oid = 'switchboard.phi_spans(text)'::regprocedure AND m = 't'),
          ARRAY['entity', 'start_pos', 'length', 'score'], 'phi_spans columns are exactly entity, start_pos, length, score');
SELECT ok((SELECT bool_and(score > 0 AND score <= 1) FROM switchboard.phi_spans('ssn 123-45-6789 and 415-555-2671')),
          'scores are in (0, 1]');

-- ------------------------------------------------------------- large inputs
INSERT INTO t VALUES ('big', repeat('Caller: I need to reschedule my appointment, thanks. ', 190000) || 'ssn 123-45-6789');
SELECT cmp_ok((SELECT octet_length(v) FROM t WHERE name = 'big'), '>', 10000000, 'the big input is over 10 MB');
SELECT is((SELECT right(switchboard.redact(v), 9) FROM t WHERE name = 'big'), 'ssn [SSN]',
          'a 10 MB transcript is redacted to its last byte');

-- ---------------------------------------------------------------- fail closed
SET LOCAL switchboard.redaction_max_bytes = '1MB';
SELECT throws_ok($$SELECT switchboard.redact(v) FROM t WHERE name = 'big'$$, '54000',
                 'redaction failed: input exceeds switchboard.redaction_max_bytes',
                 'over the size limit: error (default mode), never the text');
SELECT throws_ok($$SELECT * FROM switchboard.phi_spans((SELECT v FROM t WHERE name = 'big'))$$, '54000', NULL,
                 'phi_spans over the size limit: error');
SET LOCAL switchboard.redaction_failure = 'mask';
SELECT is((SELECT switchboard.redact(v) FROM t WHERE name = 'big'), '[REDACTED]', 'over the size limit in mask mode: fully masked');
SELECT results_eq($$SELECT entity, start_pos FROM switchboard.phi_spans((SELECT v FROM t WHERE name = 'big'))$$,
                  $$VALUES ('REDACTED'::text, 1)$$, 'phi_spans in mask mode: one span over everything');
RESET switchboard.redaction_failure;
RESET switchboard.redaction_max_bytes;

SET LOCAL switchboard.redaction_test_max_mem = 4096;
SELECT throws_ok($$SELECT switchboard.redact('ssn 123-45-6789')$$, '53200',
                 'redaction failed: regular expression DFA out of memory', 'RE2 DFA out of memory: error');
SET LOCAL switchboard.redaction_failure = 'mask';
SELECT is(switchboard.redact('ssn 123-45-6789'), '[REDACTED]', 'RE2 DFA out of memory in mask mode: fully masked');
RESET switchboard.redaction_failure;
RESET switchboard.redaction_test_max_mem;
SELECT is(switchboard.redact('ssn 123-45-6789'), 'ssn [SSN]', 'the default budget works again');
SELECT throws_ok($$SET switchboard.redaction_failure = 'ignore'$$, '22023', NULL, 'no failure mode returns the text');

-- --------------------------------------------------- policy and invalid names
SELECT throws_ok($$SELECT switchboard.set_redaction_policy('11111111-1111-1111-1111-111111111111', 'PASSPORT')$$,
                 '22023', 'unknown redaction entity', 'an unknown entity is 22023');
SELECT throws_ok($$SELECT switchboard.set_redaction_policy('11111111-1111-1111-1111-111111111111', 'ssn')$$,
                 '22023', 'unknown redaction entity', 'entity names are exact');
SELECT throws_ok($$SELECT switchboard.set_redaction_policy('11111111-1111-1111-1111-111111111111', 'SSN', true, 'shred')$$,
                 '22023', 'unknown redaction action', 'an unknown action is 22023');
SELECT throws_ok($$SELECT switchboard.set_redaction_policy('11111111-1111-1111-1111-111111111111', 'SSN', true, 'tag', 1.5)$$,
                 '22023', NULL, 'a threshold over 1 is 22023');
SELECT throws_ok($$SELECT switchboard.set_redaction_policy('11111111-1111-1111-1111-111111111111', NULL)$$,
                 '22023', NULL, 'a NULL entity is 22023');
SELECT throws_ok($$INSERT INTO redaction_policies (org_id, entity) VALUES ('11111111-1111-1111-1111-111111111111', 'PASSPORT')$$,
                 '23514', NULL, 'the table refuses unknown entities too');
SELECT throws_ok($$SELECT * FROM switchboard._phi_spans_policy('x', 'SSN=shred')$$, '22023', 'unknown redaction action',
                 'the engine refuses an unknown action in a spec');

SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000002', '11111111-1111-1111-1111-111111111111');
SELECT lives_ok($$SELECT switchboard.set_redaction_policy(NULL, 'EMAIL', false)$$, 'an admin turns e-mail off for its org');
SELECT lives_ok($$SELECT switchboard.set_redaction_policy(NULL, 'SSN', true, 'mask_last4')$$, 'an admin masks SSNs keeping the last four');
SELECT is(switchboard.redact('ssn 123-45-6789 mail a.b@example.com', NULL), 'ssn [SSN ****6789] mail a.b@example.com',
          'redact(text, org) follows the org''s policy');
SELECT is(switchboard.redact('ssn 123-45-6789 mail a.b@example.com'), 'ssn [SSN] mail [EMAIL]',
          'redact(text) keeps the default policy');
SELECT is((SELECT string_agg(entity, ',') FROM switchboard.phi_spans('ssn 123-45-6789 mail a.b@example.com', NULL)), 'SSN',
          'phi_spans(text, org) skips disabled entities');
SELECT is(switchboard.redact(NULL, NULL), NULL, 'redact(NULL, org) is NULL');
SELECT throws_ok($$SELECT switchboard.redact('x', '22222222-2222-2222-2222-222222222222')$$, '42501', NULL,
                 'org A cannot redact under org B''s policy');
SELECT throws_ok($$SELECT * FROM switchboard.phi_spans('x', '22222222-2222-2222-2222-222222222222')$$, '42501', NULL,
                 'nor list spans under it');
SELECT throws_ok($$SELECT switchboard.set_redaction_policy('22222222-2222-2222-2222-222222222222', 'SSN', false)$$, '42501', NULL,
                 'nor change org B''s policy');
SELECT throws_ok($$SELECT * FROM switchboard.redaction_keys$$, '42501', NULL, 'HMAC keys are not readable by members');
SELECT throws_ok($$SELECT switchboard.redaction_key('11111111-1111-1111-1111-111111111111')$$, '42501', NULL,
                 'the key function is not executable by members');
SELECT throws_ok($$SELECT * FROM switchboard._redact_policy('x', '', NULL)$$, '42501', NULL,
                 'the internal engine entry is not executable by members');
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
SELECT throws_ok($$SELECT switchboard.set_redaction_policy(NULL, 'SSN', false)$$, '42501', NULL,
                 'an agent cannot change the policy');
SELECT switchboard_test.act_as_role('anon');
SELECT throws_ok($$SELECT switchboard.redact('x', NULL)$$, '42501', NULL, 'anon cannot call redact(text, org)');
SELECT switchboard_test.act_as_role('authenticated');
SELECT throws_ok($$SELECT switchboard.redact('x', NULL)$$, '42501', NULL, 'a caller without claims cannot either');
SELECT switchboard_test.act_reset();

-- -------------------------------------------------------------------- HMAC
SELECT switchboard.set_redaction_policy('11111111-1111-1111-1111-111111111111', 'PHONE', true, 'hmac');
SELECT switchboard.set_redaction_policy('22222222-2222-2222-2222-222222222222', 'PHONE', true, 'hmac');
INSERT INTO t SELECT 'a1', switchboard.redact('call 415-555-2671', '11111111-1111-1111-1111-111111111111');
INSERT INTO t SELECT 'a2', switchboard.redact('call four one five, five five five, two six seven one', '11111111-1111-1111-1111-111111111111');
INSERT INTO t SELECT 'b1', switchboard.redact('call 415-555-2671', '22222222-2222-2222-2222-222222222222');
SELECT matches((SELECT v FROM t WHERE name = 'a1'), '^call \[PHONE:[0-9a-f]{16}\]$', 'hmac gives a 16-hex token');
SELECT is((SELECT v FROM t WHERE name = 'a2'), (SELECT v FROM t WHERE name = 'a1'),
          'the token is the same for the written and the spoken number within an org');
SELECT isnt((SELECT v FROM t WHERE name = 'b1'), (SELECT v FROM t WHERE name = 'a1'), 'another org gets another token');

-- ------------------------------------------------------------ call_logs trigger
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
INSERT INTO call_logs (id, org_id, transcript, redaction_report) VALUES
  ('a0000000-0000-0000-0000-0000000ca001', '11111111-1111-1111-1111-111111111111',
   'my social is four one five, two two, one two three four and I was born march third nineteen sixty one',
   '{"forged": true}');
SELECT is((SELECT transcript FROM call_logs WHERE id = 'a0000000-0000-0000-0000-0000000ca001'),
          'my social is [SSN ****1234] and I was born [DATE]', 'an agent''s insert is stored redacted under the org policy');
SELECT is((SELECT redaction_report -> 'counts' FROM call_logs WHERE id = 'a0000000-0000-0000-0000-0000000ca001'),
          '{"SSN": 1, "DATE": 1}'::jsonb, 'the report counts each entity');
SELECT ok((SELECT redaction_report ->> 'version' = switchboard.redaction_engine_version() AND NOT redaction_report ? 'forged'
           FROM call_logs WHERE id = 'a0000000-0000-0000-0000-0000000ca001'), 'the report is the engine''s, with its version');
UPDATE call_logs SET transcript = 'new number 212-555-0199' WHERE id = 'a0000000-0000-0000-0000-0000000ca001';
SELECT matches((SELECT transcript FROM call_logs WHERE id = 'a0000000-0000-0000-0000-0000000ca001'), '^new number \[PHONE:[0-9a-f]{16}\]$',
               'an updated transcript is redacted again');
UPDATE call_logs SET ended_at = started_at + interval '5 minutes', redaction_report = '{}' WHERE id = 'a0000000-0000-0000-0000-0000000ca001';
SELECT is((SELECT redaction_report -> 'counts' FROM call_logs WHERE id = 'a0000000-0000-0000-0000-0000000ca001'),
          '{"PHONE": 1}'::jsonb, 'an update of other columns keeps the engine''s report');
SELECT throws_ok($$INSERT INTO call_logs (org_id, transcript) VALUES ('22222222-2222-2222-2222-222222222222', 'ssn 123-45-6789')$$,
                 '42501', NULL, 'org A cannot insert a call for org B');
SELECT switchboard_test.act_reset();

SET LOCAL switchboard.redaction_max_bytes = '1kB';
SELECT throws_ok($$INSERT INTO call_logs (org_id, transcript) VALUES ('11111111-1111-1111-1111-111111111111', repeat('x', 2000) || ' ssn 123-45-6789')$$,
                 '54000', NULL, 'a transcript over the limit is refused in error mode');
SET LOCAL switchboard.redaction_failure = 'mask';
INSERT INTO call_logs (id, org_id, transcript) VALUES
  ('a0000000-0000-0000-0000-0000000ca002', '11111111-1111-1111-1111-111111111111', repeat('x', 2000) || ' ssn 123-45-6789');
SELECT is((SELECT transcript || ' ' || (redaction_report ->> 'masked') FROM call_logs WHERE id = 'a0000000-0000-0000-0000-0000000ca002'),
          '[REDACTED] true', 'in mask mode it is stored fully masked and the report says so');
RESET switchboard.redaction_failure;
RESET switchboard.redaction_max_bytes;

SELECT is((SELECT count(*)::int FROM call_logs WHERE transcript ~ '\d{3}-\d{2}-\d{4}|four one five'), 0,
          'no stored transcript holds a raw SSN');
SELECT is_empty($$SELECT * FROM switchboard.schema_lint() WHERE object_name ~ 'redact|call_logs'$$, 'schema lint is clean for redaction objects');

SELECT * FROM finish();
ROLLBACK;
