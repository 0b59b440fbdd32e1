-- Tenancy helpers: who is calling, for which org, with which member role.
-- Policies call these wrapped as (select ...) so each runs once per statement.

CREATE OR REPLACE FUNCTION switchboard.current_claims() RETURNS jsonb
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog
AS $$ SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb $$;
COMMENT ON FUNCTION switchboard.current_claims() IS
  'the PostgREST claims of this transaction (request.jwt.claims), NULL when there are none';

-- switchboard.current_org_id() and current_user_id() are C functions of the
-- extension (claims_sql.cpp): app_metadata is written by the backend only;
-- user_metadata is user-editable and never read.

-- The role the request runs as. Inside SECURITY DEFINER functions current_user
-- is the owner, but the SET ROLE of the request is still visible in the GUC.
CREATE OR REPLACE FUNCTION switchboard.caller_role() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog
AS $$
  SELECT CASE WHEN current_setting('role') IS NULL OR current_setting('role') = 'none'
              THEN session_user::text ELSE current_setting('role') END
$$;
COMMENT ON FUNCTION switchboard.caller_role() IS
  'the database role of the request (its SET ROLE, else the login role), even inside SECURITY DEFINER functions';

CREATE OR REPLACE FUNCTION switchboard.is_service() RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog
AS $$
  SELECT r.rolname = 'service_role' OR r.rolsuper
  FROM pg_roles r WHERE r.rolname = switchboard.caller_role()
$$;
COMMENT ON FUNCTION switchboard.is_service() IS
  'true for service_role and superusers: the only callers that bypass tenant checks';

-- switchboard.current_org_role() is a C function of the extension too (one
-- kept plan, SECURITY DEFINER so org_members' own policies can use it).
GRANT EXECUTE ON FUNCTION switchboard.current_org_role() TO authenticated, service_role;

CREATE OR REPLACE FUNCTION switchboard.is_valid_timezone(p_tz text) RETURNS boolean
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog
AS $$
BEGIN
  IF p_tz IS NULL OR p_tz = '' OR length(p_tz) > 64 THEN
    RETURN false;
  END IF;
  PERFORM pg_catalog.timezone(p_tz, timestamptz '2000-01-01 00:00+00');
  RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
  RETURN false;
END
$$;
COMMENT ON FUNCTION switchboard.is_valid_timezone(text) IS 'true when p_tz names a time zone PostgreSQL knows (IANA)';

-- The one check every API function makes before touching tenant data.
-- Returns the org to act on. service_role/superuser: p_org_id is required.
-- authenticated: p_org_id NULL means the caller's org; another org is 42501;
-- the caller must be a member with one of p_roles (NULL: any member role).
CREATE OR REPLACE FUNCTION switchboard.assert_org_access(p_org_id uuid, p_roles text[] DEFAULT NULL)
  RETURNS uuid
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog
AS $$
DECLARE
  v_org uuid;
  v_role text;
BEGIN
  IF switchboard.is_service() THEN
    IF p_org_id IS NULL THEN
      RAISE EXCEPTION 'p_org_id is required for service_role callers' USING ERRCODE = '22023';
    END IF;
    RETURN p_org_id;
  END IF;
  v_org := switchboard.current_org_id();
  IF v_org IS NULL THEN
    RAISE EXCEPTION 'no tenant claims: request.jwt.claims must carry app_metadata.org_id'
      USING ERRCODE = '42501';
  END IF;
  IF p_org_id IS NOT NULL AND p_org_id <> v_org THEN
    RAISE EXCEPTION 'not allowed to act on another org' USING ERRCODE = '42501';
  END IF;
  v_role := switchboard.current_org_role();
  IF v_role IS NULL THEN
    RAISE EXCEPTION 'caller is not a member of the org' USING ERRCODE = '42501';
  END IF;
  IF p_roles IS NOT NULL AND NOT (v_role = ANY (p_roles)) THEN
    RAISE EXCEPTION 'member role % may not do this', v_role USING ERRCODE = '42501',
      HINT = format('allowed roles: %s', array_to_string(p_roles, ', '));
  END IF;
  RETURN v_org;
END
$$;
COMMENT ON FUNCTION switchboard.assert_org_access(uuid, text[]) IS
  'resolves and authorises the org an API call acts on; raises 42501/22023 otherwise';
REVOKE ALL ON FUNCTION switchboard.assert_org_access(uuid, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.assert_org_access(uuid, text[]) TO authenticated, service_role;

-- The standard policy set of a tenant table: members of the claims org read
-- (p_read_roles), and write with p_write_roles. RLS is enabled and forced.
CREATE OR REPLACE FUNCTION switchboard.apply_tenant_policies(
  p_table regclass,
  p_read_roles text[] DEFAULT ARRAY['owner', 'admin', 'agent', 'viewer'],
  p_write_roles text[] DEFAULT ARRAY['owner', 'admin', 'agent'])
  RETURNS void
  LANGUAGE plpgsql
  SET search_path = pg_catalog
AS $$
DECLARE
  v_read text := format('org_id = (SELECT switchboard.current_org_id()) AND (SELECT switchboard.current_org_role()) = ANY (%L::text[])', p_read_roles);
  v_write text := format('org_id = (SELECT switchboard.current_org_id()) AND (SELECT switchboard.current_org_role()) = ANY (%L::text[])', p_write_roles);
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_table);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p_table);
  EXECUTE format('CREATE POLICY tenant_select ON %s FOR SELECT TO authenticated USING (%s)', p_table, v_read);
  EXECUTE format('CREATE POLICY tenant_insert ON %s FOR INSERT TO authenticated WITH CHECK (%s)', p_table, v_write);
  EXECUTE format('CREATE POLICY tenant_update ON %s FOR UPDATE TO authenticated USING (%s) WITH CHECK (%s)', p_table, v_write, v_write);
  EXECUTE format('CREATE POLICY tenant_delete ON %s FOR DELETE TO authenticated USING (%s)', p_table, v_write);
END
$$;
COMMENT ON FUNCTION switchboard.apply_tenant_policies(regclass, text[], text[]) IS
  'enables and forces RLS on a tenant table and creates its tenant_select/insert/update/delete policies';
REVOKE ALL ON FUNCTION switchboard.apply_tenant_policies(regclass, text[], text[]) FROM PUBLIC;
