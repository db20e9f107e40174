"""TLS for the helper servers: with `--tls DIR` on their command line, they make a CA of
their own (by `cryptography`), a certificate for 127.0.0.1 signed by it, write the CA to
DIR/ca.pem for the client to trust, and serve https."""

import datetime
import ipaddress
import os
import ssl
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, public_key, signing_key, ca):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(signing_key, hashes.SHA256())


def tls_dir():
    """The DIR of `--tls DIR`, or None when the server speaks plain http."""
    if "--tls" in sys.argv:
        return sys.argv[sys.argv.index("--tls") + 1]
    return None


def wrap(server, directory):
    """Makes `server` (an http.server) serve https with a fresh CA written to directory/ca.pem."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Portico test CA " + os.urandom(4).hex())
    ca = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate(_name("127.0.0.1"), ca.subject, key.public_key(), ca_key, False)
    pem = serialization.Encoding.PEM
    with open(os.path.join(directory, "ca.pem"), "wb") as f:
        f.write(ca.public_bytes(pem))
    with tempfile.TemporaryDirectory() as private:
        cert_path, key_path = os.path.join(private, "cert.pem"), os.path.join(private, "key.pem")
        with open(cert_path, "wb") as f:
            f.write(leaf.public_bytes(pem) + ca.public_bytes(pem))
        with open(key_path, "wb") as f:
            f.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
