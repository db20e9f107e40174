"""moto in server mode (PyPI `moto[server]`), the AWS services the service-integration tests
call: on loopback, on a port of its own; prints the port, then serves until stdin closes."""

import logging
import sys

from moto.server import ThreadedMotoServer

# Its request log would fill the tests' output.
logging.getLogger("werkzeug").setLevel(logging.ERROR)

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server._server.server_address[1], flush=True)
sys.stdin.read()
server.stop()
