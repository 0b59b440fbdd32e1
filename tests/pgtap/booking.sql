-- Booking engine: bad input, tenancy from the attacker's seat, booking rules,
-- holds, reschedule/cancel, DST in America/New_York and Europe/Berlin, a
-- booking across midnight, a resource whose zone differs from its org's.
BEGIN;
SET LOCAL timezone = 'UTC';
SELECT plan(101);

-- fixtures local to this test (rolled back)
INSERT INTO resources (id, org_id, name, timezone) VALUES
  ('a0000000-0000-0000-0000-0000000bf001', '11111111-1111-1111-1111-111111111111', 'free-for-all', 'America/New_York'),
  ('a0000000-0000-0000-0000-0000000bf002', '11111111-1111-1111-1111-111111111111', 'night NY', 'America/New_York'),
  ('a0000000-0000-0000-0000-0000000bf003', '11111111-1111-1111-1111-111111111111', 'night Berlin', 'Europe/Berlin'),
  ('a0000000-0000-0000-0000-0000000bf004', '11111111-1111-1111-1111-111111111111', 'overnight Berlin', 'Europe/Berlin'),
  ('a0000000-0000-0000-0000-0000000bf005', '11111111-1111-1111-1111-111111111111', 'gap edge NY', 'America/New_York');
-- 00:00-06:00 every day, so DST Sundays have hours
INSERT INTO resource_working_hours (org_id, resource_id, weekday, starts_local, ends_local)
SELECT '11111111-1111-1111-1111-111111111111', r, d, '00:00', '06:00'
FROM unnest(ARRAY['a0000000-0000-0000-0000-0000000bf002', 'a0000000-0000-0000-0000-0000000bf003']::uuid[]) r,
     generate_series(1, 7) d;
-- an overnight shift: Monday 22:00-24:00 and Tuesday 00:00-06:00
INSERT INTO resource_working_hours (org_id, resource_id, weekday, starts_local, ends_local) VALUES
  ('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000bf004', 1, '22:00', '24:00'),
  ('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000bf004', 2, '00:00', '06:00'),
  -- a window that starts inside the spring-forward gap (Sunday 02:30-05:00)
  ('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000bf005', 7, '02:30', '05:00');

CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid);
GRANT ALL ON ids TO PUBLIC;
CREATE FUNCTION pg_temp.book(p_res text, p_start timestamptz, p_min int, p_key text DEFAULT NULL) RETURNS jsonb
  LANGUAGE sql AS $$ SELECT book_appointment('11111111-1111-1111-1111-111111111111', p_res::uuid, NULL, p_start, p_min, p_key) $$;
CREATE FUNCTION pg_temp.live_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM appointments $$;

-- ---------------------------------------------------------------- bad input
CREATE TEMP TABLE before_count AS SELECT pg_temp.live_count() AS n;
SELECT throws_ok($$SELECT pg_temp.book('a0000000-0000-0000-0000-0000000b0001', NULL, 30)$$, '22023', NULL, 'NULL start is 22023');
SELECT throws_ok($$SELECT pg_temp.book('a0000000-0000-0000-0000-0000000b0001', 'infinity', 30)$$, '22023', NULL, 'infinite start is 22023');
SELECT throws_ok($$SELECT pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '294276-12-31 23:59+00', 30)$$, '22023', NULL, 'a start at the end of time is 22023');
SELECT throws_ok($$INSERT INTO resources (org_id, name, timezone) VALUES ('11111111-1111-1111-1111-111111111111', 'bad zone', 'Mars/Olympus_Mons')$$,
                 '23514', NULL, 'a resource with an unknown time zone is refused');
SELECT throws_ok($$SELECT pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 14:00+00', 0)$$, '22023', NULL, 'zero duration is 22023');
SELECT throws_ok($$SELECT pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 14:00+00', -30)$$, '22023', NULL, 'negative duration is 22023');
SELECT throws_ok($$SELECT pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 14:00+00', 1441)$$, '22023', NULL, 'over 24 h is 22023');
SELECT throws_ok($$SELECT pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 14:00+00', NULL)$$, '22023', NULL, 'NULL duration is 22023');
SELECT throws_ok($$SELECT pg_temp.book('a0000000-0000-0000-0000-0000000bf001', now() - interval '1 hour', 30)$$, '22023', 'starts_at is in the past',
                 'a past start is refused when the org forbids it (default)');
SELECT throws_ok($$SELECT pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 14:00+00', 30, '')$$, '22023', NULL, 'an empty idempotency key is 22023');
SELECT throws_ok($$SELECT pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 14:00+00', 30, repeat('k', 201))$$, '22023', NULL, 'a huge idempotency key is 22023');
SELECT throws_ok($$SELECT hold_appointment('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000b0001', NULL, '2027-06-08 14:00+00', 30, 0)$$,
                 '22023', NULL, 'a zero-second hold is 22023');
SELECT throws_ok($$SELECT book_appointment(NULL, 'a0000000-0000-0000-0000-0000000b0001', NULL, '2027-06-08 14:00+00', 30)$$,
                 '22023', NULL, 'service callers must name the org');
SELECT throws_ok($$SELECT * FROM available_slots('a0000000-0000-0000-0000-0000000b0001', '2027-06-08', '2027-06-07', 30)$$, '22023', NULL, 'available_slots: to before from is 22023');
SELECT throws_ok($$SELECT * FROM available_slots('a0000000-0000-0000-0000-0000000b0001', '2027-06-01', '2027-09-01', 30)$$, '22023', NULL, 'available_slots: a huge range is 22023');
SELECT throws_ok($$SELECT * FROM available_slots('a0000000-0000-0000-0000-0000000b0001', '2027-06-01', '2027-06-02', 0)$$, '22023', NULL, 'available_slots: zero duration is 22023');
SELECT throws_ok($$SELECT * FROM available_slots(gen_random_uuid(), '2027-06-01', '2027-06-02', 30)$$, 'P0002', NULL, 'available_slots: unknown resource is P0002');
SELECT throws_ok($$SELECT cancel_appointment('a0000000-0000-0000-0000-0000000ba001', repeat('x', 501))$$, '22023', NULL, 'a huge cancel reason is 22023');
SELECT is(pg_temp.book(gen_random_uuid()::text, '2027-06-08 14:00+00', 30) ->> 'error', 'not_found', 'unknown resource: not_found');
SELECT is(pg_temp.book('b0000000-0000-0000-0000-0000000b0001', '2027-06-08 14:00+00', 30) ->> 'error', 'not_found', 'another org''s resource: not_found');
SELECT is(book_appointment('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000b0001', 'b0000000-0000-0000-0000-0000000000c1',
                           '2027-06-08 14:00+00', 30) ->> 'error', 'not_found', 'another org''s contact: not_found');
SELECT is(reschedule_appointment(gen_random_uuid(), '2027-06-08 14:00+00') ->> 'error', 'not_found', 'reschedule of an unknown appointment: not_found');
SELECT is(cancel_appointment(gen_random_uuid()) ->> 'error', 'not_found', 'cancel of an unknown appointment: not_found');
SELECT is(pg_temp.live_count(), (SELECT n FROM before_count), 'bad input wrote nothing');
UPDATE organizations SET settings = settings || '{"booking_allow_past": true}' WHERE id = '11111111-1111-1111-1111-111111111111';
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000bf001', now() - interval '1 hour', 30) ->> 'success', 'true', 'an org that allows it books in the past');
UPDATE organizations SET settings = settings - 'booking_allow_past' WHERE id = '11111111-1111-1111-1111-111111111111';

-- ---------------------------------------------------------------- booking rules
INSERT INTO ids SELECT 'first', (pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 10:00-04', 60, 'idem-1') ->> 'appointment_id')::uuid;
SELECT isnt((SELECT id FROM ids WHERE name = 'first'), NULL, 'a free slot inside working hours books');
SELECT is((SELECT status || ' ' || (ends_at - starts_at)::text FROM appointments WHERE id = (SELECT id FROM ids WHERE name = 'first')),
          'booked 01:00:00', 'stored as booked, one hour long');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 10:00-04', 60, 'idem-1') ->> 'appointment_id',
          (SELECT id::text FROM ids WHERE name = 'first'), 'the same idempotency key returns the same appointment');
SELECT is((SELECT count(*) FROM appointments WHERE idempotency_key = 'idem-1'), 1::bigint, 'and books once');
CREATE TEMP TABLE r_taken AS SELECT pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 10:30-04', 60) AS r;
SELECT is((SELECT r ->> 'error' FROM r_taken), 'slot_taken', 'a partial overlap with a different start is slot_taken');
SELECT is((SELECT r -> 'conflicting_appointment' ->> 'id' FROM r_taken), (SELECT id::text FROM ids WHERE name = 'first'),
          'and names the appointment that holds it');
SELECT is((SELECT (r -> 'conflicting_appointment' ->> 'starts_at')::timestamptz FROM r_taken), '2027-06-08 14:00+00'::timestamptz,
          'with its start');
SELECT is((SELECT jsonb_agg((s ->> 'starts_at')::timestamptz ORDER BY (s ->> 'starts_at')::timestamptz) FROM r_taken, jsonb_array_elements(r -> 'next_available') s),
          jsonb_build_array('2027-06-08 15:00+00'::timestamptz, '2027-06-08 16:00+00'::timestamptz, '2027-06-08 17:00+00'::timestamptz),
          'and offers the next three free slots');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 09:30-04', 60) ->> 'error', 'slot_taken', 'an overlap from before is slot_taken');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 10:15-04', 15) ->> 'error', 'slot_taken', 'a range inside is slot_taken');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 09:00-04', 60) ->> 'success', 'true', 'the adjacent range before books');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 11:00-04', 60) ->> 'success', 'true', 'the adjacent range after books');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 08:30-04', 60) ->> 'error', 'outside_hours', 'starting before hours: outside_hours');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 16:30-04', 60) ->> 'error', 'outside_hours', 'running past hours: outside_hours');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-12 10:00-04', 60) ->> 'error', 'outside_hours', 'a Saturday: outside_hours');
SELECT throws_ok($$INSERT INTO appointments (org_id, resource_id, starts_at, ends_at) VALUES
                   ('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000b0001', '2027-06-08 14:30+00', '2027-06-08 14:45+00')$$,
                 '23P01', NULL, 'the exclusion constraint refuses an overlap that bypasses the functions');

-- reschedule: atomic, old slot kept on refusal
SELECT is(reschedule_appointment((SELECT id FROM ids WHERE name = 'first'), '2027-06-08 11:30-04') ->> 'error', 'slot_taken',
          'rescheduling onto a taken range is slot_taken');
SELECT is((SELECT starts_at FROM appointments WHERE id = (SELECT id FROM ids WHERE name = 'first')), '2027-06-08 14:00+00'::timestamptz,
          'and the old slot is kept');
SELECT is(reschedule_appointment((SELECT id FROM ids WHERE name = 'first'), '2027-06-08 10:15-04', 45) ->> 'success', 'true',
          'rescheduling within its own range (overlapping itself) works');
SELECT is(reschedule_appointment((SELECT id FROM ids WHERE name = 'first'), '2027-06-08 13:00-04', 90) ->> 'appointment_id',
          (SELECT id::text FROM ids WHERE name = 'first'), 'rescheduling keeps the id');
SELECT is((SELECT (starts_at, ends_at)::text FROM appointments WHERE id = (SELECT id FROM ids WHERE name = 'first')),
          ('2027-06-08 17:00+00'::timestamptz, '2027-06-08 18:30+00'::timestamptz)::text, 'and moves it with the new duration');
SELECT is(reschedule_appointment((SELECT id FROM ids WHERE name = 'first'), '2027-06-08 19:00-04') ->> 'error', 'outside_hours',
          'rescheduling outside hours is refused');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 10:00-04', 60) ->> 'success', 'true', 'the range it left is free');

-- cancel
SELECT is(cancel_appointment((SELECT id FROM ids WHERE name = 'first'), 'patient called') ->> 'success', 'true', 'cancel succeeds');
SELECT is((SELECT status || '/' || cancel_reason FROM appointments WHERE id = (SELECT id FROM ids WHERE name = 'first')), 'cancelled/patient called',
          'status and reason are stored');
SELECT is(cancel_appointment((SELECT id FROM ids WHERE name = 'first')) ->> 'already_cancelled', 'true', 'a second cancel is a no-op');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-08 13:00-04', 90) ->> 'success', 'true', 'a cancelled range is free at once');
SELECT is(reschedule_appointment((SELECT id FROM ids WHERE name = 'first'), '2027-06-09 10:00-04') ->> 'error', 'invalid_status',
          'a cancelled appointment cannot be rescheduled');

-- holds
INSERT INTO ids SELECT 'hold', (hold_appointment('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000b0001', NULL,
                                                 '2027-06-09 10:00-04', 30, 60) ->> 'appointment_id')::uuid;
SELECT is((SELECT status FROM appointments WHERE id = (SELECT id FROM ids WHERE name = 'hold')), 'held', 'a hold is stored as held');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-09 10:00-04', 30) ->> 'error', 'slot_taken', 'a live hold blocks the slot');
SELECT is(confirm_appointment((SELECT id FROM ids WHERE name = 'hold')) ->> 'success', 'true', 'a live hold confirms');
SELECT is((SELECT status FROM appointments WHERE id = (SELECT id FROM ids WHERE name = 'hold')), 'booked', 'and becomes booked');
INSERT INTO ids SELECT 'hold2', (hold_appointment('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000b0001', NULL,
                                                  '2027-06-09 11:00-04', 30) ->> 'appointment_id')::uuid;
UPDATE appointments SET hold_expires_at = now() - interval '1 second' WHERE id = (SELECT id FROM ids WHERE name = 'hold2');
SELECT ok(EXISTS (SELECT 1 FROM available_slots('a0000000-0000-0000-0000-0000000b0001', '2027-06-09 15:00+00', '2027-06-09 15:30+00', 30)),
          'an expired hold is free in available_slots');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-06-09 11:00-04', 30) ->> 'success', 'true', 'an expired hold does not block a booking');
SELECT is((SELECT status || '/' || cancel_reason FROM appointments WHERE id = (SELECT id FROM ids WHERE name = 'hold2')), 'cancelled/hold expired',
          'the booking released the expired hold under the lock');
SELECT is(confirm_appointment((SELECT id FROM ids WHERE name = 'hold2')) ->> 'error', 'hold_expired', 'an expired hold cannot be confirmed');
INSERT INTO ids SELECT 'hold3', (hold_appointment('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000b0001', NULL,
                                                  '2027-06-09 12:00-04', 30) ->> 'appointment_id')::uuid;
UPDATE appointments SET hold_expires_at = now() - interval '1 second' WHERE id = (SELECT id FROM ids WHERE name = 'hold3');
SELECT is(switchboard.release_expired_holds(), 1, 'release_expired_holds tidies the expired hold');

-- the original backend's entry point
SELECT is((book_appointment_with_lock('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000000c1', '2027-06-10 10:00-04', 30, 42)
           ->> 'success'), 'true', 'book_appointment_with_lock books');
SELECT is((SELECT resource_id FROM appointments WHERE starts_at = '2027-06-10 14:00+00'), 'a0000000-0000-0000-0000-0000000b0001'::uuid,
          'on the org''s default resource');
SELECT is((book_appointment_with_lock('11111111-1111-1111-1111-111111111111', NULL, '2027-06-10 10:15-04', 30, 7) ->> 'error'), 'slot_taken',
          'an overlap with another start and lock key is still refused');
SELECT is((book_appointment_with_lock('11111111-1111-1111-1111-111111111111', NULL, '2027-06-10 10:30-04', 30, 42) ->> 'success'), 'true',
          'the same lock key on a non-overlapping range is not refused');

UPDATE resources SET is_default = false WHERE org_id = '22222222-2222-2222-2222-222222222222';
SELECT is((book_appointment_with_lock('22222222-2222-2222-2222-222222222222', NULL, '2027-06-10 10:00+02', 30) ->> 'error'), 'not_found',
          'book_appointment_with_lock without a default resource: not_found');
UPDATE resources SET is_default = true WHERE id = 'b0000000-0000-0000-0000-0000000b0001';
SELECT is((hold_appointment('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000b0001', NULL, '2027-06-10 12:00-04', 30, 60, 'hold-key')
           ->> 'appointment_id'),
          (hold_appointment('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000b0001', NULL, '2027-06-10 12:00-04', 30, 60, 'hold-key')
           ->> 'appointment_id'), 'a retried hold with the same key returns the same hold');

-- ---------------------------------------------------------------- time zones
-- spring forward, New York (2027-03-14): 00:00-06:00 local is 5 real hours
SELECT is((SELECT array_agg(to_char(timezone('America/New_York', starts_at), 'HH24:MI') ORDER BY starts_at)
           FROM available_slots('a0000000-0000-0000-0000-0000000bf002', '2027-03-14 00:00-05', '2027-03-14 12:00-04', 60)),
          ARRAY['00:00', '01:00', '03:00', '04:00', '05:00'], 'New York spring-forward day: no 02:00 slot');
-- fall back, New York (2027-11-07): 7 real hours, 01:00 twice
SELECT is((SELECT array_agg(to_char(timezone('America/New_York', starts_at), 'HH24:MI') ORDER BY starts_at)
           FROM available_slots('a0000000-0000-0000-0000-0000000bf002', '2027-11-07 00:00-04', '2027-11-07 12:00-05', 60)),
          ARRAY['00:00', '01:00', '01:00', '02:00', '03:00', '04:00', '05:00'], 'New York fall-back day: 01:00 twice');
SELECT is((SELECT array_agg(to_char(timezone('Europe/Berlin', starts_at), 'HH24:MI') ORDER BY starts_at)
           FROM available_slots('a0000000-0000-0000-0000-0000000bf003', '2027-03-28 00:00+01', '2027-03-28 12:00+02', 60)),
          ARRAY['00:00', '01:00', '03:00', '04:00', '05:00'], 'Berlin spring-forward day: no 02:00 slot');
SELECT is((SELECT array_agg(to_char(timezone('Europe/Berlin', starts_at), 'HH24:MI') ORDER BY starts_at)
           FROM available_slots('a0000000-0000-0000-0000-0000000bf003', '2027-10-31 00:00+02', '2027-10-31 12:00+01', 60)),
          ARRAY['00:00', '01:00', '02:00', '02:00', '03:00', '04:00', '05:00'], 'Berlin fall-back day: 02:00 twice');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000bf003', '2027-10-31 02:30+02', 60) ->> 'success', 'true',
          'Berlin: the first 02:30 (CEST) books');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000bf003', '2027-10-31 02:30+01', 60) ->> 'success', 'true',
          'Berlin: the repeated 02:30 (CET) is a different hour and books too');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000bf003', '2027-10-31 02:00+01', 60) ->> 'error', 'slot_taken',
          'Berlin: 02:00 CET overlaps the 02:30 CEST booking only in real time');
-- a booking across the New York gap lasts real minutes
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000bf002', timestamp '2027-03-14 01:30' AT TIME ZONE 'America/New_York', 60) ->> 'success', 'true',
          'New York: 01:30 EST for 60 minutes books across the gap');
SELECT is((SELECT to_char(timezone('America/New_York', ends_at), 'HH24:MI') FROM appointments
           WHERE resource_id = 'a0000000-0000-0000-0000-0000000bf002' AND starts_at = '2027-03-14 06:30+00'),
          '03:30', 'and ends at 03:30 EDT, one real hour later');
-- a window whose start lies in the gap begins at the transition (03:00 EDT)
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000bf005', '2027-03-14 03:00-04', 30) ->> 'success', 'true',
          'a 02:30 window start in the gap opens at 03:00 EDT');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000bf005', '2027-03-14 01:45-05', 15) ->> 'error', 'outside_hours',
          'and not before the gap');
-- the same UTC hour is inside hours after the US switch and outside before it
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-03-15 13:00+00', 30) ->> 'success', 'true',
          'New York Monday after spring forward: 13:00 UTC is 09:00 EDT, inside hours');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0001', '2027-03-08 13:00+00', 30) ->> 'error', 'outside_hours',
          'the Monday before: 13:00 UTC is 08:00 EST, outside hours');
-- across midnight: Monday 22:00-24:00 + Tuesday 00:00-06:00 join
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000bf004', '2027-06-07 23:30+02', 60) ->> 'success', 'true',
          'an overnight shift accepts a booking across midnight');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000bf004', '2027-06-08 05:30+02', 60) ->> 'error', 'outside_hours',
          'but not one past the shift''s end');
-- resource in Chicago, org in New York
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0002', '2027-06-08 09:00-05', 30) ->> 'success', 'true',
          'Chicago resource of a New York org: 09:00 Chicago books');
SELECT is(pg_temp.book('a0000000-0000-0000-0000-0000000b0002', '2027-06-08 08:30-05', 30) ->> 'error', 'outside_hours',
          '08:30 Chicago (09:30 in the org''s zone) is outside the resource''s hours');

-- ---------------------------------------------------------------- tenancy
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000003', '11111111-1111-1111-1111-111111111111');
SELECT is((book_appointment(NULL, 'a0000000-0000-0000-0000-0000000b0001', 'a0000000-0000-0000-0000-0000000000c2', '2027-06-11 10:00-04', 30)
           ->> 'success'), 'true', 'an agent books in its own org with p_org_id NULL');
SELECT throws_ok($$SELECT book_appointment('22222222-2222-2222-2222-222222222222', 'b0000000-0000-0000-0000-0000000b0001', NULL, '2027-06-11 10:00+02', 30)$$,
                 '42501', NULL, 'an agent of org A cannot book in org B');
SELECT throws_ok($$SELECT cancel_appointment('b0000000-0000-0000-0000-0000000ba001')$$, '42501', NULL, 'nor cancel org B''s appointment');
SELECT throws_ok($$SELECT reschedule_appointment('b0000000-0000-0000-0000-0000000ba001', '2027-06-11 10:00+02')$$, '42501', NULL,
                 'nor reschedule it');
SELECT throws_ok($$SELECT * FROM available_slots('b0000000-0000-0000-0000-0000000b0001', '2027-06-11', '2027-06-12', 30)$$, '42501', NULL,
                 'nor read org B''s free slots');
SELECT throws_ok($$INSERT INTO appointments (org_id, resource_id, starts_at, ends_at) VALUES
                   ('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000b0001', '2027-07-01 14:00+00', '2027-07-01 15:00+00')$$,
                 '42501', NULL, 'members cannot write appointments around the functions');
SELECT is((SELECT count(*) FROM appointments WHERE org_id <> '11111111-1111-1111-1111-111111111111'), 0::bigint, 'a member reads only its org''s appointments');
SELECT ok(EXISTS (SELECT 1 FROM available_slots('a0000000-0000-0000-0000-0000000b0001', '2027-06-11 13:00+00', '2027-06-11 21:00+00', 30)),
          'an agent reads its own org''s free slots');
SELECT throws_ok($$SELECT confirm_appointment('b0000000-0000-0000-0000-0000000ba001')$$, '42501', NULL, 'an agent cannot confirm org B''s appointment');
SELECT throws_ok($$SELECT switchboard.release_expired_holds('22222222-2222-2222-2222-222222222222')$$, '42501', NULL,
                 'an agent cannot release another org''s holds');
SELECT switchboard_test.act_as('b0000000-0000-0000-0000-000000000003', '22222222-2222-2222-2222-222222222222');
SELECT is((book_appointment(NULL, 'a0000000-0000-0000-0000-0000000b0001', NULL, '2027-06-11 10:00-04', 30) ->> 'error'), 'not_found',
          'org B''s agent gets not_found for org A''s resource');
SELECT is((SELECT count(*) FROM appointments WHERE org_id = '11111111-1111-1111-1111-111111111111'), 0::bigint,
          'and reads none of org A''s appointments');
SELECT switchboard_test.act_as('a0000000-0000-0000-0000-000000000004', '11111111-1111-1111-1111-111111111111');
SELECT throws_ok($$SELECT book_appointment(NULL, 'a0000000-0000-0000-0000-0000000b0001', NULL, '2027-06-11 12:00-04', 30)$$, '42501', NULL,
                 'a viewer cannot book');
SELECT switchboard_test.act_as_role('anon');
SELECT throws_ok($$SELECT book_appointment('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000b0001', NULL, '2027-06-11 12:00-04', 30)$$,
                 '42501', NULL, 'anon cannot book');
SELECT switchboard_test.act_as_role('authenticated');
SELECT throws_ok($$SELECT book_appointment('11111111-1111-1111-1111-111111111111', 'a0000000-0000-0000-0000-0000000b0001', NULL, '2027-06-11 12:00-04', 30)$$,
                 '42501', NULL, 'a caller without claims cannot book');
SELECT switchboard_test.act_reset();

SELECT is_empty($$SELECT * FROM switchboard.schema_lint()
                  WHERE object_name ~ '(resources|resource_working_hours|appointments|booking|available_slots|release_expired_holds)'$$,
                'schema lint finds nothing in the booking objects');
SELECT * FROM finish();
ROLLBACK;
