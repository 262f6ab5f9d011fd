#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, starts a throwaway PostgreSQL server (tools/postgres.sh) for
# the tests that need one, runs the Swift test suites, and stops the server however they end.
#
#   tools/test.sh                         the tests as CI runs them
#   tools/test.sh --sanitize=address      the same tests built with AddressSanitizer (and its checks of C code:
#   tools/test.sh --sanitize=thread       Lua, our shim) or ThreadSanitizer, in a build folder of their own
#                                         (.build-address, .build-thread); any finding fails the run
# Other arguments go to `swift test` (e.g. --filter LuaRuntimeTests), run one test at a time; without any, the
# suites run in parallel (below) and the console's browser tests
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
# The suites run in parallel within one process (swift-testing), at most four tests at a time: the waits that
# need the cooperative pool's two threads to end (a child process talking to a server of this process, psql, a
# blocking socket) run off the pool (TestSupport's offThePool), so no two of them can starve the rest. More at
# once starved the pool on this 2-core machine (scripts' 2 s limits ran out in tests that wait on async host
# calls). The tests that measure time, memory or the machine's load run after, alone, one at a time: the
# hostile-process, crash and hostile-load suites, the work feed's (no journal read, which a slow moment
# triggers), and the single tests named below, which bound a duration or this process's resident memory.
if [ ${#arguments[@]} -eq 0 ]; then
    alone='HostileProcessTests|CrashRecoveryTests|HostileLoadTests|WorkFeedTests'
    alone+='|tenThousandPendingTimersKeepMemoryBounded|manyEventsWaitOnASlowReceiverWhileIntakeKeepsAcknowledging'
    alone+='|aSpinningScriptIsStoppedRetriedAndDeadWhileOthersFlow|anUnreachableDatabaseFailsInTime|aNodeWhoseLeaseEndedIsFencedOut'
    SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=4 \
        swift test --skip-build --parallel --skip "$alone" "${build[@]}"
    swift test --skip-build --no-parallel --filter "$alone" "${build[@]}"
else
    swift test --skip-build --no-parallel "${build[@]}" "${arguments[@]}"
fi
# The console in a real browser (Chromium through chromedriver), against the hookline just built; not with a
# sanitizer build or a --filter of the Swift suites.
if [ -z "$sanitizer" ] && [ ${#arguments[@]} -eq 0 ]; then
    tools/browser-test.sh
fi
