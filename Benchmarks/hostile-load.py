#!/usr/bin/env python3
"""Hostile load: what an attacker's probes cost the server, as figures.

Starts `hookline serve` (the release build unless BINARY is set) in a scratch folder for each probe, runs it,
prints what it measured and stops the server. Flags the binary does not know are never passed, so the same
script measures an older build (BINARY=/path/to/old/hookline) against the current one.

    python3 Benchmarks/hostile-load.py [PROBE...]       (default: every probe)

Probes:
  manykeys   /healthz latency (p50, p99, max) on its own connection while four bodies of ~426,000 keys
             (just under 4 MiB) arrive at once, three rounds, and how long each delivery took
  labels     /metrics size and render time after 2,000 events with distinct 2 KB types
  inflight   server RSS with 200 connections each holding 3 MiB of an unfinished body, and their answers
  healthz    median and p99 delivery latency (4 connections, 3 s) without and with /healthz polled
             1,000 times a second (the same number of checks for every build, so that what differs is
             the cost of a check, not the client's share of the CPU)
  flood      under `prlimit --nofile=256:256`: 300 idle connections, then a delivery and /healthz on
             connections opened before; CPU use meanwhile; whether the acknowledged event is processed
             once the flood ends, and what the log said
  flood-over the same with --max-connections 1000, above what the descriptors allow (builds before
             2026-12-07 ran out; later ones lower the limit to what the descriptors allow, with a warning)
"""
import http.client, json, os, resource, shutil, socket, subprocess, sys, tempfile, threading, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.environ.get("BINARY", os.path.join(root, ".build/release/hookline"))
SECRET = "s3cret"
HEADERS = {"Content-Type": "application/json", "x-interactly-secret": SECRET}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `hookline serve` in a scratch folder, with `scripts` (path -> Lua) and extra arguments."""

    def __init__(self, scripts=None, args=(), prefix=()):
        self.work = tempfile.mkdtemp(prefix="hookline-hostile-")
        os.makedirs(os.path.join(self.work, "scripts"))
        for path, source in (scripts or {}).items():
            with open(os.path.join(self.work, "scripts", path), "w") as f:
                f.write(source)
        self.port = free_port()
        self.log_path = os.path.join(self.work, "log.txt")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            list(prefix) + [binary, "serve", "--port", str(self.port), "--secret", SECRET,
                            "--data", os.path.join(self.work, "data"), "--scripts", os.path.join(self.work, "scripts"),
                            "--dedup", "false"] + list(args),
            stdout=subprocess.DEVNULL, stderr=self.log)
        for _ in range(200):
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"hookline did not start (log: {self.log_path})")

    def connection(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, path, connection=None):
        c = connection or self.connection(2)
        c.request("GET", path)
        response = c.getresponse()
        return response.status, response.read()

    def post(self, body, connection=None):
        c = connection or self.connection()
        c.request("POST", "/webhook", body=body, headers=HEADERS)
        response = c.getresponse()
        return response.status, response.read()

    def rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024

    def cpu_seconds(self):
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_text(self):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.work, ignore_errors=True)


def event(type_="hang", call="CAhostile", extra=""):
    return json.dumps({"message": {"type": type_, "timestamp": int(time.time() * 1000), "call": {"id": call},
                                   "messages": []}})[:-2].encode() + extra.encode() + b"}}"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def many_key_body(limit=4 << 20):
    """A hang event whose message has as many four-character keys as fit just under `limit` bytes."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    head = event("hang", "CAmanykeys")[:-2]
    parts, size, n = [head], len(head) + 2, 0
    while True:
        key = digits[n // 46656 % 36] + digits[n // 1296 % 36] + digits[n // 36 % 36] + digits[n % 36]
        part = b',"' + key.encode() + b'":0'
        if size + len(part) >= limit:
            break
        parts.append(part)
        size += len(part)
        n += 1
    return b"".join(parts) + b"}}", n


def poll_healthz(server, stop, samples, rate=None):
    c = server.connection(10)
    begun = time.perf_counter()
    while not stop.is_set():
        if rate:
            delay = begun + len(samples) / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        started = time.perf_counter()
        server.get("/healthz", c)
        samples.append(time.perf_counter() - started)


def probe_manykeys():
    body, keys = many_key_body()
    server = Server()
    try:
        print(f"manykeys: bodies of {keys} keys, {len(body)} bytes")
        print("  idle: ", end="")
        samples = []
        stop = threading.Event()
        poller = threading.Thread(target=poll_healthz, args=(server, stop, samples))
        poller.start()
        time.sleep(1)
        stop.set()
        poller.join()
        print(f"/healthz p50 {ms(percentile(samples, 0.5))}, p99 {ms(percentile(samples, 0.99))}, max {ms(max(samples))}")
        for round_ in range(3):
            samples, durations, statuses = [], [], []
            stop = threading.Event()
            poller = threading.Thread(target=poll_healthz, args=(server, stop, samples))
            poller.start()
            time.sleep(0.2)

            def deliver():
                started = time.perf_counter()
                status, _ = server.post(body)
                durations.append(time.perf_counter() - started)
                statuses.append(status)
            senders = [threading.Thread(target=deliver) for _ in range(4)]
            for t in senders:
                t.start()
            for t in senders:
                t.join()
            time.sleep(0.1)
            stop.set()
            poller.join()
            print(f"  round {round_ + 1}: /healthz p50 {ms(percentile(samples, 0.5))}, p99 {ms(percentile(samples, 0.99))}, "
                  f"max {ms(max(samples))} ({len(samples)} checks); deliveries {sorted(statuses)} in "
                  f"{', '.join(ms(d) for d in sorted(durations))}")
    finally:
        server.stop()


def probe_labels():
    server = Server()
    try:
        _, before = server.get("/metrics")
        c = server.connection()
        for i in range(2000):
            type_ = f"t{i:05d}-" + "x" * 2000
            status, _ = server.post(event(type_, f"CAlabel{i}"), c)
            if status != 200:
                print(f"labels: delivery {i} got {status}")
                return
        started = time.perf_counter()
        _, after = server.get("/metrics")
        rendered = time.perf_counter() - started
        print(f"labels: /metrics {len(before) / 1024:.1f} KiB before, {len(after) / 1024:.1f} KiB after 2,000 distinct "
              f"2 KB types, rendered in {ms(rendered)}")
    finally:
        server.stop()


def probe_inflight():
    server = Server()
    try:
        time.sleep(0.5)
        before = server.rss_mb()
        declared = 4_000_000
        head = (f"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-interactly-secret: {SECRET}\r\n"
                f"Content-Length: {declared}\r\n\r\n").encode()
        chunk = b'{"message":{"x":"' + b"a" * ((3 << 20) - 16)
        sockets, answers = [], {}
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(head)
            s.setblocking(False)
            sent = 0
            while sent < len(chunk):
                try:
                    sent += s.send(chunk[sent:sent + (1 << 20)])
                except BlockingIOError:
                    time.sleep(0.001)
                    try:
                        if s.recv(64, socket.MSG_PEEK):
                            break  # answered before the body was sent
                    except BlockingIOError:
                        pass
                except OSError:
                    break
            sockets.append(s)
        time.sleep(1)
        during = server.rss_mb()
        for s in sockets:
            try:
                reply = s.recv(64)
                status = reply[9:12].decode() if reply.startswith(b"HTTP/1.1 ") else ("closed" if reply == b"" else "?")
            except BlockingIOError:
                status = "no answer yet"
            except OSError:
                status = "reset"
            answers[status] = answers.get(status, 0) + 1
        status, _ = server.post(event("hang", "CAafter"))
        print(f"inflight: RSS {before:.0f} MB idle, {during:.0f} MB with 200 connections holding 3 MiB each; "
              f"their answers {answers}; a delivery meanwhile got {status}")
        for s in sockets:
            s.close()
    finally:
        server.stop()


def probe_healthz():
    server = Server()
    try:
        body = event("hang", "CAhealth")

        def deliveries(seconds, latencies):
            c = server.connection()
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                started = time.perf_counter()
                server.post(body, c)
                latencies.append(time.perf_counter() - started)

        def run(with_health):
            latencies, checks, stop = [], [], threading.Event()
            pollers = [threading.Thread(target=poll_healthz, args=(server, stop, checks, 1000)) for _ in range(1 if with_health else 0)]
            senders = [threading.Thread(target=deliveries, args=(3, latencies)) for _ in range(4)]
            for t in pollers + senders:
                t.start()
            for t in senders:
                t.join()
            stop.set()
            for t in pollers:
                t.join()
            return latencies, checks
        run(False)  # warm up
        for with_health in (False, True, False, True):
            latencies, checks = run(with_health)
            polled = f"with /healthz polled ({len(checks)} checks, median {ms(percentile(checks, 0.5))})" if with_health \
                else "without /healthz"
            print(f"healthz: {polled}: {len(latencies)} deliveries in 3 s, median {ms(percentile(latencies, 0.5))}, "
                  f"p99 {ms(percentile(latencies, 0.99))}")
    finally:
        server.stop()


def probe_flood(args=()):
    scripts = {"any.lua": 'file.append("seen.txt", ctx.event_id .. "\\n")\n'}
    server = Server(scripts, args=list(args) + ["--retries", "30", "--retry-backoff", "100ms"] if args else (),
                    prefix=["prlimit", "--nofile=256:256"])
    try:
        delivery, health = server.connection(5), server.connection(5)
        assert server.post(event("hang", "CAwarm"), delivery)[0] == 200
        server.get("/healthz", health)
        cpu_before, started = server.cpu_seconds(), time.perf_counter()
        flood = []
        for _ in range(300):
            try:
                flood.append(socket.create_connection(("127.0.0.1", server.port), timeout=1))
            except OSError:
                break
        time.sleep(2.5)  # longer than the script watcher's interval
        acknowledged, results = [], []
        for i in range(5):
            try:
                status, answer = server.post(event("hang", f"CAflood{i}"), delivery)
                if status == 200:
                    acknowledged.append(json.loads(answer)["id"])
                results.append(str(status))
            except OSError as error:
                results.append(type(error).__name__)
                delivery = server.connection(5)
        try:
            t = time.perf_counter()
            status, _ = server.get("/healthz", health)
            healthz = f"{status} in {ms(time.perf_counter() - t)}"
        except OSError as error:
            healthz = type(error).__name__
        cpu = (server.cpu_seconds() - cpu_before) / (time.perf_counter() - started)
        for s in flood:
            s.close()
        deadline = time.time() + 10
        seen = set()
        while time.time() < deadline:
            try:
                with open(os.path.join(server.work, "data/out/seen.txt")) as f:
                    seen = set(f.read().split())
            except FileNotFoundError:
                pass
            if set(acknowledged) <= seen:
                break
            time.sleep(0.2)
        log = server.log_text()
        notable = [line for line in log.splitlines() if "reloaded" in line or "connection" in line or "accept" in line
                   or "scripts" in line]
        print(f"flood{' ' + ' '.join(args) if args else ''}: {len(flood)} connections opened; deliveries meanwhile {results}; /healthz {healthz}; "
              f"CPU {cpu * 100:.0f}% of a core; acknowledged {acknowledged}, processed after the flood "
              f"{sorted(set(acknowledged) & seen)}")
        for line in notable[:8]:
            print("  log:", line[:200])
    finally:
        server.stop()


probes = {"manykeys": probe_manykeys, "labels": probe_labels, "inflight": probe_inflight, "healthz": probe_healthz,
          "flood": probe_flood, "flood-over": lambda: probe_flood(["--max-connections", "1000"])}
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, max(4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1])))
print(f"binary: {binary}")
for name in sys.argv[1:] or probes:
    probes[name]()
