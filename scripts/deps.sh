#!/usr/bin/env bash
# Installs every Debian package Switchboard needs. Idempotent and silent when all are present.
set -euo pipefail
PKGS=(
  postgresql-15 postgresql-server-dev-15 postgresql-contrib
  postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl postgresql-15-plpgsql-check
  libsodium-dev libre2-dev sqitch
  cmake g++ make pkg-config libgtest-dev libgmock-dev
  clang libclang-rt-14-dev clang-format
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
