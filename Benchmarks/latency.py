#!/usr/bin/env python3
"""Latency at a fixed rate: acknowledgement (p50/p99) and receipt-to-script-write (p50/p99).

Starts the release `hookline` pinned to core 0 with Benchmarks/latency/scripts (RULES.md plus a line per
run with the milliseconds from receipt to the script's file write), sends the bench harness's mixed
payloads at RATE requests per second for SECONDS from core 1, and prints the percentiles.

    BENCH=path/to/peer-harness [JOURNAL=postgres] python3 Benchmarks/latency.py [RATE=1000] [SECONDS=15]

BENCH is the team's peer harness (its payloads/ are sent); it is not part of this repository, so it must be set.
JOURNAL=postgres keeps the journal in a throwaway PostgreSQL server (tools/postgres.sh) on the server's core.
PIN=0 leaves the server, PostgreSQL and the sender on every core (by default the server and its database are
pinned to core 0 and the sender to core 1).
BINARY=path/to/hookline measures another build (default .build/release/hookline), e.g. the one before a change.
CALLS=N spreads the events over N calls (the harness's payloads all carry one call id, so every event of the
harness's load waits for the one before it in its call): each send gets the call id of call n mod N.
"""
import http.client, os, shutil, subprocess, sys, tempfile, threading, time
from paced_load import send_paced
from throwaway_postgres import ThrowawayPostgres

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
bench = os.environ.get("BENCH")
if not bench:
    sys.exit(f"set BENCH to the team's peer harness folder (the one with payloads/), "
             f"e.g. BENCH=/path/to/bench python3 {sys.argv[0]}")
if not os.path.isdir(os.path.join(bench, "payloads")):
    sys.exit(f"the peer harness is not at {bench} (it needs payloads/): set BENCH to its folder, "
             f"e.g. BENCH=/path/to/shared/bench python3 {sys.argv[0]}")
rate = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
port = 18190
work = tempfile.mkdtemp(prefix="hookline-latency-")
payloads = {k: open(os.path.join(bench, "payloads", f"{k}.json"), "rb").read()
            for k in ("conversation-update", "hang", "end-of-call-report")}
cycle = [{"c": "conversation-update", "h": "hang", "e": "end-of-call-report"}[c] for c in "chcchcechc"]
harness_call = b"c7f3a9e2-5b1d-4e8a-9c2f-1a6b3d8e4f70"  # the call id of every harness payload
calls = int(os.environ.get("CALLS", "0"))

pinned = os.environ.get("PIN", "1") == "1"
pin_server = ["taskset", "-c", "0"] if pinned else []
journal_args, postgres = [], None
if os.environ.get("JOURNAL") == "postgres":
    postgres = ThrowawayPostgres(pin=pin_server)
    journal_args = ["--database", postgres.url]

if pinned:
    os.sched_setaffinity(0, {1})
server = subprocess.Popen(
    [*pin_server, os.environ.get("BINARY", os.path.join(root, ".build/release/hookline")), "serve", "--port", str(port), *journal_args,
     "--secret", "s3cret", "--data", os.path.join(work, "data"), "--out", os.path.join(work, "out"),
     "--scripts", os.environ.get("SCRIPTS", os.path.join(root, "Benchmarks/latency/scripts")), "--dedup", "false",
     "--log-level", "info" if os.environ.get("HOOKLINE_LOG") else "error"],
    stdout=subprocess.DEVNULL, stderr=open(os.environ["HOOKLINE_LOG"], "w") if os.environ.get("HOOKLINE_LOG") else subprocess.DEVNULL)
for _ in range(100):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1); c.request("GET", "/healthz"); c.getresponse().read(); break
    except OSError:
        time.sleep(0.1)

def body_of(k):
    body = payloads[cycle[k % len(cycle)]]
    return body.replace(harness_call, b"%036d" % (k % calls)) if calls else body

acks, failures = send_paced(port, rate, seconds, body_of)
errors = [failures]
time.sleep(3)
server.terminate(); server.wait()
if postgres:
    postgres.stop()

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")

latency_file = os.path.join(work, "out", "latency.txt")
writes = [float(x) for x in open(latency_file).read().split()] if os.path.exists(latency_file) else []
print(f"rate {rate}/s for {seconds}s, mixed payload{f' over {calls} calls' if calls else ''}, server{' and PostgreSQL' if postgres else ''} {'pinned to core 0, sender on core 1' if pinned else 'and sender unpinned'}")
print(f"| measure | p50 ms | p99 ms | count |")
print(f"|---|---:|---:|---:|")
print(f"| acknowledgement (from scheduled send) | {pct(acks, .5):.2f} | {pct(acks, .99):.2f} | {len(acks)} ({errors[0]} errors) |")
print(f"| receipt to the script's file write | {pct(writes, .5):.2f} | {pct(writes, .99):.2f} | {len(writes)} |")
shutil.rmtree(work, ignore_errors=True)
