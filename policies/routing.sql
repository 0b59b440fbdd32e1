-- Routing: agents, queues, conversations and their messages, the assignment
-- history, the rotation cursors and the SLA policies. Every table keys on
-- org_id and runs under forced RLS. The functions live in functions/routing.sql.

CREATE TABLE public.agents (
  id uuid NOT NULL DEFAULT extensions.gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  user_id uuid,
  display_name text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 200),
  status text NOT NULL DEFAULT 'offline' CHECK (status IN ('available', 'busy', 'away', 'offline')),
  max_concurrent int NOT NULL DEFAULT 5 CHECK (max_concurrent BETWEEN 0 AND 1000),
  status_changed_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, user_id)
);
COMMENT ON TABLE public.agents IS 'human agents of the unified inbox; routing gives them conversations in strict rotation';
COMMENT ON COLUMN public.agents.user_id IS 'the member (org_members.user_id) working as this agent, if any';
COMMENT ON COLUMN public.agents.status IS 'available agents receive conversations; going offline releases their open ones';
COMMENT ON COLUMN public.agents.max_concurrent IS 'capacity: most open plus pending conversations the agent holds at once';
COMMENT ON COLUMN public.agents.status_changed_at IS 'when status last changed';
COMMENT ON CONSTRAINT agents_org_id_user_id_key ON public.agents IS 'one agent per member and org';

CREATE TABLE public.queues (
  id uuid NOT NULL DEFAULT extensions.gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, name)
);
COMMENT ON TABLE public.queues IS 'a routing queue (e.g. front desk, billing); conversations without a queue rotate over the whole org';
COMMENT ON CONSTRAINT queues_org_id_name_key ON public.queues IS 'queue names are unique within an org';

CREATE TABLE public.queue_members (
  org_id uuid NOT NULL,
  queue_id uuid NOT NULL,
  agent_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, queue_id, agent_id),
  FOREIGN KEY (org_id, queue_id) REFERENCES public.queues (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, agent_id) REFERENCES public.agents (org_id, id) ON DELETE CASCADE
);
CREATE INDEX queue_members_agent_idx ON public.queue_members (org_id, agent_id);
COMMENT ON TABLE public.queue_members IS 'which agents serve which queue; an agent may serve several';
COMMENT ON INDEX public.queue_members_agent_idx IS 'the queues of an agent';

-- The rank routing serves backlogs in: urgent first.
CREATE FUNCTION switchboard.routing_priority_rank(p_priority text) RETURNS smallint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog
AS $$
  SELECT CASE p_priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 WHEN 'low' THEN 3 END::smallint
$$;
COMMENT ON FUNCTION switchboard.routing_priority_rank(text) IS
  'sort rank of a conversation priority: urgent 0, high 1, normal 2, low 3';

CREATE TABLE public.conversations (
  id uuid NOT NULL DEFAULT extensions.gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  channel text NOT NULL CHECK (channel IN ('whatsapp', 'email', 'sms', 'social', 'voice', 'webchat')),
  customer_identifier text NOT NULL CHECK (length(btrim(customer_identifier)) BETWEEN 1 AND 320),
  contact_id uuid,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'snoozed', 'closed')),
  priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
  queue_id uuid,
  assigned_agent_id uuid,
  assigned_at timestamptz,
  capacity_override_agent_id uuid,
  sla_due_at timestamptz,
  first_response_at timestamptz,
  last_message_at timestamptz,
  closed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, contact_id) REFERENCES public.contacts (org_id, id) ON DELETE SET NULL (contact_id),
  FOREIGN KEY (org_id, queue_id) REFERENCES public.queues (org_id, id) ON DELETE SET NULL (queue_id),
  FOREIGN KEY (org_id, assigned_agent_id) REFERENCES public.agents (org_id, id) ON DELETE SET NULL (assigned_agent_id),
  CHECK (status <> 'closed' OR closed_at IS NOT NULL)
);
-- one live conversation per (channel, customer): inbound messages find it
CREATE UNIQUE INDEX conversations_live_customer_key ON public.conversations (org_id, channel, customer_identifier)
  WHERE status <> 'closed';
-- capacity: the active conversations of an agent
CREATE INDEX conversations_agent_active_idx ON public.conversations (org_id, assigned_agent_id)
  WHERE status IN ('open', 'pending') AND assigned_agent_id IS NOT NULL;
-- backlog: unassigned active conversations of a queue, by priority then age
CREATE INDEX conversations_backlog_idx ON public.conversations
  (org_id, queue_id, switchboard.routing_priority_rank(priority), created_at)
  WHERE status IN ('open', 'pending') AND assigned_agent_id IS NULL;
-- SLA watch: unanswered live conversations by due time
CREATE INDEX conversations_sla_idx ON public.conversations (org_id, sla_due_at)
  WHERE status <> 'closed' AND first_response_at IS NULL AND sla_due_at IS NOT NULL;
COMMENT ON TABLE public.conversations IS 'a thread with one customer on one channel (WhatsApp, e-mail, SMS, social, voice)';
COMMENT ON COLUMN public.conversations.customer_identifier IS 'the customer''s address on the channel (phone, e-mail, handle); never echoed in errors';
COMMENT ON COLUMN public.conversations.status IS 'open and pending count against the agent''s capacity; closed frees it';
COMMENT ON COLUMN public.conversations.priority IS 'urgent, high, normal, low: backlog order and SLA policy';
COMMENT ON COLUMN public.conversations.queue_id IS 'the queue that routes it; NULL rotates over every agent of the org';
COMMENT ON COLUMN public.conversations.assigned_agent_id IS 'the agent holding it; NULL while in the backlog';
COMMENT ON COLUMN public.conversations.assigned_at IS 'when the current agent got it';
COMMENT ON COLUMN public.conversations.capacity_override_agent_id IS 'set by manual_assign_conversation(p_allow_over_capacity => true): this agent may hold it beyond capacity';
COMMENT ON COLUMN public.conversations.sla_due_at IS 'first response due by (creation + the org''s SLA policy for the priority)';
COMMENT ON COLUMN public.conversations.first_response_at IS 'first outbound message; stops the SLA clock';
COMMENT ON COLUMN public.conversations.last_message_at IS 'latest message in either direction';
COMMENT ON COLUMN public.conversations.closed_at IS 'when it was closed';
COMMENT ON INDEX public.conversations_live_customer_key IS 'at most one live (not closed) conversation per channel and customer';
COMMENT ON INDEX public.conversations_agent_active_idx IS 'counts an agent''s open and pending conversations (capacity)';
COMMENT ON INDEX public.conversations_backlog_idx IS 'the backlog of a queue in priority, then age order';
COMMENT ON INDEX public.conversations_sla_idx IS 'unanswered live conversations by SLA due time';

CREATE TABLE public.conversation_messages (
  id uuid NOT NULL DEFAULT extensions.gen_random_uuid(),
  org_id uuid NOT NULL,
  conversation_id uuid NOT NULL,
  direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  sender text CHECK (length(sender) <= 320),
  body text NOT NULL CHECK (length(body) <= 100000),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, conversation_id) REFERENCES public.conversations (org_id, id) ON DELETE CASCADE
);
CREATE INDEX conversation_messages_conversation_idx ON public.conversation_messages (org_id, conversation_id, created_at);
COMMENT ON TABLE public.conversation_messages IS 'messages of a conversation, inbound from the customer or outbound from the clinic';
COMMENT ON COLUMN public.conversation_messages.sender IS 'the sender''s address or the agent''s name';
COMMENT ON INDEX public.conversation_messages_conversation_idx IS 'a conversation''s messages in order';

CREATE TABLE public.conversation_assignments (
  id bigint GENERATED ALWAYS AS IDENTITY,
  org_id uuid NOT NULL,
  conversation_id uuid NOT NULL,
  agent_id uuid,
  previous_agent_id uuid,
  reason text NOT NULL CHECK (reason IN ('auto', 'manual', 'reassign', 'release')),
  scope_id uuid,
  over_capacity boolean NOT NULL DEFAULT false,
  note text CHECK (length(note) <= 500),
  actor_user_id uuid,
  actor_role text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, conversation_id) REFERENCES public.conversations (org_id, id) ON DELETE CASCADE,
  CHECK ((reason = 'release') = (agent_id IS NULL)),
  CHECK ((reason = 'auto') = (scope_id IS NOT NULL))
);
-- the rotation cursor of a scope is its latest auto assignment
CREATE INDEX conversation_assignments_cursor_idx ON public.conversation_assignments (org_id, scope_id, id)
  WHERE reason = 'auto';
CREATE INDEX conversation_assignments_conversation_idx ON public.conversation_assignments (org_id, conversation_id, id);
CREATE INDEX conversation_assignments_agent_idx ON public.conversation_assignments (org_id, agent_id, created_at);
COMMENT ON TABLE public.conversation_assignments IS 'assignment history: who got which conversation, when and why (auto, manual, reassign, release)';
COMMENT ON COLUMN public.conversation_assignments.agent_id IS 'the new agent; NULL when released back to the queue';
COMMENT ON COLUMN public.conversation_assignments.previous_agent_id IS 'the agent before this change';
COMMENT ON COLUMN public.conversation_assignments.over_capacity IS 'a manual assignment explicitly allowed past the agent''s capacity';
COMMENT ON COLUMN public.conversation_assignments.note IS 'free-text reason given by the person who assigned';
COMMENT ON COLUMN public.conversation_assignments.actor_user_id IS 'the member who caused it (claims sub), NULL for the backend';
COMMENT ON COLUMN public.conversation_assignments.actor_role IS 'database role of the request';
COMMENT ON COLUMN public.conversation_assignments.scope_id IS 'for rotation (auto) assignments: the queue id, or the org id for the org-wide rotation';
COMMENT ON INDEX public.conversation_assignments_cursor_idx IS 'the rotation cursor: the latest auto assignment of a scope';
COMMENT ON INDEX public.conversation_assignments_conversation_idx IS 'history of a conversation';
COMMENT ON INDEX public.conversation_assignments_agent_idx IS 'history of an agent';

CREATE TABLE public.sla_policies (
  org_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  priority text NOT NULL CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
  first_response_minutes int NOT NULL CHECK (first_response_minutes BETWEEN 1 AND 525600),
  warn_minutes int NOT NULL DEFAULT 15 CHECK (warn_minutes BETWEEN 0 AND 525600),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, priority)
);
COMMENT ON TABLE public.sla_policies IS 'first-response targets per org and priority; set conversations.sla_due_at';
COMMENT ON COLUMN public.sla_policies.first_response_minutes IS 'minutes from creation until the first response is due';
COMMENT ON COLUMN public.sla_policies.warn_minutes IS 'a conversation this close to its due time is about to breach';

-- Policies: every member reads; owners/admins configure agents, queues and SLA;
-- agents also work conversations and messages. History and cursors are written
-- by the routing functions only.
SELECT switchboard.apply_tenant_policies('public.agents', ARRAY['owner', 'admin', 'agent', 'viewer'], ARRAY['owner', 'admin']);
SELECT switchboard.apply_tenant_policies('public.queues', ARRAY['owner', 'admin', 'agent', 'viewer'], ARRAY['owner', 'admin']);
SELECT switchboard.apply_tenant_policies('public.queue_members', ARRAY['owner', 'admin', 'agent', 'viewer'], ARRAY['owner', 'admin']);
SELECT switchboard.apply_tenant_policies('public.conversations');
SELECT switchboard.apply_tenant_policies('public.conversation_messages');
SELECT switchboard.apply_tenant_policies('public.conversation_assignments', ARRAY['owner', 'admin', 'agent', 'viewer'], ARRAY['owner', 'admin']);
SELECT switchboard.apply_tenant_policies('public.sla_policies', ARRAY['owner', 'admin', 'agent', 'viewer'], ARRAY['owner', 'admin']);

GRANT SELECT, INSERT, UPDATE, DELETE ON public.queues, public.queue_members,
  public.conversation_messages, public.sla_policies TO authenticated;
GRANT SELECT, INSERT, DELETE ON public.agents TO authenticated;
GRANT UPDATE (user_id, display_name, status, max_concurrent) ON public.agents TO authenticated;
-- conversations: the override column and timestamps kept by routing are not writable directly
GRANT SELECT, DELETE ON public.conversations TO authenticated;
GRANT INSERT (id, org_id, channel, customer_identifier, contact_id, status, priority, queue_id, assigned_agent_id)
  ON public.conversations TO authenticated;
GRANT UPDATE (channel, customer_identifier, contact_id, status, priority, queue_id, assigned_agent_id, closed_at)
  ON public.conversations TO authenticated;
GRANT SELECT ON public.conversation_assignments TO authenticated;
GRANT ALL ON public.agents, public.queues, public.queue_members, public.conversations,
  public.conversation_messages, public.conversation_assignments, public.sla_policies TO service_role;

-- lookups by id alone (API functions take an entity id and resolve its org)
CREATE INDEX conversations_id_idx ON public.conversations (id);
CREATE INDEX agents_id_idx ON public.agents (id);
COMMENT ON INDEX public.conversations_id_idx IS 'resolves the org of a conversation id passed to an API function';
COMMENT ON INDEX public.agents_id_idx IS 'resolves the org of an agent id passed to an API function';
