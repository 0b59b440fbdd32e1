-- Verify switchboard:routing_assign_c on pg
SELECT 1/count(*) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.oid = 'public.assign_conversation(uuid)'::regprocedure AND l.lanname = 'c' AND p.prosecdef;
