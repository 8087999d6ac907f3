#!/usr/bin/env bash
# A private PostgreSQL server on loopback for the tests and benchmarks of RustPostgresSaver.
#   scripts/test-postgres.sh start     install Debian's postgresql if missing (as root), create and start the cluster
#   scripts/test-postgres.sh stop      stop it (fast shutdown)
#   scripts/test-postgres.sh restart   stop and start it again (the recovery tests call this)
#   scripts/test-postgres.sh url       print its connection string
# FLG_PG_PORT (default 55432) and FLG_PG_DIR (default /tmp/fast-langgraph-pg) override where it lives;
# FLG_PG_TLS=1 makes the cluster serve TLS with a certificate for "localhost" signed by a throwaway test CA
# ($FLG_PG_DIR/tls/ca.pem), and lets role "flgcert" in only with a client certificate that CA signed
# (pg_hba "cert"; tls/client.crt and client.key). tls/other-ca.pem is an unrelated CA, and
# tls/other-client.* a client certificate for "flgcert" that it signed. tls/anchors/ holds variants of the
# test CA (its name and key, so they anchor the server's chain) that OpenSSL refuses or accepts as a root:
# expired, not-yet-valid, client-auth-only (EKU clientAuth), server-auth (EKU serverAuth), any-eku (EKU
# anyExtendedKeyUsage only), no-basic-constraints (keyUsage keyCertSign only), not-a-ca (CA:FALSE), no-cert-sign (keyUsage without keyCertSign), intermediate (issued by other-ca),
# critical-ext (an unknown extension 1.2.3.4.5 marked critical), pathlen0 and pathlen1 (basicConstraints
# pathlen:0 and :1), and client-encrypted.key, client.key under the passphrase "flg-key-passphrase".
# tls/anchors/chain.pem is a certificate for "localhost" issued by an intermediate CA (chain-int.pem) the test
# CA signed, followed by that intermediate; FLG_PG_TLS_CHAIN=1 (with FLG_PG_TLS=1) makes the cluster serve it.
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

# Throwaway CAs and certificates: the server's names "localhost" only (not 127.0.0.1, so host-name checks can fail).
make_certificates() {
  local tls="$DIR/tls"
  command -v openssl >/dev/null || apt_install openssl
  mkdir -p "$tls"
  local name
  for name in ca other-ca; do
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=fast-langgraph test $name" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$tls/$name.key" -out "$tls/$name.pem" 2>/dev/null
  done
  sign() { # sign <name> <subject> <extensions> <ca>
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$tls/$1.key" -out "$tls/$1.csr" 2>/dev/null
    printf '%b' "$3" >"$tls/$1.cnf"
    openssl x509 -req -in "$tls/$1.csr" -CA "$tls/$4.pem" -CAkey "$tls/$4.key" -CAcreateserial -days 3650 \
      -extfile "$tls/$1.cnf" -out "$tls/$1.crt" 2>/dev/null
  }
  sign server "/CN=localhost" 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' ca
  local client='basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n'
  sign client "/CN=flgcert" "$client" ca
  sign other-client "/CN=flgcert" "$client" other-ca
  chmod 644 "$tls"/*
  chmod 600 "$tls"/*.key
  if [ "$(id -u)" = 0 ]; then chown postgres "$tls/server.key"; fi
}

# Variants of the test CA (see the header), made with `openssl ca`, which can date a certificate in the past.
make_anchor_variants() {
  local tls="$DIR/tls" a="$DIR/tls/anchors"
  [ -f "$a/chain.pem" ] && return
  rm -rf "$a" && mkdir -p "$a/new" && touch "$a/index.txt" && echo 01 >"$a/serial"
  printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s/index.txt\nnew_certs_dir=%s/new\nserial=%s/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n' \
    "$a" "$a" "$a" >"$a/ca.cnf"
  openssl req -new -key "$tls/ca.key" -subj "/CN=fast-langgraph test ca" -out "$a/ca.csr" 2>/dev/null
  variant() { # variant <name> <extensions> <openssl ca arguments...>
    local name=$1 ext=$2
    shift 2
    printf '%b' "subjectKeyIdentifier=hash\n$ext" >"$a/$name.cnf"
    openssl ca -batch -notext -config "$a/ca.cnf" -in "$a/ca.csr" -extfile "$a/$name.cnf" -out "$a/$name.pem" "$@" 2>/dev/null
  }
  local ca='basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n'
  local self=(-selfsign -keyfile "$tls/ca.key")
  variant expired "$ca" "${self[@]}" -startdate 20200101000000Z -enddate 20210101000000Z
  variant not-yet-valid "$ca" "${self[@]}" -startdate 20400101000000Z -enddate 20500101000000Z
  variant client-auth-only "${ca}extendedKeyUsage=clientAuth\n" "${self[@]}" -days 3650
  variant server-auth "${ca}extendedKeyUsage=serverAuth\n" "${self[@]}" -days 3650
  variant any-eku "${ca}extendedKeyUsage=anyExtendedKeyUsage\n" "${self[@]}" -days 3650
  variant no-basic-constraints 'keyUsage=critical,keyCertSign,cRLSign\n' "${self[@]}" -days 3650
  variant not-a-ca 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyCertSign,cRLSign\n' "${self[@]}" -days 3650
  variant no-cert-sign 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature\n' "${self[@]}" -days 3650
  variant intermediate "${ca}authorityKeyIdentifier=keyid\n" -cert "$tls/other-ca.pem" -keyfile "$tls/other-ca.key" -days 3650
  variant critical-ext "${ca}1.2.3.4.5=critical,ASN1:NULL\n" "${self[@]}" -days 3650
  variant pathlen0 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' "${self[@]}" -days 3650
  variant pathlen1 'basicConstraints=critical,CA:TRUE,pathlen:1\nkeyUsage=critical,keyCertSign,cRLSign\n' "${self[@]}" -days 3650
  # The server's chain through an intermediate CA of the test CA (served with FLG_PG_TLS_CHAIN=1).
  openssl req -newkey rsa:2048 -nodes -subj "/CN=fast-langgraph test intermediate" -keyout "$a/chain-int.key" -out "$a/chain-int.csr" 2>/dev/null
  printf '%b' "${ca}subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n" >"$a/chain-int.cnf"
  openssl x509 -req -in "$a/chain-int.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 3650 \
    -extfile "$a/chain-int.cnf" -out "$a/chain-int.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$a/chain-server.key" -out "$a/chain-server.csr" 2>/dev/null
  cp "$tls/server.cnf" "$a/chain-server.cnf" && printf 'authorityKeyIdentifier=keyid\n' >>"$a/chain-server.cnf"
  openssl x509 -req -in "$a/chain-server.csr" -CA "$a/chain-int.pem" -CAkey "$a/chain-int.key" -CAcreateserial -days 3650 \
    -extfile "$a/chain-server.cnf" -out "$a/chain-server.crt" 2>/dev/null
  cat "$a/chain-server.crt" "$a/chain-int.pem" >"$a/chain.pem.new"
  openssl pkey -in "$tls/client.key" -aes256 -passout pass:flg-key-passphrase -out "$a/client-encrypted.key"
  chmod 644 "$a"/*.pem "$a/chain.pem.new"
  chmod 600 "$a"/*.key
  if [ "$(id -u)" = 0 ]; then chown postgres "$a/chain-server.key"; fi
  mv "$a/chain.pem.new" "$a/chain.pem"
}

# Serves tls/anchors/chain.pem (leaf and intermediate) instead of tls/server.crt (FLG_PG_TLS_CHAIN=1).
serve_chain() {
  local a="$DIR/tls/anchors"
  grep -q "^ssl_cert_file = '$a/chain.pem'" "$DATA/postgresql.conf" && return
  printf "ssl_cert_file = '%s'\nssl_key_file = '%s'\n" "$a/chain.pem" "$a/chain-server.key" >>"$DATA/postgresql.conf"
  if running; then ctl reload >/dev/null; fi
}

# Serves TLS (once per cluster; clusters made before client certificates existed get them too).
enable_tls() {
  local tls="$DIR/tls"
  [ -f "$tls/client.crt" ] && grep -q "^ssl_ca_file" "$DATA/postgresql.conf" && return
  make_certificates
  printf "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\nssl_ca_file = '%s'\n" \
    "$tls/server.crt" "$tls/server.key" "$tls/ca.pem" >>"$DATA/postgresql.conf"
  { echo "hostssl all flgcert 127.0.0.1/32 cert"; echo "hostssl all flgcert ::1/128 cert"; cat "$DATA/pg_hba.conf"; } >"$DATA/pg_hba.new"
  mv "$DATA/pg_hba.new" "$DATA/pg_hba.conf"
  if [ "$(id -u)" = 0 ]; then chown postgres "$DATA/pg_hba.conf"; fi
  chmod 600 "$DATA/pg_hba.conf"
  if running; then ctl restart >/dev/null; fi
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
  fi
  if [ "${FLG_PG_TLS:-0}" = 1 ]; then enable_tls && make_anchor_variants; fi
  if [ "${FLG_PG_TLS:-0}" = 1 ] && [ "${FLG_PG_TLS_CHAIN:-0}" = 1 ]; then serve_chain; fi
  if ! running; then ctl start -o "-p $PORT" >/dev/null; fi
  local psql="$(bin_dir)/psql"
  if ! PGPASSWORD="$PASSWORD" "$psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" | grep -q 1; then
    PGPASSWORD="$PASSWORD" "$psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d postgres -qc "CREATE DATABASE $DATABASE" >/dev/null
  fi
  if [ "${FLG_PG_TLS:-0}" = 1 ]; then
    PGPASSWORD="$PASSWORD" "$psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d "$DATABASE" -qc \
      "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'flgcert') THEN CREATE ROLE flgcert LOGIN; END IF; END \$\$; GRANT CREATE ON DATABASE $DATABASE TO flgcert" >/dev/null
  fi
}

case "${1:-start}" in
  start) start; url ;;
  stop) running && ctl stop -m fast >/dev/null || true ;;
  restart) ctl stop -m fast >/dev/null || true; start >/dev/null; url ;;
  url) url ;;
  *) echo "usage: $0 start|stop|restart|url" >&2; exit 2 ;;
esac
