# Shared helpers for the server scripts. Sourced, never executed.
PG_CONFIG=${PG_CONFIG:-pg_config}
PGBIN=$($PG_CONFIG --bindir)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SQITCH_FULLNAME=${SQITCH_FULLNAME:-switchboard}
export SQITCH_EMAIL=${SQITCH_EMAIL:-switchboard@localhost}
export PGHOST=127.0.0.1 PGUSER=postgres

# Run a command as the server's OS user: PostgreSQL refuses to run as root.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_init DATADIR: a fresh cluster with trust auth on loopback only.
pg_init() {
  local data=$1
  mkdir -p "$data"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
  chmod 700 "$data"
  as_pg "$PGBIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
  mkdir -p "$data/run"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data/run"
  cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$data/run'
max_connections = 120
shared_buffers = 256MB
log_min_messages = warning
include_if_exists = 'switchboard.conf'
CONF
}

# pg_start DATADIR PORT [extra postgres -c options...]
pg_start() {
  local data=$1 port=$2
  shift 2
  if as_pg "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then return 0; fi
  as_pg "$PGBIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-p $port $*" start >/dev/null
}

pg_stop() {
  local data=$1
  [ -d "$data" ] || return 0
  as_pg "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1 || return 0
  as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null
}

# keyring_ensure FILE: the vault's root keyring, outside PGDATA, readable by the server user only.
keyring_ensure() {
  local file=$1
  if [ ! -s "$file" ]; then
    mkdir -p "$(dirname "$file")"
    chmod 700 "$(dirname "$file")"
    (umask 077 && printf '1:%s\n' "$(head -c 32 /dev/urandom | base64 -w0)" >"$file")
  fi
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$(dirname "$file")" "$file"; fi
  chmod 600 "$file"
}

# sqitch_target PORT DB
sqitch_target() { echo "db:pg://postgres@127.0.0.1:$1/$2"; }

# deploy PORT DB: every migration, verified.
deploy() {
  (cd "$ROOT/migrations" && sqitch --quiet deploy --verify "$(sqitch_target "$1" "$2")")
}
