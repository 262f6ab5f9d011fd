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
#   JOURNAL=postgres Benchmarks/run-peers.sh     # the journal in PostgreSQL: one node (Benchmarks/cluster-peer.sh)
#   JOURNAL=postgres NODES=2 Benchmarks/run-peers.sh   # two nodes on one PostgreSQL behind nginx
#
# The harness pins the server to core 0 and wrk to core 1, loads each peer with wrk (32 and 4 connections),
# waits for work done after the response (the drain time is logged) and prints a table.
# Deduplication is off: the harness posts the same few bodies over and over, and each must be processed.
# With JOURNAL=postgres a throwaway PostgreSQL server (tools/postgres.sh) runs on the server's core too (so
# Hookline and its database share the one core each peer has), every start of the server under test gets a
# fresh database, and the CPU of the nodes and of PostgreSQL per event is printed at the end. The harness
# counts PostgreSQL's CPU as another process's (it is not its descendant), so QUIET_MAX is raised for it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source Benchmarks/harness.sh
tools/setup.sh
swift build -c release --product hookline
export CUSTOM_NAME="hookline $(git rev-parse --short HEAD 2>/dev/null || echo dev)"
scripts=$ROOT/${SCRIPTS:-Benchmarks/peer/scripts}
case ${JOURNAL:-sqlite} in
  sqlite)
    export CUSTOM_CMD="rm -rf /tmp/bench-run/hookline-data && exec $ROOT/.build/release/hookline serve --port \$PORT \
      --secret \$SECRET --out \$OUT_DIR --data /tmp/bench-run/hookline-data --scripts $scripts \
      --dedup false --log-level warning ${HOOKLINE_ARGS:-}"
    ;;
  postgres)
    tools/setup.sh --tests
    pin=""; [ "${PIN:-1}" = 1 ] && pin="taskset -c 0"
    eval "$($pin tools/postgres.sh start)"
    trap 'tools/postgres.sh stop "$HOOKLINE_TEST_POSTGRES_DIR"; cat "$CPU_REPORT" >&2' EXIT
    export BENCH_DATABASE=$HOOKLINE_TEST_POSTGRES NODES=${NODES:-1} SCRIPTS=$scripts QUIET_MAX=${QUIET_MAX:-400}
    export CPU_REPORT=/tmp/bench-run/cluster-cpu.txt
    mkdir -p /tmp/bench-run; : >"$CPU_REPORT"
    export CUSTOM_NAME="$CUSTOM_NAME, PostgreSQL, $NODES node(s)"
    export CUSTOM_CMD="exec $ROOT/Benchmarks/cluster-peer.sh ${HOOKLINE_ARGS:-}"
    ;;
  *) echo "JOURNAL is sqlite or postgres" >&2; exit 2 ;;
esac
if [ $# -eq 0 ]; then set -- nginx-lua node; fi
if [ "${JOURNAL:-sqlite}" = sqlite ]; then exec bash "$BENCH/run-peers.sh" custom "$@"; fi
bash "$BENCH/run-peers.sh" custom "$@"
