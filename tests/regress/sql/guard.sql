-- The boundary guard: every C++ exception thrown in an entry point becomes a
-- clean SQL error with the right SQLSTATE, and the backend keeps working.
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT switchboard._guard_selftest('ok');
CREATE FUNCTION pg_temp.sqlstate_of(kind text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM switchboard._guard_selftest(kind);
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
SELECT k AS kind, pg_temp.sqlstate_of(k) AS sqlstate
FROM unnest(ARRAY['ok', 'invalid_parameter', 'bad_alloc', 'runtime_error', 'unknown', 'postgres_error', NULL]) k;
-- switchboard.Error keeps message, detail and hint
SELECT switchboard._guard_selftest('invalid_parameter');
-- std::bad_alloc becomes out of memory
SELECT switchboard._guard_selftest('bad_alloc');
-- any other std::exception is an internal error whose what() never leaks
SELECT switchboard._guard_selftest('runtime_error');
SELECT switchboard._guard_selftest('unknown');
-- a PostgreSQL error raised under pg_call keeps its own SQLSTATE
SELECT switchboard._guard_selftest('postgres_error');
SELECT switchboard._guard_selftest(NULL);
-- the same backend still answers, repeatedly
SELECT count(*) FROM generate_series(1, 1000) g WHERE switchboard._guard_selftest('ok') = 'ok';
SELECT switchboard.version() = extversion AS version_matches FROM pg_extension WHERE extname = 'switchboard';
-- lock keys: stable, two-int4, null-safe
SELECT switchboard.lock_key('booking', '00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000001')
     = switchboard.lock_key('booking', '00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000001') AS stable;
SELECT array_length(switchboard.lock_key('booking', gen_random_uuid(), gen_random_uuid()), 1) AS ints;
SELECT switchboard.lock_key('booking', NULL, gen_random_uuid());
SELECT switchboard.lock_key('', gen_random_uuid(), gen_random_uuid());
-- the guard self-test is not callable by API roles
SET ROLE authenticated;
SELECT switchboard._guard_selftest('ok');
RESET ROLE;
