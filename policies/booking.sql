-- Booking: bookable resources, their weekly working hours (local wall-clock
-- time in the resource's IANA zone) and appointments (stored in UTC).
--
-- No two live appointments of one resource overlap. The booking functions
-- (functions/booking.sql) serialize per (org, resource) on an advisory lock and
-- check before they insert; the exclusion constraint below is the backstop.
--
-- Expired holds: a row with status 'held' whose hold_expires_at has passed no
-- longer occupies its range for any reader (every overlap check and
-- available_slots treat it as free). The constraint cannot see the clock, so a
-- booking function that meets an expired hold in its way turns it into
-- 'cancelled' (cancel_reason 'hold expired') under the resource lock before it
-- inserts; switchboard.release_expired_holds() does the same in bulk for
-- tidiness. No job is needed for correctness.

CREATE TABLE public.resources (
  id uuid NOT NULL DEFAULT extensions.gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  timezone text NOT NULL DEFAULT 'UTC' CHECK (switchboard.is_valid_timezone(timezone)),
  is_default boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX resources_one_default_idx ON public.resources (org_id) WHERE is_default;
COMMENT ON TABLE public.resources IS 'a bookable calendar (practitioner, room, phone line) with its own IANA time zone';
COMMENT ON COLUMN public.resources.timezone IS 'IANA zone of the working hours; may differ from the org''s zone';
COMMENT ON COLUMN public.resources.is_default IS 'the resource book_appointment_with_lock books on (at most one per org)';
COMMENT ON INDEX public.resources_one_default_idx IS 'at most one default resource per org';

CREATE TABLE public.resource_working_hours (
  org_id uuid NOT NULL,
  resource_id uuid NOT NULL,
  weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  starts_local time NOT NULL,
  ends_local time NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, resource_id, weekday, starts_local),
  FOREIGN KEY (org_id, resource_id) REFERENCES public.resources (org_id, id) ON DELETE CASCADE,
  CHECK (starts_local < ends_local)
);
COMMENT ON TABLE public.resource_working_hours IS
  'weekly bookable windows of a resource in its local wall-clock time; a resource without rows accepts any time';
COMMENT ON COLUMN public.resource_working_hours.weekday IS 'ISO weekday of the local date: 1 = Monday … 7 = Sunday';
COMMENT ON COLUMN public.resource_working_hours.starts_local IS
  'local start; the window begins at the first instant the wall clock shows this time (a time in a spring-forward gap begins at the transition)';
COMMENT ON COLUMN public.resource_working_hours.ends_local IS
  'local end, exclusive, up to 24:00; an overnight shift is two rows (e.g. Mon 22:00-24:00 and Tue 00:00-06:00), which join seamlessly';

CREATE TABLE public.appointments (
  id uuid NOT NULL DEFAULT extensions.gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  resource_id uuid NOT NULL,
  contact_id uuid,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'booked'
    CHECK (status IN ('held', 'booked', 'cancelled', 'completed', 'no_show')),
  hold_expires_at timestamptz,
  idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
  cancelled_at timestamptz,
  cancel_reason text CHECK (length(cancel_reason) <= 500),
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, resource_id) REFERENCES public.resources (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, contact_id) REFERENCES public.contacts (org_id, id) ON DELETE SET NULL (contact_id),
  CHECK (isfinite(starts_at) AND isfinite(ends_at)),
  CHECK (ends_at > starts_at AND ends_at - starts_at <= interval '24 hours'),
  CHECK (status <> 'held' OR hold_expires_at IS NOT NULL),
  CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
    org_id WITH =, resource_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
    WHERE (status <> 'cancelled')
);
-- partial, so the planner can never mistake it for a way into a resource's calendar
CREATE UNIQUE INDEX appointments_org_idempotency_key_idx ON public.appointments (org_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX appointments_org_resource_starts_idx ON public.appointments (org_id, resource_id, starts_at);
CREATE INDEX appointments_org_contact_idx ON public.appointments (org_id, contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX appointments_org_held_idx ON public.appointments (org_id, hold_expires_at) WHERE status = 'held';
COMMENT ON TABLE public.appointments IS
  'appointments on a resource, in UTC; live ones (all but cancelled and expired holds) never overlap on one resource';
COMMENT ON COLUMN public.appointments.status IS
  'held (short hold until hold_expires_at), booked, cancelled, completed, no_show; only cancelled and expired holds free their range';
COMMENT ON COLUMN public.appointments.hold_expires_at IS 'end of a short hold; after it the hold occupies nothing and cannot be confirmed';
COMMENT ON COLUMN public.appointments.idempotency_key IS 'client retry key, unique per org: the same key returns the first result';
COMMENT ON COLUMN public.appointments.cancel_reason IS 'why it was cancelled (caller text, or ''hold expired'')';
COMMENT ON COLUMN public.appointments.created_by IS 'claims.sub of the caller that booked it (NULL for the backend)';
COMMENT ON CONSTRAINT appointments_no_overlap ON public.appointments IS
  'backstop: no two non-cancelled appointments of a resource overlap (expired holds are cancelled under the lock before an insert)';
COMMENT ON INDEX public.appointments_org_idempotency_key_idx IS 'idempotency keys are unique per org (an ON CONFLICT arbiter of the booking insert)';
COMMENT ON INDEX public.appointments_org_resource_starts_idx IS 'a resource''s calendar in time order';
COMMENT ON INDEX public.appointments_org_contact_idx IS 'a contact''s appointments';
COMMENT ON INDEX public.appointments_org_held_idx IS 'holds by expiry, for release_expired_holds';

-- resources and hours: every member reads; owners and admins manage them.
SELECT switchboard.apply_tenant_policies('public.resources',
  ARRAY['owner', 'admin', 'agent', 'viewer'], ARRAY['owner', 'admin']);
SELECT switchboard.apply_tenant_policies('public.resource_working_hours',
  ARRAY['owner', 'admin', 'agent', 'viewer'], ARRAY['owner', 'admin']);
GRANT SELECT, INSERT, UPDATE, DELETE ON public.resources, public.resource_working_hours TO authenticated;

-- appointments: every member reads; writes go through the booking functions
-- only (they take the lock and check hours), so authenticated gets SELECT.
SELECT switchboard.apply_tenant_policies('public.appointments');
GRANT SELECT ON public.appointments TO authenticated;

GRANT ALL ON public.resources, public.resource_working_hours, public.appointments TO service_role;

-- switchboard.booking_place pins no search_path: its callers (book_appointment,
-- hold_appointment, book_appointment_with_lock) pin it, and SET clauses on
-- both layers cost a GUC save/restore each per booking (see functions/booking.sql).
INSERT INTO switchboard.lint_exceptions (check_name, object_name, reason) VALUES
  ('function_search_path_mutable',
   'switchboard.booking_place(uuid,uuid,uuid,timestamp with time zone,integer,text,timestamp with time zone)',
   'internal, owner-only; every caller pins search_path, plan_cache_mode and enable_seqscan; names are qualified or in pg_catalog')
ON CONFLICT (check_name, object_name) DO NOTHING;
