-- Booking API (API.md "Booking"): book, hold/confirm, reschedule, cancel,
-- available slots, and the original backend's book_appointment_with_lock.
--
-- Overlap queries also bound starts_at to (start - 24 h, end): appointments
-- last at most 24 h, so the bound is exact, and whichever index the planner
-- picks (the gist of the constraint or the btree on starts_at) scans only the
-- neighbourhood even with stale statistics on a fast-growing table.
--
-- The write paths run with plan_cache_mode = force_generic_plan: their
-- statements are parameterised the same way on every call, and re-planning
-- the custom plans PL/pgSQL would otherwise keep choosing cost more than
-- everything else in an uncontended booking (measured: ~0.5 ms -> ~0.25 ms).
-- They also run with enable_seqscan = off: right after a burst of bookings
-- the statistics of appointments are stale (a few rows on many pages), and
-- the planner then prices every index absurdly high and scans the whole
-- table on each booking (measured: 25 ms per booking at 77k rows). Every
-- query here has an index that fits; this keeps the plan on it.
--
-- Every write takes pg_advisory_xact_lock on switchboard.lock_key('booking',
-- org, resource) (C++, BLAKE2b, two-int4 form), so any two requests that could
-- overlap serialize and requests on other resources never wait. Under the lock
-- each statement of these VOLATILE functions takes a fresh snapshot (READ
-- COMMITTED), so the overlap check sees every booking committed before the lock
-- was granted; the check and the insert are one statement (INSERT ... ON
-- CONFLICT DO NOTHING, whose pre-insert probe of the exclusion constraint
-- appointments_no_overlap is the overlap check). A conflict is answered as
-- slot_taken, never as an unhandled error, also for a writer that bypassed the
-- lock.
--
-- Time: stored in UTC; working hours are local wall-clock times in the
-- resource's zone, turned into UTC per local date (DST-correct, see
-- booking_local_to_utc).

-- The first instant at which the wall clock of p_tz shows p_local or later.
-- Unambiguous times: the one instant. Fall-back repeat: the first occurrence.
-- Spring-forward gap: the transition instant (the gap's times never show).
CREATE OR REPLACE FUNCTION switchboard.booking_local_to_utc(p_local timestamp, p_tz text)
  RETURNS timestamptz
  LANGUAGE plpgsql STABLE PARALLEL SAFE
  SET search_path = pg_catalog
AS $$
DECLARE
  -- PostgreSQL's reading: the later instant when ambiguous, the
  -- pre-transition offset (so a time after the transition) in a gap
  v_a timestamptz := p_local AT TIME ZONE p_tz;
  v_b timestamptz;
  v_lo bigint;
  v_hi bigint;
  v_mid bigint;
BEGIN
  IF timezone(p_tz, v_a) = p_local THEN
    -- an earlier instant with the same wall clock? read it with the offset in force 3 h before
    v_b := timezone('UTC', p_local - (timezone(p_tz, v_a - interval '3 hours') - timezone('UTC', v_a - interval '3 hours')));
    IF v_b < v_a AND timezone(p_tz, v_b) = p_local THEN
      RETURN v_b;
    END IF;
    RETURN v_a;
  END IF;
  -- in a gap: local(v_a) > p_local; v_a minus the gap shows a time before p_local.
  -- Bisect on whole seconds for the transition.
  v_hi := ceil(extract(epoch FROM v_a))::bigint;
  v_lo := floor(extract(epoch FROM v_a - (timezone(p_tz, v_a) - p_local)))::bigint;
  WHILE v_hi - v_lo > 1 LOOP
    v_mid := v_lo + (v_hi - v_lo) / 2;
    IF timezone(p_tz, to_timestamp(v_mid)) >= p_local THEN
      v_hi := v_mid;
    ELSE
      v_lo := v_mid;
    END IF;
  END LOOP;
  RETURN to_timestamp(v_hi);
END
$$;
COMMENT ON FUNCTION switchboard.booking_local_to_utc(timestamp, text) IS
  'first instant whose wall clock in the zone shows the local time or later: first occurrence in a fall-back repeat, the transition for a spring-forward gap';

-- The resource's working windows in UTC over the local dates [p_from, p_to)
-- touches (one day of margin each side), merged: adjacent windows (an
-- overnight shift split at midnight) become one range. NULL without hours.
CREATE OR REPLACE FUNCTION switchboard.booking_windows(p_org uuid, p_resource uuid, p_tz text,
                                                       p_from timestamptz, p_to timestamptz)
  RETURNS tstzmultirange
  LANGUAGE sql STABLE
  SET search_path = pg_catalog
AS $$
  SELECT range_agg(tstzrange(switchboard.booking_local_to_utc(d.day + h.starts_local, p_tz),
                             switchboard.booking_local_to_utc(d.day + h.ends_local, p_tz)))
  FROM (SELECT timezone(p_tz, p_from)::date - 1 + i AS day
        FROM generate_series(0, (timezone(p_tz, p_to)::date - timezone(p_tz, p_from)::date) + 2) i) d
  JOIN public.resource_working_hours h
    ON h.org_id = p_org AND h.resource_id = p_resource AND h.weekday = extract(isodow FROM d.day)
$$;
COMMENT ON FUNCTION switchboard.booking_windows(uuid, uuid, text, timestamptz, timestamptz) IS
  'working windows of a resource in UTC around a range, merged; NULL when the resource has no working hours';
REVOKE ALL ON FUNCTION switchboard.booking_windows(uuid, uuid, text, timestamptz, timestamptz) FROM PUBLIC;

-- Input rules shared by book, hold and reschedule. Raises 22023.
CREATE OR REPLACE FUNCTION switchboard.booking_check_input(p_org uuid, p_starts_at timestamptz, p_duration_minutes int)
  RETURNS void
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog
AS $$
BEGIN
  IF p_starts_at IS NULL OR NOT (p_starts_at >= '1970-01-01 00:00+00' AND p_starts_at < '10000-01-01 00:00+00') THEN
    RAISE EXCEPTION 'starts_at must be a time between 1970 and 9999' USING ERRCODE = '22023';
  END IF;
  IF p_duration_minutes IS NULL OR p_duration_minutes <= 0 OR p_duration_minutes > 1440 THEN
    RAISE EXCEPTION 'duration must be between 1 and 1440 minutes' USING ERRCODE = '22023';
  END IF;
  IF p_starts_at < now() AND NOT coalesce((SELECT o.settings ->> 'booking_allow_past' = 'true'
                                           FROM public.organizations o WHERE o.id = p_org), false) THEN
    RAISE EXCEPTION 'starts_at is in the past' USING ERRCODE = '22023',
      HINT = 'set organizations.settings.booking_allow_past to true to allow it';
  END IF;
END
$$;
COMMENT ON FUNCTION switchboard.booking_check_input(uuid, timestamptz, int) IS
  'raises 22023 for a NULL, infinite or out-of-range start, a duration outside 1..1440 minutes, or a past start when the org forbids it';
REVOKE ALL ON FUNCTION switchboard.booking_check_input(uuid, timestamptz, int) FROM PUBLIC;

-- Free slots of p_minutes in [p_from, p_to): working windows (or the whole
-- range) minus live appointments (other than p_exclude), each free stretch cut
-- into back-to-back slots from its start.
CREATE OR REPLACE FUNCTION switchboard.booking_free_slots(p_org uuid, p_resource uuid, p_tz text,
                                                          p_from timestamptz, p_to timestamptz,
                                                          p_minutes int, p_exclude uuid DEFAULT NULL,
                                                          p_limit int DEFAULT NULL)
  RETURNS TABLE (starts_at timestamptz, ends_at timestamptz)
  LANGUAGE sql STABLE
  SET search_path = pg_catalog
AS $$
  WITH span AS (
    SELECT tstzrange(p_from, p_to) AS r
  ), open AS (
    SELECT coalesce(switchboard.booking_windows(p_org, p_resource, p_tz, p_from, p_to),
                    tstzmultirange(s.r)) * tstzmultirange(s.r) AS m
    FROM span s
  ), busy AS (
    SELECT coalesce(range_agg(tstzrange(a.starts_at, a.ends_at)), '{}'::tstzmultirange) AS m
    FROM public.appointments a, span s
    WHERE a.org_id = p_org AND a.resource_id = p_resource
      AND a.status <> 'cancelled'
      AND NOT (a.status = 'held' AND a.hold_expires_at <= now())
      AND a.starts_at < upper(s.r) AND a.starts_at > lower(s.r) - interval '24 hours'
      AND tstzrange(a.starts_at, a.ends_at) && s.r
      AND a.id IS DISTINCT FROM p_exclude
  ), free AS (
    SELECT unnest(o.m - b.m) AS r FROM open o, busy b
  )
  SELECT lower(f.r) + i * make_interval(mins => p_minutes), lower(f.r) + (i + 1) * make_interval(mins => p_minutes)
  FROM free f,
       generate_series(0, (floor(extract(epoch FROM upper(f.r) - lower(f.r)) / (60 * p_minutes)))::int - 1) i
  ORDER BY 1
  LIMIT p_limit
$$;
COMMENT ON FUNCTION switchboard.booking_free_slots(uuid, uuid, text, timestamptz, timestamptz, int, uuid, int) IS
  'free back-to-back slots of a resource in a range: working windows minus live appointments';
REVOKE ALL ON FUNCTION switchboard.booking_free_slots(uuid, uuid, text, timestamptz, timestamptz, int, uuid, int) FROM PUBLIC;

-- The slot_taken answer: who holds the range, and the next free slots of the
-- same length in the following 14 days.
CREATE OR REPLACE FUNCTION switchboard.booking_slot_taken(p_org uuid, p_resource uuid, p_tz text,
                                                          p_starts_at timestamptz, p_minutes int,
                                                          p_conflict uuid, p_exclude uuid DEFAULT NULL)
  RETURNS jsonb
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog
  SET plan_cache_mode = force_generic_plan
  SET enable_seqscan = off
AS $$
DECLARE
  v_from timestamptz := greatest(p_starts_at, now());
  v_days int;
  v_next jsonb;
BEGIN
  -- the next day usually has three free slots; look 14 days ahead only when it does not
  FOREACH v_days IN ARRAY ARRAY[1, 14] LOOP
    SELECT coalesce(jsonb_agg(jsonb_build_object('starts_at', f.starts_at, 'ends_at', f.ends_at) ORDER BY f.starts_at), '[]')
      INTO v_next
    FROM switchboard.booking_free_slots(p_org, p_resource, p_tz, v_from, v_from + make_interval(days => v_days),
                                        p_minutes, p_exclude, 3) f;
    EXIT WHEN jsonb_array_length(v_next) >= 3;
  END LOOP;
  RETURN jsonb_build_object(
    'success', false,
    'error', 'slot_taken',
    'conflicting_appointment',
      (SELECT jsonb_build_object('id', a.id, 'starts_at', a.starts_at, 'ends_at', a.ends_at)
       FROM public.appointments a WHERE a.org_id = p_org AND a.id = p_conflict),
    'next_available', v_next);
END
$$;
COMMENT ON FUNCTION switchboard.booking_slot_taken(uuid, uuid, text, timestamptz, int, uuid, uuid) IS
  'the slot_taken refusal: the conflicting appointment and up to three next free slots';
REVOKE ALL ON FUNCTION switchboard.booking_slot_taken(uuid, uuid, text, timestamptz, int, uuid, uuid) FROM PUBLIC;

-- The core of book_appointment, hold_appointment and
-- book_appointment_with_lock, called after assert_org_access. p_hold_until
-- NULL books; otherwise holds until then.
-- No SET clauses: each one costs a GUC save/restore per call (and a
-- search_path switch resets the namespace cache). Its only callers pin
-- search_path = pg_catalog, public, pg_temp and plan_cache_mode/enable_seqscan
-- for it; every name here is schema-qualified or in pg_catalog, and only the
-- owner may call it directly (switchboard.lint_exceptions records why).
CREATE OR REPLACE FUNCTION switchboard.booking_place(p_org uuid, p_resource_id uuid, p_contact_id uuid,
                                                     p_starts_at timestamptz, p_duration_minutes int,
                                                     p_idempotency_key text, p_hold_until timestamptz)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  v_ends timestamptz;
  v_tz text;
  v_has_hours boolean;
  v_contact_ok boolean;
  v_locked text;
  v_id uuid;
  v_conflict uuid;
  v_expired boolean;
  v_attempt int := 0;
BEGIN
  -- booking_check_input, inlined on the hot path (one function call less)
  IF p_starts_at IS NULL OR NOT (p_starts_at >= '1970-01-01 00:00+00' AND p_starts_at < '10000-01-01 00:00+00') THEN
    RAISE EXCEPTION 'starts_at must be a time between 1970 and 9999' USING ERRCODE = '22023';
  END IF;
  IF p_duration_minutes IS NULL OR p_duration_minutes <= 0 OR p_duration_minutes > 1440 THEN
    RAISE EXCEPTION 'duration must be between 1 and 1440 minutes' USING ERRCODE = '22023';
  END IF;
  IF p_starts_at < now() AND NOT coalesce((SELECT o.settings ->> 'booking_allow_past' = 'true'
                                           FROM public.organizations o WHERE o.id = p_org), false) THEN
    RAISE EXCEPTION 'starts_at is in the past' USING ERRCODE = '22023',
      HINT = 'set organizations.settings.booking_allow_past to true to allow it';
  END IF;
  IF p_idempotency_key IS NOT NULL THEN
    IF p_idempotency_key = '' OR length(p_idempotency_key) > 200 THEN
      RAISE EXCEPTION 'idempotency key must be 1 to 200 characters' USING ERRCODE = '22023';
    END IF;
    -- a retry of a committed request: answer without waiting for the lock
    SELECT a.id INTO v_id FROM public.appointments a
    WHERE a.org_id = p_org AND a.idempotency_key = p_idempotency_key AND a.idempotency_key IS NOT NULL;
    IF FOUND THEN
      RETURN jsonb_build_object('success', true, 'appointment_id', v_id, 'replayed', true);
    END IF;
  END IF;
  v_ends := p_starts_at + make_interval(mins => p_duration_minutes);

  -- Find the resource and take its lock in one statement: everything that
  -- could overlap on this resource waits here. The lock is taken only when
  -- the resource exists in this org.
  SELECT r.timezone,
         EXISTS (SELECT 1 FROM public.resource_working_hours h WHERE h.org_id = p_org AND h.resource_id = r.id),
         p_contact_id IS NULL OR EXISTS (SELECT 1 FROM public.contacts c WHERE c.org_id = p_org AND c.id = p_contact_id),
         pg_advisory_xact_lock(k[1], k[2])::text
    INTO v_tz, v_has_hours, v_contact_ok, v_locked
  FROM public.resources r, switchboard.lock_key('booking', p_org, p_resource_id) k
  WHERE r.org_id = p_org AND r.id = p_resource_id;
  IF NOT FOUND OR NOT v_contact_ok THEN
    RETURN jsonb_build_object('success', false, 'error', 'not_found',
                              'detail', CASE WHEN v_tz IS NULL THEN 'resource' ELSE 'contact' END);
  END IF;

  IF v_has_hours AND NOT coalesce(switchboard.booking_windows(p_org, p_resource_id, v_tz, p_starts_at, v_ends)
                                  @> tstzrange(p_starts_at, v_ends), false) THEN
    RETURN jsonb_build_object('success', false, 'error', 'outside_hours');
  END IF;

  LOOP
    -- Under the lock: insert; the exclusion constraint is the overlap check.
    -- ON CONFLICT DO NOTHING probes its arbiters (the exclusion constraint,
    -- the idempotency key, the primary key) with a fresh snapshot before
    -- inserting, waiting for any writer still in progress, so a live or
    -- expired overlap (or a concurrent retry with the same key) answers
    -- instead of raising; which one is found out below. A separate
    -- NOT EXISTS (overlap) probe would see exactly the rows that probe sees
    -- (under the lock every booking is committed; REPEATABLE READ callers get
    -- 40001 either way for a row their snapshot cannot see) and cost a second
    -- scan of the index: ~13 µs of the ~32 µs the engine added to a bare INSERT.
    INSERT INTO public.appointments AS a (org_id, resource_id, contact_id, starts_at, ends_at, status,
                                          hold_expires_at, idempotency_key, created_by)
    SELECT p_org, p_resource_id, p_contact_id, p_starts_at, v_ends,
           CASE WHEN p_hold_until IS NULL THEN 'booked' ELSE 'held' END,
           p_hold_until, p_idempotency_key,
           -- claims.sub of a PostgREST caller; the backend without claims skips the parse
           CASE WHEN current_setting('request.jwt.claims', true) <> '' THEN switchboard.current_user_id() END
    ON CONFLICT DO NOTHING
    RETURNING a.id INTO v_id;
    IF v_id IS NOT NULL THEN
      IF p_hold_until IS NULL THEN
        RETURN jsonb_build_object('success', true, 'appointment_id', v_id);
      END IF;
      RETURN jsonb_build_object('success', true, 'appointment_id', v_id, 'hold_expires_at', p_hold_until);
    END IF;

    -- not inserted: a concurrent retry with the same key, a live overlap, or
    -- only expired holds in the way
    IF p_idempotency_key IS NOT NULL THEN
      SELECT a.id INTO v_id FROM public.appointments a
      WHERE a.org_id = p_org AND a.idempotency_key = p_idempotency_key AND a.idempotency_key IS NOT NULL;
      IF FOUND THEN
        RETURN jsonb_build_object('success', true, 'appointment_id', v_id, 'replayed', true);
      END IF;
    END IF;
    SELECT a.id, (a.status = 'held' AND a.hold_expires_at <= now()) INTO v_conflict, v_expired
    FROM public.appointments a
    WHERE a.org_id = p_org AND a.resource_id = p_resource_id AND a.status <> 'cancelled'
      AND a.starts_at < v_ends AND a.starts_at > p_starts_at - interval '24 hours'
      AND tstzrange(a.starts_at, a.ends_at) && tstzrange(p_starts_at, v_ends)
    ORDER BY 2, a.starts_at
    LIMIT 1;
    IF NOT FOUND OR NOT v_expired OR v_attempt > 0 THEN
      -- NOT FOUND: the backstop fired for a row this statement's snapshot
      -- cannot see (REPEATABLE READ callers get 40001 from the insert instead)
      RETURN switchboard.booking_slot_taken(p_org, p_resource_id, v_tz, p_starts_at, p_duration_minutes, v_conflict);
    END IF;
    -- only expired holds in the way: release them (the constraint cannot see the clock), then insert again
    UPDATE public.appointments a
    SET status = 'cancelled', cancelled_at = now(), cancel_reason = 'hold expired', updated_at = now()
    WHERE a.org_id = p_org AND a.resource_id = p_resource_id AND a.status = 'held'
      AND a.hold_expires_at <= now()
      AND a.starts_at < v_ends AND a.starts_at > p_starts_at - interval '24 hours'
      AND tstzrange(a.starts_at, a.ends_at) && tstzrange(p_starts_at, v_ends);
    v_attempt := v_attempt + 1;
  END LOOP;
END
$$;
COMMENT ON FUNCTION switchboard.booking_place(uuid, uuid, uuid, timestamptz, int, text, timestamptz) IS
  'book or hold under the (org, resource) advisory lock: validate, idempotency, hours, then check-and-insert in one statement';
REVOKE ALL ON FUNCTION switchboard.booking_place(uuid, uuid, uuid, timestamptz, int, text, timestamptz) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.book_appointment(p_org_id uuid, p_resource_id uuid, p_contact_id uuid,
                                                   p_starts_at timestamptz, p_duration_minutes int,
                                                   p_idempotency_key text DEFAULT NULL)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
  -- for switchboard.booking_place, which pins no settings of its own
  SET plan_cache_mode = force_generic_plan
  SET enable_seqscan = off
AS $$
DECLARE
  v_org uuid := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin', 'agent']);
BEGIN
  RETURN switchboard.booking_place(v_org, p_resource_id, p_contact_id, p_starts_at, p_duration_minutes,
                                   p_idempotency_key, NULL);
END
$$;
COMMENT ON FUNCTION public.book_appointment(uuid, uuid, uuid, timestamptz, int, text) IS
  'books a resource: {"success":true,"appointment_id"} or slot_taken (with the conflicting appointment and next free slots), outside_hours, not_found; 22023 on bad input';
REVOKE ALL ON FUNCTION public.book_appointment(uuid, uuid, uuid, timestamptz, int, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.book_appointment(uuid, uuid, uuid, timestamptz, int, text) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.hold_appointment(p_org_id uuid, p_resource_id uuid, p_contact_id uuid,
                                                   p_starts_at timestamptz, p_duration_minutes int,
                                                   p_hold_seconds int DEFAULT 120,
                                                   p_idempotency_key text DEFAULT NULL)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
  -- for switchboard.booking_place, which pins no settings of its own
  SET plan_cache_mode = force_generic_plan
  SET enable_seqscan = off
AS $$
DECLARE
  v_org uuid := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin', 'agent']);
BEGIN
  IF p_hold_seconds IS NULL OR p_hold_seconds < 1 OR p_hold_seconds > 3600 THEN
    RAISE EXCEPTION 'hold must last 1 to 3600 seconds' USING ERRCODE = '22023';
  END IF;
  RETURN switchboard.booking_place(v_org, p_resource_id, p_contact_id, p_starts_at, p_duration_minutes,
                                   p_idempotency_key, clock_timestamp() + make_interval(secs => p_hold_seconds));
END
$$;
COMMENT ON FUNCTION public.hold_appointment(uuid, uuid, uuid, timestamptz, int, int, text) IS
  'holds a slot for p_hold_seconds (status held); confirm_appointment books it; an expired hold frees the slot by itself';
REVOKE ALL ON FUNCTION public.hold_appointment(uuid, uuid, uuid, timestamptz, int, int, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.hold_appointment(uuid, uuid, uuid, timestamptz, int, int, text) TO authenticated, service_role;

-- Resolves the org of an appointment (the caller's org first when ids repeat)
-- and authorises the caller on it. NULL when there is no such appointment.
CREATE OR REPLACE FUNCTION switchboard.booking_resolve(p_appointment_id uuid, OUT org_id uuid, OUT resource_id uuid)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog
AS $$
BEGIN
  SELECT a.org_id, a.resource_id INTO org_id, resource_id
  FROM public.appointments a WHERE a.id = p_appointment_id
  ORDER BY (a.org_id = switchboard.current_org_id()) DESC NULLS LAST
  LIMIT 1;
  IF FOUND THEN
    org_id := switchboard.assert_org_access(org_id, ARRAY['owner', 'admin', 'agent']);
  ELSE
    -- still refuse callers that may not book at all
    PERFORM switchboard.assert_org_access(NULL, ARRAY['owner', 'admin', 'agent'])
    WHERE NOT switchboard.is_service();
  END IF;
END
$$;
COMMENT ON FUNCTION switchboard.booking_resolve(uuid) IS
  'org and resource of an appointment, after assert_org_access on that org; NULLs when it does not exist';
REVOKE ALL ON FUNCTION switchboard.booking_resolve(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.confirm_appointment(p_appointment_id uuid)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
  SET plan_cache_mode = force_generic_plan
  SET enable_seqscan = off
AS $$
DECLARE
  v_org uuid;
  v_res uuid;
  v_row public.appointments;
BEGIN
  SELECT r.org_id, r.resource_id INTO v_org, v_res FROM switchboard.booking_resolve(p_appointment_id) r;
  IF v_org IS NULL THEN
    RETURN jsonb_build_object('success', false, 'error', 'not_found');
  END IF;
  PERFORM pg_advisory_xact_lock(k[1], k[2]) FROM switchboard.lock_key('booking', v_org, v_res) k;
  SELECT * INTO v_row FROM public.appointments a WHERE a.org_id = v_org AND a.id = p_appointment_id FOR UPDATE;
  IF v_row.status = 'booked' THEN
    RETURN jsonb_build_object('success', true, 'appointment_id', v_row.id);
  ELSIF v_row.status = 'held' AND v_row.hold_expires_at > now() THEN
    UPDATE public.appointments a SET status = 'booked', hold_expires_at = NULL, updated_at = now()
    WHERE a.org_id = v_org AND a.id = p_appointment_id;
    RETURN jsonb_build_object('success', true, 'appointment_id', v_row.id);
  ELSIF v_row.status = 'held' OR (v_row.status = 'cancelled' AND v_row.cancel_reason = 'hold expired') THEN
    UPDATE public.appointments a SET status = 'cancelled', cancelled_at = coalesce(a.cancelled_at, now()),
                                      cancel_reason = 'hold expired', updated_at = now()
    WHERE a.org_id = v_org AND a.id = p_appointment_id AND a.status = 'held';
    RETURN jsonb_build_object('success', false, 'error', 'hold_expired', 'appointment_id', v_row.id);
  END IF;
  RETURN jsonb_build_object('success', false, 'error', 'invalid_status', 'status', v_row.status);
END
$$;
COMMENT ON FUNCTION public.confirm_appointment(uuid) IS
  'turns a live hold into a booking; hold_expired once its time has passed (the slot may be someone else''s)';
REVOKE ALL ON FUNCTION public.confirm_appointment(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.confirm_appointment(uuid) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.reschedule_appointment(p_appointment_id uuid, p_new_starts_at timestamptz,
                                                         p_duration_minutes int DEFAULT NULL)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
  SET plan_cache_mode = force_generic_plan
  SET enable_seqscan = off
AS $$
DECLARE
  v_org uuid;
  v_res uuid;
  v_row public.appointments;
  v_minutes int;
  v_ends timestamptz;
  v_tz text;
  v_conflict uuid;
  v_expired boolean;
BEGIN
  SELECT r.org_id, r.resource_id INTO v_org, v_res FROM switchboard.booking_resolve(p_appointment_id) r;
  IF v_org IS NULL THEN
    RETURN jsonb_build_object('success', false, 'error', 'not_found');
  END IF;
  PERFORM pg_advisory_xact_lock(k[1], k[2]) FROM switchboard.lock_key('booking', v_org, v_res) k;
  SELECT * INTO v_row FROM public.appointments a WHERE a.org_id = v_org AND a.id = p_appointment_id FOR UPDATE;
  v_minutes := coalesce(p_duration_minutes, (extract(epoch FROM v_row.ends_at - v_row.starts_at) / 60)::int);
  PERFORM switchboard.booking_check_input(v_org, p_new_starts_at, v_minutes);
  IF NOT (v_row.status = 'booked' OR (v_row.status = 'held' AND v_row.hold_expires_at > now())) THEN
    RETURN jsonb_build_object('success', false, 'error', 'invalid_status', 'status', v_row.status);
  END IF;
  v_ends := p_new_starts_at + make_interval(mins => v_minutes);
  SELECT r.timezone INTO v_tz FROM public.resources r WHERE r.org_id = v_org AND r.id = v_res;

  IF EXISTS (SELECT 1 FROM public.resource_working_hours h WHERE h.org_id = v_org AND h.resource_id = v_res)
     AND NOT coalesce(switchboard.booking_windows(v_org, v_res, v_tz, p_new_starts_at, v_ends)
                      @> tstzrange(p_new_starts_at, v_ends), false) THEN
    RETURN jsonb_build_object('success', false, 'error', 'outside_hours');
  END IF;

  SELECT a.id, (a.status = 'held' AND a.hold_expires_at <= now()) INTO v_conflict, v_expired
  FROM public.appointments a
  WHERE a.org_id = v_org AND a.resource_id = v_res AND a.status <> 'cancelled' AND a.id <> p_appointment_id
    AND a.starts_at < v_ends AND a.starts_at > p_new_starts_at - interval '24 hours'
    AND tstzrange(a.starts_at, a.ends_at) && tstzrange(p_new_starts_at, v_ends)
  ORDER BY 2, a.starts_at
  LIMIT 1;
  IF FOUND THEN
    IF NOT v_expired THEN
      -- the old slot stays as it was
      RETURN switchboard.booking_slot_taken(v_org, v_res, v_tz, p_new_starts_at, v_minutes, v_conflict, p_appointment_id);
    END IF;
    UPDATE public.appointments a
    SET status = 'cancelled', cancelled_at = now(), cancel_reason = 'hold expired', updated_at = now()
    WHERE a.org_id = v_org AND a.resource_id = v_res AND a.status = 'held' AND a.hold_expires_at <= now()
      AND a.starts_at < v_ends AND a.starts_at > p_new_starts_at - interval '24 hours'
    AND tstzrange(a.starts_at, a.ends_at) && tstzrange(p_new_starts_at, v_ends);
  END IF;

  BEGIN
    UPDATE public.appointments a SET starts_at = p_new_starts_at, ends_at = v_ends, updated_at = now()
    WHERE a.org_id = v_org AND a.id = p_appointment_id;
  EXCEPTION WHEN exclusion_violation THEN
    -- backstop: a writer outside the lock took the range
    SELECT a.id INTO v_conflict FROM public.appointments a
    WHERE a.org_id = v_org AND a.resource_id = v_res AND a.status <> 'cancelled' AND a.id <> p_appointment_id
      AND a.starts_at < v_ends AND a.starts_at > p_new_starts_at - interval '24 hours'
    AND tstzrange(a.starts_at, a.ends_at) && tstzrange(p_new_starts_at, v_ends)
    LIMIT 1;
    RETURN switchboard.booking_slot_taken(v_org, v_res, v_tz, p_new_starts_at, v_minutes, v_conflict, p_appointment_id);
  END;
  RETURN jsonb_build_object('success', true, 'appointment_id', p_appointment_id,
                            'starts_at', p_new_starts_at, 'ends_at', v_ends);
END
$$;
COMMENT ON FUNCTION public.reschedule_appointment(uuid, timestamptz, int) IS
  'moves an appointment in one atomic step (same id); on slot_taken/outside_hours the old slot is kept';
REVOKE ALL ON FUNCTION public.reschedule_appointment(uuid, timestamptz, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.reschedule_appointment(uuid, timestamptz, int) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.cancel_appointment(p_appointment_id uuid, p_reason text DEFAULT NULL)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
  SET plan_cache_mode = force_generic_plan
  SET enable_seqscan = off
AS $$
DECLARE
  v_org uuid;
  v_res uuid;
  v_row public.appointments;
BEGIN
  IF length(p_reason) > 500 THEN
    RAISE EXCEPTION 'reason must be at most 500 characters' USING ERRCODE = '22023';
  END IF;
  SELECT r.org_id, r.resource_id INTO v_org, v_res FROM switchboard.booking_resolve(p_appointment_id) r;
  IF v_org IS NULL THEN
    RETURN jsonb_build_object('success', false, 'error', 'not_found');
  END IF;
  -- same lock as booking, so a waiting booker sees the freed range at once
  PERFORM pg_advisory_xact_lock(k[1], k[2]) FROM switchboard.lock_key('booking', v_org, v_res) k;
  SELECT * INTO v_row FROM public.appointments a WHERE a.org_id = v_org AND a.id = p_appointment_id FOR UPDATE;
  IF v_row.status = 'cancelled' THEN
    RETURN jsonb_build_object('success', true, 'appointment_id', v_row.id, 'already_cancelled', true);
  ELSIF v_row.status IN ('completed', 'no_show') THEN
    RETURN jsonb_build_object('success', false, 'error', 'invalid_status', 'status', v_row.status);
  END IF;
  UPDATE public.appointments a
  SET status = 'cancelled', cancelled_at = now(), cancel_reason = p_reason, updated_at = now()
  WHERE a.org_id = v_org AND a.id = p_appointment_id;
  RETURN jsonb_build_object('success', true, 'appointment_id', v_row.id);
END
$$;
COMMENT ON FUNCTION public.cancel_appointment(uuid, text) IS
  'cancels a held or booked appointment; its range is free as soon as this commits';
REVOKE ALL ON FUNCTION public.cancel_appointment(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.cancel_appointment(uuid, text) TO authenticated, service_role;

CREATE OR REPLACE FUNCTION public.available_slots(p_resource_id uuid, p_from timestamptz, p_to timestamptz,
                                                  p_duration_minutes int)
  RETURNS TABLE (starts_at timestamptz, ends_at timestamptz)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid;
  v_tz text;
  v_from timestamptz;
BEGIN
  SELECT r.org_id, r.timezone INTO v_org, v_tz FROM public.resources r WHERE r.id = p_resource_id
  ORDER BY (r.org_id = switchboard.current_org_id()) DESC NULLS LAST LIMIT 1;
  IF NOT FOUND THEN
    PERFORM switchboard.assert_org_access(NULL) WHERE NOT switchboard.is_service();
    RAISE EXCEPTION 'resource not found' USING ERRCODE = 'P0002';
  END IF;
  v_org := switchboard.assert_org_access(v_org);
  IF p_from IS NULL OR p_to IS NULL OR p_to <= p_from
     OR NOT (p_from >= '1970-01-01 00:00+00' AND p_to < '10000-01-01 00:00+00') THEN
    RAISE EXCEPTION 'p_from and p_to must lie between 1970 and 9999 with p_from < p_to' USING ERRCODE = '22023';
  END IF;
  IF p_to - p_from > interval '62 days' THEN
    RAISE EXCEPTION 'the range may span at most 62 days' USING ERRCODE = '22023';
  END IF;
  IF p_duration_minutes IS NULL OR p_duration_minutes <= 0 OR p_duration_minutes > 1440 THEN
    RAISE EXCEPTION 'duration must be between 1 and 1440 minutes' USING ERRCODE = '22023';
  END IF;
  v_from := p_from;
  IF v_from < now() AND NOT coalesce((SELECT o.settings ->> 'booking_allow_past' = 'true'
                                      FROM public.organizations o WHERE o.id = v_org), false) THEN
    v_from := least(date_trunc('minute', now()) + interval '1 minute', p_to);
  END IF;
  RETURN QUERY SELECT s.starts_at, s.ends_at
    FROM switchboard.booking_free_slots(v_org, p_resource_id, v_tz, v_from, p_to, p_duration_minutes) s;
END
$$;
COMMENT ON FUNCTION public.available_slots(uuid, timestamptz, timestamptz, int) IS
  'free slots of p_duration_minutes in [p_from, p_to): working hours (DST-correct) minus live appointments, back to back from each free stretch''s start';
REVOKE ALL ON FUNCTION public.available_slots(uuid, timestamptz, timestamptz, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.available_slots(uuid, timestamptz, timestamptz, int) TO authenticated, service_role;

-- The original backend's entry point, kept for compatibility: books on the
-- org's default resource. p_lock_key is accepted and ignored; the key is
-- derived inside the database from (org, resource).
CREATE OR REPLACE FUNCTION public.book_appointment_with_lock(p_org_id uuid, p_contact_id uuid,
                                                             p_scheduled_at timestamptz, p_duration_minutes int,
                                                             p_lock_key bigint DEFAULT NULL)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
  -- for switchboard.booking_place, which pins no settings of its own
  SET plan_cache_mode = force_generic_plan
  SET enable_seqscan = off
AS $$
DECLARE
  v_org uuid := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin', 'agent']);
  v_res uuid;
BEGIN
  SELECT r.id INTO v_res FROM public.resources r WHERE r.org_id = v_org AND r.is_default;
  IF NOT FOUND THEN
    PERFORM switchboard.booking_check_input(v_org, p_scheduled_at, p_duration_minutes);
    RETURN jsonb_build_object('success', false, 'error', 'not_found', 'detail', 'resource');
  END IF;
  RETURN switchboard.booking_place(v_org, v_res, p_contact_id, p_scheduled_at, p_duration_minutes, NULL, NULL);
END
$$;
COMMENT ON FUNCTION public.book_appointment_with_lock(uuid, uuid, timestamptz, int, bigint) IS
  'original backend signature: books on the org''s default resource; p_lock_key is ignored (the lock key is derived from org and resource)';
REVOKE ALL ON FUNCTION public.book_appointment_with_lock(uuid, uuid, timestamptz, int, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.book_appointment_with_lock(uuid, uuid, timestamptz, int, bigint) TO authenticated, service_role;

-- Tidiness only: expired holds already occupy nothing.
CREATE OR REPLACE FUNCTION switchboard.release_expired_holds(p_org_id uuid DEFAULT NULL)
  RETURNS int
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_org uuid;
  v_n int;
BEGIN
  IF p_org_id IS NULL AND switchboard.is_service() THEN
    v_org := NULL;  -- every org
  ELSE
    v_org := switchboard.assert_org_access(p_org_id, ARRAY['owner', 'admin']);
  END IF;
  UPDATE public.appointments a
  SET status = 'cancelled', cancelled_at = now(), cancel_reason = 'hold expired', updated_at = now()
  WHERE a.status = 'held' AND a.hold_expires_at <= now() AND (v_org IS NULL OR a.org_id = v_org);
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$$;
COMMENT ON FUNCTION switchboard.release_expired_holds(uuid) IS
  'marks expired holds cancelled (reason ''hold expired''); every org for service_role with NULL, else the caller''s org (owner/admin); returns how many';
REVOKE ALL ON FUNCTION switchboard.release_expired_holds(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION switchboard.release_expired_holds(uuid) TO authenticated, service_role;
