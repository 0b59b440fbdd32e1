#!/usr/bin/env bash
# Configures and builds the extension and its unit tests with CMake.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
mkdir -p "$BUILD"
log="$BUILD/build.log"
if ! { cmake -S "$ROOT/extension" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWITCHBOARD_WERROR=ON &&
  cmake --build "$BUILD" -j"$(nproc)"; } >"$log" 2>&1; then
  grep -E 'error|Error|warning' "$log" | head -60
  echo "build: FAILED (full log: $log)" >&2
  exit 1
fi
