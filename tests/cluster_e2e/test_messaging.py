"""Events and presence across instances (SPEC section 16): events to a client, a group or all
reach their targets on every instance exactly once, in the order sent; presence join, regroup,
rename and leave reach the subscribers of every instance exactly once, in order with the
events of the client they are about."""
import asyncio

from helpers import close_all, connect, error_of, run, settled, Inbox


def test_events_reach_clients_on_every_instance(trio):
    A, B, C = trio

    async def go():
        s = await connect(A.ws, name="ev-s")
        ra = await connect(A.tcp, name="ev-ra", groups=["ev-g"])
        rb = await connect(B.ws, name="ev-rb", groups=["ev-g"])
        rc = await connect(C.tcp, name="ev-rc", groups=["ev-g"])
        x = await connect(C.ws, name="ev-x")
        ins = {c.name: Inbox(c) for c in (s, ra, rb, rc, x)}
        for c in (s, rc):
            await settled(c, ["ev-s", "ev-ra", "ev-rb", "ev-rc", "ev-x"],
                          groups={"ev-g": ["ev-ra", "ev-rb", "ev-rc"]})

        async def quiet_all(timeout=0.5):
            await asyncio.sleep(timeout)
            for i in ins.values():
                await i.quiet(0)

        data = {"x": 1, "raw": b"\x00\xff"}
        assert await s.send("client:ev-rb", "hi", data) == 1
        assert await ins["ev-rb"].next() == ("event", {"t": "event", "from": "ev-s",
                                                       "to": "client:ev-rb", "event": "hi",
                                                       "data": data})
        await quiet_all()
        assert await s.send("group:ev-g", "g1", [1, 2]) == 3
        for n in ("ev-ra", "ev-rb", "ev-rc"):
            assert await ins[n].next() == ("event", {"t": "event", "from": "ev-s", "to": "group:ev-g",
                                                     "event": "g1", "data": [1, 2]})
        await quiet_all()
        assert await s.send("all", "everyone") == 4  # the sender is not a target (EVT-1)
        for n in ("ev-ra", "ev-rb", "ev-rc", "ev-x"):
            assert await ins[n].next() == ("event", {"t": "event", "from": "ev-s", "to": "all",
                                                     "event": "everyone"})
        await quiet_all()
        assert await s.send("all", "echoed", echo=True) == 5
        for n in ins:
            assert (await ins[n].next())[1]["event"] == "echoed"
        await quiet_all()
        # a client on C sends to a group: members on A and B get it, the sender does not
        assert await rc.send("group:ev-g", "from-c", "d") == 2
        for n in ("ev-ra", "ev-rb"):
            assert await ins[n].next() == ("event", {"t": "event", "from": "ev-rc",
                                                     "to": "group:ev-g", "event": "from-c",
                                                     "data": "d"})
        await s.send("client:ev-x", "noack", ack=False)
        assert (await ins["ev-x"].next())[1]["event"] == "noack"
        await quiet_all()
        e = await error_of(s.send("client:ev-nobody", "x"))
        assert e.name == "UNKNOWN_CLIENT"
        # EVT-5: one sender to one recipient, in the order sent, whatever the target kind
        for i in range(100):
            await s.send("client:ev-rb", "o", i, ack=False)
            await s.send("group:ev-g", "o", i, ack=False)
        got = [m[1] for m in await ins["ev-rb"].take(200)]
        assert [(m["to"], m["data"]) for m in got] == \
            [(t, i) for i in range(100) for t in ("client:ev-rb", "group:ev-g")]
        assert [m[1]["data"] for m in await ins["ev-rc"].take(100)] == list(range(100))
        await close_all(s, ra, rb, rc, x)
    run(go())


def test_presence_across_instances(trio):
    A, B, C = trio

    async def go():
        wa = await connect(A.ws, name="pr-wa", presence=True)
        ia = Inbox(wa)
        quiet = await connect(B.ws, name="pr-quiet")  # no presence subscription
        iq = Inbox(quiet)
        # a client of another instance is known there one bus round trip after its welcome
        # (CLUSTER.md): a subscriber arriving within that window may get its join
        await settled(quiet, ["pr-wa"])
        wb = await connect(B.tcp, name="pr-wb", presence=True)
        ib = Inbox(wb)
        await settled(wa, ["pr-wb"])
        assert await ia.take(2) == [
            ("presence", {"t": "presence", "kind": "join", "name": "pr-quiet", "groups": []}),
            ("presence", {"t": "presence", "kind": "join", "name": "pr-wb", "groups": []})]
        x = await connect(C.ws, name="pr-x", groups=["pr-b", "pr-a"])
        await x.join("pr-c")
        await x.leave("pr-a")
        await x.rename("pr-x2")
        assert await x.rename("pr-x2") is True  # its own name: no event (EVT-7)
        await x.close()
        expected = [
            {"t": "presence", "kind": "join", "name": "pr-x", "groups": ["pr-a", "pr-b"]},
            {"t": "presence", "kind": "regroup", "name": "pr-x", "groups": ["pr-a", "pr-b", "pr-c"]},
            {"t": "presence", "kind": "regroup", "name": "pr-x", "groups": ["pr-b", "pr-c"]},
            {"t": "presence", "kind": "rename", "name": "pr-x2", "old": "pr-x"},
            {"t": "presence", "kind": "leave", "name": "pr-x2"},
        ]
        for inbox in (ia, ib):
            assert [m[1] for m in await inbox.take(5)] == expected
        # EVT-9: join before anything else the client causes, leave after it
        y = await connect(C.tcp, name="pr-y")
        await y.send("client:pr-wa", "hello-from-y", ack=False)
        await y.send("client:pr-wb", "hello-from-y", ack=False)
        await y.close()
        for inbox, me in ((ia, "pr-wa"), (ib, "pr-wb")):
            assert await inbox.take(3) == [
                ("presence", {"t": "presence", "kind": "join", "name": "pr-y", "groups": []}),
                ("event", {"t": "event", "from": "pr-y", "to": "client:" + me,
                           "event": "hello-from-y"}),
                ("presence", {"t": "presence", "kind": "leave", "name": "pr-y"})]
        await quiet.close()
        assert await ia.next() == ("presence", {"t": "presence", "kind": "leave", "name": "pr-quiet"})
        assert await ib.next() == ("presence", {"t": "presence", "kind": "leave", "name": "pr-quiet"})
        await ia.quiet()
        await ib.quiet(0)
        await iq.quiet(0)  # never subscribed: no presence at all
        await close_all(wa, wb)
    run(go())
