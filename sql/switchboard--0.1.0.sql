-- Switchboard 0.1.0: the module and its boundary self-test.
\echo Use "CREATE EXTENSION switchboard" to load this file. \quit

CREATE FUNCTION switchboard.version() RETURNS text
  LANGUAGE c STABLE PARALLEL SAFE
  SET search_path = pg_catalog
  AS 'MODULE_PATHNAME', 'sb_version';
COMMENT ON FUNCTION switchboard.version() IS 'version of the loaded switchboard module';

CREATE FUNCTION switchboard._guard_selftest(kind text) RETURNS text
  LANGUAGE c VOLATILE
  SET search_path = pg_catalog
  AS 'MODULE_PATHNAME', 'sb_guard_selftest';
COMMENT ON FUNCTION switchboard._guard_selftest(text) IS
  'raises the C++ exception named by kind inside an entry point; proves the boundary guard';
REVOKE ALL ON FUNCTION switchboard._guard_selftest(text) FROM PUBLIC;
