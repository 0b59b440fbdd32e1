#!/usr/bin/env bash
# make bench: a throw-away server with every migration deployed, then each
# bench/<engine>/run.sh in turn. Each writes bench/results/<engine>.json and
# prints a markdown section; the sections are collected in bench/results/REPORT.md.
# BENCH_ONLY="rls booking" runs a subset.
set -uo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
export BENCH_PORT=${BENCH_PGPORT:-55438}
export BENCH_DB=switchboard_bench
export BENCH_RESULTS="$ROOT/bench/results"
mkdir -p "$BENCH_RESULTS"
WORK=$(mktemp -d /tmp/switchboard-bench.XXXXXX)
chmod 755 "$WORK"
trap 'pg_stop "$WORK/data"; rm -rf "$WORK"' EXIT
pg_init "$WORK/data"
keyring_ensure "$WORK/keys/keyring"
[ -f scripts/server-settings.sh ] && source scripts/server-settings.sh "$WORK/data" "$WORK/keys/keyring"
pg_start "$WORK/data" "$BENCH_PORT" -c fsync=off -c synchronous_commit=off -c max_connections=120 || {
  cat "$WORK/data/server.log"; exit 1; }
psql -X -q -p "$BENCH_PORT" -d postgres -c "CREATE DATABASE $BENCH_DB"
deploy "$BENCH_PORT" "$BENCH_DB" >/dev/null || exit 1
for f in tests/fixtures/seed/*.sql; do psql -X -q -v ON_ERROR_STOP=1 -p "$BENCH_PORT" -d "$BENCH_DB" -f "$f" >/dev/null || exit 1; done

report="$BENCH_RESULTS/REPORT.md"
{
  echo "# Switchboard benchmark report"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, PostgreSQL $($PG_CONFIG --version | awk '{print $2}'), $(date -u +%Y-%m-%d)."
  echo
} >"$report"
status=0
# RLS first: its read-only side-by-side runs are the most sensitive to the
# background work (autovacuum, dirty pages) the write-heavy benches leave
for runner in bench/rls/run.sh $(ls bench/*/run.sh | grep -v '^bench/rls/'); do
  engine=$(basename "$(dirname "$runner")")
  if [ -n "${BENCH_ONLY:-}" ] && [[ " $BENCH_ONLY " != *" $engine "* ]]; then continue; fi
  echo "== bench: $engine"
  if ! bash "$runner" | tee -a "$report"; then
    echo "bench $engine FAILED" | tee -a "$report"
    status=1
  fi
  echo >>"$report"
done
echo "report: $report"
exit $status
