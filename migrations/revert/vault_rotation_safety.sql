-- Revert switchboard:vault_rotation_safety from pg: the four functions it replaced,
-- as the released vault change defined them (functions/vault.sql at 89a278e)
BEGIN;
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
COMMIT;
