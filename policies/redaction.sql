-- PHI redaction: per-org policy, per-org HMAC keys, and call logs that are
-- stored redacted (a BEFORE trigger, functions/redaction.sql, rewrites the
-- transcript before the row is written).

CREATE TABLE public.redaction_policies (
  org_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  entity text NOT NULL CHECK (entity IN ('SSN', 'CREDIT_CARD', 'PHONE', 'EMAIL', 'DATE', 'MRN', 'NPI',
                                         'ADDRESS', 'ZIP', 'IP_ADDRESS', 'URL', 'ACCOUNT_NUMBER', 'ICD10')),
  enabled boolean NOT NULL DEFAULT true,
  action text NOT NULL DEFAULT 'tag' CHECK (action IN ('tag', 'mask_last4', 'hmac')),
  threshold real NOT NULL DEFAULT 0.5 CHECK (threshold >= 0 AND threshold <= 1),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, entity)
);
COMMENT ON TABLE public.redaction_policies IS
  'per-org overrides of the redaction policy; an entity without a row is on, tagged, threshold 0.5';
COMMENT ON COLUMN public.redaction_policies.entity IS 'redaction entity, e.g. SSN, CREDIT_CARD, ICD10 (the tag without brackets)';
COMMENT ON COLUMN public.redaction_policies.enabled IS 'false: the entity is not searched for (e.g. ICD10 codes an org wants to keep)';
COMMENT ON COLUMN public.redaction_policies.action IS
  'tag: [SSN]; mask_last4: [SSN ****1234]; hmac: [SSN:<16 hex>], an HMAC-SHA-256 token stable within the org';
COMMENT ON COLUMN public.redaction_policies.threshold IS 'findings scoring below this (0..1) are kept as text';
SELECT switchboard.apply_tenant_policies('public.redaction_policies',
  ARRAY['owner', 'admin', 'agent', 'viewer'], ARRAY['owner', 'admin']);
GRANT SELECT, INSERT, UPDATE, DELETE ON public.redaction_policies TO authenticated;
GRANT ALL ON public.redaction_policies TO service_role;

-- HMAC keys: 32 random bytes per org from pgcrypto, created on first use.
-- Outside schema public and without grants: only SECURITY DEFINER functions
-- of this module read them; they never leave the database.
CREATE TABLE switchboard.redaction_keys (
  org_id uuid PRIMARY KEY REFERENCES public.organizations (id) ON DELETE CASCADE,
  hmac_key bytea NOT NULL DEFAULT extensions.gen_random_bytes(32) CHECK (length(hmac_key) >= 32),
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE switchboard.redaction_keys IS
  'per-org HMAC-SHA-256 keys of the hmac redaction action; readable only by the module''s SECURITY DEFINER functions';
COMMENT ON COLUMN switchboard.redaction_keys.hmac_key IS '32 random bytes (pgcrypto gen_random_bytes); rotating it changes every token of the org';
REVOKE ALL ON switchboard.redaction_keys FROM PUBLIC;

CREATE TABLE public.call_logs (
  id uuid NOT NULL DEFAULT extensions.gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  contact_id uuid,
  direction text NOT NULL DEFAULT 'inbound' CHECK (direction IN ('inbound', 'outbound')),
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  transcript text,
  redaction_report jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, contact_id) REFERENCES public.contacts (org_id, id) ON DELETE SET NULL (contact_id),
  CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX call_logs_org_started_idx ON public.call_logs (org_id, started_at DESC);
CREATE INDEX call_logs_org_contact_idx ON public.call_logs (org_id, contact_id) WHERE contact_id IS NOT NULL;
COMMENT ON TABLE public.call_logs IS 'calls of the voice agent; the transcript is redacted by a BEFORE trigger, so raw PHI is never stored';
COMMENT ON COLUMN public.call_logs.transcript IS 'the call transcript, stored redacted (switchboard.call_logs_redact)';
COMMENT ON COLUMN public.call_logs.redaction_report IS
  'written by the trigger: {"engine", "version", "counts": {"SSN": 1, ...}, "total", "masked", "redacted_at"}';
COMMENT ON COLUMN public.call_logs.direction IS 'inbound or outbound';
SELECT switchboard.apply_tenant_policies('public.call_logs');
GRANT SELECT, INSERT, UPDATE, DELETE ON public.call_logs TO authenticated;
GRANT ALL ON public.call_logs TO service_role;
