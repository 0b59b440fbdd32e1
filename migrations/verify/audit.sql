-- Verify switchboard:audit on pg
SELECT id, org_id, table_name, record_pk, op, actor_user_id, actor_role, old_values, new_values,
       txid, created_at, seq, prev_hash, hash
FROM public.audit_log WHERE false;
SELECT 1/count(*) FROM pg_class WHERE oid = 'public.audit_log'::regclass AND relrowsecurity AND relforcerowsecurity;
SELECT 1/count(*) FROM pg_event_trigger WHERE evtname = 'switchboard_audit_new_tables';
SELECT 1/count(*) FROM pg_trigger WHERE tgrelid = 'public.contacts'::regclass
  AND tgfoid = 'switchboard.audit_trigger()'::regprocedure;
SELECT valid, checked, first_invalid_id FROM switchboard.verify_audit_chain('00000000-0000-0000-0000-000000000000') WHERE false;
