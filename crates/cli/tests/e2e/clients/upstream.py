"""An HTTP server for the proxy tests, on loopback (https with `--tls DIR`, see tls.py):
prints its port, then serves until stdin closes. /echo/... answers what it received; /big?mb=N streams N MiB; /count reads the body
and says how long it was; /petstore/pets[/{id}] answers as API Gateway's PetStore demo
backend does (GET lists or finds pets, `type` filters; POST echoes the new pet)."""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import tls

CHUNK = b"x" * (1 << 20)
PETS = [{"id": 1, "type": "dog", "price": 249.99}, {"id": 2, "type": "cat", "price": 124.99}, {"id": 3, "type": "fish", "price": 0.99}]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.send_header("x-upstream", "yes")
        self.end_headers()
        self.wfile.write(body)

    def body_length(self):
        length = int(self.headers.get("content-length") or 0)
        seen = 0
        while seen < length:
            seen += len(self.rfile.read(min(1 << 20, length - seen)))
        return seen

    def handle_any(self):
        url = urlsplit(self.path)
        if url.path.startswith("/echo"):
            received = {
                "method": self.command,
                "path": url.path,
                "query": url.query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body_bytes": self.body_length(),
            }
            self.answer(200, json.dumps(received).encode())
        elif url.path == "/big":
            mb = int(parse_qs(url.query)["mb"][0])
            self.send_response(200)
            self.send_header("content-type", "application/octet-stream")
            self.send_header("content-length", str(mb << 20))
            self.end_headers()
            for _ in range(mb):
                self.wfile.write(CHUNK)
        elif url.path == "/petstore/pets" and self.command == "POST":
            pet = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
            self.answer(200, json.dumps({"pet": pet, "message": "success"}).encode())
        elif url.path == "/petstore/pets":
            wanted = parse_qs(url.query).get("type", [None])[0]
            self.answer(200, json.dumps([p for p in PETS if wanted in (None, p["type"])]).encode())
        elif url.path.startswith("/petstore/pets/"):
            found = [p for p in PETS if str(p["id"]) == url.path.rsplit("/", 1)[1]]
            self.answer(200, json.dumps(found[0] if found else {}).encode())
        elif url.path == "/count":
            self.answer(201, json.dumps({"bytes": self.body_length()}).encode())
        else:
            self.answer(404, b'{"error":"no such path"}')

    do_GET = do_POST = do_PUT = do_DELETE = handle_any

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if tls.tls_dir():
    tls.wrap(server, tls.tls_dir())
threading.Thread(target=server.serve_forever, daemon=True).start()
print(server.server_address[1], flush=True)
sys.stdin.read()
