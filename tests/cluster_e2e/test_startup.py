"""An instance that has just started (spec/CLUSTER.md, "Directory synchronisation": it asks
the others for their directories at start): its clients are part of the cluster from their
welcome on. Presence about a client of the new instance is exact (no join that already holds
later changes in place of the regroups), and a client of the new instance reaches clients of
the others at once: plexus-server listens only once it holds the directory of every running
instance (spec/CLUSTER.md, "Startup")."""
from helpers import close_all, connect, run, settled, Inbox


def test_presence_of_a_client_of_a_new_instance(cluster):
    A = cluster.start()
    B = cluster.start()
    cluster.formed()

    async def go():
        wa = await connect(A.ws, name="st-wa", presence=True)
        wb = await connect(B.tcp, name="st-wb", presence=True)
        ia, ib = Inbox(wa), Inbox(wb)
        await settled(wa, ["st-wb"])
        await settled(wb, ["st-wa"])
        ia.taken, ib.taken = len(ia.items), len(ib.items)  # joins of st-wa, st-wb
        C = cluster.start()  # no formed(): the client arrives while C joins the cluster
        x = await connect(C.ws, name="st-x", groups=["st-b", "st-a"])
        await x.join("st-c")
        await x.rename("st-x2")
        await x.close()
        expected = [
            {"t": "presence", "kind": "join", "name": "st-x", "groups": ["st-a", "st-b"]},
            {"t": "presence", "kind": "regroup", "name": "st-x", "groups": ["st-a", "st-b", "st-c"]},
            {"t": "presence", "kind": "rename", "name": "st-x2", "old": "st-x"},
            {"t": "presence", "kind": "leave", "name": "st-x2"},
        ]
        for inbox in (ia, ib):
            assert [m[1] for m in await inbox.take(4)] == expected
        await ia.quiet()
        await ib.quiet(0)
        await close_all(wa, wb)
    run(go())


def test_client_of_a_new_instance_reaches_the_others(cluster):
    A = cluster.start()
    cluster.formed()

    async def go():
        wa = await connect(A.ws, name="st-ra")
        B = cluster.start()
        y = await connect(B.ws, name="st-y")
        assert await y.send("client:st-ra", "hi", 1) == 1
        ev, _ = await wa.next_event()
        assert ev == {"t": "event", "from": "st-y", "to": "client:st-ra", "event": "hi", "data": 1}
        await close_all(wa, y)
    run(go())
