-- Verify switchboard:redaction on pg
SELECT org_id, entity, enabled, action, threshold FROM public.redaction_policies WHERE false;
SELECT org_id, hmac_key FROM switchboard.redaction_keys WHERE false;
SELECT id, org_id, contact_id, direction, started_at, ended_at, transcript, redaction_report FROM public.call_logs WHERE false;
SELECT 1/count(*) FROM pg_trigger WHERE tgrelid = 'public.call_logs'::regclass AND tgname = 'call_logs_redact';
SELECT 1/(switchboard.redact('ssn 123-45-6789') = 'ssn [SSN]')::int;
SELECT 'switchboard.redact(text, uuid)'::regprocedure, 'switchboard.phi_spans(text, uuid)'::regprocedure,
       'switchboard.set_redaction_policy(uuid, text, boolean, text, real)'::regprocedure;
