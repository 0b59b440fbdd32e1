-- The flush opens this month's audit_log partition from a per-backend cache
-- (its range and its column map) instead of routing through the root. The
-- cache must be dropped when the partition changes: a column dropped and
-- added again moves to another attribute number, and after the month is
-- detached and another table attached for its range, entries go there.
BEGIN;
SELECT plan(7);

CREATE TABLE public.tap_month (org_id uuid NOT NULL, id int NOT NULL, PRIMARY KEY (org_id, id));
INSERT INTO public.tap_month VALUES ('11111111-1111-1111-1111-111111111111', 1);
SELECT is(switchboard.audit_flush(), 1::bigint, 'the first entry is written (and this month is remembered)');
INSERT INTO public.tap_month VALUES ('11111111-1111-1111-1111-111111111111', 2);
SELECT is(switchboard.audit_flush(), 1::bigint, 'the second entry is written through the remembered month');
CREATE TEMP TABLE month_part AS
SELECT DISTINCT a.tableoid AS part, pg_get_expr(c.relpartbound, c.oid) AS bound
FROM public.audit_log a JOIN pg_class c ON c.oid = a.tableoid
WHERE a.table_name = 'tap_month';
SELECT is((SELECT count(*) FROM pg_temp.month_part WHERE bound LIKE 'FOR VALUES FROM%'), 1::bigint,
          'both entries are in one month partition');

-- reason dropped and added again: it is now the partition's last attribute
ALTER EVENT TRIGGER switchboard_audit_guard_alter DISABLE;
ALTER TABLE public.audit_log DROP COLUMN reason;
ALTER TABLE public.audit_log ADD COLUMN reason text;
SET LOCAL switchboard.audit_reason = 'tap: moved column';
INSERT INTO public.tap_month VALUES ('11111111-1111-1111-1111-111111111111', 4);
SELECT is(switchboard.audit_flush(), 1::bigint, 'an entry is written after the column moved');
SELECT is((SELECT reason FROM public.audit_log WHERE table_name = 'tap_month' AND record_pk->>'id' = '4'), 'tap: moved column',
          'its reason is stored in the moved column (the cached column map was dropped)');
RESET switchboard.audit_reason;

-- the month is detached and a new table takes its range (the DDL guard
-- is switched off inside this rolled-back transaction only)
CREATE SCHEMA tap_month_s;
CREATE TABLE tap_month_s.new_month (LIKE public.audit_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
DO $$
DECLARE
  v_part regclass := (SELECT part::regclass FROM pg_temp.month_part);
  v_bound text := (SELECT bound FROM pg_temp.month_part);
BEGIN
  EXECUTE format('ALTER TABLE public.audit_log DETACH PARTITION %s', v_part);
  EXECUTE format('ALTER TABLE public.audit_log ATTACH PARTITION tap_month_s.new_month %s', v_bound);
END
$$;
INSERT INTO public.tap_month VALUES ('11111111-1111-1111-1111-111111111111', 3);
SELECT is(switchboard.audit_flush(), 1::bigint, 'the third entry is written after the swap');
SELECT is((SELECT array_agg(record_pk->>'id') FROM tap_month_s.new_month WHERE table_name = 'tap_month'), ARRAY['3'],
          'it went to the newly attached month, not to the detached one the cache had remembered');

SELECT * FROM finish();
ROLLBACK;
