#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, starts a throwaway PostgreSQL server (tools/postgres.sh) for
# the tests that need one, runs the Swift test suites, and stops the server however they end.
#
#   tools/test.sh                         the tests as CI runs them
#   tools/test.sh --sanitize=address      the same tests built with AddressSanitizer (and its checks of C code:
#   tools/test.sh --sanitize=thread       Lua, our shim) or ThreadSanitizer, in a build folder of their own
#                                         (.build-address, .build-thread); any finding fails the run
# Other arguments go to `swift test` (e.g. --filter LuaRuntimeTests); without any, the console's browser tests
# (tools/browser-test.sh) run after the Swift suites.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizer=""
arguments=()
for argument in "$@"; do
    case "$argument" in
        --sanitize=address|--sanitize=thread) sanitizer=${argument#--sanitize=} ;;
        --sanitize=*) echo "tools/test.sh: --sanitize takes address or thread" >&2; exit 2 ;;
        *) arguments+=("$argument") ;;
    esac
done

build=()
if [ -n "$sanitizer" ]; then
    build=(--sanitize="$sanitizer" --scratch-path ".build-$sanitizer")
    # every finding stops the run with a report; leaks are not checked (the Swift runtime's and NIO's caches
    # live until exit by design, and would be reported at every exit)
    export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=0:detect_stack_use_after_return=0}
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
    export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
fi

tools/setup.sh --tests
swift build --build-tests "${build[@]}"
eval "$(tools/postgres.sh start)"
trap 'tools/postgres.sh stop "$HOOKLINE_TEST_POSTGRES_DIR"' EXIT
# One test at a time (--no-parallel): run in parallel, the suites deadlock on a 2-core machine. Swift's
# cooperative pool has a thread per core, and several tests block one while they wait for something outside
# the pool: a flock (FileJail's striped append locks are shared by every jail in the process, and a test holds
# a file's flock while another append waits for it), a child process (HooklineProcess.stop, HooklineBinary.run,
# psql in TestDatabase), a blocking socket (RawHTTP). Two such waits at once leave no thread for the task that
# would end them (seen: 0 of 232 tests finished in 15 minutes). The timing tests (HostileProcessTests: under 30%
# of a core, /healthz within a second; CrashRecoveryTests: a kill with work pending) would also measure the
# other suites' load.
swift test --skip-build --no-parallel "${build[@]}" "${arguments[@]}"
# The console in a real browser (Chromium through chromedriver), against the hookline just built; not with a
# sanitizer build or a --filter of the Swift suites.
if [ -z "$sanitizer" ] && [ ${#arguments[@]} -eq 0 ]; then
    tools/browser-test.sh
fi
