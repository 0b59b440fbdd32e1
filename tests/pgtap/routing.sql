-- Routing: rotation, capacity, manual assignment, release, backlog, SLA,
-- find-or-create, bad input and tenancy, called from the callers' seats.
BEGIN;
SELECT plan(91);

-- Fixture (as the backend): queue QT of org A with five agents:
-- Tom and Uma (capacity 10), Vic (capacity 1), Wes (offline), Xia (away).
INSERT INTO queues (id, org_id, name) VALUES
  ('a0000000-0000-0000-0000-0000000f1001', '11111111-1111-1111-1111-111111111111', 'TAP queue'),
  ('a0000000-0000-0000-0000-0000000f1002', '11111111-1111-1111-1111-111111111111', 'TAP backlog');
INSERT INTO agents (id, org_id, display_name, status, max_concurrent) VALUES
  ('a0000000-0000-0000-0000-0000000a1001', '11111111-1111-1111-1111-111111111111', 'Tom', 'available', 10),
  ('a0000000-0000-0000-0000-0000000a1002', '11111111-1111-1111-1111-111111111111', 'Uma', 'available', 10),
  ('a0000000-0000-0000-0000-0000000a1003', '11111111-1111-1111-1111-111111111111', 'Vic', 'available', 1),
  ('a0000000-0000-0000-0000-0000000a1004', '11111111-1111-1111-1111-111111111111', 'Wes', 'offline', 10),
  ('a0000000-0000-0000-0000-0000000a1005', '11111111-1111-1111-1111-111111111111', 'Xia', 'away', 10),
  ('a0000000-0000-0000-0000-0000000a1009', '11111111-1111-1111-1111-111111111111', 'Zed', 'available', 1);
INSERT INTO queue_members (org_id, queue_id, agent_id)
SELECT '11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000f1001', id
FROM agents WHERE id::text LIKE 'a0000000-0000-0000-0000-0000000a100_' AND id <> 'a0000000-0000-0000-0000-0000000a1009';
INSERT INTO queue_members (org_id, queue_id, agent_id) VALUES
  ('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000f1002', 'a0000000-0000-0000-0000-0000000a1009');
INSERT INTO conversations (id, org_id, channel, customer_identifier, queue_id)
SELECT ('a0000000-0000-0000-0000-00000c0010' || lpad(g::text, 2, '0'))::uuid, '11111111-1111-1111-1111-111111111111',
       'sms', '+1555000' || lpad(g::text, 4, '0'), 'a0000000-0000-0000-0000-0000000f1001'
FROM generate_series(1, 12) g;
CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid);
INSERT INTO ids VALUES ('tom', 'a0000000-0000-0000-0000-0000000a1001'), ('uma', 'a0000000-0000-0000-0000-0000000a1002'),
  ('vic', 'a0000000-0000-0000-0000-0000000a1003'), ('wes', 'a0000000-0000-0000-0000-0000000a1004'),
  ('xia', 'a0000000-0000-0000-0000-0000000a1005'), ('zed', 'a0000000-0000-0000-0000-0000000a1009');
CREATE TEMP TABLE got (n int, agent uuid);
GRANT SELECT ON ids TO authenticated;
GRANT SELECT, INSERT ON got TO authenticated;
CREATE FUNCTION pg_temp.c(n int) RETURNS uuid LANGUAGE sql IMMUTABLE AS
  $$ SELECT ('a0000000-0000-0000-0000-00000c0010' || lpad(n::text, 2, '0'))::uuid $$;
CREATE FUNCTION pg_temp.a(p text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT id FROM ids WHERE name = p $$;
CREATE FUNCTION pg_temp.history() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM conversation_assignments $$;

-- ---- rotation (as org A's agent member)
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
SELECT is(get_next_round_robin_agent(NULL, 'a0000000-0000-0000-0000-0000000f1001'), pg_temp.a('tom'),
          'get_next_round_robin_agent: the first agent by id when the queue has no cursor');
SELECT is(get_next_round_robin_agent('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000f1001'), pg_temp.a('tom'),
          'asking again gives the same answer');
SELECT is((SELECT count(*) FROM routing_cursors WHERE scope_id = 'a0000000-0000-0000-0000-0000000f1001'), 0::bigint,
          'get_next_round_robin_agent writes nothing');
INSERT INTO got SELECT g, assign_conversation(pg_temp.c(g)) FROM generate_series(1, 7) g;
SELECT is((SELECT array_agg(i.name ORDER BY g.n) FROM got g JOIN ids i ON i.id = g.agent),
          ARRAY['tom', 'uma', 'vic', 'tom', 'uma', 'tom', 'uma'],
          'strict rotation by id; Vic (capacity 1) is skipped once full; offline Wes and away Xia never get one');
SELECT is(assign_conversation(pg_temp.c(1)), pg_temp.a('tom'), 'an assigned conversation keeps its agent');
SELECT is(auto_assign_conversation(pg_temp.c(8)), pg_temp.a('tom'), 'auto_assign_conversation is the same rotation');
SELECT is(get_next_round_robin_agent(NULL, 'a0000000-0000-0000-0000-0000000f1001'), pg_temp.a('uma'),
          'get_next_round_robin_agent follows the cursor');
SELECT is((SELECT count(*) FROM conversation_assignments WHERE conversation_id IN (SELECT pg_temp.c(g) FROM generate_series(1, 8) g)
             AND reason = 'auto' AND actor_user_id = 'a0000000-0000-0000-0000-000000000003'), 8::bigint,
          'every assignment is in the history once, as auto, with the caller');
SELECT is((SELECT assignments FROM routing_cursors WHERE scope_id = 'a0000000-0000-0000-0000-0000000f1001'), 8::bigint,
          'the queue cursor counted 8 rotation assignments');
SELECT is((SELECT array_agg(open_conversations ORDER BY agent_id) FROM agent_workload
           WHERE agent_id IN (SELECT id FROM ids WHERE name IN ('tom', 'uma', 'vic'))), ARRAY[4, 3, 1]::bigint[],
          'agent_workload: Tom 4, Uma 3, Vic 1 (full)');
SELECT is((SELECT count(*) FROM agent_workload WHERE org_id <> '11111111-1111-1111-1111-111111111111'), 0::bigint,
          'agent_workload shows no agent of another org');
SELECT switchboard_test.act_reset();

-- ---- capacity: the backstop refuses raw writes past capacity
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111');
SELECT throws_ok($$UPDATE conversations SET assigned_agent_id = 'a0000000-0000-0000-0000-0000000a1003' WHERE id = 'a0000000-0000-0000-0000-00000c001009'$$,
                 '23P01', 'agent is at capacity', 'a raw UPDATE past an agent''s capacity is refused by the trigger');
SELECT throws_ok($$UPDATE conversations SET assigned_agent_id = 'a0000000-0000-0000-0000-0000000a1004' WHERE id = 'a0000000-0000-0000-0000-00000c001009'$$,
                 '22023', 'agent is offline', 'a raw UPDATE to an offline agent is refused');
SELECT throws_ok($$INSERT INTO conversations (org_id, channel, customer_identifier, assigned_agent_id)
                   VALUES ('11111111-1111-1111-1111-111111111111', 'email', 'raw@example.com', 'a0000000-0000-0000-0000-0000000a1003')$$,
                 '23P01', 'agent is at capacity', 'a raw INSERT past capacity is refused too');
SELECT throws_ok($$UPDATE conversations SET capacity_override_agent_id = 'a0000000-0000-0000-0000-0000000a1003' WHERE id = 'a0000000-0000-0000-0000-00000c001009'$$,
                 '42501', NULL, 'members cannot grant themselves a capacity override');
SELECT throws_ok($$INSERT INTO conversation_assignments (org_id, conversation_id, agent_id, reason)
                   VALUES ('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-00000c001009', 'a0000000-0000-0000-0000-0000000a1001', 'auto')$$,
                 '42501', NULL, 'the history cannot be written directly');
SELECT throws_ok($$UPDATE conversation_assignments SET agent_id = 'a0000000-0000-0000-0000-0000000a1001' WHERE reason = 'auto'$$,
                 '42501', NULL, 'the history (and so the rotation cursors) cannot be rewritten directly');

-- ---- manual assignment (owner/admin), over capacity only when asked
SELECT throws_ok($$SELECT manual_assign_conversation('a0000000-0000-0000-0000-00000c001009', 'a0000000-0000-0000-0000-0000000a1003')$$,
                 '23P01', 'agent is at capacity', 'manual assignment past capacity needs the explicit flag');
SELECT is(manual_assign_conversation(pg_temp.c(9), pg_temp.a('vic'), p_allow_over_capacity => true, p_note => 'VIP patient'),
          pg_temp.a('vic'), 'with p_allow_over_capacity => true the owner assigns past capacity');
SELECT is((SELECT row(reason, over_capacity, note, actor_user_id)::text FROM conversation_assignments
           WHERE conversation_id = pg_temp.c(9) ORDER BY id DESC LIMIT 1),
          row('manual', true, 'VIP patient', 'a0000000-0000-0000-0000-000000000001'::uuid)::text,
          'the override is recorded: manual, over_capacity, note, who');
SELECT is((SELECT count(*) FROM conversations WHERE assigned_agent_id = pg_temp.a('vic') AND status IN ('open', 'pending')),
          2::bigint, 'Vic now holds 2 with capacity 1, by explicit override only');
SELECT is(manual_assign_conversation(pg_temp.c(9), pg_temp.a('uma')), pg_temp.a('uma'), 'reassign to another agent');
SELECT is((SELECT row(reason, over_capacity, previous_agent_id)::text FROM conversation_assignments
           WHERE conversation_id = pg_temp.c(9) ORDER BY id DESC LIMIT 1),
          row('reassign', false, pg_temp.a('vic'))::text, 'recorded as reassign from Vic, the override lapsed');
SELECT throws_ok($$SELECT manual_assign_conversation('a0000000-0000-0000-0000-00000c001010', 'a0000000-0000-0000-0000-0000000a1004')$$,
                 '22023', 'agent is offline', 'manual assignment to an offline agent is refused');
SELECT throws_ok($$SELECT manual_assign_conversation('a0000000-0000-0000-0000-00000c001010', gen_random_uuid())$$,
                 'P0002', 'agent not found', 'manual assignment to an unknown agent');
SELECT throws_ok($$SELECT manual_assign_conversation('a0000000-0000-0000-0000-00000c001010', 'b0000000-0000-0000-0000-0000000a0001')$$,
                 'P0002', 'agent not found', 'manual assignment to another org''s agent: not found in this org');
SELECT throws_ok($$SELECT manual_assign_conversation('a0000000-0000-0000-0000-00000c001010', NULL)$$,
                 '22023', 'p_agent_id is required', 'manual assignment without an agent');
SELECT switchboard_test.act_reset();
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
SELECT throws_ok($$SELECT manual_assign_conversation('a0000000-0000-0000-0000-00000c001010', 'a0000000-0000-0000-0000-0000000a1001')$$,
                 '42501', NULL, 'an agent member cannot assign manually');

-- ---- bad input: documented errors, nothing written
SELECT throws_ok($$SELECT assign_conversation(NULL)$$, '22023', 'p_conversation_id is required', 'assign: NULL id');
SELECT throws_ok($$SELECT assign_conversation(gen_random_uuid())$$, 'P0002', 'conversation not found', 'assign: unknown id');
SELECT lives_ok($$SELECT close_conversation('a0000000-0000-0000-0000-00000c001001')$$, 'close an assigned conversation');
SELECT lives_ok($$SELECT close_conversation('a0000000-0000-0000-0000-00000c001001')$$, 'closing again is a no-op');
CREATE TEMP TABLE before_bad AS SELECT pg_temp.history() AS h;
SELECT throws_ok($$SELECT assign_conversation('a0000000-0000-0000-0000-00000c001001')$$, '22023', 'conversation is closed',
                 'a closed conversation cannot be assigned');
SELECT throws_ok($$SELECT close_conversation(NULL)$$, '22023', 'p_conversation_id is required', 'close: NULL id');
SELECT throws_ok($$SELECT close_conversation(gen_random_uuid())$$, 'P0002', 'conversation not found', 'close: unknown id');
SELECT throws_ok($$SELECT get_next_round_robin_agent(NULL, gen_random_uuid())$$, 'P0002', 'queue not found',
                 'get_next_round_robin_agent: unknown queue');
SELECT throws_ok($$SELECT route_backlog(NULL, NULL, 0)$$, '22023', NULL, 'route_backlog: limit out of range');
SELECT switchboard_test.act_reset();
UPDATE conversations SET status = 'snoozed' WHERE id = pg_temp.c(10);
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
SELECT throws_ok($$SELECT assign_conversation('a0000000-0000-0000-0000-00000c001010')$$, '22023', 'conversation is snoozed',
                 'a snoozed conversation is not routed');
SELECT is(pg_temp.history(), (SELECT h FROM before_bad), 'the refused calls wrote no history');
SELECT is((SELECT assigned_agent_id FROM conversations WHERE id = pg_temp.c(1)), pg_temp.a('tom'),
          'closing keeps the agent on the record');
SELECT is((SELECT count(*) FROM conversations WHERE assigned_agent_id = pg_temp.a('tom') AND status IN ('open', 'pending')),
          3::bigint, 'and frees one unit of Tom''s capacity (4 assigned, 1 closed)');
SELECT switchboard_test.act_reset();

-- ---- tenancy: org A never reaches org B's rotation, and the reverse
INSERT INTO conversations (id, org_id, channel, customer_identifier)
SELECT ('b0000000-0000-0000-0000-00000c0010' || lpad(g::text, 2, '0'))::uuid, '22222222-2222-2222-2222-222222222222', 'email', 'b' || g || '@example.de'
FROM generate_series(1, 10) g;
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000001', '11111111-1111-1111-1111-111111111111');
SELECT throws_ok($$SELECT assign_conversation('b0000000-0000-0000-0000-00000c001001')$$,
                 '42501', NULL, 'org A cannot assign org B''s conversation');
SELECT throws_ok($$SELECT close_conversation('b0000000-0000-0000-0000-00000c001001')$$,
                 '42501', NULL, 'org A cannot close org B''s conversation');
SELECT throws_ok($$SELECT get_next_round_robin_agent('22222222-2222-2222-2222-222222222222')$$, '42501', NULL,
                 'org A cannot ask for org B''s rotation');
SELECT throws_ok($$SELECT get_next_round_robin_agent(NULL, 'b0000000-0000-0000-0000-0000000f0001')$$, 'P0002', 'queue not found',
                 'org B''s queue id guessed by org A is not found in A');
SELECT throws_ok($$SELECT find_or_create_conversation(NULL, 'sms', '+15559990000', 'b0000000-0000-0000-0000-0000000f0001')$$,
                 'P0002', 'queue not found', 'org A cannot file a conversation into org B''s queue');
SELECT throws_ok($$INSERT INTO conversations (org_id, channel, customer_identifier, queue_id)
                   VALUES ('11111111-1111-1111-1111-111111111111', 'sms', '+15559990001', 'b0000000-0000-0000-0000-0000000f0001')$$,
                 '23503', NULL, 'nor by a raw INSERT: the (org_id, queue_id) foreign key refuses');
SELECT throws_ok($$SELECT set_agent_status('b0000000-0000-0000-0000-0000000a0001', 'offline')$$, '42501', NULL,
                 'org A cannot change org B''s agent');
SELECT switchboard_test.act_reset();
-- org B routes ten queue-less conversations: only B's agents ever appear
SELECT switchboard_test.act_as('b0000000-0000-0000-0000-000000000001', '22222222-2222-2222-2222-222222222222');
INSERT INTO got SELECT 100 + g, assign_conversation(('b0000000-0000-0000-0000-00000c0010' || lpad(g::text, 2, '0'))::uuid)
FROM generate_series(1, 10) g;
SELECT switchboard_test.act_reset();
SELECT is((SELECT count(*) FROM got g JOIN agents a ON a.id = g.agent WHERE g.n > 100 AND a.org_id <> '22222222-2222-2222-2222-222222222222'),
          0::bigint, 'org B''s rotation never returns an agent of org A');
SELECT is((SELECT count(*) FROM got WHERE n > 100 AND agent IS NOT NULL), 3::bigint,
          'org B: the two available agents of capacity 2 hold 4 with the seed conversation, so 3 more are assigned and the rest wait');

-- ---- anon, no claims, viewer
SELECT switchboard_test.act_as_role('anon');
SELECT throws_ok($$SELECT assign_conversation('a0000000-0000-0000-0000-00000c001011')$$, '42501', NULL, 'anon cannot call assign_conversation');
SELECT throws_ok($$SELECT count(*) FROM conversations$$, '42501', NULL, 'anon cannot read conversations');
SELECT switchboard_test.act_as_role('authenticated');
SELECT throws_ok($$SELECT assign_conversation('a0000000-0000-0000-0000-00000c001011')$$, '42501', NULL, 'no claims: refused');
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000004', '11111111-1111-1111-1111-111111111111');
SELECT throws_ok($$SELECT assign_conversation('a0000000-0000-0000-0000-00000c001011')$$, '42501', NULL, 'a viewer cannot assign');
SELECT throws_ok($$SELECT close_conversation('a0000000-0000-0000-0000-00000c001011')$$, '42501', NULL, 'a viewer cannot close');
SELECT switchboard_test.act_reset();

-- ---- backlog: capacity freed by close goes to the backlog by priority, then age
INSERT INTO conversations (id, org_id, channel, customer_identifier, queue_id, priority, created_at) VALUES
  ('a0000000-0000-0000-0000-00000c002001', '11111111-1111-1111-1111-111111111111', 'voice', '+15551110001', 'a0000000-0000-0000-0000-0000000f1002', 'normal', now() - interval '30 minutes'),
  ('a0000000-0000-0000-0000-00000c002002', '11111111-1111-1111-1111-111111111111', 'voice', '+15551110002', 'a0000000-0000-0000-0000-0000000f1002', 'normal', now() - interval '20 minutes'),
  ('a0000000-0000-0000-0000-00000c002003', '11111111-1111-1111-1111-111111111111', 'voice', '+15551110003', 'a0000000-0000-0000-0000-0000000f1002', 'low', now() - interval '25 minutes'),
  ('a0000000-0000-0000-0000-00000c002004', '11111111-1111-1111-1111-111111111111', 'voice', '+15551110004', 'a0000000-0000-0000-0000-0000000f1002', 'urgent', now() - interval '1 minute');
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
SELECT is(route_backlog(NULL, 'a0000000-0000-0000-0000-0000000f1002'), 1, 'route_backlog: Zed (capacity 1) takes one');
SELECT is((SELECT assigned_agent_id FROM conversations WHERE id = 'a0000000-0000-0000-0000-00000c002004'), pg_temp.a('zed'),
          'the urgent conversation goes first although it is the newest');
SELECT is(assign_conversation('a0000000-0000-0000-0000-00000c002001'), NULL::uuid, 'nobody eligible: NULL, and it stays unassigned');
SELECT lives_ok($$SELECT close_conversation('a0000000-0000-0000-0000-00000c002004')$$, 'Zed closes the urgent one');
SELECT is((SELECT assigned_agent_id FROM conversations WHERE id = 'a0000000-0000-0000-0000-00000c002001'), pg_temp.a('zed'),
          'the freed unit is offered to the oldest normal conversation next');
SELECT is((SELECT count(*) FROM conversations WHERE queue_id = 'a0000000-0000-0000-0000-0000000f1002' AND assigned_agent_id IS NULL AND status = 'open'),
          2::bigint, 'the low and the newer normal one still wait');

-- ---- going offline releases to the queue and offers to the others
SELECT throws_ok($$SELECT set_agent_status('a0000000-0000-0000-0000-0000000a1001', 'offline')$$, '42501', NULL,
                 'an agent member cannot change another agent''s status');
SELECT is((set_agent_status('a0000000-0000-0000-0000-0000000a0001', 'away') ->> 'status'), 'away', 'but sets its own');
SELECT throws_ok($$SELECT set_agent_status('a0000000-0000-0000-0000-0000000a0001', 'asleep')$$, '22023', NULL, 'unknown status');
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000002', '11111111-1111-1111-1111-111111111111');
CREATE TEMP TABLE tom_open AS SELECT id FROM conversations WHERE assigned_agent_id = 'a0000000-0000-0000-0000-0000000a1001' AND status IN ('open', 'pending');
SELECT is((set_agent_status(pg_temp.a('tom'), 'offline') ->> 'released')::int, 3, 'an admin takes Tom offline: his 3 open conversations are released');
SELECT is((SELECT count(*) FROM conversations WHERE assigned_agent_id = pg_temp.a('tom') AND status IN ('open', 'pending')), 0::bigint,
          'Tom holds no open conversation');
SELECT is((SELECT count(*) FROM conversations WHERE id IN (SELECT id FROM tom_open) AND assigned_agent_id = pg_temp.a('uma')), 3::bigint,
          'they were offered to the next eligible agent (Uma; Vic is over capacity)');
SELECT is((SELECT count(*) FROM conversation_assignments WHERE conversation_id IN (SELECT id FROM tom_open) AND reason = 'release'), 3::bigint,
          'each release is in the history');
SELECT switchboard_test.act_reset();
UPDATE agents SET status = 'available' WHERE id = pg_temp.a('tom');
SELECT lives_ok($$SELECT manual_assign_conversation('a0000000-0000-0000-0000-00000c001011', 'a0000000-0000-0000-0000-0000000a1001')$$,
                'the backend assigns Tom again');
UPDATE agents SET status = 'offline' WHERE id = pg_temp.a('tom');
SELECT is((SELECT assigned_agent_id FROM conversations WHERE id = pg_temp.c(11)), NULL::uuid,
          'a plain UPDATE of the status to offline releases too (trigger)');

-- ---- SLA
INSERT INTO conversations (id, org_id, channel, customer_identifier, priority, created_at) VALUES
  ('a0000000-0000-0000-0000-00000c003001', '11111111-1111-1111-1111-111111111111', 'webchat', 'late-1', 'urgent', now() - interval '10 minutes'),
  ('a0000000-0000-0000-0000-00000c003002', '11111111-1111-1111-1111-111111111111', 'webchat', 'soon-2', 'normal', now() - interval '50 minutes'),
  ('a0000000-0000-0000-0000-00000c003003', '11111111-1111-1111-1111-111111111111', 'webchat', 'fresh-3', 'normal', now());
SELECT is((SELECT sla_due_at - created_at FROM conversations WHERE id = 'a0000000-0000-0000-0000-00000c003001'), interval '5 minutes',
          'sla_due_at: creation + the org''s urgent policy');
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000004', '11111111-1111-1111-1111-111111111111');
SELECT results_eq(
  $$SELECT conversation_id, sla_state FROM sla_breaches(NULL) WHERE conversation_id::text LIKE 'a0000000-0000-0000-0000-00000c003%'$$,
  $$VALUES ('a0000000-0000-0000-0000-00000c003001'::uuid, 'breached'), ('a0000000-0000-0000-0000-00000c003002'::uuid, 'at_risk')$$,
  'sla_breaches (as a viewer): breached first, then about to breach; the fresh one is not listed');
SELECT throws_ok($$SELECT * FROM sla_breaches('22222222-2222-2222-2222-222222222222')$$, '42501', NULL, 'not for another org');
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
INSERT INTO conversation_messages (org_id, conversation_id, direction, body)
VALUES ('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-00000c003001', 'outbound', 'Sorry for the wait!');
SELECT is((SELECT sla_state FROM conversation_sla_status WHERE conversation_id = 'a0000000-0000-0000-0000-00000c003001'), 'missed',
          'a late first response stops the clock: missed, no longer breached');
SELECT is((SELECT count(*) FROM sla_breaches(NULL) WHERE conversation_id::text LIKE 'a0000000-0000-0000-0000-00000c003%'), 1::bigint,
          'one left in the list');
UPDATE conversations SET priority = 'urgent' WHERE id = 'a0000000-0000-0000-0000-00000c003003';
SELECT is((SELECT sla_due_at - created_at FROM conversations WHERE id = 'a0000000-0000-0000-0000-00000c003003'), interval '5 minutes',
          'changing the priority recomputes the due time');

-- ---- find or create, inbound messages
CREATE TEMP TABLE fc AS SELECT find_or_create_conversation(NULL, 'sms', ' +15552220000 ') AS id;
GRANT SELECT ON fc TO authenticated;
SELECT is(find_or_create_conversation(NULL, 'sms', '+15552220000'), (SELECT id FROM fc), 'the same customer and channel reuse the live conversation');
SELECT isnt(find_or_create_conversation(NULL, 'email', '+15552220000'), (SELECT id FROM fc), 'another channel is another conversation');
SELECT lives_ok(format('SELECT close_conversation(%L)', (SELECT id FROM fc)), 'close it');
SELECT isnt(find_or_create_conversation(NULL, 'sms', '+15552220000'), (SELECT id FROM fc), 'after closing, a new one is created');
SELECT throws_ok($$SELECT find_or_create_conversation(NULL, 'fax', '+15552220000')$$, '22023', NULL, 'unknown channel');
SELECT throws_ok($$SELECT find_or_create_conversation(NULL, 'sms', '   ')$$, '22023', NULL, 'blank customer identifier');
SELECT throws_ok(format('SELECT find_or_create_conversation(NULL, %L, %L)', 'sms', repeat('9', 400)), '22023', NULL, 'customer identifier too long');
SELECT throws_ok($$SELECT find_or_create_conversation(NULL, 'sms', '+15552220000', NULL, 'whenever')$$, '22023', NULL, 'unknown priority');
SELECT throws_ok($$SELECT find_or_create_conversation('22222222-2222-2222-2222-222222222222', 'sms', '+15552220000')$$, '42501', NULL,
                 'not in another org');
SELECT throws_ok($$SELECT receive_inbound_message(NULL, 'sms', '+15552220000', NULL)$$, '22023', NULL, 'a message needs a body');
SELECT switchboard_test.act_reset();
UPDATE conversations SET status = 'snoozed' WHERE org_id = '11111111-1111-1111-1111-111111111111' AND customer_identifier = 'soon-2';
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
SELECT is((SELECT (r ->> 'conversation_id')::uuid FROM receive_inbound_message(NULL, 'webchat', 'soon-2', 'hello again') r),
          'a0000000-0000-0000-0000-00000c003002'::uuid, 'an inbound message finds the snoozed conversation');
SELECT is((SELECT row(status, assigned_agent_id IS NOT NULL)::text FROM conversations WHERE id = 'a0000000-0000-0000-0000-00000c003002'),
          row('open', true)::text, 'reopens it and routes it');
SELECT switchboard_test.act_reset();
-- reopening a conversation whose agent is full sends it back to the backlog, recorded as a release
UPDATE conversations SET status = 'snoozed' WHERE id = pg_temp.c(12);
UPDATE conversations SET assigned_agent_id = pg_temp.a('vic'), capacity_override_agent_id = pg_temp.a('vic') WHERE id = pg_temp.c(12);
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
UPDATE conversations SET status = 'open' WHERE id = 'a0000000-0000-0000-0000-00000c001012';
SELECT is((SELECT row(status, assigned_agent_id)::text FROM conversations WHERE id = pg_temp.c(12)), row('open', pg_temp.a('vic'))::text,
          'a reopened conversation keeps its agent while the override for that agent stands');
SELECT switchboard_test.act_reset();
UPDATE conversations SET status = 'snoozed', capacity_override_agent_id = NULL WHERE id = pg_temp.c(12);
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
UPDATE conversations SET status = 'open' WHERE id = 'a0000000-0000-0000-0000-00000c001012';
SELECT is((SELECT row(c.status, c.assigned_agent_id, h.reason)::text FROM conversations c
           JOIN LATERAL (SELECT reason FROM conversation_assignments h WHERE h.conversation_id = c.id ORDER BY h.id DESC LIMIT 1) h ON true
           WHERE c.id = pg_temp.c(12)), row('open', NULL::uuid, 'release')::text,
          'without it, reopening with Vic full returns it to the backlog, recorded as a release');
SELECT switchboard_test.act_reset();

SELECT is((SELECT count(*) FROM switchboard.schema_lint() WHERE object_name ~ 'routing|agent|queue|conversation|sla'), 0::bigint,
          'schema lint is clean for routing objects');

SELECT * FROM finish();
ROLLBACK;
