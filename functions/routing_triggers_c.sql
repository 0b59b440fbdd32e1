-- The two row triggers of public.conversations in C
-- (extension/src/pg/routing_triggers_sql.cpp): the same timestamps, SLA due
-- time, capacity backstop, errors and assignment history as the PL/pgSQL
-- versions they replace (functions/routing.sql, deployed by the `routing`
-- change), without an interpreter or a search_path switch on every
-- conversation write. CREATE OR REPLACE keeps the triggers pointing at them.
-- No SET clause: the C code qualifies every name it runs, operators included.
CREATE OR REPLACE FUNCTION switchboard.routing_conversation_before() RETURNS trigger
  LANGUAGE c SECURITY DEFINER
  AS '$libdir/switchboard', 'sb_routing_conversation_before';
COMMENT ON FUNCTION switchboard.routing_conversation_before() IS
  'conversations BEFORE trigger: timestamps, SLA due time, and the capacity/offline backstop under the agent row lock';
REVOKE ALL ON FUNCTION switchboard.routing_conversation_before() FROM PUBLIC;

CREATE OR REPLACE FUNCTION switchboard.routing_conversation_after() RETURNS trigger
  LANGUAGE c SECURITY DEFINER
  AS '$libdir/switchboard', 'sb_routing_conversation_after';
COMMENT ON FUNCTION switchboard.routing_conversation_after() IS
  'conversations AFTER trigger: records every change of assigned agent in conversation_assignments';
REVOKE ALL ON FUNCTION switchboard.routing_conversation_after() FROM PUBLIC;
