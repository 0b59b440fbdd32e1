-- The credential vault's tables, policies and grants.
-- org_credentials is the only place provider secrets live. `secret` holds a
-- versioned XChaCha20-Poly1305 envelope bound to its row (docs/vault.md);
-- no API role can read or write that column directly: writes go through
-- set_credential/rotate_credentials, plaintext only through reveal_credential.

CREATE TABLE public.org_credentials (
  id uuid NOT NULL DEFAULT extensions.gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  provider text NOT NULL
    CHECK (provider IN ('vapi', 'twilio', 'google_calendar', 'openai', 'smtp', 'custom')),
  label text NOT NULL DEFAULT 'default'
    CHECK (label = btrim(label) AND octet_length(label) BETWEEN 1 AND 128 AND label !~ '[[:cntrl:]]'),
  secret bytea NOT NULL,
  secret_hint text CHECK (secret_hint IS NULL OR length(secret_hint) <= 4),
  key_version int NOT NULL CHECK (key_version > 0),
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb
    CHECK (jsonb_typeof(metadata) = 'object' AND octet_length(metadata::text) <= 8192),
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  rotated_at timestamptz,
  PRIMARY KEY (org_id, id),
  CONSTRAINT org_credentials_one_per_label UNIQUE (org_id, provider, label),
  -- the envelope header and the column agree (NULL = malformed envelope)
  CONSTRAINT org_credentials_envelope_version
    CHECK (switchboard.vault_envelope_key_version(secret) IS NOT DISTINCT FROM key_version)
);
CREATE INDEX org_credentials_key_version_idx ON public.org_credentials (key_version, org_id, id);
COMMENT ON TABLE public.org_credentials IS
  'provider secrets of an org (Vapi, Twilio, Google Calendar, OpenAI, SMTP, custom), one row per (org, provider, label), encrypted at rest';
COMMENT ON COLUMN public.org_credentials.provider IS 'vapi, twilio, google_calendar, openai, smtp or custom';
COMMENT ON COLUMN public.org_credentials.label IS 'distinguishes several credentials of one provider (default ''default'')';
COMMENT ON COLUMN public.org_credentials.secret IS
  'envelope: format byte, key version, 24-byte nonce, XChaCha20-Poly1305 ciphertext; AD binds (format, key version, org, provider, label, row id). Never plaintext; no API role may read it';
COMMENT ON COLUMN public.org_credentials.secret_hint IS 'last four characters of the secret when it has at least 12, else NULL';
COMMENT ON COLUMN public.org_credentials.key_version IS 'root key version that sealed the envelope (equals the envelope header)';
COMMENT ON COLUMN public.org_credentials.metadata IS 'non-secret provider settings (account sid, phone number, scopes)';
COMMENT ON COLUMN public.org_credentials.created_by IS 'user (claims.sub) who stored the credential; NULL for the backend';
COMMENT ON COLUMN public.org_credentials.rotated_at IS 'when rotate_credentials last re-sealed the secret under a newer key';
COMMENT ON CONSTRAINT org_credentials_envelope_version ON public.org_credentials IS
  'the envelope is well-formed and its header names the key version stored beside it';
COMMENT ON INDEX public.org_credentials_key_version_idx IS 'rotation: finds rows under old key versions';

-- owners and admins see the masked columns of their org; nobody but the
-- functions writes. Column privileges keep `secret` out of reach even of rows
-- RLS lets through.
SELECT switchboard.apply_tenant_policies('public.org_credentials',
  ARRAY['owner', 'admin'], ARRAY['owner', 'admin']);
REVOKE ALL ON public.org_credentials FROM PUBLIC, anon, authenticated, service_role;
GRANT SELECT (id, org_id, provider, label, secret_hint, key_version, metadata, created_by,
              created_at, updated_at, rotated_at)
  ON public.org_credentials TO authenticated, service_role;

-- Public fingerprints of the root key versions this database has used. A
-- server started with another keyring finds a mismatch here at first use.
CREATE TABLE switchboard.vault_keys (
  version int PRIMARY KEY CHECK (version > 0),
  fingerprint bytea NOT NULL CHECK (octet_length(fingerprint) = 16),
  registered_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
COMMENT ON TABLE switchboard.vault_keys IS
  'root key versions in use and their public fingerprints (keyed BLAKE2b of a fixed label); never the keys';
COMMENT ON COLUMN switchboard.vault_keys.fingerprint IS '16-byte public fingerprint of the root key version';
COMMENT ON COLUMN switchboard.vault_keys.retired_at IS 'set by vault_retire_key once no credential uses the version; it may then leave the keyring file';
REVOKE ALL ON switchboard.vault_keys FROM PUBLIC;
GRANT SELECT ON switchboard.vault_keys TO service_role;

-- The hot C entry points pin no search_path (see sql/switchboard--0.1.0--0.2.0.sql).
INSERT INTO switchboard.lint_exceptions (check_name, object_name, reason) VALUES
  ('function_search_path_mutable', 'switchboard.vault_seal(uuid,text,text,uuid,text)',
   'C function; resolves no names except one fully qualified query; SET would cost a GUC save/restore per secret'),
  ('function_search_path_mutable', 'switchboard.vault_open(uuid,text,text,uuid,bytea)',
   'C function; resolves no names except one fully qualified query; SET would cost a GUC save/restore per secret'),
  ('function_search_path_mutable', 'switchboard.vault_envelope_key_version(bytea)',
   'C function; resolves no names; evaluated by a CHECK on every write');
