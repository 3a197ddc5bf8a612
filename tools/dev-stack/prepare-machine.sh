#!/usr/bin/env bash
# Makes sure this machine has what the local stack needs: PostgreSQL 15 (running, reachable on
# 127.0.0.1:5432) with PostGIS, a C compiler and zlib headers for the dev Kafka broker, and
# mosquitto-clients (the tests drive the MQTT server with Debian's mosquitto_pub too).
# Installs what is missing when it can (Debian, root); otherwise says exactly what to run.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
missing_pkgs=()

have() { command -v "$1" >/dev/null 2>&1; }
pg_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; }
postgis_installed() { compgen -G "/usr/share/postgresql/*/extension/postgis.control" >/dev/null; }

have gcc || missing_pkgs+=(gcc)
have make || missing_pkgs+=(make)
[ -f /usr/include/zlib.h ] || missing_pkgs+=(zlib1g-dev)
have pg_isready || missing_pkgs+=(postgresql-client)
if ! have pg_ctlcluster && ! pg_up; then missing_pkgs+=(postgresql); fi
postgis_installed || missing_pkgs+=(postgresql-15-postgis-3)
have mosquitto_pub || missing_pkgs+=(mosquitto-clients)

if [ ${#missing_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && have apt-get; then
    echo "prepare-machine: installing ${missing_pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_pkgs[@]}" >/dev/null
  else
    echo "prepare-machine: missing ${missing_pkgs[*]}. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing_pkgs[*]}" >&2
    exit 1
  fi
fi

if ! pg_up; then
  if have pg_ctlcluster && [ "$(id -u)" = 0 ]; then
    version=$(ls /etc/postgresql | sort -V | tail -1)
    echo "prepare-machine: starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if ! pg_up; then
  echo "prepare-machine: PostgreSQL is not reachable on $PGHOST:$PGPORT. Start it, e.g.:" >&2
  echo "  sudo pg_ctlcluster \$(ls /etc/postgresql) main start" >&2
  exit 1
fi
if ! psql -h "$PGHOST" -p "$PGPORT" -U postgres -Atqc 'select 1' >/dev/null 2>&1; then
  echo "prepare-machine: cannot log in to PostgreSQL as user postgres without a password on $PGHOST:$PGPORT." >&2
  echo "  Urbis's local stack expects trust auth for 127.0.0.1 (pg_hba.conf: host all all 127.0.0.1/32 trust)." >&2
  exit 1
fi
echo "prepare-machine: PostgreSQL, PostGIS and the C toolchain are ready"
