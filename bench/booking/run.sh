#!/usr/bin/env bash
# Booking: (1) a 32-client race on one hot resource with random overlapping
# intervals, then a query proving zero overlaps; (2) 32 clients booking their
# own adjacent, non-overlapping slots on that resource: zero refusals;
# (3) uncontended cost of book_appointment vs a bare INSERT of the same rows
# (target <= 1.4x); (4) the original backend's design re-created in PL/pgSQL
# (pg_try_advisory_xact_lock(hashtext(org || start)), check, insert, no
# exclusion constraint) under the same race, with its overlap count.
set -euo pipefail
P=$BENCH_PORT
DB=$BENCH_DB
OUT=${BENCH_RESULTS:-$(cd "$(dirname "$0")/.." && pwd)/results}
RACE_SECS=${BOOKING_RACE_SECONDS:-30}
LEGACY_SECS=${BOOKING_LEGACY_SECONDS:-15}
OWN_SECS=${BOOKING_OWN_SECONDS:-10}
UNC_SECS=${BOOKING_UNCONTENDED_SECONDS:-5}
CLIENTS=${BOOKING_CLIENTS:-32}
ORG=55555555-5555-5555-5555-555555555555
HOT=55555555-0000-0000-0000-000000000001
OWN=55555555-0000-0000-0000-000000000002
UNC=55555555-0000-0000-0000-000000000003
BARE=55555555-0000-0000-0000-000000000004
psql() { command psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$P" -U postgres -d "$DB" "$@"; }
W=$(mktemp -d)
cleanup() {
  rm -rf "$W"
  psql -c "DROP SCHEMA IF EXISTS bench_booking CASCADE; DELETE FROM organizations WHERE id = '$ORG';" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql >/dev/null <<SQL
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_booking CASCADE;
DELETE FROM organizations WHERE id = '$ORG';
INSERT INTO organizations (id, name, timezone) VALUES ('$ORG', 'Bench Clinic', 'America/New_York');
INSERT INTO resources (id, org_id, name, timezone) VALUES
  ('$HOT', '$ORG', 'hot', 'America/New_York'), ('$OWN', '$ORG', 'own slots', 'America/New_York'),
  ('$UNC', '$ORG', 'uncontended', 'America/New_York'), ('$BARE', '$ORG', 'bare insert', 'America/New_York');
CREATE SCHEMA bench_booking;
CREATE SEQUENCE bench_booking.tick;
CREATE SEQUENCE bench_booking.legacy_tick;
CREATE SEQUENCE bench_booking.own;
CREATE SEQUENCE bench_booking.unc;
-- the original backend: an appointments table without an exclusion constraint
CREATE TABLE bench_booking.legacy_appointments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL, contact_id uuid, scheduled_at timestamptz NOT NULL,
  duration_minutes int NOT NULL, status text NOT NULL DEFAULT 'scheduled');
CREATE INDEX ON bench_booking.legacy_appointments (org_id, scheduled_at);
-- its book_appointment_with_lock, re-created: the lock is keyed on the start time
CREATE FUNCTION bench_booking.legacy_book_appointment_with_lock(p_org_id uuid, p_contact_id uuid,
  p_scheduled_at timestamptz, p_duration_minutes int, p_lock_key bigint DEFAULT NULL) RETURNS jsonb
  LANGUAGE plpgsql SET search_path = pg_catalog, public AS \$f\$
DECLARE
  v_key bigint := coalesce(p_lock_key, hashtext(p_org_id::text || p_scheduled_at::text));
  v_id uuid;
BEGIN
  IF NOT pg_try_advisory_xact_lock(v_key) THEN
    RETURN jsonb_build_object('success', false, 'error', 'Slot is being booked by another request');
  END IF;
  IF EXISTS (SELECT 1 FROM bench_booking.legacy_appointments a
             WHERE a.org_id = p_org_id AND a.status <> 'cancelled'
               AND a.scheduled_at < p_scheduled_at + make_interval(mins => p_duration_minutes)
               AND a.scheduled_at + make_interval(mins => a.duration_minutes) > p_scheduled_at) THEN
    RETURN jsonb_build_object('success', false, 'error', 'Time slot already booked');
  END IF;
  INSERT INTO bench_booking.legacy_appointments (org_id, contact_id, scheduled_at, duration_minutes)
  VALUES (p_org_id, p_contact_id, p_scheduled_at, p_duration_minutes) RETURNING id INTO v_id;
  RETURN jsonb_build_object('success', true, 'appointment_id', v_id);
END \$f\$;
SQL

# Race: the frontier moves 30 minutes every 2 transactions; each request starts
# 0-90 minutes past it and lasts 30-90 minutes, so the 32 in-flight requests
# fall over each other all the time and about one in four can win.
cat >"$W/race.sql" <<SQL
\set off random(0, 90)
\set dur random(2, 6)
SELECT book_appointment('$ORG', '$HOT', NULL,
  timestamptz '2031-01-01 00:00+00' + (nextval('bench_booking.tick') / 2) * interval '30 minutes' + :off * interval '1 minute', :dur * 15);
SQL
cat >"$W/legacy_race.sql" <<SQL
\set off random(0, 90)
\set dur random(2, 6)
SELECT bench_booking.legacy_book_appointment_with_lock('$ORG', NULL,
  timestamptz '2031-01-01 00:00+00' + (nextval('bench_booking.legacy_tick') / 2) * interval '30 minutes' + :off * interval '1 minute', :dur * 15);
SQL
cat >"$W/own.sql" <<SQL
SELECT book_appointment('$ORG', '$OWN', NULL, timestamptz '2032-01-01 00:00+00' + nextval('bench_booking.own') * interval '30 minutes', 30);
SQL
cat >"$W/unc_book.sql" <<SQL
SELECT book_appointment('$ORG', '$UNC', NULL, timestamptz '2033-01-01 00:00+00' + nextval('bench_booking.unc') * interval '30 minutes', 30);
SQL
# the engine core alone (what book_appointment runs after switchboard.assert_org_access)
cat >"$W/unc_core.sql" <<SQL
SELECT switchboard.booking_place('$ORG', '$UNC', NULL, timestamptz '2033-01-01 00:00+00' + nextval('bench_booking.unc') * interval '30 minutes', 30, NULL, NULL);
SQL
cat >"$W/unc_bare.sql" <<SQL
INSERT INTO appointments (org_id, resource_id, contact_id, starts_at, ends_at, status)
VALUES ('$ORG', '$BARE', NULL, timestamptz '2033-01-01 00:00+00' + nextval('bench_booking.unc') * interval '30 minutes',
        timestamptz '2033-01-01 00:30+00' + currval('bench_booking.unc') * interval '30 minutes', 'booked');
SQL
cat >"$W/unc_legacy.sql" <<SQL
SELECT bench_booking.legacy_book_appointment_with_lock('$ORG', NULL, timestamptz '2033-01-01 00:00+00' + nextval('bench_booking.unc') * interval '30 minutes', 30);
SQL

# pgbench FILE CLIENTS SECONDS -> "tps processed failed"
run() {
  local log
  log=$(pgbench -n -M prepared -h 127.0.0.1 -p "$P" -U postgres -c "$2" -j "$(($2 < 4 ? $2 : 4))" -T "$3" -f "$1" "$DB" 2>&1) || {
    echo "$log" >&2
    return 1
  }
  echo "$(sed -nE 's/^tps = ([0-9.]+).*/\1/p' <<<"$log") $(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' <<<"$log") $(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' <<<"$log" | head -1)"
}
q() { psql -tAc "$1"; }
overlaps_sql="SELECT count(*) FROM appointments a JOIN appointments b
  ON b.org_id = a.org_id AND b.resource_id = a.resource_id AND a.id < b.id
 AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)
 WHERE a.org_id = '$ORG' AND a.resource_id = '%s' AND a.status <> 'cancelled' AND b.status <> 'cancelled'"

# 1. the race
read -r race_tps race_n race_failed < <(run "$W/race.sql" "$CLIENTS" "$RACE_SECS")
race_booked=$(q "SELECT count(*) FROM appointments WHERE org_id = '$ORG' AND resource_id = '$HOT'")
race_overlaps=$(q "$(printf "$overlaps_sql" "$HOT")")

# 2. the original design under the same race
read -r legacy_tps legacy_n legacy_failed < <(run "$W/legacy_race.sql" "$CLIENTS" "$LEGACY_SECS")
legacy_booked=$(q "SELECT count(*) FROM bench_booking.legacy_appointments")
legacy_overlaps=$(q "SELECT count(*) FROM bench_booking.legacy_appointments a JOIN bench_booking.legacy_appointments b
  ON a.org_id = b.org_id AND a.id < b.id
 AND tstzrange(a.scheduled_at, a.scheduled_at + make_interval(mins => a.duration_minutes))
  && tstzrange(b.scheduled_at, b.scheduled_at + make_interval(mins => b.duration_minutes))")
legacy_overlapping_rows=$(q "SELECT count(*) FROM bench_booking.legacy_appointments a WHERE EXISTS (
  SELECT 1 FROM bench_booking.legacy_appointments b WHERE b.org_id = a.org_id AND b.id <> a.id
   AND tstzrange(a.scheduled_at, a.scheduled_at + make_interval(mins => a.duration_minutes))
    && tstzrange(b.scheduled_at, b.scheduled_at + make_interval(mins => b.duration_minutes)))")

# 3. own slots: adjacent, never overlapping, all on one resource
read -r own_tps own_n own_failed < <(run "$W/own.sql" "$CLIENTS" "$OWN_SECS")
own_booked=$(q "SELECT count(*) FROM appointments WHERE org_id = '$ORG' AND resource_id = '$OWN'")
own_refused=$((own_n - own_booked))

# 4. uncontended: one client, same rows; alternate twice and keep the best of each
psql -c "TRUNCATE bench_booking.legacy_appointments" -c "VACUUM ANALYZE appointments" -c "VACUUM ANALYZE bench_booking.legacy_appointments" >/dev/null
read -r b1 _ _ < <(run "$W/unc_bare.sql" 1 "$UNC_SECS")
read -r k1 _ _ < <(run "$W/unc_book.sql" 1 "$UNC_SECS")
read -r l1 _ _ < <(run "$W/unc_legacy.sql" 1 "$UNC_SECS")
read -r c1 _ _ < <(run "$W/unc_core.sql" 1 "$UNC_SECS")
read -r b2 _ _ < <(run "$W/unc_bare.sql" 1 "$UNC_SECS")
read -r k2 _ _ < <(run "$W/unc_book.sql" 1 "$UNC_SECS")
read -r l2 _ _ < <(run "$W/unc_legacy.sql" 1 "$UNC_SECS")
read -r c2 _ _ < <(run "$W/unc_core.sql" 1 "$UNC_SECS")
bare=$(python3 -c "print(max($b1, $b2))")
book=$(python3 -c "print(max($k1, $k2))")
legacy=$(python3 -c "print(max($l1, $l2))")
core=$(python3 -c "print(max($c1, $c2))")
core_ratio=$(python3 -c "print(round($bare / $core, 3))")
ratio=$(python3 -c "print(round($bare / $book, 3))")
legacy_ratio=$(python3 -c "print(round($legacy / $book, 3))")
unc_book_rows=$(q "SELECT count(*) FROM appointments WHERE org_id = '$ORG' AND resource_id = '$UNC'")

race_refused=$((race_n - race_booked))
legacy_refused=$((legacy_n - legacy_booked))
cat >"$OUT/booking.json" <<JSON
{"engine": "booking", "clients": $CLIENTS,
 "race": {"seconds": $RACE_SECS, "attempts": $race_n, "booked": $race_booked, "refused": $race_refused, "errors": ${race_failed:-0}, "tps": $race_tps, "overlapping_pairs": $race_overlaps},
 "legacy_race": {"seconds": $LEGACY_SECS, "attempts": $legacy_n, "booked": $legacy_booked, "refused": $legacy_refused, "errors": ${legacy_failed:-0}, "tps": $legacy_tps, "overlapping_pairs": $legacy_overlaps, "rows_in_an_overlap": $legacy_overlapping_rows},
 "own_slots": {"seconds": $OWN_SECS, "attempts": $own_n, "booked": $own_booked, "refused": $own_refused, "errors": ${own_failed:-0}, "tps": $own_tps},
 "uncontended": {"seconds_per_run": $UNC_SECS, "bare_insert_tps": $bare, "book_appointment_tps": $book, "legacy_function_tps": $legacy,
                 "core_tps": $core, "book_and_core_rows": $unc_book_rows,
                 "cost_ratio_core_vs_bare_insert": $core_ratio,
                 "cost_ratio_book_vs_bare_insert": $ratio, "target_ratio_max": 1.4, "cost_ratio_book_vs_legacy": $legacy_ratio}}
JSON
cat <<MD
## Booking (advisory-locked, no double booking)
| run | result |
|---|---|
| race: $CLIENTS clients × ${RACE_SECS}s, one hot resource, random overlapping intervals | $race_n attempts, $race_booked booked, $race_refused refused (slot_taken), ${race_failed:-0} errors, **$race_overlaps overlapping pairs** |
| same race, original design (\`hashtext(org‖start)\` + \`pg_try_advisory_xact_lock\`), ${LEGACY_SECS}s | $legacy_n attempts, $legacy_booked booked, **$legacy_overlaps overlapping pairs** ($legacy_overlapping_rows rows double-booked) |
| own slots: $CLIENTS clients × ${OWN_SECS}s, adjacent non-overlapping slots on one resource | $own_n attempts, $own_booked booked, **$own_refused refused** |
| uncontended, 1 client: bare \`INSERT\` of the same rows | $bare tps |
| uncontended, 1 client: \`book_appointment\` | $book tps |
| uncontended, 1 client: original design's function | $legacy tps |
| uncontended, 1 client: engine core \`switchboard.booking_place\` (book_appointment minus \`assert_org_access\`) | $core tps |
| **cost ratio book_appointment / bare INSERT** | **$ratio** (target ≤ 1.4) |
| cost ratio engine core / bare INSERT | $core_ratio |
| cost ratio book_appointment / original function | $legacy_ratio |
MD
