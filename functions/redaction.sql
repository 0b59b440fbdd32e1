-- PHI redaction API over the C engine (switchboard.redact(text),
-- switchboard.phi_spans(text) and the internal _redact_policy/_phi_spans_policy
-- live in the extension): per-org policy, per-org HMAC keys, and the trigger
-- that keeps call_logs.transcript redacted.

CREATE OR REPLACE FUNCTION switchboard.redaction_entities() RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog
AS $$
  SELECT ARRAY['SSN', 'CREDIT_CARD', 'PHONE', 'EMAIL', 'DATE', 'MRN', 'NPI',
               'ADDRESS', 'ZIP', 'IP_ADDRESS', 'URL', 'ACCOUNT_NUMBER', 'ICD10']
$$;
COMMENT ON FUNCTION switchboard.redaction_entities() IS 'the entities the redaction engine knows, as used in policies and tags';

-- The policy spec the engine parses: "ENTITY=action:threshold;..." for the
-- org's rows; entities without a row keep the defaults.
CREATE OR REPLACE FUNCTION switchboard.redaction_policy_spec(p_org_id uuid) RETURNS text
  LANGUAGE sql STABLE
  SET search_path = pg_catalog
AS $$
  SELECT coalesce(string_agg(p.entity || '=' || CASE WHEN p.enabled THEN p.action ELSE 'off' END
                             || ':' || p.threshold::text, ';' ORDER BY p.entity), '')
  FROM public.redaction_policies p
  WHERE p.org_id = p_org_id
$$;
COMMENT ON FUNCTION switchboard.redaction_policy_spec(uuid) IS
  'redaction internal: the org''s policy rows as the engine''s spec string (ENTITY=action:threshold;...)';
REVOKE ALL ON FUNCTION switchboard.redaction_policy_spec(uuid) FROM PUBLIC;

-- The org's HMAC key, created on first use. No grants: only the SECURITY
-- DEFINER functions below call it.
CREATE OR REPLACE FUNCTION switchboard.redaction_key(p_org_id uuid) RETURNS bytea
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog
AS $$
DECLARE
  v_key bytea;
BEGIN
  SELECT k.hmac_key INTO v_key FROM switchboard.redaction_keys k WHERE k.org_id = p_org_id;
  IF v_key IS NULL THEN
    INSERT INTO switchboard.redaction_keys (org_id) VALUES (p_org_id) ON CONFLICT (org_id) DO NOTHING;
    SELECT k.hmac_key INTO v_key FROM switchboard.redaction_keys k WHERE k.org_id = p_org_id;
  END IF;
  RETURN v_key;
END
$$;
COMMENT ON FUNCTION switchboard.redaction_key(uuid) IS
  'redaction internal: the org''s HMAC key (created on first use); not executable by any API role';
REVOKE ALL ON FUNCTION switchboard.redaction_key(uuid) FROM PUBLIC;

-- Redacts under the org's policy; the key is read only when the policy uses hmac.
CREATE OR REPLACE FUNCTION switchboard.redact_for_org(p_text text, p_org_id uuid,
                                                      OUT redacted text, OUT report jsonb)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog
AS $$
DECLARE
  v_spec text := switchboard.redaction_policy_spec(p_org_id);
BEGIN
  SELECT r.redacted, r.report INTO redacted, report
  FROM switchboard._redact_policy(p_text, v_spec,
         CASE WHEN strpos(v_spec, '=hmac') > 0 THEN switchboard.redaction_key(p_org_id) END) r;
END
$$;
COMMENT ON FUNCTION switchboard.redact_for_org(text, uuid) IS
  'redaction internal: text and report under the org''s policy and key; no access check (callers check)';
REVOKE ALL ON FUNCTION switchboard.redact_for_org(text, uuid) FROM PUBLIC;

-- switchboard.redact(p_text, p_org_id): the org's policy (actions, thresholds,
-- disabled entities, HMAC key). NULL text returns NULL.
CREATE OR REPLACE FUNCTION switchboard.redact(p_text text, p_org_id uuid) RETURNS text
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid := switchboard.assert_org_access(p_org_id);
BEGIN
  IF p_text IS NULL THEN
    RETURN NULL;
  END IF;
  RETURN (SELECT r.redacted FROM switchboard.redact_for_org(p_text, v_org) r);
END
$$;
COMMENT ON FUNCTION switchboard.redact(text, uuid) IS
  'PHI redaction under the org''s policy (redaction_policies); members of the org and service_role';
REVOKE ALL ON FUNCTION switchboard.redact(text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.redact(text, uuid) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION switchboard.phi_spans(p_text text, p_org_id uuid)
  RETURNS TABLE (entity text, start_pos int, length int, score real)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid := switchboard.assert_org_access(p_org_id);
BEGIN
  IF p_text IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT s.entity, s.start_pos, s.length, s.score
               FROM switchboard._phi_spans_policy(p_text, switchboard.redaction_policy_spec(v_org)) s;
END
$$;
COMMENT ON FUNCTION switchboard.phi_spans(text, uuid) IS
  'PHI findings under the org''s policy (entities on/off, thresholds); never the matched value';
REVOKE ALL ON FUNCTION switchboard.phi_spans(text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.phi_spans(text, uuid) TO authenticated, service_role;

-- Owners and admins set an entity's policy; unknown names are 22023.
CREATE OR REPLACE FUNCTION switchboard.set_redaction_policy(
  p_org_id uuid, p_entity text, p_enabled boolean DEFAULT true,
  p_action text DEFAULT 'tag', p_threshold real DEFAULT 0.5)
  RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin']);
BEGIN
  IF p_entity IS NULL OR NOT (p_entity = ANY (switchboard.redaction_entities())) THEN
    RAISE EXCEPTION 'unknown redaction entity' USING ERRCODE = '22023',
      HINT = 'entities: ' || array_to_string(switchboard.redaction_entities(), ', ');
  END IF;
  IF p_action IS NULL OR p_action NOT IN ('tag', 'mask_last4', 'hmac') THEN
    RAISE EXCEPTION 'unknown redaction action' USING ERRCODE = '22023',
      HINT = 'actions: tag, mask_last4, hmac';
  END IF;
  IF p_enabled IS NULL OR p_threshold IS NULL OR p_threshold < 0 OR p_threshold > 1 OR p_threshold = 'NaN' THEN
    RAISE EXCEPTION 'redaction threshold must be between 0 and 1 and enabled must not be null'
      USING ERRCODE = '22023';
  END IF;
  INSERT INTO public.redaction_policies AS p (org_id, entity, enabled, action, threshold)
  VALUES (v_org, p_entity, p_enabled, p_action, p_threshold)
  ON CONFLICT (org_id, entity) DO UPDATE
    SET enabled = excluded.enabled, action = excluded.action,
        threshold = excluded.threshold, updated_at = now();
END
$$;
COMMENT ON FUNCTION switchboard.set_redaction_policy(uuid, text, boolean, text, real) IS
  'sets one entity''s redaction policy for the org (owner/admin or service_role); 22023 on unknown entity or action';
REVOKE ALL ON FUNCTION switchboard.set_redaction_policy(uuid, text, boolean, text, real) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.set_redaction_policy(uuid, text, boolean, text, real) TO authenticated, service_role;

-- BEFORE INSERT OR UPDATE on call_logs: the transcript is redacted before the
-- row exists, and redaction_report is always the engine's (never the caller's).
CREATE OR REPLACE FUNCTION switchboard.call_logs_redact() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog
AS $$
DECLARE
  r record;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.transcript IS NOT DISTINCT FROM OLD.transcript THEN
    NEW.redaction_report := OLD.redaction_report;
    RETURN NEW;
  END IF;
  SELECT * INTO r FROM switchboard.redact_for_org(NEW.transcript, NEW.org_id);
  NEW.transcript := r.redacted;
  NEW.redaction_report := r.report || jsonb_build_object('redacted_at', now());
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION switchboard.call_logs_redact() IS
  'trigger: redacts call_logs.transcript under the org''s policy and writes redaction_report; raw text is never stored';
REVOKE ALL ON FUNCTION switchboard.call_logs_redact() FROM PUBLIC;

CREATE TRIGGER call_logs_redact BEFORE INSERT OR UPDATE ON public.call_logs
  FOR EACH ROW EXECUTE FUNCTION switchboard.call_logs_redact();
COMMENT ON TRIGGER call_logs_redact ON public.call_logs IS
  'redacts the transcript before the row is stored (switchboard.call_logs_redact)';
