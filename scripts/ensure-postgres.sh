#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at 127.0.0.1:5432 with user postgres (trust auth) and a
# database `test`, as the test suite expects. Starts an installed cluster, or installs Debian's
# PostgreSQL when the machine has none. Fails loudly: the PostgreSQL tests must never be skipped.
set -euo pipefail
HOST=127.0.0.1 PORT=5432
ready() { pg_isready -q -h $HOST -p $PORT 2>/dev/null; }
if ! command -v pg_isready >/dev/null 2>&1 || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "outreach setup: installing PostgreSQL from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if ! ready; then
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  conf=/etc/postgresql/$ver/main
  # Loopback trust for the test user; the server listens on loopback only.
  if ! grep -q "outreach-test" "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust # outreach-test\nlocal all all trust # outreach-test' "$conf/pg_hba.conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
ready || { echo "outreach setup: PostgreSQL did not start at $HOST:$PORT" >&2; exit 1; }
if ! psql -h $HOST -U postgres -tAc "select 1 from pg_database where datname='test'" | grep -q 1; then
  psql -h $HOST -U postgres -c "create database test" >/dev/null
fi
echo "outreach setup: PostgreSQL ready at $HOST:$PORT"
