#!/usr/bin/env bash
# A private PostgreSQL server on loopback for the tests and benchmarks of RustPostgresSaver.
#   scripts/test-postgres.sh start     install Debian's postgresql if missing (as root), create and start the cluster
#   scripts/test-postgres.sh stop      stop it (fast shutdown)
#   scripts/test-postgres.sh restart   stop and start it again (the recovery tests call this)
#   scripts/test-postgres.sh url       print its connection string
# FLG_PG_PORT (default 55432) and FLG_PG_DIR (default /tmp/fast-langgraph-pg) override where it lives;
# FLG_PG_TLS=1 makes a new cluster serve TLS with a certificate for "localhost" signed by a test CA
# ($FLG_PG_DIR/tls/ca.pem).
set -euo pipefail

PORT="${FLG_PG_PORT:-55432}"
DIR="${FLG_PG_DIR:-/tmp/fast-langgraph-pg}"
DATA="$DIR/data"
LOG="$DIR/server.log"
USER_NAME=flg
PASSWORD=flg-test-password
DATABASE=flg

url() { echo "postgresql://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DATABASE"; }

bin_dir() {
  local candidate
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$candidate/initdb" ] && { echo "$candidate"; return; }
  done
  command -v initdb >/dev/null && dirname "$(command -v initdb)"
}

# Installs Debian packages, as root or through passwordless sudo.
apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      echo "Debian package(s) $* missing; run as root or install them" >&2
      exit 1
    fi
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

ensure_installed() {
  [ -n "$(bin_dir)" ] && return
  echo "installing PostgreSQL (Debian package)..." >&2
  apt_install postgresql
}

# initdb and the server refuse to run as root: run them as the postgres account then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

ctl() { as_owner "$(bin_dir)/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 "$@"; }

running() { [ -f "$DATA/postmaster.pid" ] && ctl status >/dev/null 2>&1; }

# A test CA and a server certificate for "localhost" (not for 127.0.0.1, so host-name checks can fail).
make_certificates() {
  local tls="$DIR/tls"
  command -v openssl >/dev/null || apt_install openssl
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=fast-langgraph test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$tls/ext.cnf"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 3650 \
    -extfile "$tls/ext.cnf" -out "$tls/server.crt" 2>/dev/null
  chmod 600 "$tls/server.key"
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$tls"; fi
  chmod 644 "$tls/ca.pem"
  printf "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\n" "$tls/server.crt" "$tls/server.key" >>"$DATA/postgresql.conf"
}

start() {
  ensure_installed
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    local pwfile="$DIR/.pw"
    echo "$PASSWORD" >"$pwfile"
    [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
    as_owner "$(bin_dir)/initdb" -D "$DATA" -U "$USER_NAME" --pwfile="$pwfile" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
max_connections = 200
EOF
    if [ "${FLG_PG_TLS:-0}" = 1 ]; then make_certificates; fi
  fi
  if ! running; then ctl start -o "-p $PORT" >/dev/null; fi
  local psql="$(bin_dir)/psql"
  if ! PGPASSWORD="$PASSWORD" "$psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" | grep -q 1; then
    PGPASSWORD="$PASSWORD" "$psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d postgres -qc "CREATE DATABASE $DATABASE" >/dev/null
  fi
}

case "${1:-start}" in
  start) start; url ;;
  stop) running && ctl stop -m fast >/dev/null || true ;;
  restart) ctl stop -m fast >/dev/null || true; start >/dev/null; url ;;
  url) url ;;
  *) echo "usage: $0 start|stop|restart|url" >&2; exit 2 ;;
esac
