# Server-side settings of the credential vault. Sourced, never executed:
#   source scripts/server-settings.sh DATADIR KEYRING_FILE
# Writes DATADIR/switchboard.conf (included by postgresql.conf, see lib.sh
# pg_init) naming the root keyring: switchboard.keyring_file. The keyring must
# live outside PGDATA (a keyring inside it would travel with every base
# backup); the extension refuses such a file, and this script refuses to
# write the setting. Takes effect at the next start or reload.
vault_server_settings() {
  local data=$1 keyring=$2 dir
  dir=$(cd "$(dirname "$keyring")" && pwd -P) || return 1
  keyring="$dir/$(basename "$keyring")"
  local real_data
  real_data=$(cd "$data" && pwd -P) || return 1
  case "$keyring" in
    "$real_data"/*)
      echo "server-settings: refusing keyring $keyring: it lies inside PGDATA ($real_data)" >&2
      return 1
      ;;
  esac
  if [ -n "$(find "$keyring" -maxdepth 0 -perm /077 2>/dev/null)" ]; then
    echo "server-settings: WARNING: $keyring is accessible by group or others; the server will refuse it (chmod 600)" >&2
  fi
  {
    echo "# written by scripts/server-settings.sh: the credential vault's root keyring (docs/vault.md)"
    printf "switchboard.keyring_file = '%s'\n" "${keyring//\'/\'\'}"
  } >"$data/switchboard.conf"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$data/switchboard.conf"; fi
  chmod 600 "$data/switchboard.conf"
}
vault_server_settings "$1" "$2"
