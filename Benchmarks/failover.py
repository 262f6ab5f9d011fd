#!/usr/bin/env python3
"""Failover time: from a node's SIGKILL to its pending work running on another node.

Starts a throwaway PostgreSQL server (tools/postgres.sh) and two release `hookline` nodes on it, each with its
own --out folder and a conversation-update rule that waits on a slow local receiver (RUN_MS, default 200 ms) and
then appends `<event id> <epoch ms>` to runs.txt. It delivers EVENTS events of CALLS calls to node A only (so A
holds every call and has a backlog: each call's runs go one after another), kills A with SIGKILL once half of
them are acknowledged, and waits until every acknowledged event is done. The failover time is from the kill to
the first run on node B; it should be under the lease plus the poll interval (plus a run's length).

    python3 Benchmarks/failover.py [LEASE=15s] [ROUNDS=3]      # EVENTS=400 CALLS=20 RUN_MS=200 in the environment
"""
import http.client, http.server, json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time
from throwaway_postgres import ThrowawayPostgres

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
lease = sys.argv[1] if len(sys.argv) > 1 else "15s"
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
events, calls, run_ms = (int(os.environ.get(k, d)) for k, d in (("EVENTS", 400), ("CALLS", 20), ("RUN_MS", 200)))
binary = os.path.join(root, ".build/release/hookline")
if not os.access(binary, os.X_OK):
    sys.exit("build the release binary first: swift build -c release --product hookline")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(run_ms / 1000)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
threading.Thread(target=receiver.serve_forever, daemon=True).start()


def wait_healthy(port):
    for _ in range(200):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"node on port {port} did not become healthy")


def event(call, n):
    return json.dumps({"message": {"type": "conversation-update", "timestamp": int(time.time() * 1000),
                                   "call": {"id": call},
                                   "messages": [{"role": "user", "message": f"m{i}"} for i in range(n)]}}).encode()


def one_round(number):
    work = tempfile.mkdtemp(prefix="hookline-failover-")
    postgres = ThrowawayPostgres()
    database = postgres.url
    scripts = os.path.join(work, "scripts")
    os.makedirs(scripts)
    with open(os.path.join(scripts, "conversation-update.lua"), "w") as f:
        f.write(f'http.get("http://127.0.0.1:{receiver.server_port}/slow")\n'
                'file.append("runs.txt", ctx.event_id .. " " .. time.now() .. "\\n")\n')
    nodes = {}
    for name in ("a", "b"):
        port = free_port()
        process = subprocess.Popen(
            [binary, "serve", "--port", str(port), "--secret", "s3cret", "--database", database, "--node-name", name,
             "--lease", lease, "--scripts", scripts, "--data", os.path.join(work, "data-" + name),
             "--out", os.path.join(work, "out-" + name), "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, name + ".log"), "w"))
        nodes[name] = (port, process)
    for port, _ in nodes.values():
        wait_healthy(port)

    acknowledged, killed_at = [], None
    connection = http.client.HTTPConnection("127.0.0.1", nodes["a"][0], timeout=10)
    for index in range(events):
        body = event(f"CA{number}x{index % calls}", index // calls + 1)
        try:
            connection.request("POST", "/webhook", body, {"Content-Type": "application/json", "x-interactly-secret": "s3cret"})
            answer = connection.getresponse()
            reply = json.loads(answer.read() or b"{}")
            if answer.status == 200:
                acknowledged.append(reply["id"])
        except OSError:
            break
        if index + 1 == events // 2:
            nodes["a"][1].send_signal(signal.SIGKILL)
            killed_at = time.time() * 1000
            break
    nodes["a"][1].wait()

    query = lambda sql: subprocess.run(["psql", database, "-X", "-q", "-t", "-A", "-c", sql],
                                       check=True, capture_output=True, text=True).stdout.strip()
    done_before = int(query(f"SELECT count(*) FROM events WHERE state = 'done' AND finished_at <= {int(killed_at)}") or 0)
    deadline = time.time() + 120
    while query("SELECT count(*) FROM events WHERE state = 'pending'") != "0":
        if time.time() > deadline:
            sys.exit("events still pending two minutes after the kill")
        time.sleep(0.2)
    runs_on_b = []
    path = os.path.join(work, "out-b", "runs.txt")
    if os.path.exists(path):
        runs_on_b = [line.split() for line in open(path).read().splitlines()]
    first_on_b = min(int(ms) for _, ms in runs_on_b) if runs_on_b else None
    nodes["b"][1].terminate()
    nodes["b"][1].wait()
    postgres.stop()
    shutil.rmtree(work, ignore_errors=True)
    failover = (first_on_b - killed_at) / 1000 if first_on_b else float("nan")
    print(f"| {number} | {len(acknowledged)} | {done_before} | {len(runs_on_b)} | {failover:.2f} |", flush=True)
    return failover


print(f"lease {lease}, poll interval 1 s (the default), runs of {run_ms} ms, {events // 2} events of {calls} calls "
      f"delivered to node a, then SIGKILL")
print("| round | acknowledged by a | done before the kill | runs on b | kill to first run on b, s |")
print("|---:|---:|---:|---:|---:|")
times = [one_round(n) for n in range(1, rounds + 1)]
print(f"median {sorted(times)[len(times) // 2]:.2f} s, worst {max(times):.2f} s")
receiver.shutdown()
