#!/usr/bin/env bash
# make test: deps, build, a throw-away server, every suite, one closing line.
# SUITES="unit pgtap" narrows a local run; CI runs them all.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ALL_SUITES="format unit upgrade migrations plpgsql regress isolation pgtap restore fuzz"
SUITES=${SUITES:-$ALL_SUITES}
PORT=${TEST_PGPORT:-55439}
BUILD=${BUILD_DIR:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
export BUILD_DIR=$BUILD
PASS=0
FAIL=0
DB=switchboard_test
PGXS=$($PG_CONFIG --pkglibdir)/pgxs/src/test

tally() { # tally SUITE PASSED FAILED
  PASS=$((PASS + $2))
  FAIL=$((FAIL + $3))
  printf '  %-11s %4d passed, %d failed\n' "$1" "$2" "$3"
}
finish() {
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
  exit $?
}
has() { [[ " $SUITES " == *" $1 "* ]]; }

bash scripts/deps.sh || { tally deps 0 1; finish; }
bash scripts/build.sh || { tally build 0 1; finish; }
bash scripts/install.sh || { tally install 0 1; finish; }

WORK=$(mktemp -d /tmp/switchboard-test.XXXXXX)
chmod 755 "$WORK"
DATA="$WORK/data"
cleanup() {
  pg_stop "$DATA" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if has format; then
  p=0 f=0
  for file in $(find extension tests bench -name '*.cpp' -o -name '*.hpp' | sort); do
    if clang-format --dry-run --Werror "$file" >/dev/null 2>&1; then p=$((p + 1)); else
      f=$((f + 1)); echo "    format: $file is not clang-formatted (run make format)"; fi
  done
  tally format $p $f
fi

if has unit; then
  out=$(ctest --test-dir "$BUILD" --output-on-failure 2>&1)
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' <<<"$out" | tail -1)
  if [ -n "$line" ]; then
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    failed=$(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
    [ "$failed" -gt 0 ] && grep -E 'Failed|FAILED|\*\*\*' <<<"$out" | head -40
    tally unit $((total - failed)) "$failed"
  else
    echo "$out" | tail -20
    tally unit 0 1
  fi
fi

# The throw-away server.
pg_init "$DATA"
keyring_ensure "$WORK/keys/keyring"
[ -f scripts/server-settings.sh ] && source scripts/server-settings.sh "$DATA" "$WORK/keys/keyring"
if ! pg_start "$DATA" "$PORT" -c fsync=off -c synchronous_commit=off -c full_page_writes=off; then
  cat "$DATA/server.log" >&2
  tally server 0 1
  finish
fi
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres)

if has upgrade; then
  # Walk ALTER EXTENSION UPDATE from every released version and compare the
  # extension's members and function bodies with a fresh install.
  p=0 f=0
  default=$(sed -nE "s/^default_version *= *'([^']+)'.*/\1/p" extension/switchboard.control)
  members="SELECT pg_describe_object(classid, objid, 0) || coalesce(' ' || md5(pg_get_functiondef(objid)), '')
           FROM pg_depend WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'switchboard')
             AND deptype = 'e' ORDER BY 1"
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE upgrade_fresh" &&
    "${PSQL[@]}" -d upgrade_fresh -c "CREATE EXTENSION switchboard" &&
    "${PSQL[@]}" -d upgrade_fresh -tAc "$members" >"$WORK/fresh.txt"
  for v in $(ls sql | sed -nE 's/^switchboard--([0-9.]+)(--[0-9.]+)?\.sql$/\1/p' | sort -uV); do
    [ "$v" = "$default" ] && continue
    db="upgrade_from_${v//./_}"
    if "${PSQL[@]}" -d postgres -c "CREATE DATABASE $db" &&
      "${PSQL[@]}" -d "$db" -c "CREATE EXTENSION switchboard VERSION '$v'" &&
      "${PSQL[@]}" -d "$db" -c "ALTER EXTENSION switchboard UPDATE" &&
      "${PSQL[@]}" -d "$db" -tAc "$members" >"$WORK/up.txt" &&
      diff -u "$WORK/fresh.txt" "$WORK/up.txt"; then p=$((p + 1)); else
      f=$((f + 1)); echo "    upgrade: $v -> $default differs from a fresh install"; fi
  done
  [ -s "$WORK/fresh.txt" ] || f=$((f + 1))
  tally upgrade $p $f
fi

if has migrations; then
  # Deploy, dump, revert everything, check nothing is left, deploy, dump, diff.
  p=0 f=0
  db=switchboard_roundtrip
  dump() { pg_dump -h 127.0.0.1 -p "$PORT" -U postgres --schema-only -N sqitch "$db" | grep -vE '^--|^$|^\\(un)?restrict ' >"$1"; }
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE $db"
  "${PSQL[@]}" -d "$db" -c "SELECT 1" >/dev/null && dump "$WORK/empty.sql"
  if deploy "$PORT" "$db" >"$WORK/sqitch.log" 2>&1 && dump "$WORK/first.sql"; then p=$((p + 1)); else
    f=$((f + 1)); cat "$WORK/sqitch.log"; echo "    migrations: deploy failed"; fi
  if (cd migrations && sqitch --quiet revert -y "$(sqitch_target "$PORT" "$db")") >"$WORK/sqitch.log" 2>&1 ||
    { cat "$WORK/sqitch.log"; false; } && dump "$WORK/reverted.sql" &&
    diff -u "$WORK/empty.sql" "$WORK/reverted.sql"; then p=$((p + 1)); else
    f=$((f + 1)); echo "    migrations: revert left objects behind (see diff above)"; fi
  if deploy "$PORT" "$db" >"$WORK/sqitch.log" 2>&1 && dump "$WORK/second.sql" && diff -u "$WORK/first.sql" "$WORK/second.sql"; then
    p=$((p + 1)); else f=$((f + 1)); echo "    migrations: redeploy differs from first deploy"; fi
  # A database deployed by each released plan, then brought up to date by
  # `make migrate`, must equal a fresh deploy. The released trees come from
  # git (a clone without that history cannot run this check and says so).
  for release in $(sed -nE 's/^([0-9a-f]{7,40}) .*/\1/p' migrations/releases); do
    if ! git cat-file -e "$release^{commit}" 2>/dev/null; then
      echo "    migrations: release $release is not in this clone's history; upgrade check not run"
      continue
    fi
    old="$WORK/release-$release"
    mkdir -p "$old"
    udb="upgrade_${release}"
    if git archive "$release" migrations functions policies | tar -x -C "$old" &&
      "${PSQL[@]}" -d postgres -c "CREATE DATABASE $udb" &&
      (cd "$old/migrations" && sqitch --quiet deploy "$(sqitch_target "$PORT" "$udb")") >"$WORK/sqitch.log" 2>&1 &&
      deploy "$PORT" "$udb" >>"$WORK/sqitch.log" 2>&1 && db=$udb dump "$WORK/upgraded.sql" &&
      diff -u "$WORK/first.sql" "$WORK/upgraded.sql"; then
      p=$((p + 1)); else
      f=$((f + 1)); tail -20 "$WORK/sqitch.log"; echo "    migrations: a database deployed at $release and migrated differs from a fresh deploy"; fi
  done
  tally migrations $p $f
fi

# The database every SQL suite runs against: all migrations, test helpers, seed.
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB" >/dev/null
if ! deploy "$PORT" "$DB" >"$WORK/deploy.log" 2>&1; then
  cat "$WORK/deploy.log"
  tally deploy 0 1
  finish
fi
for f in tests/fixtures/test_helpers.sql tests/fixtures/seed/*.sql; do
  "${PSQL[@]}" -d "$DB" -f "$f" >/dev/null || { tally seed 0 1; finish; }
done

if has plpgsql; then
  # plpgsql_check over every PL/pgSQL function of ours: one test per function,
  # failed on any error-level finding (trigger functions checked against a table
  # they are attached to; unattached ones cannot be checked and are skipped).
  "${PSQL[@]}" -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS plpgsql_check" >/dev/null
  out=$("${PSQL[@]}" -d "$DB" -tA -F ' | ' -c "
    SELECT p.oid::regprocedure, coalesce(string_agg(r.lineno || ': ' || r.message, '; '), '')
    FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
    LEFT JOIN LATERAL (SELECT t.tgrelid FROM pg_trigger t WHERE t.tgfoid = p.oid LIMIT 1) trg ON true
    LEFT JOIN LATERAL plpgsql_check_function_tb(p.oid, coalesce(trg.tgrelid, 0)) r ON r.level = 'error'
    WHERE n.nspname IN ('public', 'switchboard')
      AND p.prorettype <> 'event_trigger'::regtype
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
      AND (p.prorettype <> 'trigger'::regtype OR trg.tgrelid IS NOT NULL)
    GROUP BY 1 ORDER BY 1")
  p=$(grep -cE ' \| $' <<<"$out")
  f=$(grep -vcE ' \| $|^$' <<<"$out")
  grep -vE ' \| $|^$' <<<"$out" | sed 's/^/    plpgsql_check: /'
  tally plpgsql "$p" "$f"
fi

run_regress() { # run_regress SUITE BINARY DIR
  # results stay in the build dir so a new expected file can be copied from there
  local out="$BUILD/test-output/$1" log p f
  rm -rf "$out" && mkdir -p "$out"
  log=$("$2" --use-existing --host=127.0.0.1 --port="$PORT" --user=postgres --dbname="$DB" \
    --inputdir="$3" --outputdir="$out" --schedule="$3/schedule" 2>&1)
  local rc=$?
  p=$(grep -cE '\.\.\. ok' <<<"$log")
  f=$(grep -cE '\.\.\. (FAILED|failed)' <<<"$log")
  if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then
    grep -E 'FAILED|failed|could not|error' <<<"$log" | head -20
    [ -f "$out/regression.diffs" ] && head -150 "$out/regression.diffs"
    [ "$f" -eq 0 ] && f=1
  fi
  tally "$1" "$p" "$f"
}
has regress && run_regress regress "$PGXS/regress/pg_regress" tests/regress
has isolation && run_regress isolation "$PGXS/isolation/pg_isolation_regress" tests/isolation

if has pgtap; then
  log=$(pg_prove --verbose -h 127.0.0.1 -p "$PORT" -U postgres -d "$DB" tests/pgtap/*.sql 2>&1)
  rc=$?
  p=$(grep -cE '^\s*ok [0-9]+' <<<"$log")
  f=$(grep -cE '^\s*not ok [0-9]+' <<<"$log")
  if [ "$rc" -ne 0 ]; then
    grep -E '^\s*not ok|^#|Dubious|Parse errors|ERROR' <<<"$log" | head -60
    [ "$f" -eq 0 ] && f=1
  fi
  tally pgtap "$p" "$f"
fi

if has restore; then
  # Backups: pg_dump the test database and pg_restore it into a second database
  # on the same server (same keyring). Every secret still reveals, byte for
  # byte; envelopes are restored as they are (no double encryption); key
  # fingerprints match; the audit chains still verify. Outputs are compared as
  # files and never printed: they hold secrets.
  p=0 f=0
  copy=switchboard_restored
  check() { # check NAME SQL
    "${PSQL[@]}" -d "$DB" -tAc "$2" >"$WORK/src.out" 2>&1
    "${PSQL[@]}" -d "$copy" -tAc "$2" >"$WORK/dst.out" 2>&1
    if [ -s "$WORK/src.out" ] && cmp -s "$WORK/src.out" "$WORK/dst.out"; then p=$((p + 1)); else
      f=$((f + 1)); echo "    restore: $1 differs after restore (outputs not shown: they may hold secrets)"; fi
  }
  if pg_dump -h 127.0.0.1 -p "$PORT" -U postgres -Fc -f "$WORK/backup.dump" "$DB" &&
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE $copy" &&
    pg_restore -h 127.0.0.1 -p "$PORT" -U postgres --exit-on-error -d "$copy" "$WORK/backup.dump" >"$WORK/restore.log" 2>&1; then
    p=$((p + 1))
    check "credential reveals" "SELECT org_id || '/' || provider || '/' || label || '=' || md5(reveal_credential(org_id, provider, label)) FROM org_credentials ORDER BY 1"
    check "credential envelopes" "SELECT id || ':' || md5(secret) FROM org_credentials ORDER BY 1"
    check "key fingerprints" "SELECT version || ':' || matches FROM switchboard.vault_status() ORDER BY 1"
    check "audit chains" "SELECT o.id || ':' || v.valid || ':' || v.checked FROM organizations o, switchboard.verify_audit_chain(o.id) v ORDER BY 1"
    n=$("${PSQL[@]}" -d "$copy" -tAc "SELECT count(*) FROM org_credentials")
    if [ "${n:-0}" -ge 4 ]; then p=$((p + 1)); else f=$((f + 1)); echo "    restore: expected the seed credentials, found ${n:-none}"; fi
  else
    f=$((f + 1))
    tail -20 "$WORK/restore.log"
  fi
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $copy" >/dev/null
  tally restore $p $f
fi

if has fuzz && ls tests/fuzz/*_fuzz.cpp >/dev/null 2>&1; then
  if out=$(bash tests/fuzz/run.sh short 2>&1); then
    tally fuzz "$(grep -c '^fuzz ok' <<<"$out")" 0
  else
    echo "$out" | tail -30
    tally fuzz "$(grep -c '^fuzz ok' <<<"$out")" "$(($(grep -c '^fuzz FAIL' <<<"$out") + 1))"
  fi
fi

finish
