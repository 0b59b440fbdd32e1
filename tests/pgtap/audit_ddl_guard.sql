-- The audit log's DDL guard, from the owner's seat (the superuser that owns
-- audit_log): no drop of the table or a month, no detach, no rename, no
-- trigger switched off; retention still drops whole months.
BEGIN;
SELECT plan(10);
SET LOCAL client_min_messages = warning;

CREATE TABLE public.audit_log_p201901 PARTITION OF public.audit_log
  FOR VALUES FROM ('2019-01-01 00:00+00') TO ('2019-02-01 00:00+00');
SELECT pass('a month can still be added (CREATE TABLE … PARTITION OF)');

SELECT throws_ok($$DROP TABLE public.audit_log_p201901$$, '42501',
                 'audit_log is append-only: dropping public.audit_log_p201901 is not allowed',
                 'the owner cannot drop a month');
SELECT throws_ok($$DROP TABLE public.audit_log CASCADE$$, '42501', NULL, 'nor the whole log with CASCADE');
SELECT throws_ok($$ALTER TABLE public.audit_log DETACH PARTITION public.audit_log_p201901$$, '42501',
                 'audit_log is append-only: ALTER TABLE on public.audit_log is not allowed',
                 'nor detach a month (to drop it as a plain table)');
SELECT throws_ok($$ALTER TABLE public.audit_log_p201901 RENAME TO kept_elsewhere$$, '42501', NULL,
                 'nor rename a month (to drop it under another name)');
SELECT throws_ok($$ALTER TABLE public.audit_log DISABLE TRIGGER audit_append_only_row$$, '42501', NULL,
                 'nor switch off the append-only trigger');
SELECT throws_ok($$DROP SCHEMA public CASCADE$$, '42501', NULL, 'nor drop it with its schema');

-- other DDL is untouched
CREATE TABLE pg_temp.scratch (x int);
DROP TABLE pg_temp.scratch;
SELECT pass('dropping an unrelated table still works');

SELECT is(switchboard.audit_drop_months('2019-02-01 00:00+00'), 1, 'retention drops the month');
SELECT is(to_regclass('public.audit_log_p201901'), NULL, 'and it is gone');

SELECT * FROM finish();
ROLLBACK;
