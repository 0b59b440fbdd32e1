-- The tenancy tables and their policies. Every tenant table keys on org_id,
-- includes it in every key, and runs under forced RLS.

CREATE TABLE public.organizations (
  id uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
  -- the tenant column of every other table; here it is the org itself
  org_id uuid GENERATED ALWAYS AS (id) STORED NOT NULL,
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  timezone text NOT NULL DEFAULT 'UTC' CHECK (switchboard.is_valid_timezone(timezone)),
  settings jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id)
);
COMMENT ON TABLE public.organizations IS 'a tenant: one clinic or contact centre';
COMMENT ON COLUMN public.organizations.org_id IS 'always equal to id, so tenant policies and checks read one column name everywhere';
COMMENT ON COLUMN public.organizations.timezone IS 'IANA zone of the org (default UTC)';
COMMENT ON COLUMN public.organizations.settings IS 'org-level switches read by the engines';

CREATE TABLE public.org_members (
  org_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user_idx ON public.org_members (user_id, org_id);
COMMENT ON TABLE public.org_members IS 'which users belong to which org, with which role';
COMMENT ON COLUMN public.org_members.role IS 'owner and admin manage members; agent works data; viewer reads only';

CREATE TABLE public.contacts (
  id uuid NOT NULL DEFAULT extensions.gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  phone text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  first_name text CHECK (length(first_name) <= 200),
  last_name text CHECK (length(last_name) <= 200),
  email text CHECK (length(email) <= 320 AND email ~ '^[^@\s]+@[^@\s]+$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id)
);
CREATE INDEX contacts_org_phone_idx ON public.contacts (org_id, phone);
COMMENT ON TABLE public.contacts IS 'patients and callers of an org';
COMMENT ON COLUMN public.contacts.phone IS 'E.164, e.g. +14155550123';

-- organizations: members read their own org; owners/admins edit it; only the
-- backend creates or deletes orgs.
ALTER TABLE public.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_select ON public.organizations FOR SELECT TO authenticated
  USING (id = (SELECT switchboard.current_org_id()) AND (SELECT switchboard.current_org_role()) IS NOT NULL);
CREATE POLICY tenant_update ON public.organizations FOR UPDATE TO authenticated
  USING (id = (SELECT switchboard.current_org_id()) AND (SELECT switchboard.current_org_role()) IN ('owner', 'admin'))
  WITH CHECK (id = (SELECT switchboard.current_org_id()));
GRANT SELECT, UPDATE (name, timezone, settings, updated_at) ON public.organizations TO authenticated;

-- org_members: every member sees the roster; owners/admins manage it; only an
-- owner may create, change or remove an owner.
SELECT switchboard.apply_tenant_policies('public.org_members',
  ARRAY['owner', 'admin', 'agent', 'viewer'], ARRAY['owner', 'admin']);
CREATE POLICY owners_by_owners ON public.org_members AS RESTRICTIVE FOR ALL TO authenticated
  USING (role <> 'owner' OR (SELECT switchboard.current_org_role()) = 'owner')
  WITH CHECK (role <> 'owner' OR (SELECT switchboard.current_org_role()) = 'owner');
GRANT SELECT, INSERT, UPDATE (role), DELETE ON public.org_members TO authenticated;

-- contacts: members read; owners, admins and agents write; viewers read only.
SELECT switchboard.apply_tenant_policies('public.contacts');
GRANT SELECT, INSERT, UPDATE, DELETE ON public.contacts TO authenticated;

GRANT ALL ON public.organizations, public.org_members, public.contacts TO service_role;
