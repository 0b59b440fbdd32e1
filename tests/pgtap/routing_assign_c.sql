-- assign_conversation in C: what its PL/pgSQL predecessor got from its SET
-- search_path clause must now come from qualified names. A caller who puts a
-- schema of look-alike operators and aggregates before pg_catalog must not
-- change which conversation is read, which agent is picked, or a capacity
-- decision; and the rotation must wrap around after the last agent.
BEGIN;
SELECT plan(9);

SELECT is((SELECT row(l.lanname, p.prosecdef, p.proconfig IS NULL)::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
           WHERE p.oid = 'public.assign_conversation(uuid)'::regprocedure),
          row('c', true, true)::text, 'assign_conversation is C, SECURITY DEFINER, with no SET clause to pay for');

-- queue QC: agents Ann (capacity 1, already full) and Bob (capacity 2);
-- conversations 1..3 unassigned in QC
INSERT INTO queues (id, org_id, name) VALUES
  ('a0000000-0000-0000-0000-0000000f2001', '11111111-1111-1111-1111-111111111111', 'TAP C queue');
INSERT INTO agents (id, org_id, display_name, status, max_concurrent) VALUES
  ('a0000000-0000-0000-0000-0000000a2001', '11111111-1111-1111-1111-111111111111', 'Ann', 'available', 1),
  ('a0000000-0000-0000-0000-0000000a2002', '11111111-1111-1111-1111-111111111111', 'Bob', 'available', 2);
INSERT INTO queue_members (org_id, queue_id, agent_id) VALUES
  ('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000f2001', 'a0000000-0000-0000-0000-0000000a2001'),
  ('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000f2001', 'a0000000-0000-0000-0000-0000000a2002');
INSERT INTO conversations (id, org_id, channel, customer_identifier, queue_id, assigned_agent_id) VALUES
  ('a0000000-0000-0000-0000-00000c002000', '11111111-1111-1111-1111-111111111111', 'sms', '+15550020000',
   'a0000000-0000-0000-0000-0000000f2001', 'a0000000-0000-0000-0000-0000000a2001');
INSERT INTO conversations (id, org_id, channel, customer_identifier, queue_id)
SELECT ('a0000000-0000-0000-0000-00000c00200' || g)::uuid, '11111111-1111-1111-1111-111111111111', 'sms',
       '+1555002000' || g, 'a0000000-0000-0000-0000-0000000f2001'
FROM generate_series(1, 3) g;

-- the look-alikes: uuid equality that always holds, inequalities that never
-- do, and a count that is always zero
CREATE SCHEMA tap_evil;
CREATE FUNCTION tap_evil.yes(uuid, uuid) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE FUNCTION tap_evil.no(uuid, uuid) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT false';
CREATE OPERATOR tap_evil.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = tap_evil.yes);
CREATE OPERATOR tap_evil.> (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = tap_evil.no);
CREATE OPERATOR tap_evil.<= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = tap_evil.no);
CREATE FUNCTION tap_evil.zero(bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT 0::bigint';
CREATE AGGREGATE tap_evil.count(*) (SFUNC = tap_evil.zero, STYPE = bigint, INITCOND = '0');
GRANT USAGE ON SCHEMA tap_evil TO PUBLIC;

SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
-- plans are prepared under the normal path first, then revalidated under
-- the hostile one (a changed search_path makes PostgreSQL analyse them again)
SELECT is(public.assign_conversation('a0000000-0000-0000-0000-00000c002001'), 'a0000000-0000-0000-0000-0000000a2002'::uuid,
          'Ann is full: the first conversation goes to Bob');
SET LOCAL search_path = tap_evil, public, pg_catalog;
SELECT is(public.assign_conversation('a0000000-0000-0000-0000-00000c002002'), 'a0000000-0000-0000-0000-0000000a2002'::uuid,
          'under a hostile search_path the rotation still wraps past full Ann back to Bob');
SELECT is(public.assign_conversation('a0000000-0000-0000-0000-00000c002003'), NULL::uuid,
          'under a hostile search_path a zero-count aggregate does not let anyone past capacity');
SELECT is(public.assign_conversation('a0000000-0000-0000-0000-00000c002000'), 'a0000000-0000-0000-0000-0000000a2001'::uuid,
          'under a hostile search_path an assigned conversation keeps its own agent');
SELECT throws_ok($$SELECT public.assign_conversation('a0000000-0000-0000-0000-00000c00200f')$$, 'P0002',
                 'conversation not found', 'under a hostile search_path an unknown id is still unknown');
RESET search_path;
SELECT switchboard_test.act_reset();

SELECT is((SELECT array_agg(assigned_agent_id::text ORDER BY id) FROM conversations
           WHERE id IN ('a0000000-0000-0000-0000-00000c002001', 'a0000000-0000-0000-0000-00000c002002', 'a0000000-0000-0000-0000-00000c002003')),
          ARRAY['a0000000-0000-0000-0000-0000000a2002', 'a0000000-0000-0000-0000-0000000a2002', NULL],
          'the stored assignments: two to Bob, the third left in the backlog');
SELECT is((SELECT count(*) FROM conversations c JOIN agents a ON a.org_id = c.org_id AND a.id = c.assigned_agent_id
           WHERE a.id IN ('a0000000-0000-0000-0000-0000000a2001', 'a0000000-0000-0000-0000-0000000a2002')
             AND c.status IN ('open', 'pending')
           GROUP BY a.id, a.max_concurrent HAVING count(*) > a.max_concurrent), NULL::bigint,
          'nobody is over capacity');

SELECT is((SELECT count(*) FROM conversation_assignments h
           WHERE h.org_id = '11111111-1111-1111-1111-111111111111' AND h.scope_id = 'a0000000-0000-0000-0000-0000000f2001'
             AND h.reason = 'auto'), 2::bigint,
          'each assignment wrote one auto history row (the cursor of the queue)');

SELECT * FROM finish();
ROLLBACK;
