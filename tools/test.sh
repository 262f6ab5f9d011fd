#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, starts a throwaway PostgreSQL server (tools/postgres.sh) for
# the tests that need one, runs the Swift test suites, and stops the server however they end.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --tests
swift build --build-tests
eval "$(tools/postgres.sh start)"
trap 'tools/postgres.sh stop "$HOOKLINE_TEST_POSTGRES_DIR"' EXIT
# One test at a time (--no-parallel): run in parallel, the suites deadlock on a 2-core machine. Swift's
# cooperative pool has a thread per core, and several tests block one while they wait for something outside
# the pool: a flock another test's task holds (HooklineTests' appendsOfSeveralNodesWaitForTheFilesLock appends
# from a detached task while the test holds the file's lock, and FileJail's striped append locks are shared by
# every jail in the process), a child process (HooklineProcess.stop, HooklineBinary.run, psql in TestDatabase),
# a blocking socket (RawHTTP). Two such waits at once leave no thread for the task that would end them (seen:
# 0 of 232 tests finished in 15 minutes). The timing tests (HostileProcessTests: under 30% of a core, /healthz
# within a second; CrashRecoveryTests: a kill with work pending) would also measure the other suites' load.
swift test --skip-build --no-parallel
