#!/usr/bin/env bash
# make demo: (after make db) loads the demo data set and walks through every
# engine with real queries. Each step is scripts/demo/NN_*.sql (run by psql
# with its statements echoed, under the heading of its first comment line) or
# scripts/demo/NN_*.sh (DEMO_PORT, DEMO_DB set; prints its own heading).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
export DEMO_PORT=${PGPORT:-55432}
export DEMO_DB=switchboard
PSQL=(psql -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$DEMO_PORT" -U postgres -d "$DEMO_DB")
echo "== loading demo data (two clinics, members, contacts, and each engine's rows)"
for f in tests/fixtures/seed/*.sql; do "${PSQL[@]}" -q -f "$f" >/dev/null; done
for step in scripts/demo/*; do
  case "$step" in
    *.sql)
      echo
      echo "== $(sed -n '1s/^-- *//p' "$step")"
      "${PSQL[@]}" -q --echo-queries -P pager=off -v ON_ERROR_STOP=0 -f "$step"
      ;;
    *.sh)
      echo
      bash "$step" # prints its own heading
      ;;
  esac
done
cat <<MSG

The server keeps running. Connect with:
  psql -h 127.0.0.1 -p $DEMO_PORT -U postgres $DEMO_DB
Stop it with: make stop
MSG
