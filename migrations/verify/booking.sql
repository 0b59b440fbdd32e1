-- Verify switchboard:booking on pg
SELECT id, org_id, name, timezone, is_default FROM public.resources WHERE false;
SELECT org_id, resource_id, weekday, starts_local, ends_local FROM public.resource_working_hours WHERE false;
SELECT id, org_id, resource_id, contact_id, starts_at, ends_at, status, idempotency_key, hold_expires_at
FROM public.appointments WHERE false;
SELECT 1/count(*) FROM pg_constraint WHERE conname = 'appointments_no_overlap' AND contype = 'x';
SELECT 'public.book_appointment(uuid, uuid, uuid, timestamptz, int, text)'::regprocedure,
       'public.reschedule_appointment(uuid, timestamptz, int)'::regprocedure,
       'public.cancel_appointment(uuid, text)'::regprocedure,
       'public.available_slots(uuid, timestamptz, timestamptz, int)'::regprocedure,
       'public.book_appointment_with_lock(uuid, uuid, timestamptz, int, bigint)'::regprocedure,
       'public.hold_appointment(uuid, uuid, uuid, timestamptz, int, int, text)'::regprocedure,
       'public.confirm_appointment(uuid)'::regprocedure,
       'switchboard.release_expired_holds(uuid)'::regprocedure;
