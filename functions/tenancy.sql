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

-- switchboard.caller_role() and is_service() are C functions of the extension:
-- the request's role is PostgreSQL's "outer user" (its SET ROLE, else the login
-- role), which SECURITY DEFINER does not change.

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

-- switchboard.assert_org_access(p_org_id, p_roles) is a C function of the
-- extension too: the one check every API function makes first.
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
