-- Revert switchboard:vault_rotation_safety from pg: the vault API of 0.2.0 (functions/vault.sql at 89a278e)
BEGIN;
-- The credential vault's SQL API (API.md, Credentials). The C entry points
-- (switchboard.vault_*) seal and open envelopes; these functions decide who
-- may call them. Functions that receive a secret set log_min_error_statement
-- to panic, so an error raised inside them never copies the calling statement
-- (which may carry the secret as a literal) into the server log.

-- The provider names the vault accepts (also enforced by a CHECK).
CREATE OR REPLACE FUNCTION switchboard.vault_providers() RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog
AS $$ SELECT ARRAY['vapi', 'twilio', 'google_calendar', 'openai', 'smtp', 'custom']::text[] $$;
COMMENT ON FUNCTION switchboard.vault_providers() IS 'providers a credential may belong to';

-- Checks provider and label; returns the label to use (NULL means default).
CREATE OR REPLACE FUNCTION switchboard.vault_check_names(p_provider text, p_label text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE
  SET search_path = pg_catalog
AS $$
DECLARE
  v_label text := coalesce(p_label, 'default');
BEGIN
  IF p_provider IS NULL THEN
    RAISE EXCEPTION 'provider must not be null' USING ERRCODE = '22004';
  END IF;
  IF NOT (p_provider = ANY (switchboard.vault_providers())) THEN
    RAISE EXCEPTION 'unknown provider' USING ERRCODE = '22023',
      DETAIL = format('providers: %s', array_to_string(switchboard.vault_providers(), ', '));
  END IF;
  IF v_label <> btrim(v_label) OR octet_length(v_label) NOT BETWEEN 1 AND 128 OR v_label ~ '[[:cntrl:]]' THEN
    RAISE EXCEPTION 'label must be 1 to 128 bytes without surrounding spaces or control characters'
      USING ERRCODE = '22023';
  END IF;
  RETURN v_label;
END
$$;
COMMENT ON FUNCTION switchboard.vault_check_names(text, text) IS
  'vault internal: validates provider and label (22004/22023) and returns the label to use';

-- The one writer of org_credentials. Callers authorise first.
CREATE OR REPLACE FUNCTION switchboard.vault_store(p_org uuid, p_provider text, p_label text, p_secret text,
                                                   p_metadata jsonb, p_actor uuid)
  RETURNS uuid
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, public, pg_temp
  SET log_min_error_statement = panic
AS $$
DECLARE
  v_id uuid;
  v_env bytea;
  v_version int;
  v_hint text;
BEGIN
  IF p_secret IS NULL THEN
    RAISE EXCEPTION 'secret must not be null' USING ERRCODE = '22004';
  END IF;
  IF p_secret = '' THEN
    RAISE EXCEPTION 'secret must not be empty' USING ERRCODE = '22023';
  END IF;
  IF octet_length(p_secret) > 16384 THEN
    RAISE EXCEPTION 'secret is longer than 16384 bytes' USING ERRCODE = '22001';
  END IF;
  IF p_metadata IS NULL OR jsonb_typeof(p_metadata) <> 'object' THEN
    RAISE EXCEPTION 'metadata must be a json object' USING ERRCODE = '22023';
  END IF;
  IF octet_length(p_metadata::text) > 8192 THEN
    RAISE EXCEPTION 'metadata is larger than 8 KiB' USING ERRCODE = '22001';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM public.organizations o WHERE o.id = p_org) THEN
    RAISE EXCEPTION 'org not found' USING ERRCODE = 'P0002';
  END IF;
  v_hint := CASE WHEN length(p_secret) >= 12 THEN right(p_secret, 4) END;
  LOOP
    SELECT c.id INTO v_id FROM public.org_credentials c
    WHERE c.org_id = p_org AND c.provider = p_provider AND c.label = p_label
    FOR UPDATE;
    IF FOUND THEN
      v_env := switchboard.vault_seal(p_org, p_provider, p_label, v_id, p_secret);
      v_version := switchboard.vault_envelope_key_version(v_env);
      UPDATE public.org_credentials
      SET secret = v_env, key_version = v_version, secret_hint = v_hint, metadata = p_metadata,
          updated_at = now(), rotated_at = NULL
      WHERE org_id = p_org AND id = v_id;
      EXIT;
    END IF;
    v_id := extensions.gen_random_uuid();
    v_env := switchboard.vault_seal(p_org, p_provider, p_label, v_id, p_secret);
    v_version := switchboard.vault_envelope_key_version(v_env);
    INSERT INTO public.org_credentials (id, org_id, provider, label, secret, secret_hint, key_version, metadata, created_by)
    VALUES (v_id, p_org, p_provider, p_label, v_env, v_hint, v_version, p_metadata, p_actor)
    ON CONFLICT (org_id, provider, label) DO NOTHING;
    EXIT WHEN FOUND;
    -- a concurrent insert of the same (org, provider, label) won: update it
  END LOOP;
  -- first use of a root key version: record its public fingerprint
  IF NOT EXISTS (SELECT 1 FROM switchboard.vault_keys k WHERE k.version = v_version) THEN
    INSERT INTO switchboard.vault_keys (version, fingerprint)
    SELECT k.version, k.fingerprint FROM switchboard.vault_keyring() k WHERE k.version = v_version
    ON CONFLICT (version) DO NOTHING;
  END IF;
  RETURN v_id;
END
$$;
COMMENT ON FUNCTION switchboard.vault_store(uuid, text, text, text, jsonb, uuid) IS
  'vault internal: validates and seals a secret and inserts or replaces its row; callers authorise first';
REVOKE ALL ON FUNCTION switchboard.vault_store(uuid, text, text, text, jsonb, uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.set_credential(p_org_id uuid, p_provider text, p_secret text,
                                                 p_label text DEFAULT 'default', p_metadata jsonb DEFAULT '{}')
  RETURNS uuid
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
  SET log_min_error_statement = panic
AS $$
DECLARE
  v_org uuid := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin']);
  v_label text := switchboard.vault_check_names(p_provider, p_label);
BEGIN
  RETURN switchboard.vault_store(v_org, p_provider, v_label, p_secret, coalesce(p_metadata, '{}'::jsonb),
                                 switchboard.current_user_id());
END
$$;
COMMENT ON FUNCTION public.set_credential(uuid, text, text, text, jsonb) IS
  'stores (inserts or replaces) an org''s provider secret, encrypted; owner/admin of the org or service_role; returns the row id';
REVOKE ALL ON FUNCTION public.set_credential(uuid, text, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.set_credential(uuid, text, text, text, jsonb) TO authenticated, service_role;

-- The backend's hot path, in C (extension/src/pg/vault_sql.cpp,
-- sb_vault_reveal_credential): the same rules as the PL/pgSQL it replaced.
-- The caller is the request's role (SET ROLE survives SECURITY DEFINER), as
-- caller_role(): service_role or a superuser, else 42501; p_org_id is required
-- (22023); one kept, fully qualified plan reads the row; a missing row is
-- 22004/22023 for a bad provider or label (switchboard.vault_check_names),
-- else P0002; the plaintext scratch buffer is wiped. No SET clause: a C
-- function resolves no names by search_path (it would cost a GUC switch per call).
CREATE OR REPLACE FUNCTION public.reveal_credential(p_org_id uuid, p_provider text, p_label text DEFAULT 'default')
  RETURNS text
  LANGUAGE c STABLE SECURITY DEFINER
  AS '$libdir/switchboard', 'sb_vault_reveal_credential';
COMMENT ON FUNCTION public.reveal_credential(uuid, text, text) IS
  'the plaintext of an org''s provider secret; service_role and superusers only (42501 for everyone else)';
REVOKE ALL ON FUNCTION public.reveal_credential(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.reveal_credential(uuid, text, text) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.delete_credential(p_org_id uuid, p_provider text, p_label text DEFAULT 'default')
  RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin']);
  v_label text := switchboard.vault_check_names(p_provider, p_label);
BEGIN
  DELETE FROM public.org_credentials c
  WHERE c.org_id = v_org AND c.provider = p_provider AND c.label = v_label;
  RETURN FOUND;
END
$$;
COMMENT ON FUNCTION public.delete_credential(uuid, text, text) IS
  'deletes an org''s provider secret; owner/admin of the org or service_role; false when there was none';
REVOKE ALL ON FUNCTION public.delete_credential(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.delete_credential(uuid, text, text) TO authenticated, service_role;

-- The masked listing for front-ends: never the envelope.
CREATE OR REPLACE VIEW public.org_credentials_masked WITH (security_invoker = true, security_barrier = true) AS
  SELECT c.id, c.org_id, c.provider, c.label, c.secret_hint, c.key_version, c.metadata,
         c.created_by, c.created_at, c.updated_at, c.rotated_at
  FROM public.org_credentials c;
COMMENT ON VIEW public.org_credentials_masked IS
  'org_credentials without the envelope, for front-ends (PostgREST: /org_credentials_masked); RLS of the table applies';
REVOKE ALL ON public.org_credentials_masked FROM PUBLIC;
GRANT SELECT ON public.org_credentials_masked TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.list_credentials(p_org_id uuid DEFAULT NULL)
  RETURNS TABLE (id uuid, provider text, label text, secret_hint text, key_version int, metadata jsonb,
                 created_at timestamptz, updated_at timestamptz)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin']);
BEGIN
  RETURN QUERY
  SELECT c.id, c.provider, c.label, c.secret_hint, c.key_version, c.metadata, c.created_at, c.updated_at
  FROM public.org_credentials c
  WHERE c.org_id = v_org
  ORDER BY c.provider, c.label;
END
$$;
COMMENT ON FUNCTION public.list_credentials(uuid) IS
  'masked listing of an org''s credentials (provider, label, last four characters, metadata, timestamps); owner/admin or service_role';
REVOKE ALL ON FUNCTION public.list_credentials(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.list_credentials(uuid) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION switchboard.vault_require_service() RETURNS void
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog
AS $$
BEGIN
  IF NOT coalesce(switchboard.is_service(), false) THEN
    RAISE EXCEPTION 'only the backend (service_role) may manage vault keys' USING ERRCODE = '42501';
  END IF;
END
$$;
COMMENT ON FUNCTION switchboard.vault_require_service() IS 'vault internal: raises 42501 unless the caller is service_role or a superuser';

-- Online rotation: re-seal up to p_batch rows under the newest key version.
-- Rows keep decrypting under their old version until their turn, so readers
-- never wait for or miss a credential; SKIP LOCKED lets several rotators run.
CREATE OR REPLACE FUNCTION switchboard.rotate_credentials(p_batch int DEFAULT 1000)
  RETURNS int
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_newest int;
  v_n int;
BEGIN
  PERFORM switchboard.vault_require_service();
  IF p_batch IS NULL OR p_batch < 1 OR p_batch > 100000 THEN
    RAISE EXCEPTION 'p_batch must be between 1 and 100000' USING ERRCODE = '22023';
  END IF;
  PERFORM switchboard.vault_check_keyring();
  SELECT k.version INTO v_newest FROM switchboard.vault_keyring() k WHERE k.newest;
  IF EXISTS (SELECT 1 FROM switchboard.vault_keys k WHERE k.version = v_newest AND k.retired_at IS NOT NULL) THEN
    RAISE EXCEPTION 'the newest key version % is retired', v_newest USING ERRCODE = '55000',
      HINT = 'add a new key version to the keyring file';
  END IF;
  INSERT INTO switchboard.vault_keys (version, fingerprint)
  SELECT k.version, k.fingerprint FROM switchboard.vault_keyring() k WHERE k.version = v_newest
  ON CONFLICT (version) DO NOTHING;
  WITH todo AS (
    SELECT c.org_id, c.id FROM public.org_credentials c
    WHERE c.key_version < v_newest
    ORDER BY c.key_version, c.org_id, c.id
    LIMIT p_batch
    FOR UPDATE SKIP LOCKED
  )
  UPDATE public.org_credentials c
  SET secret = switchboard.vault_reseal(c.org_id, c.provider, c.label, c.id, c.secret),
      key_version = v_newest, rotated_at = now()
  FROM todo WHERE c.org_id = todo.org_id AND c.id = todo.id;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;
COMMENT ON FUNCTION switchboard.rotate_credentials(int) IS
  're-encrypts up to p_batch credentials that are not under the newest root key version; returns how many (0: done)';
REVOKE ALL ON FUNCTION switchboard.rotate_credentials(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.rotate_credentials(int) TO service_role;

-- Rotation progress: credentials per key version.
CREATE OR REPLACE VIEW switchboard.vault_rotation_progress WITH (security_invoker = true) AS
  SELECT coalesce(k.version, u.key_version) AS key_version,
         coalesce(u.credentials, 0) AS credentials,
         k.fingerprint, k.registered_at, k.retired_at
  FROM switchboard.vault_keys k
  FULL JOIN (SELECT c.key_version, count(*) AS credentials
             FROM public.org_credentials c GROUP BY c.key_version) u ON u.key_version = k.version;
COMMENT ON VIEW switchboard.vault_rotation_progress IS
  'credentials per root key version (rotation progress); retired versions have none';
REVOKE ALL ON switchboard.vault_rotation_progress FROM PUBLIC;
GRANT SELECT ON switchboard.vault_rotation_progress TO service_role;

-- The keyring as this server sees it, against what the database expects.
CREATE OR REPLACE FUNCTION switchboard.vault_status()
  RETURNS TABLE (key_version int, fingerprint text, in_keyring boolean, newest boolean,
                 matches boolean, credentials bigint, retired_at timestamptz)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  PERFORM switchboard.vault_require_service();
  RETURN QUERY
  SELECT coalesce(r.version, k.version),
         encode(coalesce(r.fingerprint, k.fingerprint), 'hex'),
         r.version IS NOT NULL,
         coalesce(r.newest, false),
         CASE WHEN r.version IS NULL OR k.version IS NULL THEN NULL ELSE r.fingerprint = k.fingerprint END,
         (SELECT count(*) FROM public.org_credentials c WHERE c.key_version = coalesce(r.version, k.version)),
         k.retired_at
  FROM switchboard.vault_keyring() r
  FULL JOIN switchboard.vault_keys k ON k.version = r.version
  ORDER BY 1;
END
$$;
COMMENT ON FUNCTION switchboard.vault_status() IS
  'per key version: fingerprint, whether the keyring file holds it, whether it matches the database, credentials under it';
REVOKE ALL ON FUNCTION switchboard.vault_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.vault_status() TO service_role;

-- Retire a key version once no credential uses it; then it may leave the file.
CREATE OR REPLACE FUNCTION switchboard.vault_retire_key(p_version int)
  RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_used bigint;
BEGIN
  PERFORM switchboard.vault_require_service();
  IF p_version IS NULL THEN
    RAISE EXCEPTION 'p_version must not be null' USING ERRCODE = '22004';
  END IF;
  PERFORM 1 FROM switchboard.vault_keys k WHERE k.version = p_version FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'key version % is not registered', p_version USING ERRCODE = 'P0002';
  END IF;
  -- no new row may take this version while we count
  LOCK TABLE public.org_credentials IN SHARE MODE;
  SELECT count(*) INTO v_used FROM public.org_credentials c WHERE c.key_version = p_version;
  IF v_used > 0 THEN
    RAISE EXCEPTION 'key version % is still used by % credentials', p_version, v_used
      USING ERRCODE = '55000', HINT = 'run switchboard.rotate_credentials() until it returns 0';
  END IF;
  IF EXISTS (SELECT 1 FROM switchboard.vault_keyring() r WHERE r.version = p_version AND r.newest) THEN
    RAISE EXCEPTION 'key version % is the newest in the keyring and still encrypts', p_version
      USING ERRCODE = '55000', HINT = 'add a newer key version to the keyring file first';
  END IF;
  UPDATE switchboard.vault_keys SET retired_at = coalesce(retired_at, now()) WHERE version = p_version;
  RETURN true;
END
$$;
COMMENT ON FUNCTION switchboard.vault_retire_key(int) IS
  'marks a root key version retired when no credential uses it (55000 otherwise); it can then be removed from the keyring file';
REVOKE ALL ON FUNCTION switchboard.vault_retire_key(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.vault_retire_key(int) TO service_role;

-- Legacy layout: move plaintext secrets from a table/column of the original
-- backend into the vault, one batch per call, verifying each by decrypting it
-- again. Call until remaining = 0. The caller needs SELECT on the columns (and
-- UPDATE on the secret column to clear it); the vault never reads more than
-- the caller could.
CREATE OR REPLACE FUNCTION switchboard.vault_migrate_legacy(
  p_table regclass, p_secret_column name, p_provider text,
  p_org_column name DEFAULT 'org_id', p_label_column name DEFAULT NULL,
  p_batch int DEFAULT 1000, p_clear_source boolean DEFAULT false)
  RETURNS TABLE (migrated int, verified int, remaining bigint, already_in_vault bigint,
                 skipped_empty bigint, skipped_unknown_org bigint)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
  SET log_min_error_statement = panic
AS $$
DECLARE
  v_caller text := switchboard.caller_role();
  v_label_expr text;
  v_pending text;
  v_src tid;
  v_org uuid;
  v_label text;
  v_secret text;
  v_id uuid;
  v_migrated int := 0;
  v_verified int := 0;
BEGIN
  PERFORM switchboard.vault_require_service();
  IF p_table IS NULL OR p_secret_column IS NULL OR p_org_column IS NULL THEN
    RAISE EXCEPTION 'p_table, p_secret_column and p_org_column must not be null' USING ERRCODE = '22004';
  END IF;
  PERFORM switchboard.vault_check_names(p_provider, 'default');
  IF p_batch IS NULL OR p_batch < 1 OR p_batch > 100000 THEN
    RAISE EXCEPTION 'p_batch must be between 1 and 100000' USING ERRCODE = '22023';
  END IF;
  IF p_table = 'public.org_credentials'::regclass THEN
    RAISE EXCEPTION 'the source must be a legacy table, not org_credentials' USING ERRCODE = '22023';
  END IF;
  IF NOT has_column_privilege(v_caller, p_table, p_secret_column, 'SELECT')
     OR NOT has_column_privilege(v_caller, p_table, p_org_column, 'SELECT')
     OR (p_label_column IS NOT NULL AND NOT has_column_privilege(v_caller, p_table, p_label_column, 'SELECT'))
     OR (p_clear_source AND NOT has_column_privilege(v_caller, p_table, p_secret_column, 'UPDATE')) THEN
    RAISE EXCEPTION 'caller may not read (or clear) the legacy columns' USING ERRCODE = '42501';
  END IF;
  v_label_expr := CASE WHEN p_label_column IS NULL THEN '''default'''
                       ELSE format('coalesce(nullif(btrim(s.%I::text), ''''), ''default'')', p_label_column) END;
  -- rows still to move: a non-empty secret, a known org, no vault row yet
  v_pending := format(
    $q$FROM %1$s s
       WHERE s.%2$I IS NOT NULL AND btrim(s.%2$I::text) <> ''
         AND EXISTS (SELECT 1 FROM public.organizations o WHERE o.id = s.%3$I::uuid)
         AND NOT EXISTS (SELECT 1 FROM public.org_credentials c
                         WHERE c.org_id = s.%3$I::uuid AND c.provider = %4$L AND c.label = %5$s)$q$,
    p_table, p_secret_column, p_org_column, p_provider, v_label_expr);
  FOR v_src, v_org, v_label, v_secret IN EXECUTE format(
    'SELECT DISTINCT ON (2, 3) s.ctid AS src, s.%1$I::uuid AS org_id, %2$s AS label, s.%3$I::text AS secret %4$s
     ORDER BY 2, 3, 1 LIMIT %5$s',
    p_org_column, v_label_expr, p_secret_column, v_pending, p_batch)
  LOOP
    PERFORM switchboard.vault_check_names(p_provider, v_label);
    v_id := switchboard.vault_store(v_org, p_provider, v_label, v_secret, '{"migrated_from_legacy": true}'::jsonb, NULL);
    v_migrated := v_migrated + 1;
    IF (SELECT switchboard.vault_open(c.org_id, c.provider, c.label, c.id, c.secret)
        FROM public.org_credentials c WHERE c.org_id = v_org AND c.id = v_id) IS DISTINCT FROM v_secret THEN
      RAISE EXCEPTION 'legacy migration: a credential did not verify after sealing; the batch was rolled back'
        USING ERRCODE = 'XX001';
    END IF;
    v_verified := v_verified + 1;
    IF p_clear_source THEN
      EXECUTE format('UPDATE %s SET %I = NULL WHERE ctid = $1', p_table, p_secret_column) USING v_src;
    END IF;
  END LOOP;
  migrated := v_migrated;
  verified := v_verified;
  EXECUTE 'SELECT count(*) ' || v_pending INTO remaining;
  EXECUTE format(
    $q$SELECT count(*) FROM %1$s s
       WHERE s.%2$I IS NOT NULL AND btrim(s.%2$I::text) <> ''
         AND EXISTS (SELECT 1 FROM public.org_credentials c
                     WHERE c.org_id = s.%3$I::uuid AND c.provider = %4$L AND c.label = %5$s)$q$,
    p_table, p_secret_column, p_org_column, p_provider, v_label_expr) INTO already_in_vault;
  EXECUTE format('SELECT count(*) FROM %s s WHERE s.%I IS NULL OR btrim(s.%I::text) = ''''',
                 p_table, p_secret_column, p_secret_column) INTO skipped_empty;
  EXECUTE format(
    'SELECT count(*) FROM %1$s s WHERE s.%2$I IS NOT NULL AND btrim(s.%2$I::text) <> ''''
       AND NOT EXISTS (SELECT 1 FROM public.organizations o WHERE o.id = s.%3$I::uuid)',
    p_table, p_secret_column, p_org_column) INTO skipped_unknown_org;
  RETURN NEXT;
END
$$;
COMMENT ON FUNCTION switchboard.vault_migrate_legacy(regclass, name, text, name, name, int, boolean) IS
  'moves up to p_batch plaintext secrets from a legacy table/column into org_credentials, verifies each by decrypting, optionally clears the source; reports counts';
REVOKE ALL ON FUNCTION switchboard.vault_migrate_legacy(regclass, name, text, name, name, int, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.vault_migrate_legacy(regclass, name, text, name, name, int, boolean) TO service_role;

-- Operators (service_role) may read the keyring's versions and fingerprints.
GRANT EXECUTE ON FUNCTION switchboard.vault_keyring() TO service_role;
COMMIT;
