"""RPC across instances (SPEC section 15): a call from a client of one instance reaches a route
served by a client of another and its reply (with attachments) comes back; errors, timeouts
and a serving client that leaves; call_all over three instances with renumbered attachments;
the built-in listings cover every instance."""
import asyncio

from plexus.errors import PlexusError

from helpers import HOP, SLACK, close_all, connect, error_of, run, settled


def test_call_from_a_to_route_served_on_b(pair):
    A, B = pair

    async def go():
        srv = await connect(B.ws, name="rpc-srv")
        caller = await connect(A.tcp, name="rpc-caller")
        seen = []
        gate = asyncio.Event()

        async def echo(args, call):
            seen.append(call)
            return {"blob": args["blob"], "n": len(args["blob"])}

        def fail(args, call):
            raise PlexusError("BAD_VALUE", "no thanks")

        async def slow(args, call):
            await gate.wait()
            return "late"

        assert await srv.register(["rpc.echo"], echo) is True
        assert await srv.register(["rpc.fail", "rpc.slow"], slow) is True
        srv.routes["rpc.fail"] = fail
        await settled(caller, routes={"rpc.echo": ["rpc-srv"], "rpc.slow": ["rpc-srv"]})
        blob = bytes(range(256)) * 3
        assert await caller.call("rpc.echo", {"blob": blob}) == {"blob": blob, "n": 768}
        call = seen[0]
        assert (call["route"], call["from"]) == ("rpc.echo", "rpc-caller")
        assert isinstance(call["timeout_ms"], int) and "to" not in call
        assert await caller.call("rpc.echo", {"blob": b"\x00"}, to="rpc-srv") == {"blob": b"\x00", "n": 1}
        # RPC-12: many calls in flight, each answered with its own result
        blobs = [bytes([i]) * (i + 1) for i in range(50)]
        res = await asyncio.gather(*[caller.call("rpc.echo", {"blob": b}) for b in blobs])
        assert res == [{"blob": b, "n": len(b)} for b in blobs]
        e = await error_of(caller.call("rpc.fail"))
        assert e.name == "ROUTE_FAILED"
        assert (e.detail["code"], e.detail["name"], e.detail["message"]) == (505, "BAD_VALUE", "no thanks")
        e = await error_of(caller.call("rpc.echo", {"blob": b""}, to="rpc-nobody"))
        assert e.name == "UNKNOWN_CLIENT"
        e = await error_of(caller.call("rpc.echo", {"blob": b""}, to="rpc-caller"))
        assert e.name == "UNKNOWN_ROUTE"
        e = await error_of(caller.call("rpc.none"))
        assert e.name == "UNKNOWN_ROUTE"
        # timeout, then the late reply is UNKNOWN_CALL for the serving client (RPC-10) once the
        # serving instance's own deadline for the relayed call has passed too (CLUSTER.md,
        # "Late replies": a reply between the two deadlines is dropped by the caller's instance)
        e = await error_of(caller.call("rpc.slow", timeout_ms=300))
        assert e.name == "CALL_TIMEOUT"
        await asyncio.sleep(0.5)
        gate.set()
        err = await srv.next_error(timeout=HOP)
        assert err.name == "UNKNOWN_CALL" and isinstance(err.re, int)
        # the route served on both instances: to picks the one named
        local = await connect(A.ws, name="rpc-local")
        await local.register(["rpc.who"], lambda args, call: "local")
        await srv.register(["rpc.who"], lambda args, call: "remote")
        await settled(caller, routes={"rpc.who": ["rpc-local", "rpc-srv"]})
        assert await caller.call("rpc.who", to="rpc-srv") == "remote"
        assert await caller.call("rpc.who", to="rpc-local") == "local"
        assert {await caller.call("rpc.who") for _ in range(6)} <= {"local", "remote"}
        # unregister on B: the route is gone for A's caller
        assert await srv.unregister(["rpc.echo"]) is True
        await settled(caller, routes={"rpc.echo": []})
        e = await error_of(caller.call("rpc.echo", {"blob": b""}))
        assert e.name == "UNKNOWN_ROUTE"
        # the serving client leaves with a call pending: PEER_GONE at once (RPC-9)
        gate.clear()
        pending = asyncio.ensure_future(caller.call("rpc.slow", timeout_ms=20000))
        await asyncio.sleep(0.3)
        await srv.close()
        e = await error_of(asyncio.wait_for(pending, HOP + SLACK))
        assert e.name == "PEER_GONE"
        await close_all(caller, local)
    run(go())


def test_call_all_spans_three_instances(trio):
    A, B, C = trio

    async def go():
        a = await connect(A.ws, name="ca-a")
        b = await connect(B.tcp, name="ca-b", groups=["ca-g"])
        c = await connect(C.ws, name="ca-c")
        caller = await connect(A.tcp, name="ca-caller")
        calls = []
        slow_gate = asyncio.Event()

        def who(tag, result):
            def handler(args, call):
                calls.append((tag, call["from"], call["route"], args))
                return result
            return handler

        await a.register(["ca.who"], who("a", "a"))
        await b.register(["ca.who"], who("b", {"me": b"\x00b"}))
        await c.register(["ca.who"], who("c", {"me": b"\x00c", "x": b"\x01"}))
        assert await c.join("ca-g") is True
        await settled(caller, routes={"ca.who": ["ca-a", "ca-b", "ca-c"]},
                      groups={"ca-g": ["ca-b", "ca-c"]})
        res = await caller.call_all("ca.who", args=[7])
        assert res == {"ca-a": {"result": "a"}, "ca-b": {"result": {"me": b"\x00b"}},
                       "ca-c": {"result": {"me": b"\x00c", "x": b"\x01"}}}
        assert sorted(calls) == [("a", "ca-caller", "ca.who", [7]), ("b", "ca-caller", "ca.who", [7]),
                                 ("c", "ca-caller", "ca.who", [7])]
        # RPC-15: attachments concatenated in the order of the members, references renumbered
        m = await caller.request({"t": "call_all", "route": "ca.who"})
        assert m.obj["result"] == {"ca-a": {"result": "a"},
                                   "ca-b": {"result": {"me": {"$bin": 0}}},
                                   "ca-c": {"result": {"me": {"$bin": 1}, "x": {"$bin": 2}}}}
        assert m.attachments == [b"\x00b", b"\x00c", b"\x01"]
        assert await caller.call_all("ca.who", group="ca-g") == {
            "ca-b": {"result": {"me": b"\x00b"}}, "ca-c": {"result": {"me": b"\x00c", "x": b"\x01"}}}
        assert await caller.call_all("ca.who", group="ca-nobody") == {}
        assert await caller.call_all("ca.none") == {}

        def fail(args, call):
            raise PlexusError("BAD_VALUE", "c says no")

        async def slow(args, call):
            await slow_gate.wait()
            return "late"

        c.routes["ca.who"] = fail
        b.routes["ca.who"] = slow
        res = await caller.call_all("ca.who", timeout_ms=500)
        assert res == {"ca-a": {"result": "a"},
                       "ca-b": {"error": {"code": 704, "name": "CALL_TIMEOUT",
                                          "message": res["ca-b"]["error"]["message"]}},
                       "ca-c": {"error": {"code": 505, "name": "BAD_VALUE", "message": "c says no"}}}
        slow_gate.set()
        # a target that leaves while the call_all waits: PEER_GONE for it
        slow_gate.clear()
        pending = asyncio.ensure_future(caller.call_all("ca.who", group="ca-g", timeout_ms=20000))
        await asyncio.sleep(0.3)
        await b.close()
        res = await asyncio.wait_for(pending, HOP + SLACK)
        assert res["ca-b"]["error"]["name"] == "PEER_GONE"
        assert res["ca-c"]["error"]["name"] == "BAD_VALUE"
        assert sorted(res) == ["ca-b", "ca-c"]
        await close_all(a, c, caller)
    run(go())


def test_builtin_listings_cover_every_instance(trio):
    A, B, C = trio

    async def go():
        a = await connect(A.ws, name="bl-a", groups=["bl-g1"])
        b = await connect(B.ws, name="bl-b", groups=["bl-g1", "bl-g2"])
        c = await connect(C.tcp, name="bl-c")
        await a.register(["bl.r1"], lambda args, call: 1)
        await b.register(["bl.r1", "bl.r2"], lambda args, call: 2)
        for asker in (a, b, c):
            await settled(asker, ["bl-a", "bl-b", "bl-c"], {"bl.r1": ["bl-a", "bl-b"], "bl.r2": ["bl-b"]})
        for asker in (a, b, c):
            assert await asker.call("plexus.clients") == [
                {"name": "bl-a", "groups": ["bl-g1"], "routes": ["bl.r1"]},
                {"name": "bl-b", "groups": ["bl-g1", "bl-g2"], "routes": ["bl.r1", "bl.r2"]},
                {"name": "bl-c", "groups": [], "routes": []}]
            assert await asker.call("plexus.routes") == {"bl.r1": ["bl-a", "bl-b"], "bl.r2": ["bl-b"]}
            assert await asker.call("plexus.groups") == {"bl-g1": ["bl-a", "bl-b"], "bl-g2": ["bl-b"]}
        await close_all(a, b, c)
    run(go())
