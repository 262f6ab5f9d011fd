#!/usr/bin/env bash
# Builds and runs Hookline's fuzz targets (libFuzzer, with AddressSanitizer): the package in FuzzTargets/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

targets=(json intake lua-json pattern http config)
declare -A products=([json]=FuzzJSON [intake]=FuzzIntake [lua-json]=FuzzLuaJSON [pattern]=FuzzPattern [http]=FuzzHTTP [config]=FuzzConfig)
declare -A maxlen=([json]=8192 [intake]=131072 [lua-json]=8192 [pattern]=128 [http]=180000 [config]=4096)

usage() {
    cat <<USAGE
usage: tools/fuzz.sh TARGET [SECONDS] [-- LIBFUZZER-OPTIONS...]
       tools/fuzz.sh all SECONDS

Builds one fuzz target of FuzzTargets/ (swift build -c release --sanitize=fuzzer --sanitize=address) and runs
it for SECONDS (default 60), seeded with a corpus written at run time from Tests/Fixtures and examples/
(never committed). 'all' runs each target in turn for SECONDS and prints the executions of each and anything
found. Everything runs under nice -n 19; fuzzing is not part of tools/test.sh.

Targets:
  json      the strict JSON parser against a reference parser and Foundation's JSONSerialization
  intake    Intake.check: never a crash or a 5xx; the stored body is the delivery with its credentials redacted
  lua-json  JSON -> Lua lazy tables -> JSON reproduces the document
  pattern   Hookline's Lua pattern matcher against the system liblua5.4, and under deadlines
  http      arbitrary bytes into a connection's NIO pipeline: never a 2xx for what is not a valid delivery
  config    the YAML config file, the command line's arguments, the size and duration parsers

Files: .build/fuzz/TARGET/corpus (what runs added to the seeds), .build/fuzz/TARGET/run-TIME.log, and
.build/fuzz/TARGET/crash-*, timeout-*, oom-* for anything found (reproduce: run
FuzzTargets/.build/release/FuzzTARGET with the file as its argument). FUZZ_SKIP_BUILD=1 runs what was built.
USAGE
}

build() {
    nice -n 19 swift build -c release --sanitize=fuzzer --sanitize=address --package-path FuzzTargets --product "$1" >&2
}

# Runs one target; prints "TARGET: N executions in S s (R/s), found: ..." at the end.
run() {
    local target=$1 seconds=$2; shift 2
    local product=${products[$target]}
    local binary=$root/FuzzTargets/.build/release/$product
    local work=$root/.build/fuzz/$target
    [ -n "${FUZZ_SKIP_BUILD:-}" ] || build "$product"
    mkdir -p "$work"
    rm -rf "$work/seeds"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} SWIFT_BACKTRACE=enable=no
    HOOKLINE_FUZZ_SEEDS=$work/seeds "$binary" >/dev/null
    mkdir -p "$work/corpus"
    local started=$SECONDS status=0 log
    log=$work/run-$(date -u +%Y%m%d-%H%M%S).log
    (cd "$work" && nice -n 19 "$binary" -max_total_time="$seconds" -max_len="${maxlen[$target]}" -timeout=30 \
        -rss_limit_mb=4096 -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$work/" \
        "$@" corpus seeds) >"$log" 2>&1 || status=$?
    local elapsed=$((SECONDS - started))
    local runs
    runs=$(grep -a 'stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
    local found
    found=$(find "$work" -maxdepth 1 \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) -newer "$work/seeds" | sort | tr '\n' ' ')
    printf '%s: %d executions in %d s (%d/s), log %s%s\n' "$target" "$runs" "$elapsed" "$((runs / (elapsed > 0 ? elapsed : 1)))" \
        "${log#"$root"/}" "${found:+, FOUND: $found}"
    if [ -n "$found" ] || [ "$status" -ne 0 ]; then
        grep -a -m1 -A3 -E 'FUZZ ORACLE FAILURE|ERROR: AddressSanitizer|ERROR: libFuzzer|Fatal error|deadly signal' "$log" | sed 's/^/    /' || true
        return 1
    fi
}

case "${1:-}" in
    ""|-h|--help) usage; exit 0 ;;
    all)
        seconds=${2:?"tools/fuzz.sh all SECONDS"}
        failed=0
        for target in "${targets[@]}"; do run "$target" "$seconds" || failed=1; done
        exit $failed ;;
    *)
        target=$1; shift
        [ -n "${products[$target]:-}" ] || { usage >&2; exit 2; }
        seconds=60
        if [ $# -gt 0 ] && [ "$1" != "--" ]; then seconds=$1; shift; fi
        [ "${1:-}" = "--" ] && shift
        run "$target" "$seconds" "$@" ;;
esac
