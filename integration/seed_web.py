#!/usr/bin/env python3
"""The lab's web traffic (Python 3 standard library only).

    seed_web.py serve NAME              answers HTTP GET on port 80 of every address with NAME
    seed_web.py get HOST COUNT TIMEOUT  sends COUNT requests to HOST:80, each on a new TCP
                                        connection (a new source port, so a new L4 hash at the
                                        router), and prints {"answers": {NAME: n}, "failed": n}
"""

import http.server
import json
import socket
import socketserver
import sys


def serve(name):
    body = name.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    Server(("0.0.0.0", 80), Handler).serve_forever()


def get(host, count, timeout):
    answers, failed = {}, 0
    for _ in range(count):
        try:
            with socket.create_connection((host, 80), timeout=timeout) as s:
                s.settimeout(timeout)
                s.sendall(b"GET / HTTP/1.0\r\nHost: lab\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if not sep or not head.startswith(b"HTTP/1.0 200"):
                failed += 1
                continue
            name = body.decode(errors="replace")
            answers[name] = answers.get(name, 0) + 1
        except OSError:
            failed += 1
    print(json.dumps({"answers": answers, "failed": failed}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "get":
        get(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(__doc__)
