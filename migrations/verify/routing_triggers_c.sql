-- Verify switchboard:routing_triggers_c on pg
SELECT 1/(count(*) = 2)::int FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.oid IN ('switchboard.routing_conversation_before()'::regprocedure,
                'switchboard.routing_conversation_after()'::regprocedure)
  AND l.lanname = 'c' AND p.prosecdef;
