#!/usr/bin/env bash
# make bench: for each bench/<engine>/run.sh in turn, a fresh throw-away server
# with every migration deployed and the seed loaded. Each writes bench/results/<engine>.json and
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
trap 'pg_stop "$WORK/data" 2>/dev/null; rm -rf "$WORK"' EXIT
# A fresh server for each engine: no engine measures the dirty pages,
# autovacuum or grown tables another one left behind (audit alone writes
# over a million entries).
fresh_server() {
  pg_stop "$WORK/data" 2>/dev/null
  rm -rf "$WORK/data"
  pg_init "$WORK/data" >/dev/null || return 1
  keyring_ensure "$WORK/keys/keyring"
  [ -f scripts/server-settings.sh ] && source scripts/server-settings.sh "$WORK/data" "$WORK/keys/keyring"
  pg_start "$WORK/data" "$BENCH_PORT" -c fsync=off -c synchronous_commit=off -c max_connections=120 >/dev/null || {
    cat "$WORK/data/server.log"; return 1; }
  psql -X -q -p "$BENCH_PORT" -d postgres -c "CREATE DATABASE $BENCH_DB" || return 1
  deploy "$BENCH_PORT" "$BENCH_DB" >/dev/null || return 1
  for f in tests/fixtures/seed/*.sql; do
    psql -X -q -v ON_ERROR_STOP=1 -p "$BENCH_PORT" -d "$BENCH_DB" -f "$f" >/dev/null || return 1
  done
}

report="$BENCH_RESULTS/REPORT.md"
{
  echo "# Switchboard benchmark report"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, PostgreSQL $($PG_CONFIG --version | awk '{print $2}'), $(date -u +%Y-%m-%d)."
  echo
} >"$report"
status=0
for runner in bench/rls/run.sh $(ls bench/*/run.sh | grep -v '^bench/rls/'); do
  engine=$(basename "$(dirname "$runner")")
  if [ -n "${BENCH_ONLY:-}" ] && [[ " $BENCH_ONLY " != *" $engine "* ]]; then continue; fi
  echo "== bench: $engine"
  if ! fresh_server; then
    echo "bench $engine FAILED: no server" | tee -a "$report"
    status=1
    continue
  fi
  if ! bash "$runner" | tee -a "$report"; then
    echo "bench $engine FAILED" | tee -a "$report"
    status=1
  fi
  echo >>"$report"
done
echo "report: $report"
exit $status
