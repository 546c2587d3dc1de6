"""Interop with plexus-server: RPC between Python clients (SPEC section 15)."""
import asyncio

import pytest

from conftest import connect, run
from plexus.errors import PlexusError


async def pair(url, a="py-rpc-caller", b="py-rpc-server"):
    return await connect(url, name=a), await connect(url, name=b)


def test_call_result_error_and_attachments(url):
    async def go():
        caller, srv = await pair(url)
        seen = []

        def add(args, call):
            seen.append(call)
            return args[0] + args[1]

        async def echo(args, call):
            await asyncio.sleep(0.01)
            return {"blob": args["blob"], "n": len(args["blob"])}

        def fail(args, call):
            raise PlexusError("BAD_VALUE", "no thanks")

        assert await srv.register(["py.add"], add) is True
        assert await srv.register(["py.echo", "py.fail", "py.boom"], echo) is True
        srv.routes["py.fail"] = fail
        srv.routes["py.boom"] = lambda a, c: 1 / 0
        assert await caller.call("py.add", [2, 3]) == 5
        assert seen[0]["from"] == "py-rpc-caller" and seen[0]["route"] == "py.add"
        assert isinstance(seen[0]["timeout_ms"], int) and "to" not in seen[0]
        blob = bytes(range(256)) * 3
        res = await caller.call("py.echo", {"blob": blob}, to="py-rpc-server")
        assert res == {"blob": blob, "n": len(blob)}
        with pytest.raises(PlexusError) as e:
            await caller.call("py.fail")
        assert e.value.name == "ROUTE_FAILED" and e.value.detail["name"] == "BAD_VALUE"
        assert e.value.detail["message"] == "no thanks"
        with pytest.raises(PlexusError) as e:
            await caller.call("py.boom")
        assert e.value.name == "ROUTE_FAILED"
        with pytest.raises(PlexusError) as e:
            await caller.call("py.nobody")
        assert e.value.name == "UNKNOWN_ROUTE"
        with pytest.raises(PlexusError) as e:
            await caller.call("py.add", [1, 1], to="py-nobody-here")
        assert e.value.name == "UNKNOWN_CLIENT"
        with pytest.raises(PlexusError) as e:
            await caller.call("py.add", [1, 1], timeout_ms=0)
        assert e.value.name == "BAD_VALUE"  # RPC-4 step 1
        with pytest.raises(PlexusError) as e:
            await caller.call_all("py.add", timeout_ms=0)
        assert e.value.name == "BAD_VALUE"  # RPC-13
        with pytest.raises(PlexusError) as e:
            await srv.register(["plexus.mine"], add)
        assert e.value.name == "RESERVED_ROUTE"
        assert await srv.unregister(["py.add"]) is True
        with pytest.raises(PlexusError) as e:
            await caller.call("py.add", [1, 1])
        assert e.value.name == "UNKNOWN_ROUTE"
        await caller.close()
        await srv.close()
    run(go())


def test_call_timeout_and_peer_gone(url):
    async def go():
        caller, srv = await pair(url, "py-rpc-c2", "py-rpc-s2")
        gate = asyncio.Event()

        async def slow(args, call):
            await gate.wait()
            return "late"

        await srv.register(["py.slow"], slow)
        with pytest.raises(PlexusError) as e:
            await caller.call("py.slow", timeout_ms=200)
        assert e.value.name == "CALL_TIMEOUT"
        task = asyncio.ensure_future(caller.call("py.slow", timeout_ms=5000))
        await asyncio.sleep(0.2)
        await srv.close()  # the serving client leaves: PEER_GONE at once (RPC-9)
        with pytest.raises(PlexusError) as e:
            await asyncio.wait_for(task, 3)
        assert e.value.name == "PEER_GONE"
        await caller.close()
    run(go())


def test_call_all_and_builtins(url):
    async def go():
        a, b = await pair(url, "py-rpc-a3", "py-rpc-b3")
        await a.register(["py.who"], lambda args, c: "a")
        await b.register(["py.who"], lambda args, c: {"me": b"\x00b"})
        await b.join("py-rpc-g3")
        res = await a.call_all("py.who")
        assert res == {"py-rpc-a3": {"result": "a"}, "py-rpc-b3": {"result": {"me": b"\x00b"}}}
        assert await a.call_all("py.who", group="py-rpc-g3") == {"py-rpc-b3": {"result": {"me": b"\x00b"}}}
        assert await a.call_all("py.who", group="py-rpc-empty") == {}
        info = await a.call("plexus.info")
        assert info["version"] == 1 and info["storage"] in ("memory", "redis")
        assert info["connections"] >= 2
        clients = {c["name"]: c for c in await a.call("plexus.clients")}
        assert clients["py-rpc-b3"]["groups"] == ["py-rpc-g3"]
        assert clients["py-rpc-a3"]["routes"] == ["py.who"]
        routes = await a.call("plexus.routes")
        assert routes["py.who"] == ["py-rpc-a3", "py-rpc-b3"]
        assert (await a.call("plexus.groups"))["py-rpc-g3"] == ["py-rpc-b3"]
        with pytest.raises(PlexusError) as e:
            await a.call("plexus.nope")
        assert e.value.name == "UNKNOWN_ROUTE"
        await a.close()
        await b.close()
    run(go())


def test_duplicate_id_is_an_error_message(url):
    """RPC-3: a second request with a pending id gets error{re}; the first stays pending."""
    async def go():
        caller, srv = await pair(url, "py-rpc-c4", "py-rpc-s4")

        async def slow(args, call):
            await asyncio.sleep(0.5)
            return "done"

        await srv.register(["py.slow4"], slow)
        first = asyncio.ensure_future(caller.call("py.slow4"))
        await asyncio.sleep(0.1)
        rid = caller.next_id - 1
        await caller.send_message({"t": "call", "id": rid, "route": "py.slow4"})
        err = await caller.next_error()
        assert (err.name, err.re) == ("DUPLICATE_ID", rid)
        assert await asyncio.wait_for(first, 5) == "done"
        await caller.send_message({"t": "reply", "id": 424242, "result": 1})  # RPC-10
        err = await caller.next_error()
        assert (err.name, err.re) == ("UNKNOWN_CALL", 424242)
        await caller.close()
        await srv.close()
    run(go())
