-- Vault and the server log at default settings: a set_credential call that
-- fails carries its secret as a literal, yet the log shows the error without
-- the statement; a control statement that fails outside the vault IS logged
-- with its text (so the absence means something). The calls run in separate
-- sessions (psql through COPY ... PROGRAM) so they are top-level statements.
BEGIN;
SELECT plan(4);
CREATE TEMP TABLE cfg AS
SELECT (SELECT setting FROM pg_config WHERE name = 'BINDIR') AS bin,
       format('-h 127.0.0.1 -p %s -U postgres -d %s', current_setting('port'), current_database()) AS conn,
       current_setting('data_directory') || '/server.log' AS log,
       'LOGLEAK' || pg_backend_pid() || md5(random()::text) AS marker;
CREATE TEMP TABLE out (line text);
CREATE FUNCTION pg_temp.run_sql(p_sql text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  -- the SQL goes inside double quotes for the shell: no ", $ or ` in it
  IF p_sql ~ '["$`\\]' THEN RAISE EXCEPTION 'run_sql: unsafe characters'; END IF;
  EXECUTE format('COPY out FROM PROGRAM %L',
                 (SELECT format('%s/psql -X -q %s -c %s >/dev/null 2>&1; true', bin, conn, chr(34) || p_sql || chr(34)) FROM cfg));
END $$;
CREATE FUNCTION pg_temp.log_has(p_text text) RETURNS boolean LANGUAGE sql AS $$
  SELECT strpos(pg_read_file((SELECT log FROM cfg)), p_text) > 0
$$;

SELECT ok((pg_stat_file((SELECT log FROM cfg), true)).size IS NOT NULL, 'the server writes its log to PGDATA/server.log');
DO $$ BEGIN
  PERFORM pg_temp.run_sql(format('SELECT 1/0 AS control_%s', marker)) FROM cfg;
  PERFORM pg_temp.run_sql(format('SELECT set_credential(%L, %L, %L)', '33333333-3333-3333-3333-333333333333', 'twilio', 'secret-' || marker)) FROM cfg;
  PERFORM pg_temp.run_sql(format('SELECT set_credential(%L, %L, %L)', '11111111-1111-1111-1111-111111111111', 'myspace', 'secret-' || marker)) FROM cfg;
  PERFORM pg_sleep(0.3);
END $$;
SELECT ok(pg_temp.log_has('control_' || marker), 'control: a failing statement is logged with its text at default settings') FROM cfg;
SELECT ok(pg_temp.log_has('ERROR:  org not found'), 'the set_credential error itself is logged');
SELECT ok(NOT pg_temp.log_has('secret-' || marker), 'but never the statement that carried the secret') FROM cfg;

SELECT * FROM finish();
ROLLBACK;
