-- Audit trail: who changed this appointment, and proof the log was not edited
\pset null '·'
-- An admin of Northside Clinic moves an appointment by 15 minutes (booking API), with a reason.
BEGIN;
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub":"a0000000-0000-0000-0000-000000000002","role":"authenticated","app_metadata":{"org_id":"11111111-1111-1111-1111-111111111111"}}', true) IS NOT NULL AS signed_in;
SET LOCAL switchboard.audit_reason = 'patient asked for a later slot';
SELECT reschedule_appointment('a0000000-0000-0000-0000-0000000ba002',
         CASE WHEN (SELECT starts_at FROM appointments WHERE id = 'a0000000-0000-0000-0000-0000000ba002') = '2027-06-07 11:00-04'
              THEN timestamptz '2027-06-07 11:15-04' ELSE '2027-06-07 11:00-04' END) ->> 'success' AS moved;
COMMIT;

-- Its history (owners/admins read it through RLS): the insert by the seed, then each move.
-- Only the changed columns are stored, with the actor, the reason and the chain position.
SELECT seq, op, actor_role, actor_user_id, reason,
       old_values->>'starts_at' AS old_starts_at, new_values->>'starts_at' AS new_starts_at,
       CASE op WHEN 'UPDATE' THEN (SELECT string_agg(k, ',') FROM jsonb_object_keys(new_values) k) ELSE '(whole row)' END AS columns
FROM switchboard.audit_record_history('appointments', '{"id": "a0000000-0000-0000-0000-0000000ba002"}',
                                      '11111111-1111-1111-1111-111111111111')
ORDER BY seq DESC LIMIT 3;

-- The org's chain verifies; export a checkpoint to keep outside the database.
SELECT * FROM switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111');
SELECT org_id, seq, left(hash, 16) || '…' AS hash FROM switchboard.export_audit_checkpoint('11111111-1111-1111-1111-111111111111');

-- UPDATE/DELETE/TRUNCATE of audit_log are refused for everyone, the superuser included.
DELETE FROM audit_log WHERE table_name = 'appointments';

-- A superuser bypasses the guard (triggers off) and rewrites the last move.
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE audit_log SET new_values = jsonb_set(new_values, '{starts_at}', '"2027-06-07T09:00:00+00:00"')
 WHERE id = (SELECT max(id) FROM audit_log WHERE table_name = 'appointments'
              AND record_pk @> '{"id": "a0000000-0000-0000-0000-0000000ba002"}')
RETURNING id AS tampered_id, seq;
-- Verification points at exactly that entry.
SELECT * FROM switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111');
ROLLBACK;
-- (rolled back: the demo leaves the chain intact)
SELECT valid FROM switchboard.verify_audit_chain('11111111-1111-1111-1111-111111111111');
