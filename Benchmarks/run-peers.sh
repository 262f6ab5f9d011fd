#!/usr/bin/env bash
# Measures Hookline beside peer webhook servers in one run, with the team's harness (BENCH, see harness.sh):
# Hookline is its `custom` peer, implementing RULES.md with the scripts in Benchmarks/peer/scripts and
# journaling every event durably (SQLite, WAL, full fsync) before it answers.
#
# BENCH names the harness's folder and is required (the harness is not part of this repository):
#
#   export BENCH=/path/to/bench
#   Benchmarks/run-peers.sh                      # Hookline, nginx + Lua and Node, mixed payload
#   LOAD=hang Benchmarks/run-peers.sh nginx-lua  # single payload type, other peers
#   SCRIPTS=Benchmarks/hang-alert/scripts HOOKLINE_ARGS="--alert-slack http://127.0.0.1:18095/" LOAD=hang \
#     Benchmarks/run-peers.sh                    # the hang rule with alerts (run Benchmarks/slack-receiver.py first)
#
# The harness pins the server to core 0 and wrk to core 1, loads each peer with wrk (32 and 4 connections),
# waits for work done after the response (the drain time is logged) and prints a table.
# Deduplication is off: the harness posts the same few bodies over and over, and each must be processed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source Benchmarks/harness.sh
tools/setup.sh
swift build -c release --product hookline
export CUSTOM_NAME="hookline $(git rev-parse --short HEAD 2>/dev/null || echo dev)"
export CUSTOM_CMD="rm -rf /tmp/bench-run/hookline-data && exec $ROOT/.build/release/hookline serve --port \$PORT \
  --secret \$SECRET --out \$OUT_DIR --data /tmp/bench-run/hookline-data --scripts $ROOT/${SCRIPTS:-Benchmarks/peer/scripts} \
  --dedup false --log-level warning ${HOOKLINE_ARGS:-}"
if [ $# -eq 0 ]; then set -- nginx-lua node; fi
exec bash "$BENCH/run-peers.sh" custom "$@"
