-- Switchboard 0.1.0 -> 0.2.0: the engines' C entry points.
-- Each engine appends one delimited section; sections never edit each other.
\echo Use "ALTER EXTENSION switchboard UPDATE TO '0.2.0'" to load this file. \quit

-- == locks ==
CREATE FUNCTION switchboard.lock_key(p_scope text, p_org_id uuid, p_entity_id uuid)
  RETURNS int[]
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog
  AS 'MODULE_PATHNAME', 'sb_lock_key';
COMMENT ON FUNCTION switchboard.lock_key(text, uuid, uuid) IS
  'two-int4 advisory lock key {namespace, object} for (scope, org, entity); stable across processes and versions';
-- == end locks ==
