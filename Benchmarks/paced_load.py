"""The benchmarks' load at a fixed rate: request k is due at start + k / rate, sent from one of `threads` kept-alive
connections, and its acknowledgement time counts from when it was due, not when it left (no coordinated omission).

    from paced_load import send_paced
    acks_ms, failures = send_paced(port, rate=1000, seconds=15, body_of=lambda k: payloads[k % len(payloads)])
"""
import http.client, threading, time


def send_paced(port, rate, seconds, body_of, threads=16, accepted=lambda status, answer: status == 200, secret="s3cret"):
    """POSTs `body_of(k)` to /webhook for k = 0, 1, ... at `rate` a second for `seconds`; returns the acknowledgement
    times (ms from each request's due time) of the answers `accepted` takes, and how many it did not."""
    acks, failures, lock = [], [0], threading.Lock()
    begin = time.monotonic() + 0.2

    def sender(index):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        k = index
        while k < rate * seconds:
            due = begin + k / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                conn.request("POST", "/webhook", body_of(k), {"Content-Type": "application/json", "x-interactly-secret": secret})
                r = conn.getresponse()
                ok = accepted(r.status, r.read())
            except OSError:
                ok = False
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            with lock:
                if ok: acks.append((time.monotonic() - due) * 1000)
                else: failures[0] += 1
            k += threads

    workers = [threading.Thread(target=sender, args=(i,)) for i in range(threads)]
    for w in workers: w.start()
    for w in workers: w.join()
    return acks, failures[0]
