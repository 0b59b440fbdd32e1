#!/usr/bin/env bash
# make install: the module, control file and scripts into the PostgreSQL that pg_config names.
# Each file is copied beside its target and renamed into place, so a backend that loads the
# module while another install runs never sees a half-written file.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
PG_CONFIG=${PG_CONFIG:-pg_config}
LIBDIR=$($PG_CONFIG --pkglibdir)
EXTDIR=$($PG_CONFIG --sharedir)/extension
SUDO=""
[ "$(id -u)" -ne 0 ] && [ ! -w "$LIBDIR" ] && SUDO="sudo"
put() { # put SRC DEST_DIR MODE
  local tmp="$2/.$(basename "$1").$$"
  $SUDO install -m "$3" "$1" "$tmp"
  $SUDO mv -f "$tmp" "$2/$(basename "$1")"
}
put "$BUILD/switchboard.so" "$LIBDIR" 755
put "$ROOT/extension/switchboard.control" "$EXTDIR" 644
for f in "$ROOT"/sql/switchboard--*.sql; do put "$f" "$EXTDIR" 644; done
