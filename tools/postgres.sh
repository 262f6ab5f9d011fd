#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and benchmarks: its data in a temporary folder, listening on a free
# port on loopback only, with a random password and TLS (a certificate authority and a server certificate made
# here by openssl, for localhost and 127.0.0.1; the server also listens on 127.0.0.2, which the certificate does not
# name, and another authority that signed nothing is made, so that tests can see verification refuse both).
#
#   eval "$(tools/postgres.sh start)"      # prints the variables below as shell assignments
#   ... HOOKLINE_TEST_POSTGRES=postgres://postgres:<password>@127.0.0.1:<port>/postgres?sslmode=disable
#   ... HOOKLINE_TEST_POSTGRES_CA=<folder>/tls/ca.pem   (the authority that signed the server's certificate;
#       <folder>/tls/other-ca.pem did not sign it; <folder>/password holds the password)
#   tools/postgres.sh pause "$HOOKLINE_TEST_POSTGRES_DIR"   # stops it at once, keeping its data (a crash)
#   tools/postgres.sh resume "$HOOKLINE_TEST_POSTGRES_DIR"  # starts it again on the same port
#   tools/postgres.sh stop "$HOOKLINE_TEST_POSTGRES_DIR"
#
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user (Debian's package makes it).
set -euo pipefail

find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
    echo "postgres.sh: no PostgreSQL server found in /usr/lib/postgresql/*/bin; run tools/setup.sh --tests (it installs Debian's postgresql)" >&2
    exit 1
  fi
  echo "$dir"
}

# Runs a command as the server's owner.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

make_certificates() {
  local tls=$1
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Hookline test authority" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 2 \
    -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Another authority" \
    -keyout "$tls/other-ca.key" -out "$tls/other-ca.pem" 2>/dev/null
  chmod 600 "$tls/server.key" "$tls/ca.key" "$tls/other-ca.key"
}

start() {
  local bin dir port password
  bin=$(find_bin)
  dir=$(mktemp -d /tmp/hookline-postgres.XXXXXX)
  chmod 755 "$dir"
  password=$(openssl rand -hex 16)
  printf '%s\n' "$password" >"$dir/password"
  make_certificates "$dir/tls"
  mkdir "$dir/data"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=scram-sha-256 --pwfile="$dir/password" \
    --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; echo "postgres.sh: initdb failed (log above)" >&2; exit 1; }
  # a port can be taken between the check and the server's bind: try a few
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    printf '%s' "-c listen_addresses=127.0.0.1,127.0.0.2 -c port=$port -c unix_socket_directories=$dir \
-c max_connections=300 -c ssl=on -c ssl_cert_file=$dir/tls/server.pem -c ssl_key_file=$dir/tls/server.key" >"$dir/options"
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o "$(cat "$dir/options")" \
        >/dev/null 2>&1; then
      echo "HOOKLINE_TEST_POSTGRES_DIR=$dir"
      echo "HOOKLINE_TEST_POSTGRES=postgres://postgres:$password@127.0.0.1:$port/postgres?sslmode=disable"
      echo "HOOKLINE_TEST_POSTGRES_CA=$dir/tls/ca.pem"
      echo "export HOOKLINE_TEST_POSTGRES_DIR HOOKLINE_TEST_POSTGRES HOOKLINE_TEST_POSTGRES_CA"
      return 0
    fi
  done
  cat "$dir/server.log" >&2 || true
  echo "postgres.sh: the server did not start (log above)" >&2
  exit 1
}

check_folder() {
  case "${1:-}" in
    /tmp/hookline-postgres.*) ;;
    *) echo "postgres.sh: give the folder that start printed (HOOKLINE_TEST_POSTGRES_DIR)" >&2; exit 2 ;;
  esac
}

# A server that stops at once, as a crash or a cut power supply would leave it (its data is kept)...
pause() {
  check_folder "${1:-}"
  as_owner "$(find_bin)/pg_ctl" -D "$1/data" -m immediate -w stop >/dev/null
}

# ...and starts again on the same port.
resume() {
  check_folder "${1:-}"
  as_owner "$(find_bin)/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 start -o "$(cat "$1/options")" >/dev/null
}

stop() {
  local dir=${1:-}
  check_folder "$dir"
  if [ -d "$dir/data" ]; then
    as_owner "$(find_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  pause) pause "${2:-}" ;;
  resume) resume "${2:-}" ;;
  *) echo "usage: tools/postgres.sh start | stop FOLDER | pause FOLDER | resume FOLDER" >&2; exit 2 ;;
esac
