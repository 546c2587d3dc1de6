"""Interop with plexus-server: events, groups, names and presence (SPEC section 16)."""
import asyncio

import pytest

from conftest import connect, run
from plexus.errors import PlexusError




def test_send_to_client_group_all(url):
    async def go():
        a = await connect(url, name="py-ev-a")
        b = await connect(url, name="py-ev-b", groups=["py-ev-g"])
        assert await a.send("client:py-ev-b", "hi", {"x": 1, "raw": b"\x00\xff"}) == 1
        ev, atts = await b.next_event()
        assert ev == {"t": "event", "from": "py-ev-a", "to": "client:py-ev-b", "event": "hi",
                      "data": {"x": 1, "raw": b"\x00\xff"}}
        assert atts == [b"\x00\xff"]
        assert await a.send("group:py-ev-g", "g1", [1, 2]) == 1
        ev, _ = await b.next_event()
        assert (ev["to"], ev["event"], ev["data"]) == ("group:py-ev-g", "g1", [1, 2])
        assert ev["seq"] >= 1  # the module's server keeps history (EVT-10)
        assert await a.send("group:py-ev-nobody", "g2") == 0
        await a.send("client:py-ev-b", "noack", ack=False)  # no id: no reply
        ev, _ = await b.next_event()
        assert ev["event"] == "noack" and "data" not in ev
        # all: a is excluded unless echo (EVT-1); other test clients may be connected
        n = await a.send("all", "everyone", echo=True)
        assert n >= 2
        got = {(await c.next_event())[0]["event"] for c in (a, b)}
        assert got == {"everyone"}
        for target, name in (("nobody:x", "BAD_TARGET"), ("client:py-ev-zz", "UNKNOWN_CLIENT")):
            with pytest.raises(PlexusError) as e:
                await a.send(target, "x")
            assert e.value.name == name
        for event in ("", "a\x01", "x" * 129):  # EVT-1: event names follow SES-8
            with pytest.raises(PlexusError) as e:
                await a.send("all", event)
            assert e.value.name == "BAD_NAME"
        await a.send("client:py-ev-zz", "x", ack=False)
        err = await a.next_error()
        assert err.name == "UNKNOWN_CLIENT"
        await a.close()
        await b.close()
    run(go())


def test_order_of_events(url):
    async def go():
        a = await connect(url, name="py-ev-oa")
        b = await connect(url, name="py-ev-ob")
        for i in range(200):
            await a.send("client:py-ev-ob", "n", i, ack=False)
        assert [(await b.next_event())[0]["data"] for _ in range(200)] == list(range(200))
        await a.close()
        await b.close()
    run(go())


def test_presence_between_two_python_clients(url):
    async def go():
        watcher = await connect(url, name="py-pr-w", presence=True)
        other = await connect(url, name="py-pr-o", groups=["py-pr-b", "py-pr-a"])
        p = await watcher.next_presence()
        assert p == {"t": "presence", "kind": "join", "name": "py-pr-o", "groups": ["py-pr-a", "py-pr-b"]}
        assert await other.join("py-pr-c") is True
        p = await watcher.next_presence()
        assert p == {"t": "presence", "kind": "regroup", "name": "py-pr-o",
                     "groups": ["py-pr-a", "py-pr-b", "py-pr-c"]}
        assert await other.leave("py-pr-a") is True
        p = await watcher.next_presence()
        assert (p["kind"], p["groups"]) == ("regroup", ["py-pr-b", "py-pr-c"])
        assert await other.rename("py-pr-o2") is True
        p = await watcher.next_presence()
        assert p == {"t": "presence", "kind": "rename", "name": "py-pr-o2", "old": "py-pr-o"}
        assert await other.rename("py-pr-o2") is True  # own name: no event (EVT-7)
        with pytest.raises(PlexusError) as e:
            await other.rename("py-pr-w")
        assert e.value.name == "NAME_TAKEN"
        await other.close()
        p = await watcher.next_presence()
        assert p == {"t": "presence", "kind": "leave", "name": "py-pr-o2"}
        with pytest.raises(asyncio.TimeoutError):  # nothing about the watcher itself
            await watcher.next_presence(timeout=0.3)
        await watcher.close()
    run(go())


def test_history(url):
    async def go():
        a = await connect(url, name="py-hi-a", groups=["py-hi-g"])
        for i in range(12):
            await a.send("group:py-hi-g", "tick", i)
        hist = await a.call("plexus.history", {"group": "py-hi-g", "limit": 3})
        assert [e["data"] for e in hist] == [9, 10, 11]
        assert [e["seq"] for e in hist] == [10, 11, 12]
        assert hist[0]["t"] == "event" and hist[0]["from"] == "py-hi-a"
        assert len(await a.call("plexus.history", {"group": "py-hi-g"})) == 10
        assert await a.call("plexus.history", {"group": "py-hi-none"}) == []
        for bad in ({"limit": 3}, {"group": "py-hi-g", "limit": -1}, [1]):  # RPC-17
            with pytest.raises(PlexusError) as e:
                await a.call("plexus.history", bad)
            assert e.value.name == "BAD_VALUE"
        await a.close()
    run(go())
