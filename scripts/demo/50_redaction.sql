-- PHI redaction: a call with a spoken SSN, date of birth and card number is stored redacted
\set QUIET on
\pset footer off
-- the engine on its own: written and spoken forms, look-alikes left alone
SELECT switchboard.redact('my social is four one five, two two, one two three four') AS spoken_ssn;
SELECT switchboard.redact('order 4111 1111 1111 1112 (Luhn fails), room 412, 500 mg at 3:30 pm') AS decoys_survive;
-- where the findings are (1-based character positions; the value itself is never returned)
SELECT * FROM switchboard.phi_spans('José — born march third nineteen sixty one, card 4111-1111-1111-1111');
-- an agent of Northside Clinic stores a call; the BEFORE trigger redacts the transcript
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub":"a0000000-0000-0000-0000-000000000003","role":"authenticated","app_metadata":{"org_id":"11111111-1111-1111-1111-111111111111"}}', true) IS NOT NULL AS claims_set;
INSERT INTO call_logs (org_id, contact_id, direction, transcript) VALUES
  ('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000000c3', 'inbound',
   'Caller: my social is four one five, two two, one two three four. My date of birth is march third nineteen sixty one. '
   'You can charge my visa, four one one one, one one one one, one one one one, one one one one.')
RETURNING transcript AS stored_transcript;
SELECT redaction_report -> 'counts' AS counts, redaction_report ->> 'version' AS engine_version
FROM call_logs ORDER BY created_at DESC LIMIT 1;
ROLLBACK;
-- per-org policy: Harbor tokenises SSNs with its own HMAC key (stable, so analytics can count callers)
SELECT switchboard.redact('ssn 415-22-1234', '22222222-2222-2222-2222-222222222222') AS written,
       switchboard.redact('social four one five two two one two three four', '22222222-2222-2222-2222-222222222222') AS spoken;
