#!/usr/bin/env bash
# Weighs the journal's appends (32 concurrent appenders) and dispatch's record path on SQLite and on PostgreSQL,
# against a throwaway PostgreSQL server on this machine (tools/postgres.sh: fsync and synchronous_commit on, as
# shipped). Prints a table; arguments go to the benchmark (see Benchmarks/PostgresJournalBenchmark/main.swift).
#
#   Benchmarks/postgres-journal.sh [--events 20000] [--appenders 32] [--calls 500] [--body-bytes 2000]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --package-path Benchmarks --product PostgresJournalBenchmark >/dev/null 2>&1 \
  || swift build -c release --package-path Benchmarks --product PostgresJournalBenchmark
eval "$(tools/postgres.sh start)"
trap 'tools/postgres.sh stop "$HOOKLINE_TEST_POSTGRES_DIR"' EXIT
Benchmarks/.build/release/PostgresJournalBenchmark --database "$HOOKLINE_TEST_POSTGRES" "$@"
