#!/usr/bin/env python3
"""Timers under load: timers set and fired per second, and how late their runs start (p50/p99), while the
peer harness's mixed events run their rules.

Starts the release `hookline` with Benchmarks/timers/scripts (the harness's rules from Benchmarks/latency/scripts,
and a status-update rule that sets one timer 2 s out), then for SECONDS sends RATE status-updates a second, each
of its own call (so RATE timers come due a second, 2 s later), and LOAD harness payloads a second beside them.
Prints the timer counters from /metrics and the lateness each handler saw (timer.late_ms).

    BENCH=path/to/peer-harness [JOURNAL=postgres] python3 Benchmarks/timers.py [RATE=1000] [LOAD=1000] [SECONDS=15]

BENCH is the team's peer harness (its payloads/ are sent). JOURNAL=postgres keeps the journal in a throwaway
PostgreSQL server. Nothing is pinned: the server, its database and the senders share the machine's cores.
"""
import http.client, os, re, shutil, subprocess, sys, tempfile, threading, time
from paced_load import send_paced
from throwaway_postgres import ThrowawayPostgres

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
bench = os.environ.get("BENCH")
if not bench or not os.path.isdir(os.path.join(bench, "payloads")):
    sys.exit(f"set BENCH to the team's peer harness folder (the one with payloads/), e.g. BENCH=/path/to/bench python3 {sys.argv[0]}")
rate = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
load = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 15
port = 18191
work = tempfile.mkdtemp(prefix="hookline-timers-")
harness = [open(os.path.join(bench, "payloads", f"{k}.json"), "rb").read()
           for k in ("conversation-update", "hang", "conversation-update", "end-of-call-report")]
status = open(os.path.join(root, "Tests/Fixtures/interactly/fixtures/status-update-ongoing.json"), "rb").read()
status_call = re.search(rb'"call"\s*:\s*\{\s*"id"\s*:\s*"([^"]+)"', status).group(1)

journal_args, postgres = [], None
if os.environ.get("JOURNAL") == "postgres":
    postgres = ThrowawayPostgres(pin=[])
    journal_args = ["--database", postgres.url]
server = subprocess.Popen(
    [os.path.join(root, ".build/release/hookline"), "serve", "--port", str(port), *journal_args, "--secret", "s3cret",
     "--data", os.path.join(work, "data"), "--out", os.path.join(work, "out"), "--dedup", "false",
     "--scripts", os.path.join(root, "Benchmarks/timers/scripts"), "--log-level", "error"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(100):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1); c.request("GET", "/healthz"); c.getresponse().read(); break
    except OSError:
        time.sleep(0.1)

def metrics():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    def value(pattern):
        m = re.search(pattern + r" (\d+(\.\d+)?)", text)
        return float(m.group(1)) if m else 0.0
    return value(r'hookline_timer_operations_total\{kind="set"\}'), value(r"hookline_timers_fired_total")

set_before, fired_before = metrics()
began = time.monotonic()
results = {}
loads = {
    "timers": (rate, lambda k: status.replace(status_call, b"T%08d" % k)),
    "harness": (load, lambda k: harness[k % len(harness)]),
}
threads = [threading.Thread(target=lambda name=name, spec=spec: results.__setitem__(name, send_paced(port, spec[0], seconds, spec[1], threads=8)))
           for name, spec in loads.items() if spec[0] > 0]
for t in threads: t.start()
for t in threads: t.join()
errors = [sum(failures for _, failures in results.values())]
time.sleep(3)  # the last timers come due 2 s after the last status-update
elapsed = time.monotonic() - began
set_after, fired_after = metrics()
server.terminate(); server.wait()
if postgres:
    postgres.stop()

late_file = os.path.join(work, "out", "late.txt")
late = sorted(int(x) for x in open(late_file).read().split()) if os.path.exists(late_file) else []
def pct(p): return late[min(len(late) - 1, int(len(late) * p))] if late else float("nan")
print(f"{rate} timers set a second (each due 2 s later) beside {load} harness events a second, for {seconds} s, "
      f"journal {'PostgreSQL' if postgres else 'SQLite'}; {errors[0]} deliveries failed")
print("| measure | value |")
print("|---|---:|")
print(f"| timers set (committed with their runs) | {int(set_after - set_before)} ({(set_after - set_before) / seconds:.0f}/s over the sending) |")
print(f"| timers fired (handler started) | {int(fired_after - fired_before)} ({(fired_after - fired_before) / seconds:.0f}/s) |")
print(f"| handler start after due time, p50 | {pct(.5)} ms |")
print(f"| handler start after due time, p99 | {pct(.99)} ms |")
print(f"| handler start after due time, max | {late[-1] if late else 'n/a'} ms |")
shutil.rmtree(work, ignore_errors=True)
