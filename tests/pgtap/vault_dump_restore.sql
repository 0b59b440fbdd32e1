-- Vault backup and restore: pg_dump the test database, pg_restore it into a
-- second database on the same server (same keyring), and every secret still
-- reveals there, byte for byte; the envelopes are restored as they are (no
-- double encryption) and the restored key fingerprints match the keyring.
-- The shell steps run through COPY ... PROGRAM as the server's OS user.
BEGIN;
SELECT plan(8);

CREATE TEMP TABLE cfg AS
SELECT (SELECT setting FROM pg_config WHERE name = 'BINDIR') AS bin,
       format('-h 127.0.0.1 -p %s -U postgres', current_setting('port')) AS conn,
       current_database() AS db,
       'sbv_restore_' || pg_backend_pid() AS target,
       '/tmp/sbv-dump-' || pg_backend_pid() || '.dump' AS file;
CREATE TEMP TABLE out (line text);
-- runs a shell command; true when it exits 0. Its stdout lands in `out`.
CREATE FUNCTION pg_temp.sh(p_cmd text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE out;
  EXECUTE format('COPY out FROM PROGRAM %L', p_cmd);
  RETURN true;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'command failed: %', SQLERRM;
  RETURN false;
END $$;
-- the same query here and in the restored copy (no single quotes: it is
-- passed to psql inside a single-quoted shell word)
CREATE FUNCTION pg_temp.q_reveals() RETURNS text LANGUAGE sql AS $$
  SELECT $q$SELECT org_id || chr(47) || provider || chr(47) || label || chr(61) || reveal_credential(org_id, provider, label) FROM org_credentials$q$
$$;
CREATE FUNCTION pg_temp.q_envelopes() RETURNS text LANGUAGE sql AS $$
  SELECT $q$SELECT substr(sha256(secret)::text, 3) FROM org_credentials$q$
$$;
CREATE FUNCTION pg_temp.query_here(p_sql text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE v text[];
BEGIN
  EXECUTE format('SELECT array_agg(x ORDER BY x) FROM (%s) t(x)', p_sql) INTO v;
  RETURN v;
END $$;
CREATE FUNCTION pg_temp.query_target(p_sql text) RETURNS text[] LANGUAGE plpgsql AS $$
BEGIN
  IF strpos(p_sql, chr(39)) > 0 THEN
    RAISE EXCEPTION 'query_target: no single quotes please';
  END IF;
  IF NOT pg_temp.sh((SELECT format('%s/psql -X -At %s -d %s -c %s', bin, conn, target, chr(39) || p_sql || chr(39)) FROM cfg)) THEN
    RETURN NULL;
  END IF;
  RETURN (SELECT array_agg(line ORDER BY line) FROM out);
END $$;

CREATE TEMP TABLE source AS
SELECT pg_temp.query_here(pg_temp.q_reveals()) AS reveals, pg_temp.query_here(pg_temp.q_envelopes()) AS envelopes;

SELECT ok(pg_temp.sh(format('%s/pg_dump %s -Fc -f %s %s && echo dumped', bin, conn, file, db)), 'pg_dump of the database') FROM cfg;
SELECT ok(pg_temp.sh(format('%s/createdb %s %s && %s/pg_restore %s --exit-on-error -d %s %s 2>&1 && echo restored',
                            bin, conn, target, bin, conn, target, file)), 'pg_restore into a second database') FROM cfg;
SELECT cmp_ok(array_length((SELECT reveals FROM source), 1), '>=', 4, 'the source holds the seed credentials');
SELECT is(pg_temp.query_target(pg_temp.q_reveals()), (SELECT reveals FROM source),
          'every secret reveals in the restored database, unchanged');
SELECT is(pg_temp.query_target(pg_temp.q_envelopes()), (SELECT envelopes FROM source),
          'the envelopes were restored as they are (no re-encryption on restore)');
SELECT is(pg_temp.query_target($$SELECT count(*) FROM switchboard.vault_status() WHERE matches$$),
          ARRAY[(SELECT count(*) FROM switchboard.vault_status() WHERE matches)::text],
          'the restored key fingerprints match the keyring');
-- DROP DATABASE waits for every backend (this one too) to absorb a barrier,
-- which a backend blocked in COPY FROM PROGRAM cannot: drop in the background
-- and wait here, interruptibly.
SELECT ok(pg_temp.sh(format('(sleep 0.2; %s/dropdb %s %s; rm -f %s) >/dev/null 2>&1 &', bin, conn, target, file)), 'the drop starts') FROM cfg;
CREATE FUNCTION pg_temp.wait_dropped() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..300 LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = (SELECT target FROM cfg)) THEN
      RETURN true;
    END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN false;
END $$;
SELECT ok(pg_temp.wait_dropped(), 'the restored copy is dropped');

SELECT * FROM finish();
ROLLBACK;
