-- The conversations row triggers in C: what their PL/pgSQL predecessors got
-- from a SET search_path clause must now come from qualified names. A caller
-- who puts look-alike operators and aggregates before pg_catalog must not
-- change a capacity or offline decision, the SLA due time or the history row;
-- and the refusals keep their SQLSTATE, message, DETAIL and HINT.
BEGIN;
SELECT plan(17);

SELECT is((SELECT array_agg(row(p.proname, l.lanname, p.prosecdef, p.proconfig IS NULL)::text ORDER BY p.proname)
           FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
           WHERE p.oid IN ('switchboard.routing_conversation_before()'::regprocedure,
                           'switchboard.routing_conversation_after()'::regprocedure)),
          ARRAY[row('routing_conversation_after', 'c', true, true)::text,
                row('routing_conversation_before', 'c', true, true)::text],
          'both conversations triggers are C, SECURITY DEFINER, with no SET clause to pay for');

-- Ann (capacity 1, full with conversation 1), Bob (capacity 2, empty), Otto
-- (offline); conversation 2 unassigned, conversation 3 snoozed with Ann
INSERT INTO agents (id, org_id, display_name, status, max_concurrent) VALUES
  ('a0000000-0000-0000-0000-0000000a3001', '11111111-1111-1111-1111-111111111111', 'Ann', 'available', 1),
  ('a0000000-0000-0000-0000-0000000a3002', '11111111-1111-1111-1111-111111111111', 'Bob', 'available', 2),
  ('a0000000-0000-0000-0000-0000000a3003', '11111111-1111-1111-1111-111111111111', 'Otto', 'offline', 5);
INSERT INTO conversations (id, org_id, channel, customer_identifier, status, assigned_agent_id) VALUES
  ('a0000000-0000-0000-0000-00000c003001', '11111111-1111-1111-1111-111111111111', 'sms', '+15550030001', 'open',
   'a0000000-0000-0000-0000-0000000a3001'),
  ('a0000000-0000-0000-0000-00000c003002', '11111111-1111-1111-1111-111111111111', 'sms', '+15550030002', 'open', NULL),
  ('a0000000-0000-0000-0000-00000c003003', '11111111-1111-1111-1111-111111111111', 'sms', '+15550030003', 'snoozed',
   'a0000000-0000-0000-0000-0000000a3001');

-- the error a statement raises: SQLSTATE | message | DETAIL | HINT
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text; m text; d text; h text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RETURN concat_ws(' | ', s, m, d, h);
END
$$;

-- the look-alikes: uuid equality that always holds, text equality that never
-- does, and a count that is always zero
CREATE SCHEMA tap_evil_trg;
CREATE FUNCTION tap_evil_trg.yes(uuid, uuid) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE FUNCTION tap_evil_trg.no(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT false';
CREATE OPERATOR tap_evil_trg.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = tap_evil_trg.yes);
CREATE OPERATOR tap_evil_trg.= (LEFTARG = text, RIGHTARG = text, FUNCTION = tap_evil_trg.no);
CREATE FUNCTION tap_evil_trg.zero(bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT 0::bigint';
CREATE AGGREGATE tap_evil_trg.count(*) (SFUNC = tap_evil_trg.zero, STYPE = bigint, INITCOND = '0');
GRANT USAGE ON SCHEMA tap_evil_trg TO PUBLIC;

-- the first trigger calls of this session run under the hostile path (the
-- plans are prepared there), later ones after a reset (plans revalidated);
-- pgTAP itself cannot run under that path, so the outcomes are kept for later
CREATE TEMP TABLE hostile (n int, outcome text);
SET LOCAL search_path = tap_evil_trg, public, pg_catalog;
INSERT INTO pg_temp.hostile VALUES (1, pg_temp.err($$UPDATE public.conversations SET assigned_agent_id = 'a0000000-0000-0000-0000-0000000a3001'
                                                   WHERE id OPERATOR(pg_catalog.=) 'a0000000-0000-0000-0000-00000c003002'$$));
INSERT INTO pg_temp.hostile VALUES (2, pg_temp.err($$UPDATE public.conversations SET assigned_agent_id = 'a0000000-0000-0000-0000-0000000a3003'
                                                   WHERE id OPERATOR(pg_catalog.=) 'a0000000-0000-0000-0000-00000c003002'$$));
INSERT INTO pg_temp.hostile VALUES (3, pg_temp.err($$INSERT INTO public.conversations (org_id, channel, customer_identifier, assigned_agent_id)
                                                   VALUES ('11111111-1111-1111-1111-111111111111', 'email', 'trg@example.com', 'a0000000-0000-0000-0000-0000000a3001')$$));
UPDATE public.conversations SET assigned_agent_id = 'a0000000-0000-0000-0000-0000000a3002'
WHERE id OPERATOR(pg_catalog.=) 'a0000000-0000-0000-0000-00000c003002';
INSERT INTO public.conversations (id, org_id, channel, customer_identifier, priority) VALUES
  ('a0000000-0000-0000-0000-00000c003004', '11111111-1111-1111-1111-111111111111', 'sms', '+15550030004', 'high'),
  ('a0000000-0000-0000-0000-00000c003005', '22222222-2222-2222-2222-222222222222', 'sms', '+15550030005', 'high');
RESET search_path;
SELECT is((SELECT outcome FROM hostile WHERE n = 1),
          '23P01 | agent is at capacity | the agent holds 1 open or pending conversations of max_concurrent 1'
          ' | an owner or admin may assign past capacity with manual_assign_conversation(..., p_allow_over_capacity => true)',
          'under a hostile search_path a zero-count aggregate does not let a raw UPDATE past capacity: same error, detail, hint');
SELECT is((SELECT outcome FROM hostile WHERE n = 2),
          '22023 | agent is offline |  | assign to an agent who is not offline',
          'under a hostile search_path a look-alike uuid = does not read another agent: offline is refused');
SELECT is((SELECT outcome FROM hostile WHERE n = 3),
          '23P01 | agent is at capacity | the agent holds 1 open or pending conversations of max_concurrent 1'
          ' | an owner or admin may assign past capacity with manual_assign_conversation(..., p_allow_over_capacity => true)',
          'under a hostile search_path a raw INSERT past capacity is refused too');
SELECT is((SELECT row(assigned_agent_id, assigned_at = now(), capacity_override_agent_id, updated_at = now())::text
           FROM conversations WHERE id = 'a0000000-0000-0000-0000-00000c003002'),
          row('a0000000-0000-0000-0000-0000000a3002'::uuid, true, NULL::uuid, true)::text,
          'under a hostile search_path Bob (room left) gets the conversation, stamped now');
SELECT is((SELECT row(agent_id, previous_agent_id, reason, scope_id, over_capacity, note, actor_role)::text
           FROM conversation_assignments WHERE conversation_id = 'a0000000-0000-0000-0000-00000c003002' ORDER BY id),
          row('a0000000-0000-0000-0000-0000000a3002'::uuid, NULL::uuid, 'manual', NULL::uuid, false, NULL::text, current_user::text)::text,
          'under a hostile search_path the history row is written once: manual, no scope, the request role');
SELECT is((SELECT array_agg(sla_due_at - created_at ORDER BY org_id) FROM conversations
           WHERE id IN ('a0000000-0000-0000-0000-00000c003004', 'a0000000-0000-0000-0000-00000c003005')),
          ARRAY['15 minutes'::interval, NULL],
          'under a hostile search_path the SLA due time comes from the own org''s policy for the priority (none for the other org)');

-- the same decisions on the normal path, with the revalidated plans
SELECT is(pg_temp.err($$UPDATE conversations SET assigned_agent_id = 'a0000000-0000-0000-0000-0000000a3001'
                        WHERE id = 'a0000000-0000-0000-0000-00000c003004'$$),
          '23P01 | agent is at capacity | the agent holds 1 open or pending conversations of max_concurrent 1'
          ' | an owner or admin may assign past capacity with manual_assign_conversation(..., p_allow_over_capacity => true)',
          'a raw UPDATE past capacity: 23P01 with its detail and hint');
SELECT is(pg_temp.err($$UPDATE conversations SET assigned_agent_id = 'a0000000-0000-0000-0000-0000000a3003'
                        WHERE id = 'a0000000-0000-0000-0000-00000c003004'$$),
          '22023 | agent is offline |  | assign to an agent who is not offline',
          'a raw UPDATE to an offline agent: 22023 with its hint');
SELECT is(pg_temp.err($$UPDATE conversations SET priority = 'urgent' WHERE id = 'a0000000-0000-0000-0000-00000c003004'$$),
          'no error', 'a priority change is not an assignment');
SELECT is((SELECT sla_due_at - created_at FROM conversations WHERE id = 'a0000000-0000-0000-0000-00000c003004'),
          '5 minutes'::interval, 'a priority change moves the SLA due time to the new priority''s policy');

-- reopening a conversation of a full agent releases it to the backlog and
-- leaves the reason 'release' set for the rest of the transaction
SELECT is(current_setting('switchboard_routing.reason', true) IS DISTINCT FROM 'release', true,
          'no release reason before the reopen');
UPDATE conversations SET status = 'open' WHERE id = 'a0000000-0000-0000-0000-00000c003003';
SELECT is((SELECT row(status, assigned_agent_id, assigned_at)::text FROM conversations WHERE id = 'a0000000-0000-0000-0000-00000c003003'),
          row('open', NULL::uuid, NULL::timestamptz)::text,
          'reopened while Ann is full: back to the backlog, not an error');
SELECT is(current_setting('switchboard_routing.reason', true), 'release',
          'the release reason is set transaction-locally, as set_config(..., true) did');
SELECT is((SELECT row(agent_id, previous_agent_id, reason)::text FROM conversation_assignments
           WHERE conversation_id = 'a0000000-0000-0000-0000-00000c003003' ORDER BY id DESC LIMIT 1),
          row(NULL::uuid, 'a0000000-0000-0000-0000-0000000a3001'::uuid, 'release')::text,
          'the release is in the history');

-- closing stamps closed_at, reopening clears it
UPDATE conversations SET status = 'closed' WHERE id = 'a0000000-0000-0000-0000-00000c003001';
SELECT is((SELECT closed_at = now() FROM conversations WHERE id = 'a0000000-0000-0000-0000-00000c003001'), true,
          'closing stamps closed_at with the transaction time');
UPDATE conversations SET status = 'pending' WHERE id = 'a0000000-0000-0000-0000-00000c003001';
SELECT is((SELECT row(closed_at, assigned_agent_id)::text FROM conversations WHERE id = 'a0000000-0000-0000-0000-00000c003001'),
          row(NULL::timestamptz, 'a0000000-0000-0000-0000-0000000a3001'::uuid)::text,
          'reopening clears closed_at and keeps Ann (she has room again)');

SELECT * FROM finish();
ROLLBACK;
