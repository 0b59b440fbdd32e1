#!/usr/bin/env bash
# Demo: two AI voice calls ask for overlapping slots with Dr. Patel at the same
# instant. One wins; the other is told which appointment holds the slot and is
# offered the next free slots. Runs against DEMO_PORT / DEMO_DB (default: the
# `make db` server).
set -euo pipefail
PORT=${DEMO_PORT:-${PGPORT:-55432}}
DB=${DEMO_DB:-switchboard}
psql() { command psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d "$DB" "$@"; }
ORG=11111111-1111-1111-1111-111111111111
RES=a0000000-0000-0000-0000-0000000b0001
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

echo "== Booking: Dr. Patel (America/New_York, Mon-Fri 09:00-17:00), Monday 14 June 2027"
# a clean morning for the demo (re-runnable)
psql -c "DELETE FROM appointments WHERE org_id = '$ORG' AND resource_id = '$RES'
           AND starts_at >= '2027-06-14 00:00-04' AND starts_at < '2027-06-15 00:00-04'" >/dev/null
psql -c "SELECT to_char(timezone('America/New_York', starts_at), 'Dy HH24:MI') AS free_at_10_local
         FROM available_slots('$RES', '2027-06-14 10:00-04', '2027-06-14 11:00-04', 30)"

# caller: NAME START(local) AGENT_USER CONTACT
caller() {
  psql -t -A -F ' ' >"$W/$1.out" <<SQL
BEGIN;
SELECT set_config('request.jwt.claims', '{"sub":"$3","role":"authenticated","app_metadata":{"org_id":"$ORG"}}', true) \\g /dev/null
SET LOCAL ROLE authenticated;
SELECT book_appointment(NULL, '$RES', '$4', timestamp '2027-06-14 $2' AT TIME ZONE 'America/New_York', 30) AS r \\gset
SELECT pg_sleep(0.5) \\g /dev/null
COMMIT;
SELECT CASE WHEN (:'r'::jsonb ->> 'success')::boolean
            THEN '$1 ($2): BOOKED appointment ' || (:'r'::jsonb ->> 'appointment_id')
            ELSE '$1 ($2): REFUSED ' || (:'r'::jsonb ->> 'error') || ' - held by appointment '
                 || (:'r'::jsonb -> 'conflicting_appointment' ->> 'id') || ' ('
                 || to_char(timezone('America/New_York', (:'r'::jsonb -> 'conflicting_appointment' ->> 'starts_at')::timestamptz), 'HH24:MI') || '-'
                 || to_char(timezone('America/New_York', (:'r'::jsonb -> 'conflicting_appointment' ->> 'ends_at')::timestamptz), 'HH24:MI')
                 || '); next free: '
                 || (SELECT string_agg(to_char(timezone('America/New_York', (s ->> 'starts_at')::timestamptz), 'HH24:MI'), ', ' ORDER BY s ->> 'starts_at')
                     FROM jsonb_array_elements(:'r'::jsonb -> 'next_available') s)
       END;
SQL
}
echo
echo "-- two calls, same instant: caller A wants 10:00-10:30, caller B wants 10:15-10:45 (overlapping, different start)"
caller "caller A" "10:00" a0000000-0000-0000-0000-000000000003 a0000000-0000-0000-0000-0000000000c1 &
caller "caller B" "10:15" a0000000-0000-0000-0000-000000000003 a0000000-0000-0000-0000-0000000000c2 &
wait
cat "$W/caller A.out" "$W/caller B.out" | sed 's/^/   /'
echo
echo "-- Dr. Patel's Monday morning: exactly one live appointment in that range"
psql -c "SELECT id, to_char(timezone('America/New_York', starts_at), 'HH24:MI') AS starts_local,
                to_char(timezone('America/New_York', ends_at), 'HH24:MI') AS ends_local, status
         FROM appointments WHERE org_id = '$ORG' AND resource_id = '$RES'
           AND starts_at >= '2027-06-14 00:00-04' AND starts_at < '2027-06-15 00:00-04' ORDER BY starts_at"
echo "-- the original backend locked hashtext(org || start): 10:00 and 10:15 take different locks, so both would have booked."
