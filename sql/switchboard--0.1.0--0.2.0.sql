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
CREATE FUNCTION switchboard.caller_role() RETURNS text
  LANGUAGE c STABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'sb_caller_role';
COMMENT ON FUNCTION switchboard.caller_role() IS
  'the database role of the request (its SET ROLE, else the login role), unchanged inside SECURITY DEFINER functions';
CREATE FUNCTION switchboard.is_service() RETURNS boolean
  LANGUAGE c STABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'sb_is_service';
COMMENT ON FUNCTION switchboard.is_service() IS
  'true for service_role and superusers: the only callers that bypass tenant checks';
-- SECURITY DEFINER only so its member-role lookup is not filtered by the
-- caller's own RLS on org_members; it runs no other query.
CREATE FUNCTION switchboard.assert_org_access(p_org_id uuid, p_roles text[] DEFAULT NULL) RETURNS uuid
  LANGUAGE c STABLE SECURITY DEFINER
  AS 'MODULE_PATHNAME', 'sb_assert_org_access';
COMMENT ON FUNCTION switchboard.assert_org_access(uuid, text[]) IS
  'resolves and authorises the org an API call acts on: service_role must name it; authenticated may pass NULL (its own org) or its own org, with a member role in p_roles; raises 42501/22023 otherwise';
REVOKE ALL ON FUNCTION switchboard.assert_org_access(uuid, text[]) FROM PUBLIC;
-- == end claims ==

-- == vault ==
-- vault_seal, vault_open and vault_envelope_key_version run once per secret
-- (and per row in a CHECK): C code that resolves no names except one fully
-- qualified query, so they skip SET search_path, which would add a GUC
-- save/restore (~0.6 us) to every call; switchboard.lint_exceptions records why.
CREATE FUNCTION switchboard.vault_seal(p_org_id uuid, p_provider text, p_label text, p_row_id uuid, p_secret text)
  RETURNS bytea
  LANGUAGE c VOLATILE
  AS 'MODULE_PATHNAME', 'sb_vault_seal';
COMMENT ON FUNCTION switchboard.vault_seal(uuid, text, text, uuid, text) IS
  'vault internal: XChaCha20-Poly1305 envelope of p_secret under the newest root key, bound to (org, provider, label, row)';
REVOKE ALL ON FUNCTION switchboard.vault_seal(uuid, text, text, uuid, text) FROM PUBLIC;

CREATE FUNCTION switchboard.vault_open(p_org_id uuid, p_provider text, p_label text, p_row_id uuid, p_envelope bytea)
  RETURNS text
  LANGUAGE c STABLE
  AS 'MODULE_PATHNAME', 'sb_vault_open';
COMMENT ON FUNCTION switchboard.vault_open(uuid, text, text, uuid, bytea) IS
  'vault internal: the secret of an envelope; fails (XX001) when the envelope belongs to another row or was altered';
REVOKE ALL ON FUNCTION switchboard.vault_open(uuid, text, text, uuid, bytea) FROM PUBLIC;

CREATE FUNCTION switchboard.vault_reseal(p_org_id uuid, p_provider text, p_label text, p_row_id uuid, p_envelope bytea)
  RETURNS bytea
  LANGUAGE c VOLATILE
  SET search_path = pg_catalog
  AS 'MODULE_PATHNAME', 'sb_vault_reseal';
COMMENT ON FUNCTION switchboard.vault_reseal(uuid, text, text, uuid, bytea) IS
  'vault internal: the same secret re-sealed under the newest root key (rotation); the plaintext never becomes a SQL value';
REVOKE ALL ON FUNCTION switchboard.vault_reseal(uuid, text, text, uuid, bytea) FROM PUBLIC;

CREATE FUNCTION switchboard.vault_envelope_key_version(p_envelope bytea)
  RETURNS int
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  AS 'MODULE_PATHNAME', 'sb_vault_envelope_key_version';
COMMENT ON FUNCTION switchboard.vault_envelope_key_version(bytea) IS
  'root key version named by a vault envelope header; NULL when the envelope is malformed';

CREATE FUNCTION switchboard.vault_keyring(OUT version int, OUT fingerprint bytea, OUT newest boolean)
  RETURNS SETOF record
  LANGUAGE c VOLATILE
  SET search_path = pg_catalog
  AS 'MODULE_PATHNAME', 'sb_vault_keyring';
COMMENT ON FUNCTION switchboard.vault_keyring() IS
  'versions and public fingerprints of the root keyring named by switchboard.keyring_file (never the keys)';
REVOKE ALL ON FUNCTION switchboard.vault_keyring() FROM PUBLIC;

CREATE FUNCTION switchboard.vault_check_keyring()
  RETURNS void
  LANGUAGE c VOLATILE
  SET search_path = pg_catalog
  AS 'MODULE_PATHNAME', 'sb_vault_check_keyring';
COMMENT ON FUNCTION switchboard.vault_check_keyring() IS
  'loads the root keyring and compares its fingerprints with switchboard.vault_keys; raises "keyring does not match" otherwise';
REVOKE ALL ON FUNCTION switchboard.vault_check_keyring() FROM PUBLIC;
-- == end vault ==

-- == redaction ==
CREATE FUNCTION switchboard.redact(p_text text)
  RETURNS text
  LANGUAGE c STABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog
  AS 'MODULE_PATHNAME', 'sb_redact';
COMMENT ON FUNCTION switchboard.redact(text) IS
  'PHI redaction with the default policy: each finding (written or spoken) becomes a tag such as [SSN]; fails closed per switchboard.redaction_failure';

CREATE FUNCTION switchboard.phi_spans(p_text text)
  RETURNS TABLE (entity text, start_pos int, length int, score real)
  LANGUAGE c STABLE STRICT PARALLEL SAFE ROWS 4
  SET search_path = pg_catalog
  AS 'MODULE_PATHNAME', 'sb_phi_spans';
COMMENT ON FUNCTION switchboard.phi_spans(text) IS
  'PHI findings with the default policy: entity, 1-based character position, length in characters, score; never the matched value';

CREATE FUNCTION switchboard._redact_policy(p_text text, p_policy text, p_key bytea,
                                           OUT redacted text, OUT report jsonb)
  RETURNS record
  LANGUAGE c STABLE PARALLEL SAFE
  SET search_path = pg_catalog
  AS 'MODULE_PATHNAME', 'sb_redact_policy';
COMMENT ON FUNCTION switchboard._redact_policy(text, text, bytea) IS
  'redaction internal: redacts under a policy spec (ENTITY=action:threshold;...) and an HMAC key; returns the text and a report (counts per entity, engine version)';
REVOKE ALL ON FUNCTION switchboard._redact_policy(text, text, bytea) FROM PUBLIC;

CREATE FUNCTION switchboard._phi_spans_policy(p_text text, p_policy text)
  RETURNS TABLE (entity text, start_pos int, length int, score real)
  LANGUAGE c STABLE PARALLEL SAFE ROWS 4
  SET search_path = pg_catalog
  AS 'MODULE_PATHNAME', 'sb_phi_spans_policy';
COMMENT ON FUNCTION switchboard._phi_spans_policy(text, text) IS
  'redaction internal: phi_spans under a policy spec';
REVOKE ALL ON FUNCTION switchboard._phi_spans_policy(text, text) FROM PUBLIC;

CREATE FUNCTION switchboard.redaction_engine_version()
  RETURNS text
  LANGUAGE c IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog
  AS 'MODULE_PATHNAME', 'sb_redaction_engine_version';
COMMENT ON FUNCTION switchboard.redaction_engine_version() IS
  'version of the redaction engine and its pattern set, as written into redaction reports';
-- == end redaction ==

-- == audit ==
CREATE FUNCTION switchboard.audit_trigger() RETURNS trigger
  LANGUAGE c
  SET search_path = pg_catalog
  AS 'MODULE_PATHNAME', 'sb_audit_trigger';
COMMENT ON FUNCTION switchboard.audit_trigger() IS
  'statement-level audit trigger (transition tables); its arguments name excluded columns; attach it with switchboard.enable_audit()';
REVOKE ALL ON FUNCTION switchboard.audit_trigger() FROM PUBLIC;

CREATE FUNCTION switchboard.audit_flush() RETURNS bigint
  LANGUAGE c VOLATILE
  SET search_path = pg_catalog
  AS 'MODULE_PATHNAME', 'sb_audit_flush';
COMMENT ON FUNCTION switchboard.audit_flush() IS
  'chains and writes this transaction''s pending audit entries now instead of at commit; returns how many';
REVOKE ALL ON FUNCTION switchboard.audit_flush() FROM PUBLIC;

CREATE FUNCTION switchboard._audit_verify_chain(p_org_id uuid, p_start_seq bigint, p_start_hash bytea,
                                                p_head_seq bigint, p_head_hash bytea)
  RETURNS TABLE (valid boolean, checked bigint, first_invalid_id bigint)
  LANGUAGE c STABLE
  SET search_path = pg_catalog
  AS 'MODULE_PATHNAME', 'sb_audit_verify_chain';
COMMENT ON FUNCTION switchboard._audit_verify_chain(uuid, bigint, bytea, bigint, bytea) IS
  'recomputes one org''s audit hash chain after p_start_seq and compares its end with the head; internal to verify_audit_chain';
REVOKE ALL ON FUNCTION switchboard._audit_verify_chain(uuid, bigint, bytea, bigint, bytea) FROM PUBLIC;
-- == end audit ==
