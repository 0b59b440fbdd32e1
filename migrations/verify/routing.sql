-- Verify switchboard:routing on pg
SELECT id, org_id, user_id, display_name, status, max_concurrent FROM public.agents WHERE false;
SELECT id, org_id, name FROM public.queues WHERE false;
SELECT org_id, queue_id, agent_id FROM public.queue_members WHERE false;
SELECT id, org_id, channel, customer_identifier, status, priority, queue_id, assigned_agent_id, sla_due_at
  FROM public.conversations WHERE false;
SELECT id, org_id, conversation_id, direction, body FROM public.conversation_messages WHERE false;
SELECT id, org_id, conversation_id, agent_id, previous_agent_id, reason, over_capacity, created_at
  FROM public.conversation_assignments WHERE false;
SELECT org_id, scope_id, queue_id, last_agent_id FROM public.routing_cursors WHERE false;
SELECT org_id, priority, first_response_minutes FROM public.sla_policies WHERE false;
SELECT 1/count(*) FROM pg_class WHERE oid = 'public.conversations'::regclass AND relrowsecurity AND relforcerowsecurity;
SELECT 'public.assign_conversation(uuid)'::regprocedure, 'public.auto_assign_conversation(uuid)'::regprocedure,
       'public.get_next_round_robin_agent(uuid, uuid)'::regprocedure, 'public.close_conversation(uuid)'::regprocedure;
