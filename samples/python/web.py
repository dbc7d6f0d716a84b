"""Web process: HTTP on $PORT with / and /healthz; graceful shutdown on SIGTERM/SIGINT."""
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import manage

APP_NAME = os.environ.get("APP_NAME") or "slipway-sample-python"
GREETING = os.environ.get("GREETING") or "hello"
shutting_down = threading.Event()


class Handler(BaseHTTPRequestHandler):
    timeout = 10  # seconds; a stalled client cannot hold up shutdown forever

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/":
            text = f"hello from {APP_NAME} ({GREETING})"
            version = manage.schema_version(manage.database_path())
            if version is not None:
                text += f", schema version {version}"
            self.reply(200, text)
        elif url.path == "/healthz":
            if shutting_down.is_set():
                self.reply(503, "shutting down")
            else:
                self.reply(200, "ok")
        elif url.path == "/slow":
            # Answers after ?ms= milliseconds (max 10 s): an in-flight request to try shutdown with.
            try:
                ms = int(parse_qs(url.query).get("ms", ["0"])[0])
            except ValueError:
                ms = 0
            ms = min(max(ms, 0), 10000)
            time.sleep(ms / 1000)
            self.reply(200, f"slept {ms}ms")
        else:
            self.reply(404, "not found")

    def reply(self, status, text):
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # one line per request, on stdout
        print(f"{self.command} {self.path} {format % args}", flush=True)

    def log_request(self, code="-", size="-"):
        self.log_message("%s", getattr(code, "value", code))


class Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() waits for in-flight requests


def main():
    host = os.environ.get("HOST", "")
    port = int(os.environ.get("PORT") or 5000)
    server = Server((host, port), Handler)
    print(f"web listening on {host or '0.0.0.0'}:{server.server_address[1]}", flush=True)

    received = []

    def stop(signum, frame):
        # Only record and set a flag here; the watcher thread does the work.
        received.append(signal.Signals(signum).name)
        shutting_down.set()

    def watcher():
        shutting_down.wait()
        print(f"received {received[0]}, shutting down", flush=True)
        server.shutdown()  # blocks until serve_forever() returns

    threading.Thread(target=watcher, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever(poll_interval=0.1)
    server.server_close()  # stop accepting and join request threads
    print("web stopped cleanly", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
