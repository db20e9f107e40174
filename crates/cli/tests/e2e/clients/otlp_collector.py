"""An OpenTelemetry collector's OTLP/HTTP traces receiver, on loopback, for the tracing tests:
decodes each POST /v1/traces (protobuf, with the opentelemetry-proto package) and keeps its
spans. Prints its base URL, then answers each line on stdin `spans N` with the JSON list of
the spans received once there are at least N (waiting for them, up to 30 s), until stdin
closes. `status N` makes it answer every later export with that HTTP status; `posts N`
waits until N exports have arrived (answered or not) and prints how many. With `--sink`
(for the benchmark) it reads and acknowledges exports without decoding them."""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

SINK = "--sink" in sys.argv[1:]
spans = []
posts = [0]
arrived = threading.Condition()
status = [200]


def value(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        with arrived:
            posts[0] += 1
            arrived.notify_all()
        if SINK:
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        if status[0] != 200:
            self.send_response(status[0])
            self.send_header("content-length", "0")
            self.end_headers()
            return
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        got = []
        for resource_spans in request.resource_spans:
            resource = {a.key: value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    got.append(
                        {
                            "path": self.path,
                            "content_type": self.headers.get("content-type"),
                            "service": resource.get("service.name"),
                            "scope": scope_spans.scope.name,
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent_span_id": span.parent_span_id.hex(),
                            "name": span.name,
                            "kind": span.kind,
                            "start": span.start_time_unix_nano,
                            "end": span.end_time_unix_nano,
                            "status": span.status.code,
                            "attributes": {a.key: value(a.value) for a in span.attributes},
                        }
                    )
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        with arrived:
            spans.extend(got)
            arrived.notify_all()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
for line in sys.stdin:
    command, _, argument = line.strip().partition(" ")
    if command == "spans":
        with arrived:
            arrived.wait_for(lambda: len(spans) >= int(argument), timeout=30)
            print(json.dumps(spans), flush=True)
    elif command == "posts":
        with arrived:
            arrived.wait_for(lambda: posts[0] >= int(argument), timeout=30)
            print(posts[0], flush=True)
    elif command == "status":
        status[0] = int(argument)
        print("ok", flush=True)
server.shutdown()
