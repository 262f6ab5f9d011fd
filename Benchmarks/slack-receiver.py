#!/usr/bin/env python3
"""A Slack-compatible incoming-webhook receiver for benchmarks: answers 200 "ok" and counts messages.
    python3 Benchmarks/slack-receiver.py [PORT=18095]   (prints the count when stopped with Ctrl-C/SIGTERM)"""
import http.server, signal, sys, threading

count = 0
lock = threading.Lock()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        global count
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            count += 1
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 18095), Handler)
signal.signal(signal.SIGTERM, lambda *_: (print(f"slack messages received: {count}", flush=True), sys.exit(0)))
try:
    server.serve_forever()
except KeyboardInterrupt:
    print(f"slack messages received: {count}")
