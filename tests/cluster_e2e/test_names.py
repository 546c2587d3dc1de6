"""Client names across instances (SPEC 9.2, 16.2): a name is held by one connection of the
whole cluster; NAME_TAKEN on another instance, for hello and rename; freed names are free
everywhere; assigned names never collide; of two simultaneous hellos with one name on two
instances exactly one wins; the override key replaces a holder on another instance."""
import asyncio

from plexus.client import Client
from plexus.errors import PlexusError

from helpers import (HOP, SLACK, close_all, connect, error_of, refused, run, settled, settled_on,
                     until, welcomed, Inbox)


def test_name_taken_across_instances(pair):
    A, B = pair

    async def go():
        x = await connect(A.ws, name="n-x")
        await settled_on(B.ws, ["n-x"])
        c = await Client.connect(B.tcp)
        e = await error_of(c.hello(name="n-x"))
        assert (e.code, e.name) == (603, "NAME_TAKEN")
        w = await c.hello(name="n-y")  # SES-9: the connection stays and may try again
        assert w["name"] == "n-y"
        await settled(x, ["n-y"])
        e = await error_of(c.rename("n-x"))
        assert (e.code, e.name) == (603, "NAME_TAKEN")
        e = await error_of(x.rename("n-y"))
        assert e.name == "NAME_TAKEN"
        # a renamed client's old name is free on the other instance, its new one taken
        assert await x.rename("n-x2") is True
        await settled_on(B.ws, ["n-x2"])
        ok, _ = await until(lambda: welcomed(B.ws, name="n-x"), HOP + SLACK)
        assert ok
        assert (await refused(B.ws, name="n-x2")).name == "NAME_TAKEN"
        # a client that left frees its name for the other instance
        await c.close()
        ok, _ = await until(lambda: welcomed(A.ws, name="n-y"), HOP + SLACK)
        assert ok
        await x.close()
    run(go())


def test_assigned_names_never_collide(pair):
    A, B = pair

    async def go():
        clients = await asyncio.gather(*[connect(url) for url in (A.ws, B.ws) * 10])
        names = [c.name for c in clients]
        assert len(set(names)) == 20, names
        await settled(clients[0], names)
        await settled(clients[1], names)
        # an assigned name is held like any other
        assert (await refused(B.tcp, name=clients[0].name)).name == "NAME_TAKEN"
        assert (await refused(A.tcp, name=clients[1].name)).name == "NAME_TAKEN"
        await close_all(*clients)
    run(go())


def test_simultaneous_hellos_one_winner(pair):
    """Two hellos with one name on two instances at once: one client ends up holding it.
    CLUSTER.md ("Races"): within one bus round trip both may be welcomed; then the claim of
    the instance with the lower id wins and the loser's instance closes its client with
    REPLACED."""
    A, B = pair

    async def go():
        for i in range(10):
            name = f"race-{i}"
            ca, cb = await Client.connect(A.ws), await Client.connect(B.tcp)
            outcomes = await asyncio.gather(ca.hello(name=name), cb.hello(name=name),
                                            return_exceptions=True)
            won = [c for c, o in zip((ca, cb), outcomes) if isinstance(o, dict)]
            lost = [o for o in outcomes if not isinstance(o, dict)]
            assert all(isinstance(o, PlexusError) and o.name == "NAME_TAKEN" for o in lost), outcomes
            assert len(won) in (1, 2), outcomes
            if len(won) == 2:  # both welcomed in the race window: exactly one is replaced
                ends = await asyncio.gather(*[asyncio.wait_for(c._ended.wait(), HOP)
                                              for c in won], return_exceptions=True)
                closed = [c for c, e in zip(won, ends) if e is True]
                assert len(closed) == 1, ends
                assert closed[0].closed.error is not None
                assert closed[0].closed.error.name == "REPLACED"
                won = [c for c in won if c is not closed[0]]
            assert won[0].name == name and not won[0].closed
            await asyncio.sleep(0.1)
            for url in (A.ws, B.ws):  # one holder, as seen from both instances
                assert (await refused(url, name=name)).name == "NAME_TAKEN"
            await close_all(ca, cb)
    run(go())


def test_override_replaces_holder_on_other_instance(cluster):
    A = cluster.start("--override-key", "ovk-123456")
    B = cluster.start("--override-key", "ovk-123456")
    cluster.formed()

    async def go():
        watcher = await connect(B.ws, name="ov-watch", presence=True)
        inbox = Inbox(watcher)
        old = await connect(A.ws, name="ov-x")
        assert await inbox.next() == ("presence", {"t": "presence", "kind": "join", "name": "ov-x",
                                                   "groups": []})
        gate = asyncio.Event()

        async def slow(args, call):
            await gate.wait()
            return "late"

        await old.register(["ov.slow"], slow)
        caller = await connect(B.tcp, name="ov-caller")
        await settled(caller, routes={"ov.slow": ["ov-x"]})
        assert await inbox.next() == ("presence", {"t": "presence", "kind": "join",
                                                   "name": "ov-caller", "groups": []})
        pending = asyncio.ensure_future(caller.call("ov.slow", timeout_ms=20000))
        await asyncio.sleep(0.3)
        new = await connect(B.ws, name="ov-x", override="ovk-123456")
        assert new.name == "ov-x"
        closed = await old.wait_closed(HOP + SLACK)
        assert closed.error is not None and closed.error.name == "REPLACED"
        e = await error_of(asyncio.wait_for(pending, HOP + SLACK))
        assert e.name == "PEER_GONE"
        assert await inbox.take(2) == [
            ("presence", {"t": "presence", "kind": "leave", "name": "ov-x"}),
            ("presence", {"t": "presence", "kind": "join", "name": "ov-x", "groups": []}),
        ]
        await inbox.quiet()
        assert (await refused(A.ws, name="ov-x")).name == "NAME_TAKEN"
        gate.set()
        await close_all(watcher, old, caller, new)
    run(go())
