#!/usr/bin/env bash
# Audit trail overhead, measured side by side in one run on three identical
# tables: no audit, the C++ statement-level trigger (switchboard.enable_audit,
# chained and written at commit), and a supa_audit-style PL/pgSQL row trigger
# that writes to_jsonb(NEW/OLD) per row.
#   bulk:   100k-row INSERT ... SELECT, then a 100k-row UPDATE of one column
#           (each in its own transaction, commit included; best of AUDIT_RUNS)
#   single: one-row INSERT transactions from 4 pgbench clients (tps)
# Targets: audited bulk <= 2x unaudited, single row <= 1.5x.
set -euo pipefail
P=$BENCH_PORT
DB=$BENCH_DB
RESULTS=${BENCH_RESULTS:-$(cd "$(dirname "$0")/.." && pwd)/results}
ROWS=${AUDIT_ROWS:-100000}
RUNS=${AUDIT_RUNS:-3}
SECS=${AUDIT_SECONDS:-8}
ORG=11111111-1111-1111-1111-111111111111
psql() { command psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$P" -U postgres -d "$DB" "$@"; }

psql <<SQL
SET client_min_messages = warning;
INSERT INTO organizations (id, name) VALUES ('$ORG', 'Northside Clinic') ON CONFLICT DO NOTHING;
INSERT INTO organizations (id, name)
SELECT ('aaaaaaaa-0000-0000-0000-00000000000' || g)::uuid, 'audit bench org ' || g FROM generate_series(1, 4) g
ON CONFLICT DO NOTHING;
DROP SCHEMA IF EXISTS audit_bench CASCADE;
CREATE SCHEMA audit_bench;
DO \$\$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['plain', 'cpp', 'plpgsql'] LOOP
    EXECUTE format('CREATE TABLE audit_bench.%I (
      id uuid NOT NULL DEFAULT extensions.gen_random_uuid(),
      org_id uuid NOT NULL,
      phone text, first_name text, last_name text, email text,
      visits int NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (org_id, id))', t);
    EXECUTE format('CREATE INDEX ON audit_bench.%I (org_id, phone)', t);
  END LOOP;
END \$\$;
SELECT switchboard.enable_audit('audit_bench.cpp') \\gset
CREATE TABLE audit_bench.plpgsql_log (
  id bigserial PRIMARY KEY, table_name text NOT NULL, op text NOT NULL,
  record jsonb, old_record jsonb, ts timestamptz NOT NULL DEFAULT now());
CREATE FUNCTION audit_bench.plpgsql_audit() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
  INSERT INTO audit_bench.plpgsql_log (table_name, op, record, old_record)
  VALUES (TG_TABLE_NAME, TG_OP,
          CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END,
          CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END);
  RETURN NULL;
END \$\$;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON audit_bench.plpgsql
  FOR EACH ROW EXECUTE FUNCTION audit_bench.plpgsql_audit();
SQL

ms() { # ms SQL: wall milliseconds of one transaction, commit included
  local t0 t1
  t0=$(date +%s%N)
  psql -c "$1" >/dev/null
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
best() { sort -n | head -1; }
declare -A INS UPD TPS
for t in plain cpp plpgsql; do
  ins=() upd=()
  for _ in $(seq "$RUNS"); do
    psql -c "DELETE FROM audit_bench.$t" >/dev/null
    psql -c "VACUUM audit_bench.$t" >/dev/null
    ins+=("$(ms "BEGIN; INSERT INTO audit_bench.$t (org_id, phone, first_name, last_name, email)
      SELECT '$ORG', '+1415' || lpad(g::text, 7, '0'), 'first' || g, 'last' || g, 'user' || g || '@example.com'
      FROM generate_series(1, $ROWS) g; COMMIT;")")
    upd+=("$(ms "BEGIN; UPDATE audit_bench.$t SET visits = visits + 1; COMMIT;")")
  done
  INS[$t]=$(printf '%s\n' "${ins[@]}" | best)
  UPD[$t]=$(printf '%s\n' "${upd[@]}" | best)
done

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for t in plain cpp plpgsql; do
  cat >"$W/$t.sql" <<SQL
\set n random(1, 999999999)
INSERT INTO audit_bench.$t (org_id, phone, first_name, last_name) VALUES ('$ORG', '+1415' || :n, 'first' || :n, 'last');
SQL
done
# each client in its own org (the chain lock is per org): the same statement
# into the unaudited and the C++-audited table
for t in plain cpp; do
  cat >"$W/${t}_orgs.sql" <<SQL
\set n random(1, 999999999)
\set o :client_id % 4 + 1
INSERT INTO audit_bench.$t (org_id, phone, first_name, last_name)
VALUES ('aaaaaaaa-0000-0000-0000-00000000000:o', '+1415' || :n, 'first' || :n, 'last');
SQL
done
tps() { pgbench -n -h 127.0.0.1 -p "$P" -U postgres -c 4 -j 2 -T "$SECS" -f "$1" "$DB" 2>/dev/null | sed -nE 's/^tps = ([0-9.]+).*/\1/p'; }
# alternate twice and keep the better run of each, to damp machine noise
for round in 1 2; do
  for t in plain cpp plpgsql plain_orgs cpp_orgs; do
    v=$(tps "$W/$t.sql")
    if [ -z "${TPS[$t]:-}" ] || python3 -c "import sys; sys.exit(0 if $v > ${TPS[$t]} else 1)"; then TPS[$t]=$v; fi
  done
done

# the chain written during the run must verify
valid=$(psql -tAc "SELECT bool_and(v.valid) FROM (VALUES ('$ORG'::uuid), ('aaaaaaaa-0000-0000-0000-000000000001'), ('aaaaaaaa-0000-0000-0000-000000000002'),
  ('aaaaaaaa-0000-0000-0000-000000000003'), ('aaaaaaaa-0000-0000-0000-000000000004')) o(org) CROSS JOIN LATERAL switchboard.verify_audit_chain(o.org) v")
entries=$(psql -tAc "SELECT count(*) FROM public.audit_log WHERE table_name = 'audit_bench.cpp'")

r() { python3 -c "print(round($1 / $2, 2))"; }
ins_cpp=$(r "${INS[cpp]}" "${INS[plain]}")
ins_pl=$(r "${INS[plpgsql]}" "${INS[plain]}")
upd_cpp=$(r "${UPD[cpp]}" "${UPD[plain]}")
upd_pl=$(r "${UPD[plpgsql]}" "${UPD[plain]}")
one_cpp=$(r "${TPS[plain]}" "${TPS[cpp]}")
one_pl=$(r "${TPS[plain]}" "${TPS[plpgsql]}")
one_orgs=$(r "${TPS[plain_orgs]}" "${TPS[cpp_orgs]}")
mkdir -p "$RESULTS"
cat >"$RESULTS/audit.json" <<JSON
{"engine": "audit", "rows": $ROWS, "runs": $RUNS, "single_row_clients": 4, "single_row_seconds": $SECS,
 "bulk_insert_ms": {"unaudited": ${INS[plain]}, "cpp_trigger": ${INS[cpp]}, "plpgsql_row_trigger": ${INS[plpgsql]}},
 "bulk_update_ms": {"unaudited": ${UPD[plain]}, "cpp_trigger": ${UPD[cpp]}, "plpgsql_row_trigger": ${UPD[plpgsql]}},
 "single_row_tps": {"unaudited": ${TPS[plain]}, "cpp_trigger": ${TPS[cpp]}, "plpgsql_row_trigger": ${TPS[plpgsql]},
                    "unaudited_4_orgs": ${TPS[plain_orgs]}, "cpp_trigger_4_orgs": ${TPS[cpp_orgs]}},
 "cost_ratio": {"bulk_insert": $ins_cpp, "bulk_update": $upd_cpp, "single_row": $one_cpp, "single_row_4_orgs": $one_orgs,
                "plpgsql_bulk_insert": $ins_pl, "plpgsql_bulk_update": $upd_pl, "plpgsql_single_row": $one_pl},
 "target_ratio_max": {"bulk": 2.0, "single_row": 1.5},
 "chain_valid_after_run": "$valid", "audit_entries_written": $entries}
JSON
cat <<MD
## Audit trail (C++ statement trigger vs none vs PL/pgSQL row trigger)
| workload | unaudited | C++ audit | PL/pgSQL jsonb row trigger | C++ cost ratio (target) | PL/pgSQL cost ratio |
|---|---|---|---|---|---|
| $ROWS-row INSERT … SELECT (ms, commit incl.) | ${INS[plain]} | ${INS[cpp]} | ${INS[plpgsql]} | **$ins_cpp** (≤ 2) | $ins_pl |
| $ROWS-row UPDATE of one column (ms) | ${UPD[plain]} | ${UPD[cpp]} | ${UPD[plpgsql]} | **$upd_cpp** (≤ 2) | $upd_pl |
| single-row INSERT, 4 clients, one org (tps) | ${TPS[plain]} | ${TPS[cpp]} | ${TPS[plpgsql]} | **$one_cpp** (≤ 1.5) | $one_pl |
| single-row INSERT, 4 clients, 4 orgs (tps) | ${TPS[plain_orgs]} | ${TPS[cpp_orgs]} | | **$one_orgs** (≤ 1.5) | |

The C++ trigger's chain verified after the run: $valid ($entries entries for the bench table).
MD
psql -q -c "SET client_min_messages = warning; DROP SCHEMA audit_bench CASCADE" >/dev/null
