"""Drives a WebSocket API with the `websockets` client from PyPI and the management API
with boto3's `apigatewaymanagementapi` client, as a browser and a backend would, and prints
what they saw as JSON. Usage: ws_chat.py ENDPOINT API STAGE [chat|authorizer] [CA_FILE]
(CA_FILE: Portico's certificate authority; the chat's second client connects with wss://)"""

import asyncio
import json
import ssl
import sys

import boto3
import websockets
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

endpoint, api, stage = sys.argv[1], sys.argv[2], sys.argv[3]
scenario = sys.argv[4] if len(sys.argv) > 4 else "chat"
ca_file = sys.argv[5] if len(sys.argv) > 5 else None
url = endpoint.replace("http://", "ws://") + f"/execute-api/{api}/{stage}"
def management_client(key="test", secret="test"):
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"{endpoint}/execute-api/{api}/{stage}",
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


management = management_client()


def error_code(call):
    try:
        call()
    except management.exceptions.ClientError as e:
        return {"Code": e.response["Error"]["Code"], "Status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    return None


async def whoami(socket):
    await socket.send(json.dumps({"action": "whoami"}))
    return json.loads(await socket.recv())


async def main():
    out = {}
    clients = [await websockets.connect(url) for _ in range(3)]
    if ca_file:
        # The same port answers wss://, with a certificate by Portico's authority.
        await clients[1].close()
        secure = ssl.create_default_context(cafile=ca_file)
        clients[1] = await websockets.connect(url.replace("ws://", "wss://"), ssl=secure)
    ids = [(await whoami(c))["connectionId"] for c in clients]
    out["whoami"] = await whoami(clients[0])
    out["distinct_ids"] = len(set(ids))
    # A message to one route reaches every client through @connections.
    await clients[1].send(json.dumps({"action": "sendmessage", "data": "hello all"}))
    out["broadcast"] = [await asyncio.wait_for(c.recv(), 10) for c in clients]
    # The same from a Node handler with the SDK for JavaScript v3.
    await clients[2].send(json.dumps({"action": "nodesend", "data": "from node"}))
    out["node_broadcast"] = [await asyncio.wait_for(c.recv(), 30) for c in clients]
    # Not JSON, and JSON selecting no route: both to $default, whose answer comes back.
    await clients[0].send("plain words")
    out["default_text"] = json.loads(await clients[0].recv())
    await clients[0].send(json.dumps({"action": "nosuchroute"}))
    out["default_unmatched"] = json.loads(await clients[0].recv())
    await clients[0].send(b"\x00\xff")
    out["default_binary"] = json.loads(await clients[0].recv())
    # A route whose function fails: API Gateway's error frame.
    await clients[0].send(json.dumps({"action": "fail"}))
    out["failed"] = json.loads(await clients[0].recv())
    # The management API, with boto3.
    info = management.get_connection(ConnectionId=ids[2])
    out["get"] = {"has_connected_at": "ConnectedAt" in info, "source_ip": info["Identity"]["SourceIp"]}
    management.post_to_connection(ConnectionId=ids[2], Data=b"direct")
    out["posted"] = await clients[2].recv()
    management.post_to_connection(ConnectionId=ids[2], Data=b"\xff\x00")
    out["posted_binary"] = list(await clients[2].recv())
    management.delete_connection(ConnectionId=ids[2])
    try:
        await asyncio.wait_for(clients[2].recv(), 10)
        out["deleted_close"] = None
    except websockets.ConnectionClosed as closed:
        out["deleted_close"] = closed.rcvd.code if closed.rcvd else None
    out["gone_post"] = error_code(lambda: management.post_to_connection(ConnectionId=ids[2], Data=b"x"))
    out["gone_get"] = error_code(lambda: management.get_connection(ConnectionId="AAAAAAAAAAAAAAA="))
    out["bad_id"] = error_code(lambda: management.get_connection(ConnectionId="not an id!"))
    out["too_large"] = error_code(lambda: management.post_to_connection(ConnectionId=ids[0], Data=b"x" * (128 * 1024 + 1)))
    # A message over 128 KB closes the sender's connection with 1009.
    await clients[1].send("y" * (128 * 1024 + 1))
    try:
        await asyncio.wait_for(clients[1].recv(), 10)
        out["oversized_close"] = None
    except websockets.ConnectionClosed as closed:
        out["oversized_close"] = closed.rcvd.code if closed.rcvd else None
    # A text frame that is not UTF-8 closes the sender's connection with 1007.
    garbled = await websockets.connect(url)
    await garbled.send(b"\xff\xfe not text", text=True)
    try:
        await asyncio.wait_for(garbled.recv(), 10)
        out["invalid_utf8_close"] = None
    except websockets.ConnectionClosed as closed:
        out["invalid_utf8_close"] = closed.rcvd.code if closed.rcvd else None
    # $connect refuses: the handshake is answered with its status.
    try:
        await websockets.connect(url + "?refuse=yes")
        out["refused"] = None
    except websockets.InvalidStatus as e:
        out["refused"] = e.response.status_code
    # The subprotocol $connect chose.
    async with websockets.connect(url, subprotocols=["chat.v2", "chat.v1"]) as chosen:
        out["subprotocol"] = chosen.subprotocol
    # A client that vanishes without a close frame: its id is printed by $disconnect.
    vanishing = await websockets.connect(url)
    out["vanished_id"] = (await whoami(vanishing))["connectionId"]
    vanishing.transport.abort()
    await clients[0].close()
    out["ids"] = ids
    print(json.dumps(out))


async def refused_status(address):
    try:
        await websockets.connect(address)
    except websockets.InvalidStatus as e:
        return e.response.status_code
    return None


async def authorizer():
    """A `$connect` authorizer: its decisions, and its context on a later event."""
    out = {
        "no_token": await refused_status(url),
        "unauthorized": await refused_status(url + "?token=wrong"),
        "denied": await refused_status(url + "?token=deny"),
    }
    async with websockets.connect(url + "?token=let-me-in") as socket:
        await socket.send(json.dumps({"action": "who"}))
        out["authorizer"] = json.loads(await socket.recv())
    # `auth: aws_iam` on the `signed` API's $connect: the handshake signed as a GET.
    signed_url = endpoint.replace("http://", "ws://") + f"/execute-api/signed/{stage}"

    def signature(secret):
        request = AWSRequest(method="GET", url=signed_url.replace("ws://", "http://"))
        SigV4Auth(Credentials("AKIDPORTICOTEST", secret), "execute-api", "us-east-1").add_auth(request)
        return dict(request.headers)

    out["iam_unsigned"] = await refused_status(signed_url)
    try:
        await websockets.connect(signed_url, additional_headers=signature("not-the-secret"))
        out["iam_wrong"] = None
    except websockets.InvalidStatus as e:
        out["iam_wrong"] = e.response.status_code
    async with websockets.connect(signed_url, additional_headers=signature("portico-test-secret")) as socket:
        await socket.send(json.dumps({"action": "who"}))
        out["iam_signed"] = {"answered": json.loads(await socket.recv())}
    # Portico knows keys here, so the management API wants a signature by one of them: a
    # wrong secret is refused; the right one gets as far as the (unknown) connection.
    unknown = "AAAAAAAAAAAAAAA="
    wrong = management_client("AKIDPORTICOTEST", "not-the-secret")
    right = management_client("AKIDPORTICOTEST", "portico-test-secret")
    out["wrong_key"] = error_code(lambda: wrong.get_connection(ConnectionId=unknown))
    out["right_key"] = error_code(lambda: right.post_to_connection(ConnectionId=unknown, Data=b"x"))
    print(json.dumps(out))


async def many(count):
    """`count` connections at once: each learns its id, each gets a message posted to it,
    then all close."""
    opening = asyncio.Semaphore(100)

    async def connect():
        async with opening:
            return await websockets.connect(url, open_timeout=30)

    sockets = await asyncio.gather(*(connect() for _ in range(count)))
    asking = asyncio.Semaphore(10)

    async def ask(socket):
        async with asking:
            return await whoami(socket)

    ids = [answer["connectionId"] for answer in await asyncio.gather(*(ask(s) for s in sockets))]
    for connection_id in ids:
        management.post_to_connection(ConnectionId=connection_id, Data=connection_id.encode())
    received = await asyncio.gather(*(asyncio.wait_for(s.recv(), 30) for s in sockets))
    await asyncio.gather(*(s.close() for s in sockets))
    print(json.dumps({"open": len(sockets), "distinct": len(set(ids)), "each_got_its_own": received == ids}))


scenarios = {"chat": main, "authorizer": authorizer}
if scenario.isdigit():
    asyncio.run(many(int(scenario)))
else:
    asyncio.run(scenarios[scenario]())
