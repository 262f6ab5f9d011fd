#!/usr/bin/env bash
# Weighs the front door: Hummingbird and a bare NIO handler, each only reading the body, then each also
# running intake's checks, loaded with the peer harness's mix (wrk, 32 connections), the server pinned to
# core 0 and wrk to core 1 as the harness does. No journal and no scripts: what is left is the HTTP path.
# Last, the NIO handler keeping each body durably (appended to one file, group fdatasync, no checks), through
# the page cache (keep) and around it (keep-direct): the ceiling for any intake that syncs what it
# acknowledges, on this machine; then with intake's checks first (check-keep-direct): Hookline's intake
# without its SQLite index.
#
#   BENCH=path/to/peer-harness Benchmarks/front-door.sh [SECONDS=8] [ROUNDS=2]
#
# FRONT_DOOR_BINARY=path runs a FrontDoorBenchmark built earlier instead of building this tree's, to weigh two
# versions in turn on a machine whose load changes (a copy of .build/release/FrontDoorBenchmark kept aside).
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/harness.sh
seconds=${1:-8}
rounds=${2:-2}
port=18334
command -v wrk >/dev/null || { echo "wrk is missing (the peer harness installs it: bash $BENCH/run-peers.sh)" >&2; exit 2; }
binary=${FRONT_DOOR_BINARY:-}
if [ -z "$binary" ]; then
  build=(swift build -c release --package-path Benchmarks --product FrontDoorBenchmark)
  "${build[@]}" >/dev/null 2>&1 || "${build[@]}"
  binary=Benchmarks/.build/release/FrontDoorBenchmark
fi

echo "| front door | handler | round | req/s | p50 | p99 |"
echo "|---|---|---:|---:|---:|---:|"
for round in $(seq 1 "$rounds"); do
  for mode in read check keep keep-direct check-keep-direct; do
    for server in hummingbird nio; do
      [[ $mode == *keep* && $server == hummingbird ]] && continue
      taskset -c 0 "$binary" "$server" "$mode" "$port" >/dev/null 2>&1 &
      pid=$!
      for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
      out=$(PAYLOAD_DIR="$BENCH/payloads" taskset -c 1 wrk -t1 -c32 -d"${seconds}s" --latency -s "$BENCH/wrk/mix.lua" \
            "http://127.0.0.1:$port/webhook" 2>&1)
      kill "$pid"; wait "$pid" 2>/dev/null || true
      rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
      p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
      errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr -s ' ' | tr '\n' ' ' || true)
      echo "| $server | $mode | $round | $rate | $p50 | $p99 |${errors:+ $errors}"
    done
  done
done
