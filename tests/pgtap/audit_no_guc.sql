-- The audit trigger without a SET clause (extension 0.3.0): what it got from
-- SET search_path = pg_catalog must now come from qualified names, and from
-- pinning search_path itself for a table whose column text depends on it.
-- A caller who puts a schema of look-alike operators and aggregates before
-- pg_catalog must not change a TRUNCATE's row counts, nor make a flush that
-- runs inside the trigger (switchboard.audit_flush_rows) move other orgs'
-- chain heads through the SPI statements.
BEGIN;
SELECT plan(9);

SELECT is((SELECT row(l.lanname, p.proconfig IS NULL)::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
           WHERE p.oid = 'switchboard.audit_trigger()'::regprocedure),
          row('c', true)::text, 'audit_trigger is C with no SET clause to pay for on every statement');
SELECT is((SELECT cache_size FROM pg_sequences WHERE schemaname = 'switchboard' AND sequencename = 'audit_log_id_seq'),
          32::bigint, 'audit_log ids are taken 32 at a time');

-- a tenant table (audited by the CREATE TABLE event trigger) with a regclass
-- column, whose text depends on search_path
CREATE TABLE public.tap_audit_paths (org_id uuid NOT NULL, id int NOT NULL, rel regclass, note text,
                                     PRIMARY KEY (org_id, id));
SET LOCAL search_path = public, pg_catalog;
INSERT INTO public.tap_audit_paths VALUES ('11111111-1111-1111-1111-111111111111', 1, 'public.organizations', 'x');
RESET search_path;
SELECT is(switchboard.audit_flush(), 1::bigint, 'the insert is pending');
SELECT is((SELECT new_values->>'rel' FROM public.audit_log WHERE table_name = 'tap_audit_paths' AND record_pk->>'id' = '1'),
          'public.organizations',
          'a regclass value is recorded as under search_path = pg_catalog, although the caller had public in its path');

-- the look-alikes: uuid equality that always holds, a count that is always zero
CREATE SCHEMA tap_audit_evil;
CREATE FUNCTION tap_audit_evil.yes(uuid, uuid) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR tap_audit_evil.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = tap_audit_evil.yes);
CREATE FUNCTION tap_audit_evil.zero(bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT 0::bigint';
CREATE AGGREGATE tap_audit_evil.count(*) (SFUNC = tap_audit_evil.zero, STYPE = bigint, INITCOND = '0');

-- TRUNCATE counts each org's rows with the trigger's own SQL
INSERT INTO public.tap_audit_paths (org_id, id) VALUES
  ('11111111-1111-1111-1111-111111111111', 2), ('22222222-2222-2222-2222-222222222222', 3);
SELECT is(switchboard.audit_flush(), 2::bigint, 'two more inserts are pending');
SET LOCAL search_path = tap_audit_evil, public, pg_catalog;
TRUNCATE public.tap_audit_paths;
RESET search_path;
SELECT is(switchboard.audit_flush(), 2::bigint, 'TRUNCATE under a hostile search_path writes one entry per org');
SELECT is((SELECT array_agg(org_id::text || '=' || row_count ORDER BY org_id) FROM public.audit_log
            WHERE table_name = 'tap_audit_paths' AND op = 'TRUNCATE'),
          ARRAY['11111111-1111-1111-1111-111111111111=2', '22222222-2222-2222-2222-222222222222=1'],
          'under a hostile search_path a look-alike count does not change the recorded row counts');

-- a flush inside the trigger, through the SPI statements (an INSERT trigger
-- on audit_log makes the flush use them), under the hostile path: moving
-- org A's head must not touch org B's
CREATE FUNCTION pg_temp.audit_pass() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER tap_audit_spi BEFORE INSERT ON public.audit_log FOR EACH ROW EXECUTE FUNCTION pg_temp.audit_pass();
CREATE TEMP TABLE heads_before AS SELECT org_id, seq, hash FROM switchboard.audit_chain_heads;
SET LOCAL switchboard.audit_flush_rows = 1000;
SET LOCAL search_path = tap_audit_evil, public, pg_catalog;
INSERT INTO public.tap_audit_paths (org_id, id) SELECT '11111111-1111-1111-1111-111111111111', g FROM generate_series(10, 1009) g;
RESET search_path;
DROP TRIGGER tap_audit_spi ON public.audit_log;
SELECT is((SELECT count(*) FROM switchboard.audit_chain_heads h JOIN pg_temp.heads_before b USING (org_id)
            WHERE h.org_id <> '11111111-1111-1111-1111-111111111111' AND (h.seq, h.hash) IS DISTINCT FROM (b.seq, b.hash)),
          0::bigint, 'a flush under a hostile search_path moves no other org''s chain head');
SELECT is((SELECT row(valid, checked >= 1000)::text FROM switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111')),
          '(t,t)', 'org A''s chain, written under the hostile path, verifies');

SELECT * FROM finish();
ROLLBACK;
