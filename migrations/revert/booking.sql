-- Revert switchboard:booking from pg
BEGIN;
DROP FUNCTION switchboard.release_expired_holds(uuid);
DROP FUNCTION public.book_appointment_with_lock(uuid, uuid, timestamptz, int, bigint);
DROP FUNCTION public.available_slots(uuid, timestamptz, timestamptz, int);
DROP FUNCTION public.cancel_appointment(uuid, text);
DROP FUNCTION public.reschedule_appointment(uuid, timestamptz, int);
DROP FUNCTION public.confirm_appointment(uuid);
DROP FUNCTION switchboard.booking_resolve(uuid);
DROP FUNCTION public.hold_appointment(uuid, uuid, uuid, timestamptz, int, int, text);
DROP FUNCTION public.book_appointment(uuid, uuid, uuid, timestamptz, int, text);
DROP FUNCTION switchboard.booking_place(uuid, uuid, uuid, timestamptz, int, text, timestamptz);
DROP FUNCTION switchboard.booking_slot_taken(uuid, uuid, text, timestamptz, int, uuid, uuid);
DROP FUNCTION switchboard.booking_free_slots(uuid, uuid, text, timestamptz, timestamptz, int, uuid, int);
DROP FUNCTION switchboard.booking_check_input(uuid, timestamptz, int);
DROP FUNCTION switchboard.booking_windows(uuid, uuid, text, timestamptz, timestamptz);
DROP FUNCTION switchboard.booking_local_to_utc(timestamp, text);
DROP TABLE public.appointments;
DROP TABLE public.resource_working_hours;
DROP TABLE public.resources;
DELETE FROM switchboard.lint_exceptions
WHERE check_name = 'function_search_path_mutable'
  AND object_name = 'switchboard.booking_place(uuid,uuid,uuid,timestamp with time zone,integer,text,timestamp with time zone)';
COMMIT;
