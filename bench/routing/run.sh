#!/usr/bin/env bash
# Routing under 16 concurrent callers: fairness, capacity, throughput.
#  1. switchboard assign_conversation vs a naive `ORDER BY … LIMIT 1 FOR UPDATE`
#     rotation and a `FOR UPDATE SKIP LOCKED` one: 10 agents, 1,000 queued
#     conversations per round, 16 clients; assignments/s and the spread
#     between the busiest and the idlest agent (target: spread ≤ 1, ≥ 2,000/s).
#  2. capacity: 5 available agents of capacity 3 plus 3 offline agents, 40
#     conversations, 16 clients: exactly 15 assigned, none to an offline
#     agent, none over capacity.
# Env: BENCH_PORT, BENCH_DB, BENCH_RESULTS (set by bench/run.sh);
# ROUTING_ROUNDS (default 3), ROUTING_CONVERSATIONS (default 1000).
set -euo pipefail
P=${BENCH_PORT:?BENCH_PORT is required}
DB=${BENCH_DB:?BENCH_DB is required}
RESULTS=${BENCH_RESULTS:-$(cd "$(dirname "$0")/.." && pwd)/results}
ROUNDS=${ROUTING_ROUNDS:-3}
N=${ROUTING_CONVERSATIONS:-1000}
CLIENTS=16
mkdir -p "$RESULTS"
psql() { command psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$P" -U postgres -d "$DB" "$@"; }
W=$(mktemp -d)
cleanup() {
  rm -rf "$W"
  psql -c "DELETE FROM public.organizations WHERE id = '77777777-7777-7777-7777-777777777701'; DROP SCHEMA IF EXISTS bench_routing CASCADE;" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql <<'SQL'
DROP SCHEMA IF EXISTS bench_routing CASCADE;
DELETE FROM public.organizations WHERE id = '77777777-7777-7777-7777-777777777701';
CREATE SCHEMA bench_routing;
INSERT INTO public.organizations (id, name) VALUES ('77777777-7777-7777-7777-777777777701', 'bench routing');
INSERT INTO public.queues (id, org_id, name) VALUES
  ('77000000-0000-0000-0000-0000000f0001', '77777777-7777-7777-7777-777777777701', 'fairness'),
  ('77000000-0000-0000-0000-0000000f0002', '77777777-7777-7777-7777-777777777701', 'capacity');
-- fairness: 10 agents, capacity large enough for every round
INSERT INTO public.agents (id, org_id, display_name, status, max_concurrent)
SELECT ('77000000-0000-0000-0000-0000000a' || lpad(g::text, 4, '0'))::uuid, '77777777-7777-7777-7777-777777777701',
       'fair ' || g, 'available', 1000
FROM generate_series(1, 10) g;
INSERT INTO public.queue_members (org_id, queue_id, agent_id)
SELECT org_id, '77000000-0000-0000-0000-0000000f0001', id FROM public.agents
WHERE org_id = '77777777-7777-7777-7777-777777777701';
-- capacity: 5 available of capacity 3, 3 offline
INSERT INTO public.agents (id, org_id, display_name, status, max_concurrent)
SELECT ('77000000-0000-0000-0000-0000000b' || lpad(g::text, 4, '0'))::uuid, '77777777-7777-7777-7777-777777777701',
       'cap ' || g, CASE WHEN g <= 5 THEN 'available' ELSE 'offline' END, 3
FROM generate_series(1, 8) g;
INSERT INTO public.queue_members (org_id, queue_id, agent_id)
SELECT org_id, '77000000-0000-0000-0000-0000000f0002', id FROM public.agents
WHERE org_id = '77777777-7777-7777-7777-777777777701' AND display_name LIKE 'cap %';

CREATE TABLE bench_routing.pool (n int PRIMARY KEY, id uuid NOT NULL);
CREATE SEQUENCE bench_routing.seq;
CREATE TABLE bench_routing.naive_cursor (org_id uuid PRIMARY KEY, last_agent_id uuid);
INSERT INTO bench_routing.naive_cursor VALUES ('77777777-7777-7777-7777-777777777701', NULL);

-- The original backend's shape made "safe" the usual way: read the cursor
-- without a lock, take the next agent with ORDER BY … LIMIT 1 FOR UPDATE
-- (optionally SKIP LOCKED), assign, write the cursor back.
CREATE FUNCTION bench_routing.naive_assign(p_conversation_id uuid, p_skip boolean) RETURNS uuid
  LANGUAGE plpgsql AS $$
DECLARE
  v_org uuid;
  v_queue uuid;
  v_last uuid;
  v_agent uuid;
BEGIN
  SELECT org_id, queue_id INTO v_org, v_queue FROM public.conversations WHERE id = p_conversation_id;
  SELECT last_agent_id INTO v_last FROM bench_routing.naive_cursor WHERE org_id = v_org;
  IF p_skip THEN
    SELECT a.id INTO v_agent FROM public.agents a
    JOIN public.queue_members m ON m.org_id = a.org_id AND m.agent_id = a.id AND m.queue_id = v_queue
    WHERE a.org_id = v_org AND a.status = 'available'
      AND (SELECT count(*) FROM public.conversations c WHERE c.org_id = v_org AND c.assigned_agent_id = a.id
             AND c.status IN ('open', 'pending')) < a.max_concurrent
    ORDER BY (v_last IS NOT NULL AND a.id <= v_last), a.id LIMIT 1 FOR UPDATE OF a SKIP LOCKED;
  ELSE
    SELECT a.id INTO v_agent FROM public.agents a
    JOIN public.queue_members m ON m.org_id = a.org_id AND m.agent_id = a.id AND m.queue_id = v_queue
    WHERE a.org_id = v_org AND a.status = 'available'
      AND (SELECT count(*) FROM public.conversations c WHERE c.org_id = v_org AND c.assigned_agent_id = a.id
             AND c.status IN ('open', 'pending')) < a.max_concurrent
    ORDER BY (v_last IS NOT NULL AND a.id <= v_last), a.id LIMIT 1 FOR UPDATE OF a;
  END IF;
  IF v_agent IS NULL THEN
    RETURN NULL;
  END IF;
  UPDATE public.conversations SET assigned_agent_id = v_agent WHERE org_id = v_org AND id = p_conversation_id;
  UPDATE bench_routing.naive_cursor SET last_agent_id = v_agent WHERE org_id = v_org;
  RETURN v_agent;
END $$;

-- a fresh round: N unassigned conversations in a queue, numbered 1..N
CREATE FUNCTION bench_routing.reset(p_queue uuid, p_n int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM public.conversations WHERE org_id = '77777777-7777-7777-7777-777777777701';
  UPDATE bench_routing.naive_cursor SET last_agent_id = NULL;
  TRUNCATE bench_routing.pool;
  INSERT INTO public.conversations (id, org_id, channel, customer_identifier, queue_id)
  SELECT gen_random_uuid(), '77777777-7777-7777-7777-777777777701', 'sms', '+1555' || lpad(g::text, 7, '0'), p_queue
  FROM generate_series(1, p_n) g;
  INSERT INTO bench_routing.pool (n, id)
  SELECT row_number() OVER (ORDER BY customer_identifier), id FROM public.conversations
  WHERE org_id = '77777777-7777-7777-7777-777777777701';
  PERFORM setval('bench_routing.seq', 1, false);
END $$;

-- per-agent counts of a queue: spread = busiest - idlest (over all available members)
CREATE FUNCTION bench_routing.spread(p_queue uuid) RETURNS int LANGUAGE sql AS $$
  SELECT (max(n) - min(n))::int FROM (
    SELECT a.id, count(c.id) AS n FROM public.agents a
    JOIN public.queue_members m ON m.org_id = a.org_id AND m.agent_id = a.id AND m.queue_id = p_queue
    LEFT JOIN public.conversations c ON c.org_id = a.org_id AND c.assigned_agent_id = a.id AND c.status IN ('open', 'pending')
    WHERE a.status = 'available' GROUP BY a.id) s
$$;
ANALYZE;
SQL

cat >"$W/switchboard.sql" <<'SQL'
SELECT public.assign_conversation(id) FROM bench_routing.pool WHERE n = (SELECT nextval('bench_routing.seq'));
SQL
cat >"$W/naive.sql" <<'SQL'
SELECT bench_routing.naive_assign(id, false) FROM bench_routing.pool WHERE n = (SELECT nextval('bench_routing.seq'));
SQL
cat >"$W/skip_locked.sql" <<'SQL'
SELECT bench_routing.naive_assign(id, true) FROM bench_routing.pool WHERE n = (SELECT nextval('bench_routing.seq'));
SQL

FAIR_Q=77000000-0000-0000-0000-0000000f0001
CAP_Q=77000000-0000-0000-0000-0000000f0002
# run VARIANT QUEUE CONVERSATIONS [CLIENTS] -> "assignments/s spread assigned errors warm_assignments/s"
# assignments/s = assignments made / wall time of the pgbench run (pgbench's
# tps counts the few transactions past the end of the pool too, so it is
# scaled by assigned / transactions); warm = the same rate counted only once
# every client has finished its first 5 transactions (a new backend plans and
# compiles everything on its first calls, and with 63 calls per client that
# start-up is a good part of the round; pooled connections do not pay it).
run() {
  psql -c "SELECT bench_routing.reset('$2', $3)" >/dev/null
  local c=${4:-$CLIENTS}
  local tx=$((($3 + c - 1) / c)) out tps errs done
  rm -f "$W"/pgl.*
  out=$(pgbench -n -M prepared -h 127.0.0.1 -p "$P" -U postgres -c "$c" -j "$((c < 2 ? 1 : 2))" -t "$tx" \
    -l --log-prefix="$W/pgl" -f "$W/$1.sql" "$DB" 2>&1 || true)
  tps=$(sed -nE 's/^tps = ([0-9.]+).*/\1/p' <<<"$out" | tail -1)
  done=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' <<<"$out" | tail -1)
  errs=$(grep -cE 'aborted|ERROR' <<<"$out" || true)
  local stats assigned
  stats=$(psql -tAF' ' -c "SELECT bench_routing.spread('$2'),
           (SELECT count(*) FROM public.conversations WHERE org_id = '77777777-7777-7777-7777-777777777701' AND assigned_agent_id IS NOT NULL)")
  assigned=${stats#* }
  local rates
  rates=$(cat "$W"/pgl.* 2>/dev/null | python3 -c "
import sys
tps, done, assigned = float('${tps:-0}' or 0), int('${done:-0}' or 0), int('$assigned')
rate = round(tps * assigned / done, 1) if done else 0
ev = sorted((int(r[4]) * 1e6 + int(r[5]), int(r[0]), int(r[1])) for r in (l.split() for l in sys.stdin) if len(r) >= 6)
warm = 0
if ev and done:
    first = {}
    for t, cl, n in ev:
        if n == 5:
            first[cl] = t
    if len(first) == len({cl for _, cl, _ in ev}):
        ts = max(first.values())
        m = sum(1 for e in ev if e[0] > ts)
        if ev[-1][0] > ts:
            warm = round(m * assigned / done / ((ev[-1][0] - ts) / 1e6), 1)
print(rate, warm)")
  echo "${rates% *} $stats $errs ${rates#* }"
}

declare -A TPS SPREAD WARM
for v in switchboard naive skip_locked; do
  best=0 worst_spread=0 best_warm=0
  for r in $(seq 1 "$ROUNDS"); do
    read -r tps spread assigned errs warm < <(run "$v" "$FAIR_Q" "$N")
    if [ "$v" = switchboard ] && { [ "$assigned" -ne "$N" ] || [ "$errs" -ne 0 ]; }; then
      echo "routing bench: switchboard round $r assigned $assigned of $N ($errs errors)" >&2
      exit 1
    fi
    best=$(python3 -c "print(max($best, $tps))")
    best_warm=$(python3 -c "print(max($best_warm, $warm))")
    [ "$spread" -gt "$worst_spread" ] && worst_spread=$spread
  done
  TPS[$v]=$best
  WARM[$v]=$best_warm
  SPREAD[$v]=$worst_spread
done

# the same calls from one client: the cost of the critical section alone
read -r single _ _ _ _ < <(run switchboard "$FAIR_Q" "$N" 1)

# capacity round: 40 conversations, 5 x 3 capacity available, 3 agents offline
psql -c "SELECT bench_routing.reset('$CAP_Q', 40)" >/dev/null
pgbench -n -M prepared -h 127.0.0.1 -p "$P" -U postgres -c "$CLIENTS" -j 2 -t 3 -f "$W/switchboard.sql" "$DB" >/dev/null 2>&1 || true
read -r cap_assigned cap_offline cap_over < <(psql -tAF' ' <<'SQL'
SELECT (SELECT count(*) FROM public.conversations c WHERE c.org_id = '77777777-7777-7777-7777-777777777701' AND c.assigned_agent_id IS NOT NULL),
       (SELECT count(*) FROM public.conversations c JOIN public.agents a ON a.org_id = c.org_id AND a.id = c.assigned_agent_id
         WHERE c.org_id = '77777777-7777-7777-7777-777777777701' AND a.status = 'offline'),
       (SELECT count(*) FROM (SELECT a.id FROM public.agents a JOIN public.conversations c ON c.org_id = a.org_id AND c.assigned_agent_id = a.id
         WHERE a.org_id = '77777777-7777-7777-7777-777777777701' AND c.status IN ('open', 'pending')
         GROUP BY a.id, a.max_concurrent HAVING count(*) > a.max_concurrent) s)
SQL
)

ratio_naive=$(python3 -c "print(round(${TPS[switchboard]} / ${TPS[naive]}, 2))")
ratio_skip=$(python3 -c "print(round(${TPS[switchboard]} / ${TPS[skip_locked]}, 2))")
cap_ok=false
[ "$cap_assigned" -eq 15 ] && [ "$cap_offline" -eq 0 ] && [ "$cap_over" -eq 0 ] && cap_ok=true
fair_ok=false
[ "${SPREAD[switchboard]}" -le 1 ] && fair_ok=true
cat >"$RESULTS/routing.json" <<JSON
{"engine": "routing", "clients": $CLIENTS, "agents": 10, "conversations_per_round": $N, "rounds": $ROUNDS,
 "switchboard": {"assignments_per_s": ${TPS[switchboard]}, "warm_assignments_per_s": ${WARM[switchboard]}, "max_spread": ${SPREAD[switchboard]}, "one_client_assignments_per_s": $single},
 "naive_for_update": {"assignments_per_s": ${TPS[naive]}, "warm_assignments_per_s": ${WARM[naive]}, "max_spread": ${SPREAD[naive]}},
 "skip_locked": {"assignments_per_s": ${TPS[skip_locked]}, "warm_assignments_per_s": ${WARM[skip_locked]}, "max_spread": ${SPREAD[skip_locked]}},
 "throughput_ratio_vs_naive": $ratio_naive, "throughput_ratio_vs_skip_locked": $ratio_skip,
 "capacity": {"available_agents": 5, "max_concurrent": 3, "offline_agents": 3, "conversations": 40,
              "assigned": $cap_assigned, "assigned_to_offline": $cap_offline, "agents_over_capacity": $cap_over},
 "fairness_ok": $fair_ok, "capacity_ok": $cap_ok, "target_assignments_per_s": 2000, "target_max_spread": 1}
JSON
cat <<MD
## Routing (round robin, $CLIENTS clients, 10 agents, $N conversations per round, best of $ROUNDS rounds)
| variant | assignments/s (whole round) | once every client is warm | spread (busiest − idlest agent, worst round) |
|---|---|---|---|
| switchboard \`assign_conversation\` (queue lock + agent row lock) | ${TPS[switchboard]} | ${WARM[switchboard]} | **${SPREAD[switchboard]}** (target ≤ 1) |
| naive \`ORDER BY … LIMIT 1 FOR UPDATE\`, cursor read unlocked | ${TPS[naive]} | ${WARM[naive]} | ${SPREAD[naive]} |
| \`FOR UPDATE SKIP LOCKED\`, cursor read unlocked | ${TPS[skip_locked]} | ${WARM[skip_locked]} | ${SPREAD[skip_locked]} |
| **throughput ratio** switchboard / naive, / skip locked | $ratio_naive, $ratio_skip | | |
| switchboard, 1 client (no contention, for reference) | $single | | |

Capacity (5 available agents × capacity 3, 3 offline agents, 40 conversations, $CLIENTS clients):
**$cap_assigned assigned** (want 15), $cap_offline to offline agents (want 0), $cap_over agents over capacity (want 0).
MD
$fair_ok && $cap_ok
