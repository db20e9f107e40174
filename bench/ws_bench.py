"""The WebSocket benchmark's client (the `websockets` package). Usage:

  ws_bench.py idle URL PID N            N idle connections: the server's RSS growth
  ws_bench.py roundtrip URL N K R       N connections, K of them each sending R messages in
                                        turn (send, await the answer): latencies
  ws_bench.py invoke ENDPOINT FUNCTION K R   the same through the Invoke API (the function's
                                        own cost), K callers each R calls
  ws_bench.py invoke-post ENDPOINT URL FUNCTION K R   K callers each invoking FUNCTION (which
                                        posts the message to a connection) R times through
                                        the Invoke API, for a connection of their own at URL,
                                        until the message arrives: the posting function's cost

Prints one JSON line."""

import asyncio
import json
import sys
import time
import http.client

import websockets


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])
    return 0


async def open_many(url, n):
    gate = asyncio.Semaphore(200)

    async def one():
        async with gate:
            return await websockets.connect(url, open_timeout=60, ping_interval=None, max_size=None)

    return await asyncio.gather(*(one() for _ in range(n)))


def percentiles(latencies):
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    return {"p50_ms": round(pick(0.50), 3), "p99_ms": round(pick(0.99), 3), "count": len(latencies)}


async def idle(url, pid, n):
    before = rss_kb(pid)
    sockets = await open_many(url, n)
    await asyncio.sleep(1)
    after = rss_kb(pid)
    for s in sockets:
        s.transport.abort()
    grown = after - before
    return {"connections": n, "rss_before_kb": before, "rss_after_kb": after,
            "kb_each": round(grown / n, 1), "per_100_mb": round(100 * 1024 * n / max(grown, 1))}


async def roundtrip(url, n, k, r):
    sockets = await open_many(url, n)
    latencies = []

    async def sender(socket, i):
        for j in range(r):
            message = json.dumps({"i": i, "j": j})
            started = time.perf_counter()
            await socket.send(message)
            answer = await socket.recv()
            latencies.append(time.perf_counter() - started)
            if answer != message:
                raise SystemExit(f"wrong answer {answer!r} to {message!r}")

    # A warm-up round starts the instances.
    await asyncio.gather(*(sender(sockets[i], i) for i in range(k)))
    latencies.clear()
    started = time.perf_counter()
    await asyncio.gather(*(sender(sockets[i], i) for i in range(k)))
    elapsed = time.perf_counter() - started
    for s in sockets:
        s.transport.abort()
    return {"connections": n, "senders": k, **percentiles(latencies), "msgs_per_s": round(len(latencies) / elapsed)}


async def invoke(endpoint, function, k, r):
    path = f"/2015-03-31/functions/{function}/invocations"
    host = endpoint.removeprefix("http://")
    latencies = []

    def calls(i):
        # One kept-alive connection per caller, as an SDK keeps its pool.
        connection = http.client.HTTPConnection(host)
        body = json.dumps({"body": json.dumps({"i": i})}).encode()
        for _ in range(r):
            started = time.perf_counter()
            connection.request("POST", path, body=body)
            connection.getresponse().read()
            latencies.append(time.perf_counter() - started)
        connection.close()

    async def caller(i):
        await asyncio.to_thread(calls, i)

    await asyncio.gather(*(caller(i) for i in range(k)))
    latencies.clear()
    started = time.perf_counter()
    await asyncio.gather(*(caller(i) for i in range(k)))
    elapsed = time.perf_counter() - started
    return {"callers": k, **percentiles(latencies), "calls_per_s": round(len(latencies) / elapsed)}


async def invoke_post(endpoint, url, function, k, r):
    path = f"/2015-03-31/functions/{function}/invocations"
    host = endpoint.removeprefix("http://")
    sockets = await open_many(url, k)
    ids = []
    for socket in sockets:
        await socket.send(json.dumps({"action": "whoami"}))
        ids.append(await socket.recv())
    latencies = []

    async def caller(i):
        connection = http.client.HTTPConnection(host)

        def call(body):
            connection.request("POST", path, body=body)
            return connection.getresponse().read()

        for j in range(r):
            message = json.dumps({"i": i, "j": j})
            event = json.dumps({"requestContext": {"connectionId": ids[i]}, "body": message}).encode()
            started = time.perf_counter()
            await asyncio.to_thread(call, event)
            answer = await sockets[i].recv()
            latencies.append(time.perf_counter() - started)
            if answer != message:
                raise SystemExit(f"wrong answer {answer!r} to {message!r}")
        connection.close()

    await asyncio.gather(*(caller(i) for i in range(k)))
    latencies.clear()
    started = time.perf_counter()
    await asyncio.gather(*(caller(i) for i in range(k)))
    elapsed = time.perf_counter() - started
    for s in sockets:
        s.transport.abort()
    return {"callers": k, **percentiles(latencies), "calls_per_s": round(len(latencies) / elapsed)}


mode, args = sys.argv[1], sys.argv[2:]
if mode == "idle":
    out = asyncio.run(idle(args[0], int(args[1]), int(args[2])))
elif mode == "roundtrip":
    out = asyncio.run(roundtrip(args[0], *map(int, args[1:4])))
elif mode == "invoke-post":
    out = asyncio.run(invoke_post(args[0], args[1], args[2], *map(int, args[3:5])))
else:
    out = asyncio.run(invoke(args[0], args[1], *map(int, args[2:4])))
print(json.dumps(out))
