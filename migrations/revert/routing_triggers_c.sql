-- Revert switchboard:routing_triggers_c from pg: the PL/pgSQL conversations triggers of 0.2.0
BEGIN;

CREATE OR REPLACE FUNCTION switchboard.routing_conversation_before() RETURNS trigger
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

CREATE OR REPLACE FUNCTION switchboard.routing_conversation_after() RETURNS trigger
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

COMMIT;
