-- Verify switchboard:audit_ddl_guard on pg
SELECT 1/count(*) FROM pg_event_trigger WHERE evtname = 'switchboard_audit_guard_drop' AND evtenabled = 'O';
SELECT 1/count(*) FROM pg_event_trigger WHERE evtname = 'switchboard_audit_guard_alter' AND evtenabled = 'O';
