-- Routing: a burst of inbound messages spread over three agents, one going offline mid-way
\set QUIET on
\pset footer off
BEGIN;
-- the backend (service_role) receives messages from the channels' webhooks
SET LOCAL ROLE service_role;
-- Northside's front desk: three agents of capacity 3 (Dana already holds the seed conversation)
SELECT display_name, status, max_concurrent, open_conversations FROM agent_workload
WHERE org_id = '11111111-1111-1111-1111-111111111111' ORDER BY agent_id;
-- who is next, without assigning anything
SELECT a.display_name AS next_agent FROM agents a
WHERE a.id = get_next_round_robin_agent('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000f0001');
-- a burst of six inbound messages from six patients: strict rotation
SELECT m.customer, a.display_name AS assigned_to, (r ->> 'created')::boolean AS new_conversation
FROM (VALUES (1, '+14155550201', 'sms'), (2, 'p.nguyen@example.com', 'email'), (3, '+14155550203', 'whatsapp'),
             (4, '+14155550204', 'sms'), (5, '@sam_k', 'social'), (6, '+14155550206', 'voice')) m(n, customer, channel)
CROSS JOIN LATERAL receive_inbound_message('11111111-1111-1111-1111-111111111111', m.channel, m.customer,
  'Hello, I need help with my appointment', 'a0000000-0000-0000-0000-0000000f0001') r
LEFT JOIN agents a ON a.org_id = '11111111-1111-1111-1111-111111111111' AND a.id = (r ->> 'assigned_agent_id')::uuid
ORDER BY m.n;
-- the same patient writes again: same conversation, same agent
SELECT (r ->> 'created')::boolean AS new_conversation, a.display_name AS assigned_to
FROM receive_inbound_message('11111111-1111-1111-1111-111111111111', 'sms', '+14155550201', 'Friday 3pm works too') r
JOIN agents a ON a.org_id = '11111111-1111-1111-1111-111111111111' AND a.id = (r ->> 'assigned_agent_id')::uuid;
-- Eli goes offline mid-way (an admin sets it): his conversations go back to the queue and to the others
SELECT set_agent_status('a0000000-0000-0000-0000-0000000a0002', 'offline') AS result;
SELECT display_name, status, max_concurrent, open_conversations FROM agent_workload
WHERE org_id = '11111111-1111-1111-1111-111111111111' ORDER BY agent_id;
-- three more messages: Dana and Farah are full now, so the rest waits in the backlog (no agent)
SELECT m.customer, coalesce(a.display_name, '(backlog)') AS assigned_to
FROM (VALUES (7, '+14155550207'), (8, '+14155550208'), (9, '+14155550209')) m(n, customer)
CROSS JOIN LATERAL receive_inbound_message('11111111-1111-1111-1111-111111111111', 'sms', m.customer,
  'Is the clinic open on Saturday?', 'a0000000-0000-0000-0000-0000000f0001', CASE WHEN m.n = 9 THEN 'urgent' ELSE 'normal' END) r
LEFT JOIN agents a ON a.org_id = '11111111-1111-1111-1111-111111111111' AND a.id = (r ->> 'assigned_agent_id')::uuid
ORDER BY m.n;
-- the backlog of the queue (released by Eli or not yet routed), in the order it is served
SELECT c.customer_identifier AS customer, c.priority FROM conversations c
WHERE c.org_id = '11111111-1111-1111-1111-111111111111' AND c.queue_id = 'a0000000-0000-0000-0000-0000000f0001'
  AND c.assigned_agent_id IS NULL AND c.status = 'open'
ORDER BY switchboard.routing_priority_rank(c.priority), c.created_at, c.id;
-- Dana closes one: the freed unit goes to the backlog, urgent first
SELECT close_conversation(c.id) FROM conversations c
WHERE c.org_id = '11111111-1111-1111-1111-111111111111' AND c.customer_identifier = '+14155550203';
SELECT c.customer_identifier AS customer, c.priority, coalesce(a.display_name, '(backlog)') AS agent
FROM conversations c LEFT JOIN agents a ON a.org_id = c.org_id AND a.id = c.assigned_agent_id
WHERE c.org_id = '11111111-1111-1111-1111-111111111111' AND c.queue_id = 'a0000000-0000-0000-0000-0000000f0001'
  AND c.status = 'open' AND (c.assigned_agent_id IS NULL OR c.customer_identifier = '+14155550209')
ORDER BY switchboard.routing_priority_rank(c.priority), c.created_at, c.id;
-- capacity is a hard limit: even a raw UPDATE past it is refused by the trigger
SAVEPOINT s;
UPDATE conversations SET assigned_agent_id = 'a0000000-0000-0000-0000-0000000a0001'
WHERE org_id = '11111111-1111-1111-1111-111111111111' AND customer_identifier = '+14155550208';
ROLLBACK TO SAVEPOINT s;
-- the assignment history of the burst
SELECT h.reason, count(*) AS assignments FROM conversation_assignments h
WHERE h.org_id = '11111111-1111-1111-1111-111111111111' GROUP BY h.reason ORDER BY 1;
-- SLA: pretend one conversation came in two hours ago as high priority (due after 15 minutes)
UPDATE conversations SET created_at = created_at - interval '2 hours', priority = 'high'
WHERE org_id = '11111111-1111-1111-1111-111111111111' AND customer_identifier = '@sam_k';
SELECT c.customer_identifier AS customer, b.priority, b.sla_state, b.minutes_past_due
FROM sla_breaches('11111111-1111-1111-1111-111111111111') b JOIN conversations c ON c.id = b.conversation_id;
ROLLBACK;
