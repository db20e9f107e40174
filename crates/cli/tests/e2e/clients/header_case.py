"""Sends requests with mixed-case header names over one keep-alive connection, as Python's
http.client writes them (a POST with a body, then a GET), and prints the answers' bodies as
a JSON list. Usage: header_case.py ENDPOINT PATH..."""

import http.client
import json
import sys
from urllib.parse import urlsplit

endpoint, paths = urlsplit(sys.argv[1]), sys.argv[2:]
connection = http.client.HTTPConnection(endpoint.hostname, endpoint.port)
answers = []
for i, path in enumerate(paths):
    method, body = ("POST", b'{"n": 1}') if i % 2 == 0 else ("GET", None)
    connection.putrequest(method, path, skip_accept_encoding=True)
    connection.putheader("Content-Type", "application/json")
    connection.putheader("X-Mixed-Case", "Value")
    connection.putheader("x-lower", "v")
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    answers.append(json.loads(response.read()))
print(json.dumps(answers))
