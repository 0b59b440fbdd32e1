-- Revert switchboard:redaction from pg
BEGIN;
DROP TABLE public.call_logs;
DROP FUNCTION switchboard.call_logs_redact();
DROP FUNCTION switchboard.set_redaction_policy(uuid, text, boolean, text, real);
DROP FUNCTION switchboard.phi_spans(text, uuid);
DROP FUNCTION switchboard.redact(text, uuid);
DROP FUNCTION switchboard.redact_for_org(text, uuid);
DROP FUNCTION switchboard.redaction_key(uuid);
DROP FUNCTION switchboard.redaction_policy_spec(uuid);
DROP FUNCTION switchboard.redaction_entities();
DROP TABLE switchboard.redaction_keys;
DROP TABLE public.redaction_policies;
COMMIT;
