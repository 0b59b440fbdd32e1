-- Revert switchboard:routing_assign_c from pg: the PL/pgSQL assign_conversation of 0.2.0
BEGIN;
CREATE OR REPLACE FUNCTION public.assign_conversation(p_conversation_id uuid) RETURNS uuid
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
COMMIT;
