#!/usr/bin/env bash
# make migrate DATABASE_URL=postgres://user@host:port/db : Sqitch deploy to a server the DBA names.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
URL=${1:-}
if [ -z "$URL" ]; then
  echo "usage: make migrate DATABASE_URL=postgres://user@host:port/dbname" >&2
  exit 2
fi
case "$URL" in
  db:pg:*) target=$URL ;;
  postgres://* | postgresql://*) target="db:pg:${URL#*:}" ;;
  *) echo "migrate: DATABASE_URL must start with postgres:// or db:pg:" >&2; exit 2 ;;
esac
cd "$ROOT/migrations"
sqitch deploy --verify "$target"
sqitch status "$target"
