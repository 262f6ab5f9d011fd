#!/usr/bin/env python3
"""The web console's cost and speed: acknowledgement latency at a fixed rate with and without open live views,
and how long its pages take with many events in the journal.

    [PIN=0] [KEEP=1] python3 Benchmarks/console.py [RATE=1000] [SECONDS=15] [VIEWS=100] [EVENTS=1000000]

Runs the release `hookline` (swift build -c release --product hookline) with a failing and a passing script.
1. Sends the contract's fixtures (a new call id each, so none is a duplicate) at RATE a second for SECONDS,
   first with no console open, then with VIEWS live views of the events page open (logged-in Server-Sent Events
   streams, read by one thread), and prints the acknowledgement's p50/p99 (measured from each send's scheduled
   time) and how many events the views received.
2. Stops the server and grows the SQLite journal to EVENTS events by copying, in SQL, the rows of the events
   delivered in step 1 (new ids, calls, times and keys; the bodies stay those the copies point at), 1 in 100 of
   them failed with a dead run, then starts the server again and times each page (median and max of 20 loads,
   over HTTP on loopback, as the browser asks for them).
By default the server runs on core 0 and this script on core 1 (PIN=0: both anywhere); KEEP=1 keeps the work folder.
"""
import http.client, os, re, selectors, shutil, socket, sqlite3, subprocess, sys, tempfile, threading, time, json, random
from paced_load import send_paced

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rate = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
views = int(sys.argv[3]) if len(sys.argv) > 3 else 100
target_events = int(sys.argv[4]) if len(sys.argv) > 4 else 1_000_000
binary = os.path.join(root, ".build/release/hookline")
if not os.path.exists(binary):
    sys.exit("build the release binary first: swift build -c release --product hookline")
fixtures = os.path.join(root, "Tests/Fixtures/interactly/fixtures")
kinds = ["status-update-ongoing", "conversation-update-short", "hang", "end-of-call-report", "error-llm"]
bodies = {k: open(os.path.join(fixtures, k + ".json"), "rb").read() for k in kinds}
calls_of = {k: json.loads(bodies[k])["message"]["call"]["id"].encode() for k in kinds}  # replaced by a new id per send
work = tempfile.mkdtemp(prefix="hookline-console-bench-")
os.makedirs(os.path.join(work, "scripts"))
open(os.path.join(work, "scripts", "hang.lua"), "w").write('error("the pager is down")\n')
open(os.path.join(work, "scripts", "end-of-call-report.lua"), "w").write('log.info("report")\n')
port, console_port, token = 18290, 18291, "bench-console-token"


pinned = os.environ.get("PIN", "1") == "1"
pin_server = ["taskset", "-c", "0"] if pinned else []
if pinned:
    os.sched_setaffinity(0, {1})


def start():
    server = subprocess.Popen(
        [*pin_server, binary, "serve", "--port", str(port), "--console-port", str(console_port), "--console-token", token,
         "--secret", "s3cret", "--data", os.path.join(work, "data"), "--scripts", os.path.join(work, "scripts"),
         "--retries", "0", "--log-level", "error"], stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "serve.log"), "a"))
    for _ in range(300):
        try:
            c = http.client.HTTPConnection("127.0.0.1", console_port, timeout=1); c.request("GET", "/console/login"); c.getresponse().read()
            return server
        except OSError:
            time.sleep(0.1)
    sys.exit("the server did not start: " + open(os.path.join(work, "serve.log")).read()[-2000:])


def stop(server):
    server.terminate(); server.wait()


def login():
    c = http.client.HTTPConnection("127.0.0.1", console_port, timeout=10)
    c.request("GET", "/console/login"); r = c.getresponse(); page = r.read().decode()
    cookie = r.getheader("Set-Cookie").split(";")[0]
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    c.request("POST", "/console/login", f"csrf={csrf}&token={token}", {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse(); r.read()
    assert r.status == 303, r.status
    return r.getheader("Set-Cookie").split(";")[0]


def drained(cookie, timeout=300):
    """Waits until the journal has no pending event (as the overview says), so that pages are timed on a quiet server."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        c = http.client.HTTPConnection("127.0.0.1", console_port, timeout=30)
        c.request("GET", "/console/overview", headers={"Cookie": cookie})
        page = c.getresponse().read().decode()
        backlog = int(re.search(r'<strong id="backlog">(\d+)</strong>', page).group(1))
        if backlog == 0:
            return
        time.sleep(1)
    sys.exit("the backlog did not drain")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def body_of(n):
    kind = kinds[n % len(kinds)]
    return bodies[kind].replace(calls_of[kind], b"CA%032d" % (n // len(kinds)))


sent = [0]  # events sent by earlier loads: each load's events are new ones, never duplicates


def load(rate, seconds):
    first = sent[0]
    sent[0] += int(rate * seconds)
    return send_paced(port, rate, seconds, lambda k: body_of(first + k),
                      accepted=lambda status, answer: status == 200 and b'"accepted":true' in answer and b"duplicate" not in answer)


class LiveViews:
    """VIEWS Server-Sent Events streams of the events page, read by one thread; counts the events they get."""
    def __init__(self, count, cookie):
        self.selector = selectors.DefaultSelector()
        self.received, self.heartbeats, self.running = 0, 0, True
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", console_port))
            s.sendall(f"GET /console/events/live HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n".encode())
            s.setblocking(False)
            self.selector.register(s, selectors.EVENT_READ)
        self.thread = threading.Thread(target=self.read); self.thread.start()

    def read(self):
        while self.running:
            for key, _ in self.selector.select(timeout=0.2):
                data = key.fileobj.recv(1 << 16)
                self.received += data.count(b"\nevent: event\n")
                self.heartbeats += data.count(b": heartbeat")

    def close(self):
        self.running = False; self.thread.join()
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()


server = start()
cookie = login()
print(f"rate {rate}/s for {seconds}s, the contract's fixtures, a new call id per 5 events; release build"
      + (", server pinned to core 0, this script (senders and views) to core 1" if pinned else ", unpinned"))
print("| live views open | ack p50 ms | ack p99 ms | acks | errors or duplicates | events the views received |")
print("|---:|---:|---:|---:|---:|---:|")
acks, errors = load(rate, seconds)
print(f"| 0 | {pct(acks, .5):.2f} | {pct(acks, .99):.2f} | {len(acks)} | {errors} | - |")
live = LiveViews(views, cookie)
time.sleep(1)
acks, errors = load(rate, seconds)
time.sleep(1)
live.close()
print(f"| {views} | {pct(acks, .5):.2f} | {pct(acks, .99):.2f} | {len(acks)} | {errors} | {live.received} ({live.received / max(1, views):.0f} per view) |")
drained(cookie)
stop(server)

# grow the journal by copying the delivered rows in SQL
database = sqlite3.connect(os.path.join(work, "data", "journal.sqlite"))
database.execute("PRAGMA synchronous = OFF")
(have,) = database.execute("SELECT count(*) FROM events").fetchone()
(dead_template,) = database.execute("SELECT min(id) FROM runs WHERE outcome = 'dead'").fetchone()
started = time.monotonic()
now_ms = int(time.time() * 1000)
while have < target_events:
    batch = min(have, target_events - have, 200_000)
    # each copy: a new call, state done, or failed (1 in 100); its time is set below
    database.execute(f"""
        INSERT INTO events (received_at, endpoint, type, call_id, dedup_key, request_id, segment, offset, size, warnings, state,
                            generation, finished_at)
        SELECT received_at, endpoint, type, 'CC' || ({have} + id) || call_id,
               'copy-{have}-' || id || dedup_key, request_id, segment, offset, size, warnings,
               CASE WHEN id % 100 = 0 THEN 'failed' ELSE 'done' END, generation, received_at
        FROM events WHERE state != 'pending' ORDER BY id LIMIT {batch}""")
    database.execute(f"""
        INSERT INTO runs (event_id, generation, script, script_version, attempt, started_at, duration_us, outcome, error_kind, error,
                          error_line, host_calls)
        SELECT e.id, 0, r.script, r.script_version, 1, e.received_at, r.duration_us, 'dead', r.error_kind, r.error, r.error_line, r.host_calls
        FROM events e, runs r WHERE r.id = {dead_template or 0} AND e.state = 'failed' AND e.id > (SELECT max(event_id) FROM runs)""")
    database.commit()
    (have,) = database.execute("SELECT count(*) FROM events").fetchone()
    print(f"  journal: {have} events ({time.monotonic() - started:.0f} s)", file=sys.stderr)
# times as a journal that filled over the last 30 days has them: rising with the id
(first, last) = database.execute("SELECT min(id), max(id) FROM events").fetchone()
step = 2_592_000_000 // max(1, last - first)
database.execute(f"UPDATE events SET received_at = {now_ms} - ({last} - id) * {step}, finished_at = {now_ms} - ({last} - id) * {step}")
database.execute(f"UPDATE runs SET started_at = (SELECT received_at FROM events WHERE events.id = runs.event_id)")
database.commit()
database.close()
size = sum(os.path.getsize(os.path.join(work, "data", f)) for f in os.listdir(os.path.join(work, "data")) if f.startswith("journal.sqlite"))

server = start()
cookie = login()
drained(cookie)
conn = http.client.HTTPConnection("127.0.0.1", console_port, timeout=120)


def get(path):
    conn.request("GET", path, headers={"Cookie": cookie})
    r = conn.getresponse(); body = r.read()
    assert r.status == 200, f"{path}: {r.status} {body[:200]!r}"
    return body.decode()


events_page = get("/console/events")
newest = int(re.search(r'data-id="(\d+)"', events_page).group(1))
some_call = "CA%032d" % 1  # a call delivered in step 1: five events, with runs
pages = [("events, first page", "/console/events"),
         ("events, a page in the middle", f"/console/events?before={newest // 2}"),
         ("events, type hang", "/console/events?type=hang"),
         ("events, state failed", "/console/events?state=failed"),
         ("events, one call", f"/console/events?call={some_call}"),
         ("events, a time range a week back", "/console/events?since=" + time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() - 8 * 86400))
          + "&until=" + time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() - 7 * 86400))),
         ("event", f"/console/events/{newest // 2}"),
         ("call", f"/console/calls/{some_call}"),
         ("failures", "/console/failures"),
         ("scripts", "/console/scripts"),
         ("overview", "/console/overview")]
print(f"\npages with {have} events in the journal ({size / 2**20:.0f} MiB), 20 loads each")
print("| page | median ms | max ms |")
print("|---|---:|---:|")
for name, path in pages:
    times = []
    for _ in range(20):
        t0 = time.monotonic(); get(path); times.append((time.monotonic() - t0) * 1000)
    print(f"| {name} | {pct(times, .5):.1f} | {max(times):.1f} |")
stop(server)
if os.environ.get("KEEP"):
    print(f"kept {work}")
else:
    shutil.rmtree(work, ignore_errors=True)
