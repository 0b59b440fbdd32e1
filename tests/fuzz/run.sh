#!/usr/bin/env bash
# Builds every tests/fuzz/*_fuzz.cpp with libFuzzer + ASan + UBSan against the
# pure C++ engine sources and runs it. `short` (make test): a few seconds per
# target; `long` (make fuzz): FUZZ_SECONDS per target (default 600).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MODE=${1:-short}
case "$MODE" in
  short) SECONDS_PER=${FUZZ_SECONDS:-10} ;;
  long) SECONDS_PER=${FUZZ_SECONDS:-600} ;;
  *) echo "usage: run.sh short|long" >&2; exit 2 ;;
esac
BUILD=${BUILD_DIR:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
OUT="$BUILD/fuzz"
mkdir -p "$OUT/obj"
CXX=${FUZZ_CXX:-clang++}
FLAGS=(-std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  -I"$ROOT/extension/include")
status=0
objs=()
for src in "$ROOT"/extension/src/*.cpp; do
  obj="$OUT/obj/$(basename "${src%.cpp}").o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find "$ROOT/extension/include" -newer "$obj" -print -quit)" ]; then
    $CXX "${FLAGS[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj" || { echo "fuzz FAIL compile $(basename "$src")"; exit 1; }
  fi
  objs+=("$obj")
done
for target in "$ROOT"/tests/fuzz/*_fuzz.cpp; do
  [ -f "$target" ] || continue
  name=$(basename "${target%.cpp}")
  if ! $CXX "${FLAGS[@]}" -fsanitize=fuzzer "$target" "${objs[@]}" -lre2 -lsodium -pthread -o "$OUT/$name"; then
    echo "fuzz FAIL $name (does not compile)"
    status=1
    continue
  fi
  corpus="$OUT/corpus-$name"
  mkdir -p "$corpus"
  seeds=()
  [ -d "$ROOT/tests/fuzz/seeds/$name" ] && seeds=("$ROOT/tests/fuzz/seeds/$name")
  if (cd "$OUT" && "./$name" -max_total_time="$SECONDS_PER" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      "$corpus" "${seeds[@]}" >"$OUT/$name.log" 2>&1); then
    echo "fuzz ok $name ($(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$OUT/$name.log" | grep -oE '[0-9]+$') runs in ${SECONDS_PER}s)"
  else
    echo "fuzz FAIL $name"
    grep -E 'ERROR|SUMMARY|runtime error' "$OUT/$name.log" | head -20
    status=1
  fi
done
exit $status
