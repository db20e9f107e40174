"""A JWT issuer for the tests, with keys nobody at Portico made: RSA and EC keys from
`cryptography`, tokens signed by PyJWT, an OpenID configuration and a JWKS served over HTTP
on loopback (https with `--tls DIR`, see tls.py). Prints one JSON line, {"issuer", "tokens"},
then serves until stdin closes (with `--path /<pool>`, the issuer is that path on the server,
as a Cognito user pool's is), answering a line at a time: `rotate` publishes a new key (the
`rotated` token is signed with it), `fetches` prints how often the JWKS was fetched."""

import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

import tls

rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ec_key = ec.generate_private_key(ec.SECP256R1())
next_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
jwks_fetches = 0


def jwk(public_key, algorithm, kid, alg):
    key = json.loads(algorithm.to_jwk(public_key))
    key.update({"kid": kid, "use": "sig", "alg": alg})
    return key


JWKS = {"keys": [jwk(rsa_key.public_key(), RSAAlgorithm, "rsa-1", "RS256"), jwk(ec_key.public_key(), ECAlgorithm, "ec-1", "ES256")]}


POOL = sys.argv[sys.argv.index("--path") + 1] if "--path" in sys.argv else ""


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if not self.path.startswith(POOL):
            self.send_error(404)
            return
        self.path = self.path[len(POOL):]
        if self.path == "/.well-known/openid-configuration":
            body = {"issuer": ISSUER, "jwks_uri": ISSUER + "/jwks"}
        elif self.path == "/jwks":
            global jwks_fetches
            jwks_fetches += 1
            body = JWKS
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ISSUER = "%s://127.0.0.1:%d%s" % ("https" if tls.tls_dir() else "http", server.server_address[1], POOL)
if tls.tls_dir():
    tls.wrap(server, tls.tls_dir())
threading.Thread(target=server.serve_forever, daemon=True).start()

now = int(time.time())
base = {"iss": ISSUER, "aud": "my-app", "sub": "ada", "exp": now + 600, "iat": now, "scope": "items:read profile"}


def rs(claims, kid="rsa-1"):
    return jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": kid})


def hmac_token(claims, secret):
    """HS256 with the public key as the secret: the key-confusion attack (PyJWT refuses to
    make one, so it is assembled here)."""
    enc = lambda obj: jwt.utils.base64url_encode(json.dumps(obj).encode()).decode()
    signing_input = enc({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}) + "." + enc(claims)
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + jwt.utils.base64url_encode(mac).decode()


public_pem = rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
valid = rs(base)
head, payload, signature = valid.split(".")
tampered_payload = jwt.utils.base64url_encode(json.dumps({**base, "sub": "mallory"}).encode()).decode()
tokens = {
    "valid": valid,
    "ec": jwt.encode(base, ec_key, algorithm="ES256", headers={"kid": "ec-1"}),
    "client_id": rs({k: v for k, v in base.items() if k != "aud"} | {"client_id": "my-app"}),
    "expired": rs(base | {"exp": now - 60}),
    "not_yet": rs(base | {"nbf": now + 600}),
    "issued_later": rs(base | {"iat": now + 600}),
    "wrong_issuer": rs(base | {"iss": "http://127.0.0.1:1"}),
    "wrong_audience": rs(base | {"aud": "other-app"}),
    "no_scope": rs(base | {"scope": "profile"}),
    "unknown_key": rs(base, kid="rsa-2"),
    "tampered": f"{head}.{tampered_payload}.{signature}",
    "alg_none": jwt.encode(base, None, algorithm="none"),
    "hmac_with_public_key": hmac_token(base, public_pem),
    "rotated": jwt.encode(base, next_key, algorithm="RS256", headers={"kid": "rsa-next"}),
}
tokens |= {f"made_up_kid_{i}": rs(base, kid=f"made-up-{i}") for i in range(20)}
print(json.dumps({"issuer": ISSUER, "tokens": tokens}), flush=True)
for line in sys.stdin:
    if line.strip() == "rotate":
        JWKS = {"keys": JWKS["keys"] + [jwk(next_key.public_key(), RSAAlgorithm, "rsa-next", "RS256")]}
        print("rotated", flush=True)
    elif line.strip() == "fetches":
        print(jwks_fetches, flush=True)
