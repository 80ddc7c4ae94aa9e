#!/usr/bin/env bash
# Makes sure the services the tests use are up: PostgreSQL on 127.0.0.1:5432 accepting the
# `postgres` user without a password (trust on loopback, as on the development machines).
# Starts an installed cluster, or installs PostgreSQL from Debian's packages when none is there.
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if command -v pg_isready >/dev/null && pg_up; then
  exit 0
fi
if ! command -v pg_ctlcluster >/dev/null; then
  echo "services: installing PostgreSQL from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
if [ -z "$version" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  pg_createcluster "$version" main >/dev/null
fi
hba="/etc/postgresql/$version/main/pg_hba.conf"
if ! grep -q "casebook-tests" "$hba"; then
  # Loopback-only trust, for a test machine: the tests connect as postgres without a password.
  sed -i '1i host all all 127.0.0.1/32 trust # casebook-tests\nhost all all ::1/128 trust # casebook-tests' "$hba"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
  || pg_ctlcluster --skip-systemctl-redirect "$version" main reload
for _ in $(seq 1 50); do pg_up && break; sleep 0.2; done
pg_up || { echo "services: PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE test"
echo "services: PostgreSQL $version up on 127.0.0.1:5432" >&2
