-- Verify switchboard:extension_0_3_0 on pg
SELECT 1/count(*) FROM pg_extension WHERE extname = 'switchboard' AND extversion = '0.3.0';
SELECT 1/count(*) FROM pg_proc WHERE oid = 'switchboard.audit_trigger()'::regprocedure AND proconfig IS NULL;
SELECT 1/count(*) FROM pg_proc WHERE oid = 'switchboard.redact(text)'::regprocedure AND proconfig IS NULL;
SELECT 1/count(*) FROM pg_sequences WHERE schemaname = 'switchboard' AND sequencename = 'audit_log_id_seq' AND cache_size = 32;
