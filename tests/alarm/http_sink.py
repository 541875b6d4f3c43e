#!/usr/bin/python3
"""HTTP sink for the webhook and heartbeat tests (run with /usr/bin/python3).

Stores each POST body as DIR/N.json and its headers as DIR/N.headers, then
answers with the next code from --statuses (comma separated; the last one
repeats; default 200). Bodies of refused requests are stored too, as
DIR/N.refused.json. --tls CERT KEY serves https. Prints "listening PORT" once ready; exits on SIGTERM.
"""
import argparse
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--statuses", default="200")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    a = p.parse_args()
    statuses = [int(s) for s in a.statuses.split(",")]
    state = {"n": 0}
    lock = threading.Lock()
    os.makedirs(a.dir, exist_ok=True)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state["n"] += 1
                n = state["n"]
                code = statuses[min(n - 1, len(statuses) - 1)]
            name = "%d.json" % n if 200 <= code < 300 else "%d.refused.json" % n
            with open(os.path.join(a.dir, "%d.headers" % n), "w") as f:
                f.write(str(self.headers))
            with open(os.path.join(a.dir, name + ".tmp"), "wb") as f:
                f.write(body)
            os.rename(os.path.join(a.dir, name + ".tmp"), os.path.join(a.dir, name))
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, fmt, *args):
            sys.stderr.write(fmt % args + "\n")

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    if a.tls:
        import ssl
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*a.tls)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    print("listening %d" % a.port, flush=True)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
