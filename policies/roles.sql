-- Roles of the PostgREST/Supabase model. NOLOGIN: an authenticator login role
-- (or a superuser) switches into them with SET ROLE.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
END
$$;
-- service_role is the backend: it acts for any org and bypasses RLS (API.md).
ALTER ROLE service_role BYPASSRLS;
COMMENT ON ROLE anon IS 'unauthenticated callers: no access to tenant data';
COMMENT ON ROLE authenticated IS 'a signed-in member of one org, described by request.jwt.claims';
COMMENT ON ROLE service_role IS 'the backend: may act on any org by passing p_org_id; bypasses RLS';

GRANT USAGE ON SCHEMA public TO authenticated, service_role;
GRANT USAGE ON SCHEMA switchboard TO authenticated, service_role;
GRANT USAGE ON SCHEMA extensions TO authenticated, service_role;
