#!/usr/bin/env bash
# Hookline under a load closer to production than the harness's: the harness's three payloads as the traffic
# of CALLS calls at once, every event unique (Benchmarks/unique-calls.lua), deduplication on (the default), the
# bench rules in Lua (Benchmarks/peer/scripts), every event durable before its answer. The harness sends one
# call's three bodies again and again, so it must run with deduplication off and every event of its load waits
# for the one before it in its call; here the calls run side by side as they do in production.
#
#   BENCH=path/to/peer-harness Benchmarks/unique-load.sh [SECONDS=15] [CONNS="32 4"]
#
# The server is pinned to core 0 and wrk to core 1, as the harness does (PIN=0 leaves both unpinned); each load
# starts a fresh data folder after a 3 s warm-up. BINARY=path/to/hookline measures another build. LOAD=harness
# sends the harness's own load instead (wrk/mix.lua: one call's bodies again and again, deduplication off), to
# read the two side by side with the same columns. Prints, per
# connection count, the requests per second, acknowledgement p50/p99, and what the server counted (accepted,
# duplicates, refused): every request must be accepted, none as a duplicate. Then the server's CPU per accepted
# event by thread (from /proc, threads grouped by name without their numbers).
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/harness.sh
seconds=${1:-15}
conns=${2:-"32 4"}
port=18336
binary=${BINARY:-.build/release/hookline}
command -v wrk >/dev/null || { echo "wrk is missing (the peer harness installs it: bash $BENCH/run-peers.sh)" >&2; exit 2; }
[ -n "${BINARY:-}" ] || swift build -c release --product hookline >/dev/null
pin_server=(); pin_load=()
if [ "${PIN:-1}" = 1 ]; then pin_server=(taskset -c 0); pin_load=(taskset -c 1); fi
load=Benchmarks/unique-calls.lua; dedup=(); description="calls ${CALLS:-1000}, every event unique, deduplication on"
if [ "${LOAD:-unique}" = harness ]; then
  load=$BENCH/wrk/mix.lua; dedup=(--dedup false); description="the harness's load (one call), deduplication off"
fi
work=$(mktemp -d /tmp/hookline-unique-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

# CPU seconds of each of the server's threads so far, grouped by name without digits, as JSON
thread_cpu() {
  python3 - "$1" <<'EOF'
import glob, json, os, re, sys
ticks = os.sysconf("SC_CLK_TCK")
groups = {}
for stat in glob.glob(f"/proc/{sys.argv[1]}/task/*/stat"):
    try:
        text = open(stat).read()
    except OSError:
        continue
    name = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    group = re.sub(r"[0-9]+", "#", name)
    groups[group] = groups.get(group, 0) + (int(fields[11]) + int(fields[12])) / ticks
print(json.dumps(groups))
EOF
}

echo "$description, ${seconds}s a load, $(basename "$binary") $(git rev-parse --short HEAD 2>/dev/null)"
echo "| connections | req/s | ack p50 ms | ack p99 ms | accepted | duplicates | refused | non-2xx |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in $conns; do
  rm -rf "$work/data" "$work/out"
  "${pin_server[@]}" "$binary" serve --port "$port" --secret s3cret --data "$work/data" --out "$work/out" \
    --scripts Benchmarks/peer/scripts --log-level error --no-console "${dedup[@]}" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
  PAYLOAD_DIR="$BENCH/payloads" CALLS=${CALLS:-1000} "${pin_load[@]}" wrk -t1 -c"$c" -d3s -s "$load" \
    "http://127.0.0.1:$port/webhook" >/dev/null 2>&1
  before=$(curl -s "http://127.0.0.1:$port/metrics")
  cpu_before=$(thread_cpu "$pid")
  result=$(PAYLOAD_DIR="$BENCH/payloads" CALLS=${CALLS:-1000} "${pin_load[@]}" wrk -t1 -c"$c" -d"${seconds}s" --latency \
    -s "$load" "http://127.0.0.1:$port/webhook" | tail -1)
  result=${result#RESULT }  # the harness's script prefixes its line
  after=$(curl -s "http://127.0.0.1:$port/metrics")
  sleep 2  # the scripts' work after the answers
  cpu_after=$(thread_cpu "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  python3 - "$c" "$result" "$before" "$after" "$cpu_before" "$cpu_after" "$work/cpu.txt" <<'EOF'
import json, sys
c, result, before, after = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
cpu_before, cpu_after = json.loads(sys.argv[5]), json.loads(sys.argv[6])
def total(text, name):
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name) and not line.startswith("#"))
delta = {k: int(total(after, f"hookline_events_{k}_total") - total(before, f"hookline_events_{k}_total"))
         for k in ("accepted", "duplicate", "rejected")}
print(f"| {c} | {result['rps']:.0f} | {result['p50_ms']:.2f} | {result['p99_ms']:.2f} | {delta['accepted']} | "
      f"{delta['duplicate']} | {delta['rejected']} | {result['non2xx']} |")
used = {name: cpu_after[name] - cpu_before.get(name, 0) for name in cpu_after}
events = max(delta["accepted"], 1)
row = ", ".join(f"{name} {seconds / events * 1e6:.0f}" for name, seconds in sorted(used.items(), key=lambda x: -x[1])
                if seconds > 0)
with open(sys.argv[7], "a") as out:
    out.write(f"- {c} connections, CPU µs per event by thread: {row}; all {sum(used.values()) / events * 1e6:.0f}\n")
EOF
done
echo
cat "$work/cpu.txt"
