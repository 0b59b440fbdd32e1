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

-- == claims ==
-- No SET search_path: these run no SQL, and a SET clause would cost a GUC
-- switch on every call (they are evaluated once per statement by every policy).
CREATE FUNCTION switchboard.current_org_id() RETURNS uuid
  LANGUAGE c STABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'sb_current_org_id';
COMMENT ON FUNCTION switchboard.current_org_id() IS
  'org of the caller from request.jwt.claims -> app_metadata.org_id; NULL without claims or with a malformed id; user_metadata is never read';
CREATE FUNCTION switchboard.current_user_id() RETURNS uuid
  LANGUAGE c STABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'sb_current_user_id';
COMMENT ON FUNCTION switchboard.current_user_id() IS
  'user of the caller from request.jwt.claims -> sub; NULL without claims or with a malformed id';
CREATE FUNCTION switchboard.current_org_role() RETURNS text
  LANGUAGE c STABLE SECURITY DEFINER
  AS 'MODULE_PATHNAME', 'sb_current_org_role';
COMMENT ON FUNCTION switchboard.current_org_role() IS
  'owner/admin/agent/viewer: the caller''s member role in its claims org (from public.org_members, created by the migrations), NULL when not a member';
REVOKE ALL ON FUNCTION switchboard.current_org_role() FROM PUBLIC;
-- == end claims ==
