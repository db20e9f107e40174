"""Calls Portico over TLS on its one port with Python's own `ssl` and `urllib`, as a client
that trusts Portico's certificate authority does, and as clients that break the handshake
do; prints what each saw as JSON. Usage: https_client.py ENDPOINT CA_FILE URL_PATH HOST"""

import json
import socket
import ssl
import sys
import urllib.request

endpoint, ca_file, path, host = sys.argv[1:5]
port = int(endpoint.rsplit(":", 1)[1])
out = {}
trusting = ssl.create_default_context(cafile=ca_file)


def get(url, context, headers=None):
    request = urllib.request.Request(url, data=b"over tls", headers=headers or {}, method="POST")
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        return response.status, json.loads(response.read())


# By address (no SNI) and by a host name of Portico's (its own certificate, made when asked).
status, event = get(f"https://127.0.0.1:{port}{path}", trusting)
out["by_address"] = {"status": status, "proto": event["headers"].get("x-forwarded-proto"), "body": event["body"]}
with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
    with trusting.wrap_socket(raw, server_hostname=host) as tls:
        names = [value for kind, value in tls.getpeercert()["subjectAltName"] if kind == "DNS"]
        out["by_name"] = {"names": names, "version": tls.version()}
# A host outside `localhost` gets the certificate of `localhost`: the authority vouches
# for loopback names only.
with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
    try:
        trusting.wrap_socket(raw, server_hostname="example.com").close()
        out["outside"] = "accepted"
    except ssl.SSLCertVerificationError as e:
        out["outside"] = e.verify_message
# A client that does not trust the authority is refused by its own check.
try:
    get(f"https://127.0.0.1:{port}{path}", ssl.create_default_context())
    out["untrusting"] = "accepted"
except urllib.error.URLError as e:
    out["untrusting"] = type(e.reason).__name__
# A TLS record that is not a handshake, and a handshake cut short: the connection is
# closed, nothing else happens.
for name, sent in [("garbage_record", b"\x16\x03\x01\x00\x05hello"), ("cut_short", b"\x16\x03")]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        raw.sendall(sent)
        if name == "cut_short":
            raw.shutdown(socket.SHUT_WR)
        try:
            while raw.recv(1024):  # a TLS alert, perhaps; then the end (a hang times out)
                pass
            out[name] = "closed"
        except ConnectionResetError:
            out[name] = "reset"
# Plain HTTP on the same port still answers.
status, event = get(f"http://127.0.0.1:{port}{path}", None)
out["plain"] = {"status": status, "proto": event["headers"].get("x-forwarded-proto")}
print(json.dumps(out))
