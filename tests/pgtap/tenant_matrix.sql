-- The tenant matrix: every table of schema public, found in the catalog (so
-- tables added later are covered), attacked from org A's owner seat, anon, a
-- caller without claims; service_role sees everything. Needs seed rows of both
-- demo orgs in every table (tests/fixtures/seed).
BEGIN;
CREATE FUNCTION pg_temp.tenant_tables() RETURNS SETOF regclass LANGUAGE sql AS $$
  SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1::text
$$;
SELECT plan(9 * (SELECT count(*)::int FROM pg_temp.tenant_tables()) + 1);
SELECT cmp_ok((SELECT count(*)::int FROM pg_temp.tenant_tables()), '>=', 3, 'the catalog lists the tenant tables');

CREATE FUNCTION pg_temp.fingerprint(t regclass, org uuid) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v text;
BEGIN
  EXECUTE format('SELECT md5(coalesce(string_agg(x::text, %L ORDER BY x::text), %L)) FROM %s x WHERE org_id = %L',
                 ',', '', t, org) INTO v;
  RETURN v;
END $$;

CREATE FUNCTION pg_temp.matrix() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  a constant uuid := '11111111-1111-1111-1111-111111111111';
  b constant uuid := '22222222-2222-2222-2222-222222222222';
  a_owner constant uuid := 'a0000000-0000-0000-0000-000000000001';
  t regclass;
  na bigint; nb bigint; n bigint; total bigint;
  before_b text;
  state text;
  has_id boolean;
  cols text;
BEGIN
  FOR t IN SELECT * FROM pg_temp.tenant_tables() LOOP
    RETURN NEXT ok((SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = t),
                   format('%s: row level security enabled and forced', t));
    EXECUTE format('SELECT count(*) FILTER (WHERE org_id = %L), count(*) FILTER (WHERE org_id = %L), count(*) FROM %s', a, b, t)
      INTO na, nb, total;
    RETURN NEXT ok(na > 0 AND nb > 0, format('%s: seed has rows of both orgs (A=%s, B=%s)', t, na, nb));
    before_b := pg_temp.fingerprint(t, b);

    -- read: org A's owner sees no row of another org
    BEGIN
      PERFORM switchboard_test.act_as(a_owner, a);
      EXECUTE format('SELECT count(*) FROM %s WHERE org_id <> %L', t, a) INTO n;
      PERFORM switchboard_test.act_reset();
    EXCEPTION WHEN insufficient_privilege THEN n := 0;
    END;
    RETURN NEXT is(n, 0::bigint, format('%s: org A reads none of org B''s rows', t));

    -- update: touches no row of B (0 rows, or refused)
    BEGIN
      PERFORM switchboard_test.act_as(a_owner, a);
      EXECUTE format('UPDATE %s SET org_id = org_id WHERE org_id = %L', t, b);
      GET DIAGNOSTICS n = ROW_COUNT;
      PERFORM switchboard_test.act_reset();
    EXCEPTION WHEN OTHERS THEN n := 0;
    END;
    RETURN NEXT ok(n = 0 AND pg_temp.fingerprint(t, b) = before_b, format('%s: org A updates none of org B''s rows', t));

    -- delete: removes no row of B
    BEGIN
      PERFORM switchboard_test.act_as(a_owner, a);
      EXECUTE format('DELETE FROM %s WHERE org_id = %L', t, b);
      GET DIAGNOSTICS n = ROW_COUNT;
      PERFORM switchboard_test.act_reset();
    EXCEPTION WHEN OTHERS THEN n := 0;
    END;
    RETURN NEXT ok(n = 0 AND pg_temp.fingerprint(t, b) = before_b, format('%s: org A deletes none of org B''s rows', t));

    -- insert: a copy of one of B's rows (fresh id) is refused with 42501
    EXECUTE 'DROP TABLE IF EXISTS pg_temp.b_row';
    EXECUTE format('CREATE TEMP TABLE b_row AS SELECT * FROM %s WHERE org_id = %L LIMIT 1', t, b);
    SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = t AND attname = 'id' AND atttypid = 'uuid'::regtype
                   AND NOT attisdropped AND attgenerated = '') INTO has_id;
    IF has_id THEN EXECUTE 'UPDATE pg_temp.b_row SET id = gen_random_uuid()'; END IF;
    EXECUTE 'GRANT SELECT ON pg_temp.b_row TO authenticated';
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols FROM pg_attribute
    WHERE attrelid = t AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    state := 'no error';
    BEGIN
      PERFORM switchboard_test.act_as(a_owner, a);
      EXECUTE format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM pg_temp.b_row', t, cols, cols);
      PERFORM switchboard_test.act_reset();
    EXCEPTION WHEN OTHERS THEN state := SQLSTATE;
    END;
    RETURN NEXT is(state, '42501', format('%s: org A cannot insert a row for org B', t));

    -- anon: nothing (no privilege, or no rows)
    BEGIN
      PERFORM switchboard_test.act_as_role('anon');
      EXECUTE format('SELECT count(*) FROM %s', t) INTO n;
      PERFORM switchboard_test.act_reset();
    EXCEPTION WHEN insufficient_privilege THEN n := 0;
    END;
    RETURN NEXT is(n, 0::bigint, format('%s: anon sees nothing', t));

    -- authenticated without claims: nothing
    BEGIN
      PERFORM switchboard_test.act_as_role('authenticated');
      EXECUTE format('SELECT count(*) FROM %s', t) INTO n;
      PERFORM switchboard_test.act_reset();
    EXCEPTION WHEN insufficient_privilege THEN n := 0;
    END;
    RETURN NEXT is(n, 0::bigint, format('%s: a caller without claims sees nothing', t));

    -- service_role: everything
    BEGIN
      PERFORM switchboard_test.act_as_role('service_role');
      EXECUTE format('SELECT count(*) FROM %s', t) INTO n;
      PERFORM switchboard_test.act_reset();
    EXCEPTION WHEN insufficient_privilege THEN n := -1;
    END;
    RETURN NEXT is(n, total, format('%s: service_role sees all rows', t));
  END LOOP;
END $$;

SELECT * FROM pg_temp.matrix();
SELECT * FROM finish();
ROLLBACK;
