#!/usr/bin/env bash
# The server under test that Benchmarks/run-peers.sh gives the peer harness when JOURNAL=postgres: NODES Hookline
# nodes (default 1) on a fresh database of the PostgreSQL server in BENCH_DATABASE (an admin URL; run-peers.sh
# starts one with tools/postgres.sh), behind nginx on PORT when there are two or more (as the README's "Several
# nodes" sets them up), else the node itself on PORT. It runs on the cores the harness gives it (taskset -c 0
# when pinned), and stops everything it started on TERM or INT.
#
# At the stop it prints, and appends to $CPU_REPORT when set, the CPU the nodes and the PostgreSQL server used
# meanwhile and the events stored, so that the CPU per event of each can be read:
#   cpu: nodes 41.2 s, postgres 30.5 s, 160345 events: 257 µs + 190 µs an event
#
#   BENCH_DATABASE=postgres://... NODES=2 PORT=18090 SECRET=s3cret OUT_DIR=/tmp/out SCRIPTS=... \
#     Benchmarks/cluster-peer.sh [extra hookline serve flags]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
: "${BENCH_DATABASE:?set BENCH_DATABASE to an admin URL of a PostgreSQL server (see Benchmarks/run-peers.sh)}"
: "${PORT:?}" "${SECRET:?}" "${OUT_DIR:?}"
nodes=${NODES:-1}
scripts=${SCRIPTS:-$root/Benchmarks/peer/scripts}
work=/tmp/bench-run/cluster-peer
rm -rf "$work"
mkdir -p "$work"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
sql() { psql "$1" -X -q -t -A -v ON_ERROR_STOP=1 -c "$2"; }

# a fresh database for each start, as the harness expects of a server it starts (nothing from the last run)
database=hookline_bench
sql "$BENCH_DATABASE" "DROP DATABASE IF EXISTS $database WITH (FORCE)"
sql "$BENCH_DATABASE" "CREATE DATABASE $database"
url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' \
  "$BENCH_DATABASE" "$database")

# CPU seconds of a process and its descendants, reaped children included (utime, stime, cutime, cstime)
tree_cpu() {
  python3 - "$@" <<'PY'
import os, sys
roots = {int(p) for p in sys.argv[1:]}
parent, cpu = {}, {}
for d in filter(str.isdigit, os.listdir("/proc")):
    try:
        text = open(f"/proc/{d}/stat").read()
    except OSError:
        continue
    fields = text[text.rindex(")") + 2:].split()
    parent[int(d)], cpu[int(d)] = int(fields[1]), sum(int(x) for x in fields[11:15])
def within(pid):
    for _ in range(64):
        if pid in roots:
            return True
        pid = parent.get(pid, 0)
        if pid <= 1:
            return False
    return False
print(sum(c for p, c in cpu.items() if within(p)) / os.sysconf("SC_CLK_TCK"))
PY
}
postmaster=$(head -n 1 "$(sql "$BENCH_DATABASE" "SHOW data_directory")/postmaster.pid")
postgres_before=$(tree_cpu "$postmaster")

pids=()
ports=()
for n in $(seq "$nodes"); do
  port=$([ "$nodes" = 1 ] && echo "$PORT" || free_port)
  ports+=("$port")
  "$root/.build/release/hookline" serve --port "$port" --secret "$SECRET" --out "$OUT_DIR" --scripts "$scripts" \
    --data "$work/data-$n" --database "$url" --node-name "node$n" --dedup false --log-level warning "$@" \
    >"$work/node$n.log" 2>&1 &
  pids+=($!)
done
for port in "${ports[@]}"; do
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
    sleep 0.1
  done
done

nginx_pid=""
if [ "$nodes" -gt 1 ]; then
  mkdir -p "$work/nginx/logs"
  servers=$(for port in "${ports[@]}"; do echo "        server 127.0.0.1:$port max_fails=1 fail_timeout=2s;"; done)
  python3 - "$root/tools/nginx-cluster.conf" "$work/nginx/nginx.conf" "$work/nginx" "$PORT" "$servers" <<'PY'
import sys
template, target, folder, port, servers = sys.argv[1:]
text = open(template).read().replace("@FOLDER@", folder).replace("@PORT@", port).replace("@SERVERS@", servers)
open(target, "w").write(text)
PY
  nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
  nginx_pid=$!
fi

stop() {
  local nodes_cpu postgres_cpu events
  nodes_cpu=$(tree_cpu "${pids[@]}")
  [ -n "$nginx_pid" ] && kill -KILL "$nginx_pid" 2>/dev/null
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  events=$(sql "$url" "SELECT count(*) FROM events" 2>/dev/null || echo 0)
  sleep 0.5  # the nodes' backends end with their connections, and are reaped into the postmaster's own figure
  postgres_cpu=$(tree_cpu "$postmaster")
  local line
  line=$(python3 -c 'import sys; n, p, e = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]); \
print(f"cpu: nodes {n:.1f} s, postgres {p:.1f} s, {e} events: {n / max(e, 1) * 1e6:.0f} µs + {p / max(e, 1) * 1e6:.0f} µs an event")' \
    "$nodes_cpu" "$(python3 -c "print($postgres_cpu - $postgres_before)")" "$events")
  echo "$line"
  [ -n "${CPU_REPORT:-}" ] && echo "$line" >>"$CPU_REPORT"
  exit 0
}
trap stop TERM INT
wait "${pids[@]}"
