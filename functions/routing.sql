-- Routing: round-robin assignment of conversations to agents, capacity-safe
-- under any interleaving of callers.
--
-- Lock order (every routing path follows it):
--   1. the scope lock of a rotation: pg_advisory_xact_lock on
--      switchboard.lock_key('routing', org, queue id or org id), held to commit;
--   2. the conversation row (FOR NO KEY UPDATE);
--   3. the agent row (FOR NO KEY UPDATE), before its load is counted.
-- manual_assign_conversation skips 1 (it does not rotate). An agent going
-- offline holds its own row and then the rows of its assigned conversations;
-- the only paths that hold a conversation row and wait for an agent row are
-- assignments of conversations that agent does not hold, and backlog offers
-- made while other locks are held use SKIP LOCKED, so these never form a cycle.
-- Every write that adds load to an agent, whoever makes it, passes the BEFORE
-- trigger below, which locks the agent row and counts: the backstop.

-- ---------------------------------------------------------------- helpers

CREATE FUNCTION switchboard.routing_lock_scope(p_org_id uuid, p_scope_id uuid) RETURNS void
  LANGUAGE sql
  SET search_path = pg_catalog
AS $$
  SELECT pg_catalog.pg_advisory_xact_lock(k[1], k[2]) FROM switchboard.lock_key('routing', p_org_id, p_scope_id) k
$$;
COMMENT ON FUNCTION switchboard.routing_lock_scope(uuid, uuid) IS
  'takes the transaction-scoped routing lock of one rotation (a queue, or the org when the scope is the org id)';
REVOKE ALL ON FUNCTION switchboard.routing_lock_scope(uuid, uuid) FROM PUBLIC;

CREATE FUNCTION switchboard.routing_load(p_org_id uuid, p_agent_id uuid) RETURNS int
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog
AS $$
BEGIN
  RETURN (SELECT count(*) FROM public.conversations c
          WHERE c.org_id = p_org_id AND c.assigned_agent_id = p_agent_id AND c.status IN ('open', 'pending'));
END
$$;
COMMENT ON FUNCTION switchboard.routing_load(uuid, uuid) IS
  'open plus pending conversations an agent holds (its load against max_concurrent); exact once the caller holds the agent row lock';
REVOKE ALL ON FUNCTION switchboard.routing_load(uuid, uuid) FROM PUBLIC;

-- The rotation cursor of a scope (a queue id, or the org id for the org-wide
-- rotation): the agent of its latest auto assignment. Written by the history
-- trigger under the scope lock, so the next lock holder reads the new position.
CREATE FUNCTION switchboard.routing_cursor(p_org_id uuid, p_scope_id uuid) RETURNS uuid
  LANGUAGE sql STABLE
  SET search_path = pg_catalog
AS $$
  SELECT h.agent_id FROM public.conversation_assignments h
  WHERE h.org_id = p_org_id AND h.scope_id = p_scope_id AND h.reason = 'auto'
  ORDER BY h.id DESC LIMIT 1
$$;
COMMENT ON FUNCTION switchboard.routing_cursor(uuid, uuid) IS
  'the agent of the latest auto assignment of a rotation scope: the rotation continues after it';
REVOKE ALL ON FUNCTION switchboard.routing_cursor(uuid, uuid) FROM PUBLIC;

-- The org of a conversation id, for API functions that take only the id.
-- Prefers the caller's org; P0002 when no org has it.
CREATE FUNCTION switchboard.routing_conversation_org(p_conversation_id uuid) RETURNS uuid
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog
AS $$
DECLARE
  v_org uuid := switchboard.current_org_id();
  v_orgs uuid[];
BEGIN
  IF p_conversation_id IS NULL THEN
    RAISE EXCEPTION 'p_conversation_id is required' USING ERRCODE = '22023';
  END IF;
  IF v_org IS NOT NULL AND EXISTS (SELECT 1 FROM public.conversations c WHERE c.org_id = v_org AND c.id = p_conversation_id) THEN
    RETURN v_org;
  END IF;
  SELECT array_agg(c.org_id) INTO v_orgs FROM (SELECT org_id FROM public.conversations WHERE id = p_conversation_id LIMIT 2) c;
  IF v_orgs IS NULL THEN
    RAISE EXCEPTION 'conversation not found' USING ERRCODE = 'P0002';
  ELSIF cardinality(v_orgs) > 1 THEN
    RAISE EXCEPTION 'conversation id is ambiguous across orgs' USING ERRCODE = '22023';
  END IF;
  RETURN v_orgs[1];
END
$$;
COMMENT ON FUNCTION switchboard.routing_conversation_org(uuid) IS
  'org of a conversation id (the caller''s org first); P0002 when unknown';
REVOKE ALL ON FUNCTION switchboard.routing_conversation_org(uuid) FROM PUBLIC;

CREATE FUNCTION switchboard.routing_agent_org(p_agent_id uuid) RETURNS uuid
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog
AS $$
DECLARE
  v_org uuid := switchboard.current_org_id();
  v_orgs uuid[];
BEGIN
  IF p_agent_id IS NULL THEN
    RAISE EXCEPTION 'p_agent_id is required' USING ERRCODE = '22023';
  END IF;
  IF v_org IS NOT NULL AND EXISTS (SELECT 1 FROM public.agents a WHERE a.org_id = v_org AND a.id = p_agent_id) THEN
    RETURN v_org;
  END IF;
  SELECT array_agg(a.org_id) INTO v_orgs FROM (SELECT org_id FROM public.agents WHERE id = p_agent_id LIMIT 2) a;
  IF v_orgs IS NULL THEN
    RAISE EXCEPTION 'agent not found' USING ERRCODE = 'P0002';
  ELSIF cardinality(v_orgs) > 1 THEN
    RAISE EXCEPTION 'agent id is ambiguous across orgs' USING ERRCODE = '22023';
  END IF;
  RETURN v_orgs[1];
END
$$;
COMMENT ON FUNCTION switchboard.routing_agent_org(uuid) IS
  'org of an agent id (the caller''s org first); P0002 when unknown';
REVOKE ALL ON FUNCTION switchboard.routing_agent_org(uuid) FROM PUBLIC;

-- The next agent of a rotation: the first eligible agent after p_after in id
-- order, wrapping around. Eligible: available, a member of the queue (any
-- agent of the org when p_queue_id is NULL), load below max_concurrent.
-- p_lock: 'none' reads only; 'wait' locks each candidate's row before
-- counting its load (the caller holds the scope lock): every writer that adds
-- load to an agent holds that row lock until it commits, so status and count
-- read after the lock are exact, also across queues that share the agent;
-- 'skip' passes over agents another transaction holds (backlog offers made
-- while other locks are held).
CREATE FUNCTION switchboard.routing_pick(p_org_id uuid, p_queue_id uuid, p_after uuid, p_lock text DEFAULT 'none')
  RETURNS uuid
  LANGUAGE plpgsql
  SET search_path = pg_catalog
AS $$
DECLARE
  r record;
  v_status text;
  v_max int;
BEGIN
  FOR r IN
    SELECT a.id, a.max_concurrent FROM public.agents a
    WHERE a.org_id = p_org_id AND a.status = 'available' AND a.max_concurrent > 0
      AND (p_queue_id IS NULL OR EXISTS (
            SELECT 1 FROM public.queue_members m
            WHERE m.org_id = p_org_id AND m.queue_id = p_queue_id AND m.agent_id = a.id))
    ORDER BY (p_after IS NOT NULL AND a.id <= p_after), a.id
  LOOP
    -- an agent that looks full is passed over without taking its lock (two
    -- rotations sharing agents then rarely hold each other's agents)
    CONTINUE WHEN (SELECT count(*) FROM public.conversations c WHERE c.org_id = p_org_id AND c.assigned_agent_id = r.id AND c.status IN ('open', 'pending')) >= r.max_concurrent;
    IF p_lock = 'none' THEN
      RETURN r.id;
    ELSIF p_lock = 'wait' THEN
      SELECT a.status, a.max_concurrent INTO v_status, v_max FROM public.agents a
      WHERE a.org_id = p_org_id AND a.id = r.id FOR NO KEY UPDATE;
    ELSE
      SELECT a.status, a.max_concurrent INTO v_status, v_max FROM public.agents a
      WHERE a.org_id = p_org_id AND a.id = r.id FOR NO KEY UPDATE SKIP LOCKED;
      CONTINUE WHEN NOT FOUND;
    END IF;
    IF v_status = 'available'
       AND (SELECT count(*) FROM public.conversations c WHERE c.org_id = p_org_id AND c.assigned_agent_id = r.id AND c.status IN ('open', 'pending')) < v_max THEN
      RETURN r.id;
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION switchboard.routing_pick(uuid, uuid, uuid, text) IS
  'next eligible agent after p_after in id order (wrapping); p_lock none/wait/skip decides whether the agent row is locked before its load is counted';
REVOKE ALL ON FUNCTION switchboard.routing_pick(uuid, uuid, uuid, text) FROM PUBLIC;

-- Gives one locked, active, unassigned conversation to the next agent of its
-- rotation and advances the cursor. The caller holds the scope lock.
CREATE FUNCTION switchboard.routing_assign_locked(p_org_id uuid, p_conversation_id uuid, p_queue_id uuid, p_lock text)
  RETURNS uuid
  LANGUAGE plpgsql
  SET search_path = pg_catalog
AS $$
DECLARE
  v_scope uuid := coalesce(p_queue_id, p_org_id);
  v_after uuid;
  v_agent uuid;
BEGIN
  v_after := switchboard.routing_cursor(p_org_id, v_scope);
  v_agent := switchboard.routing_pick(p_org_id, p_queue_id, v_after, p_lock);
  IF v_agent IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('switchboard_routing.reason', 'auto', true);
  UPDATE public.conversations SET assigned_agent_id = v_agent
  WHERE org_id = p_org_id AND id = p_conversation_id;
  IF NOT FOUND THEN
    -- routing_pick counted under the agent row lock, so the trigger cannot
    -- refuse here; kept as the error that refusal used to raise
    RAISE EXCEPTION 'agent is at capacity' USING ERRCODE = '23P01';
  END IF;
  PERFORM set_config('switchboard_routing.reason', '', true);
  -- the history row the trigger wrote is the new cursor position
  RETURN v_agent;
END
$$;
COMMENT ON FUNCTION switchboard.routing_assign_locked(uuid, uuid, uuid, text) IS
  'assigns a locked conversation to the next agent of its rotation and advances the cursor; caller holds the scope lock';
REVOKE ALL ON FUNCTION switchboard.routing_assign_locked(uuid, uuid, uuid, text) FROM PUBLIC;

-- Offers up to p_limit backlog conversations of one rotation (priority, then
-- age) to its agents. The caller holds the scope lock. Conversations and
-- agents another transaction holds are passed over (SKIP LOCKED) when
-- p_lock = 'skip', so an offer made while other locks are held never waits.
CREATE FUNCTION switchboard.routing_offer_backlog(p_org_id uuid, p_queue_id uuid, p_limit int, p_lock text DEFAULT 'skip')
  RETURNS int
  LANGUAGE plpgsql
  SET search_path = pg_catalog
AS $$
DECLARE
  v_conv uuid;
  v_n int := 0;
BEGIN
  WHILE v_n < p_limit LOOP
    IF p_queue_id IS NULL THEN
      SELECT c.id INTO v_conv FROM public.conversations c
      WHERE c.org_id = p_org_id AND c.queue_id IS NULL AND c.status IN ('open', 'pending') AND c.assigned_agent_id IS NULL
      ORDER BY switchboard.routing_priority_rank(c.priority), c.created_at, c.id
      LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED;
    ELSE
      SELECT c.id INTO v_conv FROM public.conversations c
      WHERE c.org_id = p_org_id AND c.queue_id = p_queue_id AND c.status IN ('open', 'pending') AND c.assigned_agent_id IS NULL
      ORDER BY switchboard.routing_priority_rank(c.priority), c.created_at, c.id
      LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED;
    END IF;
    EXIT WHEN NOT FOUND;
    EXIT WHEN switchboard.routing_assign_locked(p_org_id, v_conv, p_queue_id, p_lock) IS NULL;
    v_n := v_n + 1;
  END LOOP;
  RETURN v_n;
END
$$;
COMMENT ON FUNCTION switchboard.routing_offer_backlog(uuid, uuid, int, text) IS
  'assigns up to p_limit backlog conversations of a rotation in priority then age order; caller holds the scope lock';
REVOKE ALL ON FUNCTION switchboard.routing_offer_backlog(uuid, uuid, int, text) FROM PUBLIC;

-- Releases an agent's open and pending conversations back to their queues
-- (unassigned, in the backlog). Returns how many.
CREATE FUNCTION switchboard.routing_release(p_org_id uuid, p_agent_id uuid) RETURNS int
  LANGUAGE plpgsql
  SET search_path = pg_catalog
AS $$
DECLARE
  v_n int;
BEGIN
  PERFORM set_config('switchboard_routing.reason', 'release', true);
  UPDATE public.conversations SET assigned_agent_id = NULL
  WHERE org_id = p_org_id AND assigned_agent_id = p_agent_id AND status IN ('open', 'pending');
  GET DIAGNOSTICS v_n = ROW_COUNT;
  PERFORM set_config('switchboard_routing.reason', '', true);
  RETURN v_n;
END
$$;
COMMENT ON FUNCTION switchboard.routing_release(uuid, uuid) IS
  'unassigns an agent''s open and pending conversations (back to the backlog); returns how many';
REVOKE ALL ON FUNCTION switchboard.routing_release(uuid, uuid) FROM PUBLIC;

-- ---------------------------------------------------------------- triggers

-- BEFORE INSERT/UPDATE on conversations: timestamps, SLA due time, and the
-- capacity backstop. Any write that adds load to an agent (new assignment, or
-- reactivation of an assigned conversation) locks the agent row and counts.
CREATE FUNCTION switchboard.routing_conversation_before() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog
AS $$
DECLARE
  v_adds_load boolean;
  v_reactivated boolean := false;
  v_status text;
  v_max int;
  v_load int;
  v_minutes int;
BEGIN
  NEW.updated_at := now();
  IF NEW.status = 'closed' THEN
    NEW.closed_at := coalesce(NEW.closed_at, now());
  ELSE
    NEW.closed_at := NULL;
  END IF;

  IF TG_OP = 'INSERT' OR NEW.priority IS DISTINCT FROM OLD.priority THEN
    IF NEW.first_response_at IS NULL THEN
      SELECT p.first_response_minutes INTO v_minutes FROM public.sla_policies p
      WHERE p.org_id = NEW.org_id AND p.priority = NEW.priority;
      NEW.sla_due_at := CASE WHEN v_minutes IS NOT NULL THEN NEW.created_at + make_interval(mins => v_minutes) END;
    END IF;
  END IF;

  IF TG_OP = 'INSERT' OR NEW.assigned_agent_id IS DISTINCT FROM OLD.assigned_agent_id THEN
    NEW.assigned_at := CASE WHEN NEW.assigned_agent_id IS NOT NULL THEN now() END;
  END IF;
  -- an override is granted for one agent and lapses when the agent changes
  IF NEW.capacity_override_agent_id IS DISTINCT FROM NEW.assigned_agent_id THEN
    NEW.capacity_override_agent_id := NULL;
  END IF;

  IF NEW.assigned_agent_id IS NULL OR NEW.status NOT IN ('open', 'pending') THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' OR NEW.assigned_agent_id IS DISTINCT FROM OLD.assigned_agent_id THEN
    v_adds_load := true;
  ELSIF OLD.status NOT IN ('open', 'pending') THEN
    v_adds_load := true;
    v_reactivated := true;
  ELSE
    v_adds_load := false;
  END IF;
  IF NOT v_adds_load THEN
    RETURN NEW;
  END IF;

  -- under REPEATABLE READ the count below would read the transaction's old
  -- snapshot and miss concurrent assignments: refuse rather than overshoot
  -- (SERIALIZABLE is safe: SSI aborts one of two writers that count each other)
  IF current_setting('transaction_isolation') = 'repeatable read' THEN
    RAISE EXCEPTION 'assigning conversations needs READ COMMITTED or SERIALIZABLE isolation' USING ERRCODE = '0A000',
      HINT = 'run the assignment in a READ COMMITTED transaction';
  END IF;
  -- the row lock makes the count exact: every other writer that adds load to
  -- this agent holds the same lock until it commits, and this statement's
  -- fresh snapshot sees all of them
  SELECT a.status, a.max_concurrent INTO v_status, v_max FROM public.agents a
  WHERE a.org_id = NEW.org_id AND a.id = NEW.assigned_agent_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN NEW; -- the foreign key reports the unknown agent
  END IF;
  v_load := (SELECT count(*) FROM public.conversations c WHERE c.org_id = NEW.org_id AND c.assigned_agent_id = NEW.assigned_agent_id AND c.status IN ('open', 'pending'));
  IF (v_status = 'offline' OR v_load >= v_max) AND NEW.capacity_override_agent_id IS NULL THEN
    IF v_reactivated THEN
      -- reopening must not fail (an inbound message reopens a snoozed
      -- conversation): the conversation goes back to the backlog instead
      PERFORM set_config('switchboard_routing.reason', 'release', true);
      NEW.assigned_agent_id := NULL;
      NEW.assigned_at := NULL;
      RETURN NEW;
    ELSIF TG_OP = 'UPDATE' AND current_setting('switchboard_routing.reason', true) = 'auto' THEN
      -- a rotation offering the conversation to this agent (routing sets the
      -- reason): refused the same way, but the row is left as it was and the
      -- rotation goes on to the next agent, so the caller need not count again
      RETURN NULL;
    ELSIF v_status = 'offline' THEN
      RAISE EXCEPTION 'agent is offline' USING ERRCODE = '22023',
        HINT = 'assign to an agent who is not offline';
    ELSE
      RAISE EXCEPTION 'agent is at capacity' USING ERRCODE = '23P01',
        DETAIL = format('the agent holds %s open or pending conversations of max_concurrent %s', v_load, v_max),
        HINT = 'an owner or admin may assign past capacity with manual_assign_conversation(..., p_allow_over_capacity => true)';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION switchboard.routing_conversation_before() IS
  'conversations BEFORE trigger: timestamps, SLA due time, and the capacity/offline backstop under the agent row lock';
REVOKE ALL ON FUNCTION switchboard.routing_conversation_before() FROM PUBLIC;

CREATE TRIGGER routing_conversation_before BEFORE INSERT OR UPDATE ON public.conversations
  FOR EACH ROW EXECUTE FUNCTION switchboard.routing_conversation_before();
COMMENT ON TRIGGER routing_conversation_before ON public.conversations IS
  'timestamps, SLA due time and the capacity backstop of routing';

-- AFTER INSERT/UPDATE on conversations: the assignment history. The reason
-- of a change comes from the routing function that made it (auto, manual,
-- release), else it is inferred: manual (from nobody), reassign (from
-- someone), release (to nobody).
CREATE FUNCTION switchboard.routing_conversation_after() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog
AS $$
DECLARE
  v_old_agent uuid;
  v_reason text := nullif(current_setting('switchboard_routing.reason', true), '');
BEGIN
  IF TG_OP = 'UPDATE' THEN
    v_old_agent := OLD.assigned_agent_id;
  END IF;
  IF NEW.assigned_agent_id IS NOT DISTINCT FROM v_old_agent THEN
    RETURN NULL;
  END IF;
  IF NEW.assigned_agent_id IS NULL THEN
    v_reason := 'release';
  ELSIF v_reason IS NULL OR v_reason NOT IN ('auto', 'manual') THEN
    v_reason := CASE WHEN v_old_agent IS NULL THEN 'manual' ELSE 'reassign' END;
  ELSIF v_reason = 'manual' AND v_old_agent IS NOT NULL THEN
    v_reason := 'reassign';
  END IF;
  INSERT INTO public.conversation_assignments
    (org_id, conversation_id, agent_id, previous_agent_id, reason, scope_id, over_capacity, note, actor_user_id, actor_role)
  VALUES (NEW.org_id, NEW.id, NEW.assigned_agent_id, v_old_agent, v_reason,
          CASE WHEN v_reason = 'auto' THEN coalesce(NEW.queue_id, NEW.org_id) END,
          NEW.capacity_override_agent_id IS NOT NULL,
          nullif(current_setting('switchboard_routing.note', true), ''),
          switchboard.current_user_id(), switchboard.caller_role());
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION switchboard.routing_conversation_after() IS
  'conversations AFTER trigger: records every change of assigned agent in conversation_assignments';
REVOKE ALL ON FUNCTION switchboard.routing_conversation_after() FROM PUBLIC;

-- two triggers with WHEN clauses: they fire whenever the agent really
-- changed, also when the BEFORE trigger changed it (UPDATE OF would not)
CREATE TRIGGER routing_conversation_after_insert AFTER INSERT ON public.conversations
  FOR EACH ROW WHEN (NEW.assigned_agent_id IS NOT NULL)
  EXECUTE FUNCTION switchboard.routing_conversation_after();
COMMENT ON TRIGGER routing_conversation_after_insert ON public.conversations IS
  'assignment history of routing: a conversation created with an agent';
CREATE TRIGGER routing_conversation_after_update AFTER UPDATE ON public.conversations
  FOR EACH ROW WHEN (OLD.assigned_agent_id IS DISTINCT FROM NEW.assigned_agent_id)
  EXECUTE FUNCTION switchboard.routing_conversation_after();
COMMENT ON TRIGGER routing_conversation_after_update ON public.conversations IS
  'assignment history of routing: every change of agent';

-- AFTER UPDATE OF status on agents: going offline releases the agent's open
-- conversations to the backlog (whoever makes the change, API or table write).
CREATE FUNCTION switchboard.routing_agent_status() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog
AS $$
BEGIN
  PERFORM switchboard.routing_release(NEW.org_id, NEW.id);
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION switchboard.routing_agent_status() IS
  'agents AFTER trigger: an agent going offline releases its open and pending conversations';
REVOKE ALL ON FUNCTION switchboard.routing_agent_status() FROM PUBLIC;

CREATE TRIGGER routing_agent_offline AFTER UPDATE OF status ON public.agents
  FOR EACH ROW WHEN (NEW.status = 'offline' AND OLD.status IS DISTINCT FROM 'offline')
  EXECUTE FUNCTION switchboard.routing_agent_status();
COMMENT ON TRIGGER routing_agent_offline ON public.agents IS
  'releases the conversations of an agent who goes offline';

CREATE FUNCTION switchboard.routing_agent_before() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog
AS $$
BEGIN
  NEW.updated_at := now();
  IF TG_OP = 'UPDATE' AND NEW.status IS DISTINCT FROM OLD.status THEN
    NEW.status_changed_at := now();
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION switchboard.routing_agent_before() IS 'agents BEFORE trigger: updated_at and status_changed_at';
REVOKE ALL ON FUNCTION switchboard.routing_agent_before() FROM PUBLIC;

CREATE TRIGGER routing_agent_before BEFORE INSERT OR UPDATE ON public.agents
  FOR EACH ROW EXECUTE FUNCTION switchboard.routing_agent_before();
COMMENT ON TRIGGER routing_agent_before ON public.agents IS 'keeps updated_at and status_changed_at';

-- AFTER INSERT on conversation_messages: last message time, first response.
CREATE FUNCTION switchboard.routing_message_after() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog
AS $$
BEGIN
  UPDATE public.conversations c
  SET last_message_at = greatest(c.last_message_at, NEW.created_at),
      first_response_at = CASE WHEN NEW.direction = 'outbound' THEN coalesce(c.first_response_at, NEW.created_at)
                               ELSE c.first_response_at END
  WHERE c.org_id = NEW.org_id AND c.id = NEW.conversation_id;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION switchboard.routing_message_after() IS
  'conversation_messages AFTER trigger: keeps last_message_at and the first response time (stops the SLA clock)';
REVOKE ALL ON FUNCTION switchboard.routing_message_after() FROM PUBLIC;

CREATE TRIGGER routing_message_after AFTER INSERT ON public.conversation_messages
  FOR EACH ROW EXECUTE FUNCTION switchboard.routing_message_after();
COMMENT ON TRIGGER routing_message_after ON public.conversation_messages IS
  'last message time and first response of the conversation';

-- ---------------------------------------------------------------- API

-- assign_conversation: the next eligible agent of the conversation's queue (or
-- org) in strict rotation; NULL when nobody is eligible; the current agent when
-- already assigned. Closed or snoozed conversations: 22023.
CREATE FUNCTION public.assign_conversation(p_conversation_id uuid) RETURNS uuid
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
  -- every statement is parameterised the same way on every call: generic
  -- plans from the first call on, instead of planning each statement five
  -- times per backend (mostly inside the critical section) or keeping a
  -- custom plan that is re-planned on every call
  SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  v_claims_org uuid := switchboard.current_org_id();
  v_org uuid;
  v_status text;
  v_queue uuid;
  v_agent uuid;
  v_locked uuid := NULL;
  v_after uuid;
  v_done boolean;
  r record;
  k int[];
BEGIN
  IF p_conversation_id IS NULL THEN
    RAISE EXCEPTION 'p_conversation_id is required' USING ERRCODE = '22023';
  END IF;
  -- the common case in one read: the caller's own conversation, or for the
  -- backend (no claims) the only one with this id; else the slow path decides
  -- between not found, ambiguous and another org's
  SELECT c.org_id, c.status, c.queue_id, c.assigned_agent_id INTO v_org, v_status, v_queue, v_agent
  FROM public.conversations c
  WHERE c.id = p_conversation_id AND (v_claims_org IS NULL OR c.org_id = v_claims_org);
  IF NOT FOUND OR (v_claims_org IS NULL
                   AND EXISTS (SELECT 1 FROM public.conversations c WHERE c.id = p_conversation_id AND c.org_id <> v_org)) THEN
    v_org := switchboard.routing_conversation_org(p_conversation_id);
    SELECT c.status, c.queue_id, c.assigned_agent_id INTO v_status, v_queue, v_agent
    FROM public.conversations c WHERE c.org_id = v_org AND c.id = p_conversation_id;
  END IF;
  PERFORM switchboard.assert_org_access(v_org, ARRAY['owner', 'admin', 'agent']);
  FOR i IN 1..3 LOOP
    IF v_status NOT IN ('open', 'pending') THEN
      RAISE EXCEPTION 'conversation is %', v_status USING ERRCODE = '22023',
        HINT = 'only open or pending conversations can be assigned';
    END IF;
    IF v_agent IS NOT NULL THEN
      RETURN v_agent;
    END IF;
    -- the critical section: scope lock, then the conversation row, then the
    -- agent row (the global lock order), held until commit. Everything above
    -- ran before the lock; below, as few statements as possible.
    IF v_locked IS DISTINCT FROM coalesce(v_queue, v_org) THEN
      v_locked := coalesce(v_queue, v_org);
      k := switchboard.lock_key('routing', v_org, v_locked);
      PERFORM pg_advisory_xact_lock(k[1], k[2]);
    END IF;
    -- the conversation row and the rotation cursor (the agent of the scope's
    -- latest auto history row, written by the previous lock holder) at once
    SELECT c.status, c.queue_id, c.assigned_agent_id,
           (SELECT h.agent_id FROM public.conversation_assignments h
            WHERE h.org_id = v_org AND h.scope_id = v_locked AND h.reason = 'auto'
            ORDER BY h.id DESC LIMIT 1)
    INTO v_status, v_queue, v_agent, v_after
    FROM public.conversations c WHERE c.org_id = v_org AND c.id = p_conversation_id FOR NO KEY UPDATE OF c;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'conversation not found' USING ERRCODE = 'P0002';
    END IF;
    IF v_status IN ('open', 'pending') AND v_agent IS NULL AND v_locked = coalesce(v_queue, v_org) THEN
      -- inline of routing_pick(..., 'wait') and routing_assign_locked (the hot
      -- path): eligible agents in rotation order after the cursor
      FOR r IN
        SELECT a.id FROM public.agents a
        WHERE a.org_id = v_org AND a.status = 'available' AND a.max_concurrent > 0
          AND (v_queue IS NULL OR EXISTS (
                SELECT 1 FROM public.queue_members m
                WHERE m.org_id = v_org AND m.queue_id = v_queue AND m.agent_id = a.id))
        ORDER BY (v_after IS NOT NULL AND a.id <= v_after), a.id
      LOOP
        -- one statement: an agent that looks full is passed over without
        -- taking its lock; otherwise its row is locked (a concurrent change
        -- is waited for and its latest version re-checked: still available)
        PERFORM FROM public.agents a
        WHERE a.org_id = v_org AND a.id = r.id AND a.status = 'available'
          AND (SELECT count(*) FROM public.conversations c
               WHERE c.org_id = v_org AND c.assigned_agent_id = r.id AND c.status IN ('open', 'pending')) < a.max_concurrent
        FOR NO KEY UPDATE OF a;
        CONTINUE WHEN NOT FOUND;
        -- the exact count is the BEFORE trigger's: it runs in this UPDATE,
        -- whose snapshot is taken after the agent row lock, and every writer
        -- that adds load to the agent holds that lock until it commits. With
        -- the reason 'auto' a full agent leaves the row untouched (no error)
        -- and the next agent in rotation is tried.
        PERFORM set_config('switchboard_routing.reason', 'auto', true);
        UPDATE public.conversations SET assigned_agent_id = r.id
        WHERE org_id = v_org AND id = p_conversation_id;
        v_done := FOUND;
        PERFORM set_config('switchboard_routing.reason', '', true);
        -- the history row written by the trigger advanced the cursor
        IF v_done THEN
          RETURN r.id;
        END IF;
      END LOOP;
      RETURN NULL;
    END IF;
  END LOOP;
  RAISE EXCEPTION 'conversation keeps moving between queues; retry' USING ERRCODE = '40001';
END
$$;
COMMENT ON FUNCTION public.assign_conversation(uuid) IS
  'gives an open unassigned conversation to the next eligible agent of its queue (or org) in strict rotation; returns the agent, NULL when nobody is eligible';
REVOKE ALL ON FUNCTION public.assign_conversation(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.assign_conversation(uuid) TO authenticated, service_role;

CREATE FUNCTION public.auto_assign_conversation(p_conversation_id uuid) RETURNS uuid
  LANGUAGE sql
  SET search_path = pg_catalog, public, pg_temp
AS $$ SELECT public.assign_conversation(p_conversation_id) $$;
COMMENT ON FUNCTION public.auto_assign_conversation(uuid) IS
  'the original backend''s name for assign_conversation';
REVOKE ALL ON FUNCTION public.auto_assign_conversation(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.auto_assign_conversation(uuid) TO authenticated, service_role;

-- Who would be next, without assigning or locking anything.
CREATE FUNCTION public.get_next_round_robin_agent(p_org_id uuid, p_queue_id uuid DEFAULT NULL) RETURNS uuid
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin', 'agent']);
  v_after uuid;
BEGIN
  IF p_queue_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.queues q WHERE q.org_id = v_org AND q.id = p_queue_id) THEN
    RAISE EXCEPTION 'queue not found' USING ERRCODE = 'P0002';
  END IF;
  v_after := switchboard.routing_cursor(v_org, coalesce(p_queue_id, v_org));
  RETURN switchboard.routing_pick(v_org, p_queue_id, v_after, 'none');
END
$$;
COMMENT ON FUNCTION public.get_next_round_robin_agent(uuid, uuid) IS
  'the agent the next assignment of a queue (or the org) would go to, without side effects; NULL when nobody is eligible';
REVOKE ALL ON FUNCTION public.get_next_round_robin_agent(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.get_next_round_robin_agent(uuid, uuid) TO authenticated, service_role;

-- Closes a conversation (idempotent) and, when that freed an agent's
-- capacity, offers the oldest backlog conversation of the same queue.
CREATE FUNCTION public.close_conversation(p_conversation_id uuid) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid := switchboard.routing_conversation_org(p_conversation_id);
  v_status text;
  v_queue uuid;
  v_agent uuid;
  v_scope uuid;
BEGIN
  PERFORM switchboard.assert_org_access(v_org, ARRAY['owner', 'admin', 'agent']);
  SELECT c.queue_id INTO v_queue FROM public.conversations c WHERE c.org_id = v_org AND c.id = p_conversation_id;
  v_scope := coalesce(v_queue, v_org);
  PERFORM switchboard.routing_lock_scope(v_org, v_scope);
  SELECT c.status, c.queue_id, c.assigned_agent_id INTO v_status, v_queue, v_agent
  FROM public.conversations c WHERE c.org_id = v_org AND c.id = p_conversation_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'conversation not found' USING ERRCODE = 'P0002';
  END IF;
  IF v_status = 'closed' THEN
    RETURN;
  END IF;
  UPDATE public.conversations SET status = 'closed' WHERE org_id = v_org AND id = p_conversation_id;
  IF v_agent IS NOT NULL AND v_status IN ('open', 'pending') THEN
    -- offer only under the lock of the conversation's current queue (it
    -- could have moved between the first read and the row lock)
    IF coalesce(v_queue, v_org) = v_scope THEN
      PERFORM switchboard.routing_offer_backlog(v_org, v_queue, 1, 'skip');
    END IF;
  END IF;
END
$$;
COMMENT ON FUNCTION public.close_conversation(uuid) IS
  'closes a conversation (a no-op when already closed), freeing the agent''s capacity, and offers the oldest backlog conversation of its queue';
REVOKE ALL ON FUNCTION public.close_conversation(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.close_conversation(uuid) TO authenticated, service_role;

-- Manual assignment by an owner or admin, to any agent of the org that is not
-- offline; past capacity only with p_allow_over_capacity => true, recorded.
CREATE FUNCTION public.manual_assign_conversation(
  p_conversation_id uuid, p_agent_id uuid, p_allow_over_capacity boolean DEFAULT false, p_note text DEFAULT NULL)
  RETURNS uuid
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid := switchboard.routing_conversation_org(p_conversation_id);
  v_status text;
  v_current uuid;
  v_agent_status text;
  v_max int;
  v_load int;
  v_over boolean;
BEGIN
  PERFORM switchboard.assert_org_access(v_org, ARRAY['owner', 'admin']);
  IF p_agent_id IS NULL THEN
    RAISE EXCEPTION 'p_agent_id is required' USING ERRCODE = '22023';
  END IF;
  IF p_allow_over_capacity IS NULL THEN
    RAISE EXCEPTION 'p_allow_over_capacity must be true or false' USING ERRCODE = '22023';
  END IF;
  IF length(p_note) > 500 THEN
    RAISE EXCEPTION 'p_note is longer than 500 characters' USING ERRCODE = '22023';
  END IF;
  SELECT c.status, c.assigned_agent_id INTO v_status, v_current
  FROM public.conversations c WHERE c.org_id = v_org AND c.id = p_conversation_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'conversation not found' USING ERRCODE = 'P0002';
  END IF;
  IF v_status NOT IN ('open', 'pending') THEN
    RAISE EXCEPTION 'conversation is %', v_status USING ERRCODE = '22023',
      HINT = 'only open or pending conversations can be assigned';
  END IF;
  SELECT a.status, a.max_concurrent INTO v_agent_status, v_max FROM public.agents a
  WHERE a.org_id = v_org AND a.id = p_agent_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'agent not found' USING ERRCODE = 'P0002';
  END IF;
  IF v_current = p_agent_id THEN
    RETURN p_agent_id;
  END IF;
  IF v_agent_status = 'offline' THEN
    RAISE EXCEPTION 'agent is offline' USING ERRCODE = '22023', HINT = 'assign to an agent who is not offline';
  END IF;
  v_load := switchboard.routing_load(v_org, p_agent_id);
  v_over := v_load >= v_max;
  IF v_over AND NOT p_allow_over_capacity THEN
    RAISE EXCEPTION 'agent is at capacity' USING ERRCODE = '23P01',
      HINT = 'pass p_allow_over_capacity => true to assign past capacity (it is recorded)';
  END IF;
  PERFORM set_config('switchboard_routing.reason', 'manual', true);
  PERFORM set_config('switchboard_routing.note', coalesce(p_note, ''), true);
  UPDATE public.conversations
  SET assigned_agent_id = p_agent_id,
      capacity_override_agent_id = CASE WHEN v_over THEN p_agent_id END
  WHERE org_id = v_org AND id = p_conversation_id;
  PERFORM set_config('switchboard_routing.reason', '', true);
  PERFORM set_config('switchboard_routing.note', '', true);
  RETURN p_agent_id;
END
$$;
COMMENT ON FUNCTION public.manual_assign_conversation(uuid, uuid, boolean, text) IS
  'owner/admin assigns a conversation to a chosen agent; past capacity only with p_allow_over_capacity => true, recorded in the history';
REVOKE ALL ON FUNCTION public.manual_assign_conversation(uuid, uuid, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.manual_assign_conversation(uuid, uuid, boolean, text) TO authenticated, service_role;

-- Offers the backlog of a queue (or of the org's queue-less conversations).
CREATE FUNCTION public.route_backlog(p_org_id uuid, p_queue_id uuid DEFAULT NULL, p_limit int DEFAULT 100)
  RETURNS int
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin', 'agent']);
BEGIN
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
    RAISE EXCEPTION 'p_limit must be between 1 and 10000' USING ERRCODE = '22023';
  END IF;
  IF p_queue_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.queues q WHERE q.org_id = v_org AND q.id = p_queue_id) THEN
    RAISE EXCEPTION 'queue not found' USING ERRCODE = 'P0002';
  END IF;
  PERFORM switchboard.routing_lock_scope(v_org, coalesce(p_queue_id, v_org));
  RETURN switchboard.routing_offer_backlog(v_org, p_queue_id, p_limit, 'wait');
END
$$;
COMMENT ON FUNCTION public.route_backlog(uuid, uuid, int) IS
  'assigns up to p_limit unassigned conversations of a queue (or the org) in priority then age order; returns how many';
REVOKE ALL ON FUNCTION public.route_backlog(uuid, uuid, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.route_backlog(uuid, uuid, int) TO authenticated, service_role;

-- Sets an agent's status: owners/admins for any agent, an agent for itself.
-- Takes the scope locks of every rotation the agent is in (sorted, so two
-- calls never deadlock), then the agent row; going offline releases its
-- conversations and offers them to the other agents; becoming available
-- offers the backlog. Returns {agent_id, status, released, offered}.
CREATE FUNCTION public.set_agent_status(p_agent_id uuid, p_status text) RETURNS jsonb
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid := switchboard.routing_agent_org(p_agent_id);
  v_role text;
  v_user uuid;
  v_released int := 0;
  v_offered int := 0;
  v_old text;
  r record;
BEGIN
  PERFORM switchboard.assert_org_access(v_org, ARRAY['owner', 'admin', 'agent']);
  IF p_status IS NULL OR p_status NOT IN ('available', 'busy', 'away', 'offline') THEN
    RAISE EXCEPTION 'p_status must be one of available, busy, away, offline' USING ERRCODE = '22023';
  END IF;
  SELECT a.user_id INTO v_user FROM public.agents a WHERE a.org_id = v_org AND a.id = p_agent_id;
  IF NOT switchboard.is_service() THEN
    v_role := switchboard.current_org_role();
    IF v_role = 'agent' AND v_user IS DISTINCT FROM switchboard.current_user_id() THEN
      RAISE EXCEPTION 'an agent may set only its own status' USING ERRCODE = '42501';
    END IF;
  END IF;
  -- every rotation the agent is in: its queues and the org-wide one
  FOR r IN
    SELECT k[1] AS k1, k[2] AS k2 FROM (
      SELECT switchboard.lock_key('routing', v_org, s.scope) AS k FROM (
        SELECT m.queue_id AS scope FROM public.queue_members m WHERE m.org_id = v_org AND m.agent_id = p_agent_id
        UNION SELECT v_org) s) x
    ORDER BY 1, 2
  LOOP
    PERFORM pg_advisory_xact_lock(r.k1, r.k2);
  END LOOP;
  SELECT a.status INTO v_old FROM public.agents a WHERE a.org_id = v_org AND a.id = p_agent_id FOR NO KEY UPDATE;
  IF v_old IS DISTINCT FROM p_status THEN
    IF p_status = 'offline' THEN
      -- released here rather than by the trigger, to count them
      v_released := switchboard.routing_release(v_org, p_agent_id);
    END IF;
    UPDATE public.agents SET status = p_status WHERE org_id = v_org AND id = p_agent_id;
  END IF;
  IF p_status IN ('offline', 'available') THEN
    FOR r IN
      SELECT m.queue_id FROM public.queue_members m WHERE m.org_id = v_org AND m.agent_id = p_agent_id
      UNION ALL SELECT NULL::uuid
    LOOP
      v_offered := v_offered + switchboard.routing_offer_backlog(v_org, r.queue_id, 100, 'skip');
    END LOOP;
  END IF;
  RETURN jsonb_build_object('agent_id', p_agent_id, 'status', p_status, 'released', v_released, 'offered', v_offered);
END
$$;
COMMENT ON FUNCTION public.set_agent_status(uuid, text) IS
  'sets an agent''s status; offline releases its open conversations and offers them to the other agents, available offers the backlog';
REVOKE ALL ON FUNCTION public.set_agent_status(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.set_agent_status(uuid, text) TO authenticated, service_role;

CREATE FUNCTION public.release_agent_conversations(p_agent_id uuid) RETURNS int
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  RETURN (public.set_agent_status(p_agent_id, 'offline') ->> 'released')::int;
END
$$;
COMMENT ON FUNCTION public.release_agent_conversations(uuid) IS
  'takes an agent offline and releases its open and pending conversations back to their queues; returns how many';
REVOKE ALL ON FUNCTION public.release_agent_conversations(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.release_agent_conversations(uuid) TO authenticated, service_role;

-- The conversation for an inbound message: the live one of (channel,
-- customer) when there is one (a snoozed one is reopened), else a new one.
-- Two messages arriving at once get the same conversation: the partial unique
-- index decides, ON CONFLICT DO NOTHING waits for the other inserter.
CREATE FUNCTION public.find_or_create_conversation(
  p_org_id uuid, p_channel text, p_customer_identifier text,
  p_queue_id uuid DEFAULT NULL, p_priority text DEFAULT 'normal')
  RETURNS uuid
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin', 'agent']);
  v_customer text := btrim(p_customer_identifier);
  v_id uuid;
  v_status text;
BEGIN
  IF p_channel IS NULL OR p_channel NOT IN ('whatsapp', 'email', 'sms', 'social', 'voice', 'webchat') THEN
    RAISE EXCEPTION 'p_channel must be one of whatsapp, email, sms, social, voice, webchat' USING ERRCODE = '22023';
  END IF;
  IF v_customer IS NULL OR length(v_customer) NOT BETWEEN 1 AND 320 THEN
    RAISE EXCEPTION 'p_customer_identifier must have 1 to 320 characters' USING ERRCODE = '22023';
  END IF;
  IF p_priority IS NULL OR p_priority NOT IN ('urgent', 'high', 'normal', 'low') THEN
    RAISE EXCEPTION 'p_priority must be one of urgent, high, normal, low' USING ERRCODE = '22023';
  END IF;
  IF p_queue_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM public.queues q WHERE q.org_id = v_org AND q.id = p_queue_id) THEN
    RAISE EXCEPTION 'queue not found' USING ERRCODE = 'P0002';
  END IF;
  FOR i IN 1..5 LOOP
    -- no row lock on a live conversation (routing locks its queue before the
    -- row; taking the row first here could deadlock with it)
    SELECT c.id, c.status INTO v_id, v_status FROM public.conversations c
    WHERE c.org_id = v_org AND c.channel = p_channel AND c.customer_identifier = v_customer AND c.status <> 'closed';
    IF FOUND THEN
      IF v_status = 'snoozed' THEN
        UPDATE public.conversations SET status = 'open' WHERE org_id = v_org AND id = v_id AND status = 'snoozed';
      END IF;
      RETURN v_id;
    END IF;
    INSERT INTO public.conversations (org_id, channel, customer_identifier, queue_id, priority)
    VALUES (v_org, p_channel, v_customer, p_queue_id, p_priority)
    ON CONFLICT (org_id, channel, customer_identifier) WHERE status <> 'closed' DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NOT NULL THEN
      RETURN v_id;
    END IF;
  END LOOP;
  RAISE EXCEPTION 'conversation keeps changing; retry' USING ERRCODE = '40001';
END
$$;
COMMENT ON FUNCTION public.find_or_create_conversation(uuid, text, text, uuid, text) IS
  'the live conversation of (channel, customer), reopened when snoozed, or a new one; safe when messages arrive at once';
REVOKE ALL ON FUNCTION public.find_or_create_conversation(uuid, text, text, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.find_or_create_conversation(uuid, text, text, uuid, text) TO authenticated, service_role;

-- An inbound message: finds or creates its conversation, stores the message,
-- and routes the conversation when it has no agent (p_auto_assign).
-- Returns {conversation_id, message_id, created, assigned_agent_id}.
CREATE FUNCTION public.receive_inbound_message(
  p_org_id uuid, p_channel text, p_customer_identifier text, p_body text,
  p_queue_id uuid DEFAULT NULL, p_priority text DEFAULT 'normal', p_auto_assign boolean DEFAULT true)
  RETURNS jsonb
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin', 'agent']);
  v_conv uuid;
  v_created boolean;
  v_msg uuid;
  v_agent uuid;
  v_status text;
BEGIN
  IF p_body IS NULL OR length(p_body) > 100000 THEN
    RAISE EXCEPTION 'p_body must be present and at most 100000 characters' USING ERRCODE = '22023';
  END IF;
  v_conv := public.find_or_create_conversation(v_org, p_channel, p_customer_identifier, p_queue_id, p_priority);
  -- route before storing the message: the message trigger updates the
  -- conversation row, and routing takes the queue lock before that row
  SELECT c.assigned_agent_id, c.status INTO v_agent, v_status
  FROM public.conversations c WHERE c.org_id = v_org AND c.id = v_conv;
  IF v_agent IS NULL AND coalesce(p_auto_assign, true) AND v_status IN ('open', 'pending') THEN
    v_agent := public.assign_conversation(v_conv);
  END IF;
  INSERT INTO public.conversation_messages (org_id, conversation_id, direction, sender, body)
  VALUES (v_org, v_conv, 'inbound', left(btrim(p_customer_identifier), 320), p_body)
  RETURNING id INTO v_msg;
  v_created := NOT EXISTS (SELECT 1 FROM public.conversation_messages m
                           WHERE m.org_id = v_org AND m.conversation_id = v_conv AND m.id <> v_msg);
  RETURN jsonb_build_object('conversation_id', v_conv, 'message_id', v_msg, 'created', v_created,
                            'assigned_agent_id', v_agent);
END
$$;
COMMENT ON FUNCTION public.receive_inbound_message(uuid, text, text, text, uuid, text, boolean) IS
  'stores an inbound message in the live conversation of its customer (created when needed) and routes it when unassigned';
REVOKE ALL ON FUNCTION public.receive_inbound_message(uuid, text, text, text, uuid, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.receive_inbound_message(uuid, text, text, text, uuid, text, boolean) TO authenticated, service_role;

-- ---------------------------------------------------------------- SLA

CREATE VIEW public.conversation_sla_status WITH (security_invoker = true) AS
SELECT c.org_id, c.id AS conversation_id, c.channel, c.priority, c.status, c.queue_id, c.assigned_agent_id,
       c.created_at, c.sla_due_at, c.first_response_at,
       CASE
         WHEN c.sla_due_at IS NULL THEN 'no_policy'
         WHEN c.first_response_at IS NOT NULL THEN
           CASE WHEN c.first_response_at <= c.sla_due_at THEN 'met' ELSE 'missed' END
         WHEN c.status = 'closed' THEN 'closed_unanswered'
         WHEN now() > c.sla_due_at THEN 'breached'
         WHEN now() > c.sla_due_at - make_interval(mins => coalesce(p.warn_minutes, 0)) THEN 'at_risk'
         ELSE 'on_track'
       END AS sla_state,
       round(extract(epoch FROM (now() - c.sla_due_at)) / 60.0, 1) AS minutes_past_due
FROM public.conversations c
LEFT JOIN public.sla_policies p ON p.org_id = c.org_id AND p.priority = c.priority;
COMMENT ON VIEW public.conversation_sla_status IS
  'first-response SLA state of each conversation: on_track, at_risk, breached, met, missed, closed_unanswered, no_policy';
GRANT SELECT ON public.conversation_sla_status TO authenticated, service_role;

-- The rotation cursors, one row per scope that has rotated.
CREATE VIEW public.routing_cursors WITH (security_invoker = true) AS
SELECT DISTINCT ON (h.org_id, h.scope_id)
       h.org_id, h.scope_id, nullif(h.scope_id, h.org_id) AS queue_id, h.agent_id AS last_agent_id,
       count(*) OVER (PARTITION BY h.org_id, h.scope_id) AS assignments, h.created_at AS updated_at
FROM public.conversation_assignments h
WHERE h.reason = 'auto'
ORDER BY h.org_id, h.scope_id, h.id DESC;
COMMENT ON VIEW public.routing_cursors IS
  'rotation position per queue (scope_id = queue id) and per org (scope_id = org id): the latest auto assignment; the next agent is the first eligible one after last_agent_id by id';
GRANT SELECT ON public.routing_cursors TO authenticated, service_role;

-- The load of each agent: what the inbox shows next to an agent's name.
CREATE VIEW public.agent_workload WITH (security_invoker = true) AS
SELECT a.org_id, a.id AS agent_id, a.display_name, a.status, a.max_concurrent,
       count(c.id) AS open_conversations,
       greatest(a.max_concurrent - count(c.id), 0) AS free_capacity
FROM public.agents a
LEFT JOIN public.conversations c
  ON c.org_id = a.org_id AND c.assigned_agent_id = a.id AND c.status IN ('open', 'pending')
GROUP BY a.org_id, a.id;
COMMENT ON VIEW public.agent_workload IS
  'each agent''s open plus pending conversations against max_concurrent (under the caller''s RLS)';
GRANT SELECT ON public.agent_workload TO authenticated, service_role;

-- Live, unanswered conversations past or near their due time, most overdue first.
CREATE FUNCTION public.sla_breaches(p_org_id uuid, p_include_at_risk boolean DEFAULT true)
  RETURNS TABLE (conversation_id uuid, priority text, status text, queue_id uuid, assigned_agent_id uuid,
                 sla_due_at timestamptz, sla_state text, minutes_past_due numeric)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid := switchboard.assert_org_access(p_org_id, NULL);
BEGIN
  RETURN QUERY
  SELECT s.conversation_id, s.priority, s.status, s.queue_id, s.assigned_agent_id, s.sla_due_at, s.sla_state,
         s.minutes_past_due
  FROM public.conversation_sla_status s
  WHERE s.org_id = v_org
    AND (s.sla_state = 'breached' OR (coalesce(p_include_at_risk, true) AND s.sla_state = 'at_risk'))
  ORDER BY s.sla_due_at, s.conversation_id;
END
$$;
COMMENT ON FUNCTION public.sla_breaches(uuid, boolean) IS
  'live unanswered conversations of an org that breached their first-response SLA (and those about to), most overdue first';
REVOKE ALL ON FUNCTION public.sla_breaches(uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.sla_breaches(uuid, boolean) TO authenticated, service_role;
