#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, starts a throwaway PostgreSQL server (tools/postgres.sh) for
# the tests that need one, runs the Swift test suites, and stops the server however they end.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --tests
swift build --build-tests
eval "$(tools/postgres.sh start)"
trap 'tools/postgres.sh stop "$HOOKLINE_TEST_POSTGRES_DIR"' EXIT
swift test --skip-build --no-parallel
