#!/usr/bin/env bash
# make db / make stop / make clean: the local development server.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
PORT=${PGPORT:-55432}
DATA="$ROOT/.pgdata/$PORT"
KEYRING="$ROOT/.keyring/$PORT/keyring"

case "${1:-start}" in
  start)
    if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$ROOT"; then
      echo "db: the postgres user cannot enter $ROOT; clone the project somewhere it can (e.g. /srv or /work)" >&2
      exit 1
    fi
    if [ ! -f "$DATA/PG_VERSION" ]; then
      mkdir -p "$ROOT/.pgdata"
      pg_init "$DATA"
      echo "db: initialised $DATA"
    fi
    keyring_ensure "$KEYRING"
    source "$ROOT/scripts/server-settings.sh" "$DATA" "$KEYRING"
    pg_start "$DATA" "$PORT"
    as_pg "$PGBIN/pg_ctl" -D "$DATA" reload >/dev/null # a reused server picks up switchboard.conf
    psql -p "$PORT" -d postgres -qtAc "select 1 from pg_database where datname='switchboard'" | grep -q 1 ||
      psql -p "$PORT" -d postgres -qc "create database switchboard"
    deploy "$PORT" switchboard
    echo "db: running on 127.0.0.1:$PORT, database switchboard (psql -h 127.0.0.1 -p $PORT -U postgres switchboard)"
    ;;
  stop)
    pg_stop "$DATA"
    echo "db: stopped"
    ;;
  clean)
    pg_stop "$DATA"
    rm -rf "$DATA" "$(dirname "$KEYRING")"
    echo "db: removed $DATA"
    ;;
  *) echo "usage: db.sh start|stop|clean" >&2; exit 2 ;;
esac
