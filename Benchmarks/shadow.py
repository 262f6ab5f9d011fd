#!/usr/bin/env python3
"""How fast `hookline shadow` compares: a journal of N events (the fixtures' mix, each of a call of its own) run
live by `hookline serve` with the shipped scripts, then shadowed with --last N three times: the shipped scripts as
the candidate (nothing runs: unchanged scripts are identical by construction), a candidate whose hang alert is a
warning instead of critical (hang.lua runs, current and candidate, for the hang events), and the same with a comment
added to lib/calls.lua (every script runs for every event: the worst case). Prints each run's report headline
(events compared, seconds, events/s) and its wall-clock time.

    swift build -c release
    python3 Benchmarks/shadow.py [EVENTS=20000] [WORKERS=cores]

HOOKLINE=path/to/hookline picks another binary (default .build/release/hookline); SHOW=1 prints each report,
KEEP=1 keeps the journal and the folders (for a profiler).
"""
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("HOOKLINE", os.path.join(ROOT, ".build/release/hookline"))
SECRET = "shadow-benchmark-secret"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post_all(port, bodies, threads=8):
    failures = []

    def worker(chunk):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for body in chunk:
            connection.request("POST", "/webhook", body, {"Content-Type": "application/json", "x-interactly-secret": SECRET})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(response.status)
        connection.close()

    workers = [threading.Thread(target=worker, args=(bodies[i::threads],)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if failures:
        sys.exit(f"{len(failures)} deliveries were refused: {failures[:5]}")


def backlog(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/healthz")
    return json.loads(connection.getresponse().read())["backlog"]


def main():
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    workers = sys.argv[2] if len(sys.argv) > 2 else str(os.cpu_count())
    if not os.access(BINARY, os.X_OK):
        sys.exit(f"no hookline binary at {BINARY}: run `swift build -c release` first")
    folder = tempfile.mkdtemp(prefix="hookline-shadow-")
    try:
        scripts = os.path.join(folder, "scripts")
        shutil.copytree(os.path.join(ROOT, "scripts"), scripts)
        fixtures = sorted(glob.glob(os.path.join(ROOT, "Tests/Fixtures/interactly/fixtures/*.json")))
        documents = [json.load(open(path)) for path in fixtures]
        bodies = []
        for index in range(events):
            document = json.loads(json.dumps(documents[index % len(documents)]))
            document["message"]["call"]["id"] = f"BENCH{index}"
            bodies.append(json.dumps(document).encode())

        port = free_port()
        server = subprocess.Popen([BINARY, "serve", "--port", str(port), "--data", os.path.join(folder, "data"),
                                   "--scripts", scripts, "--secret", SECRET, "--log-level", "error"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 30
            while True:
                try:
                    backlog(port)
                    break
                except OSError:
                    if time.time() > deadline:
                        sys.exit("hookline serve did not start")
                    time.sleep(0.1)
            started = time.time()
            post_all(port, bodies)
            while backlog(port) > 0:
                time.sleep(0.2)
            print(f"journal: {events} events delivered and run live in {time.time() - started:.1f} s")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait()

        candidate = os.path.join(folder, "candidate")
        shutil.copytree(scripts, candidate)
        hang = os.path.join(candidate, "hang.lua")
        source = open(hang).read()
        open(hang, "w").write(source.replace('severity = "critical"', 'severity = "warning"'))
        # a comment in lib/ as well: every script runs, current and candidate, for every event (the worst case)
        everything = os.path.join(folder, "candidate-lib")
        shutil.copytree(candidate, everything)
        with open(os.path.join(everything, "lib", "calls.lua"), "a") as lib:
            lib.write("\n-- reviewed\n")
        for name, folder_under_test in (("the shipped scripts as candidate", scripts), ("hang severity changed", candidate),
                                        ("hang severity changed and lib/ touched: every script runs", everything)):
            started = time.time()
            result = subprocess.run([BINARY, "shadow", "--scripts", folder_under_test, "--current", scripts,
                                     "--data", os.path.join(folder, "data"), "--last", str(events), "--workers", workers],
                                    capture_output=True, text=True)
            wall = time.time() - started
            headline = result.stdout.splitlines()[0] if result.stdout else result.stderr.strip()
            print(f"{name}: {headline} (exit {result.returncode}; {wall:.2f} s wall-clock, process start and reads included)")
            if os.environ.get("SHOW"):
                print(result.stdout + result.stderr)
    finally:
        if os.environ.get("KEEP"):
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
