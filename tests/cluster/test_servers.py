"""Cross-instance tests over real sockets: a redis-server and two or three plexus-server
instances sharing it (--storage redis://), clients of plexus_wire on each. Names, calls with
attachments, call_all, events, presence, adapters, storage and watches across instances, and an
instance killed (SIGKILL) during traffic: its clients' names, routes and keys are released
within the bound (CLUSTER.md: 3 s) and calls pending on them fail with PEER_GONE."""

import asyncio
import time

from plexus_wire import WsClient, run

BOUND = 3.0 + 0.2 + 1.0  # dead_ms, the timer's step, scheduling slack of a loaded test machine


async def client(srv, name, **fields):
    c = await WsClient.connect(srv.port)
    w = await c.hello(name, **fields)
    assert w["t"] == "welcome", w
    return c


async def settle():
    """One bus round trip through Redis (well below a millisecond; generous here)."""
    await asyncio.sleep(0.2)


async def clients_of(c):
    r, _ = await c.request({"t": "call", "route": "plexus.clients"})
    return sorted(e["name"] for e in r["result"])


def is_reply(rid):
    return lambda o: o.get("t") == "reply" and o.get("id") == rid


def test_features_across_instances(start_server, redis_url):
    s = [start_server("--storage", redis_url) for _ in range(3)]

    async def main():
        await asyncio.sleep(0.5)  # the instances find each other
        a = await client(s[0], "alice", presence=True, groups=["team"])
        b = await client(s[1], "bob", groups=["team"])
        c = await client(s[2], "carol")
        await settle()
        # Names are unique across instances.
        x = await WsClient.connect(s[2].port)
        err = await x.hello("alice")
        assert err["t"] == "error" and err["name"] == "NAME_TAKEN"
        assert await clients_of(c) == ["alice", "bob", "carol"]
        # Presence of a client of another instance, once.
        p, _ = await a.recv_until(lambda o: o.get("t") == "presence" and o["name"] == "carol")
        assert p["kind"] == "join"
        # A call to a route served on another instance, attachments both ways.
        r, _ = await b.request({"t": "register", "routes": ["echo"]})
        assert r["result"] is True
        await settle()
        await c.send({"t": "call", "id": 100, "route": "echo", "args": {"b": {"$bin": 0}}},
                     [b"\x00\xff"])
        call, att = await b.recv_until(lambda o: o.get("t") == "call")
        assert call["from"] == "carol" and att == [b"\x00\xff"]
        await b.send({"t": "reply", "id": call["id"], "result": {"r": {"$bin": 0}}},
                     [b"back\x00"])
        r, att = await c.recv_until(is_reply(100))
        assert r["result"] == {"r": {"$bin": 0}} and att == [b"back\x00"]
        # call_all over servers on two instances.
        await a.request({"t": "register", "routes": ["echo"]})
        await settle()
        await c.send({"t": "call_all", "id": 101, "route": "echo"})
        for srv_client in (a, b):
            call, _ = await srv_client.recv_until(lambda o: o.get("t") == "call")
            await srv_client.send({"t": "reply", "id": call["id"], "result": call["from"]})
        r, _ = await c.recv_until(is_reply(101))
        assert r["result"] == {"alice": {"result": "carol"}, "bob": {"result": "carol"}}
        # Events to a client, a group and all.
        r, _ = await c.request({"t": "send", "to": "client:bob", "event": "hi", "data": 1})
        assert r["result"]["delivered"] == 1
        e, _ = await b.recv_until(lambda o: o.get("t") == "event")
        assert e["from"] == "carol" and e["event"] == "hi"
        r, _ = await c.request({"t": "send", "to": "group:team", "event": "g"})
        assert r["result"]["delivered"] == 2
        for m in (a, b):
            e, _ = await m.recv_until(lambda o: o.get("t") == "event")
            assert e["event"] == "g"
        r, _ = await a.request({"t": "send", "to": "all", "event": "all"})
        assert r["result"]["delivered"] == 2  # bob and carol (x never got READY)
        # An adapted key served by a client of another instance.
        r, _ = await b.request({"t": "adapt", "key": "cfg"})
        assert r["result"] is True
        await settle()
        await c.send({"t": "cmd", "id": 102, "argv": ["GET", "cfg"]})
        rd, _ = await b.recv_until(lambda o: o.get("t") == "read")
        assert rd["key"] == "cfg"
        await b.send({"t": "reply", "id": rd["id"], "result": "served"})
        r, _ = await c.recv_until(is_reply(102))
        assert r["result"] == "served"
        # Storage is one: a write through one instance is read through another.
        await a.request({"t": "cmd", "argv": ["SET", "shared", "1"]})
        r, _ = await c.request({"t": "cmd", "argv": ["GET", "shared"]})
        assert r["result"] == "1"

    run(main())


def test_instance_killed_during_traffic(start_server, redis_url):
    s0 = start_server("--storage", redis_url)
    s1 = start_server("--storage", redis_url)

    async def main():
        await asyncio.sleep(0.5)
        d = await client(s1, "dave")
        await d.request({"t": "register", "routes": ["work"]})
        await d.request({"t": "adapt", "key": "dkey"})
        a = await client(s0, "alice", presence=True)
        await settle()
        # Traffic: calls answered, then one left pending when the instance dies.
        for i in range(20):
            await a.send({"t": "call", "id": 1000 + i, "route": "work", "args": i})
            call, _ = await d.recv_until(lambda o: o.get("t") == "call")
            await d.send({"t": "reply", "id": call["id"], "result": call["args"]})
            r, _ = await a.recv_until(is_reply(1000 + i))
            assert r["result"] == i
        await a.send({"t": "call", "id": 2000, "route": "work", "timeout_ms": 60000})
        await d.recv_until(lambda o: o.get("t") == "call")
        killed = time.monotonic()
        s1.kill()
        r, _ = await a.recv_until(is_reply(2000), timeout=BOUND + 2)
        took = time.monotonic() - killed
        assert r["error"]["name"] == "PEER_GONE"
        assert took <= BOUND, took
        p, _ = await a.recv_until(lambda o: o.get("t") == "presence" and o["name"] == "dave")
        assert p["kind"] == "leave"
        # Name, route and key are free.
        r, _ = await a.request({"t": "call", "route": "work"})
        assert r["error"]["name"] == "UNKNOWN_ROUTE"
        r, _ = await a.request({"t": "adapt", "key": "dkey"})
        assert r["result"] is True
        d2 = await client(s0, "dave")
        assert d2.welcome["name"] == "dave"

    run(main())


def test_shutdown_releases_at_once(start_server, redis_url):
    s0 = start_server("--storage", redis_url)
    s1 = start_server("--storage", redis_url)

    async def main():
        await asyncio.sleep(0.5)
        await client(s1, "dave")
        a = await client(s0, "alice", presence=True)
        await settle()
        assert await clients_of(a) == ["alice", "dave"]
        t = time.monotonic()
        # SIGTERM; the server's own exit waits for dave's close handshake (dave reads nothing
        # here), so it runs beside the wait for the leave.
        stopped = asyncio.get_running_loop().run_in_executor(None, s1.terminate)
        p, _ = await a.recv_until(lambda o: o.get("t") == "presence" and o["name"] == "dave",
                                  timeout=BOUND)
        assert p["kind"] == "leave"
        assert time.monotonic() - t < 1.0  # the down/bye broadcasts, not the dead bound
        assert await clients_of(a) == ["alice"]
        assert await stopped == 0

    run(main())
