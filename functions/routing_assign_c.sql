-- assign_conversation in C (extension/src/pg/routing_assign_sql.cpp): the
-- same contract, lock order and errors as the PL/pgSQL version it replaces
-- (functions/routing.sql, deployed by the `routing` change), with a shorter
-- critical section. CREATE OR REPLACE keeps the signature, the grants and
-- every caller (auto_assign_conversation) pointing at it. No SET clause: the
-- C code qualifies every name it runs, operators included.
CREATE OR REPLACE FUNCTION public.assign_conversation(p_conversation_id uuid) RETURNS uuid
  LANGUAGE c SECURITY DEFINER
  AS '$libdir/switchboard', 'sb_assign_conversation';
COMMENT ON FUNCTION public.assign_conversation(uuid) IS
  'gives an open unassigned conversation to the next eligible agent of its queue (or org) in strict rotation; returns the agent, NULL when nobody is eligible';
REVOKE ALL ON FUNCTION public.assign_conversation(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.assign_conversation(uuid) TO authenticated, service_role;
