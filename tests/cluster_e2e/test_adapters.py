"""Adapters across instances (SPEC section 14): a key adapted by a client of A is read from B
through its owner; writes are READ_ONLY and a second owner KEY_OWNED on any instance; when the
ownership ends, watchers everywhere get `gone` and the store's value is visible again; reads
pending on an owner that leaves fail with PEER_GONE."""
import asyncio

from plexus.errors import PlexusError

from helpers import OK, HOP, SLACK, close_all, connect, error_of, run, until_result, Inbox

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def test_adapter_on_a_read_from_b(pair):
    A, B = pair

    async def go():
        owner = await connect(A.ws, name="ad-owner")
        reader = await connect(B.tcp, name="ad-reader")
        watcher = await connect(B.ws, name="ad-watcher")
        inbox = Inbox(watcher)
        assert await reader.cmd("SET", "ad:k", "stored") == OK
        await asyncio.sleep(HOP)  # the SET's notification is out before the watch starts
        assert await watcher.watch("ad:*") is True
        reads = []

        def serve(argv, read):
            reads.append(read)
            if argv[0].upper() == "GET":
                return b"\x00computed"
            raise PlexusError("WRONGTYPE", WRONGTYPE)

        assert await owner.adapt("ad:k", serve) is True
        assert await owner.adapt("ad:k", serve) is True  # its own key again (ADP-1)
        await until_result(lambda: reader.cmd("GET", "ad:k"), b"\x00computed")
        r = reads[0]
        assert (r["key"], r["argv"]) == ("ad:k", ["GET", "ad:k"])
        assert isinstance(r["timeout_ms"], int) and r["timeout_ms"] > 0
        e = await error_of(reader.cmd("LLEN", "ad:k"))
        assert (e.code, e.name, e.message) == (903, "WRONGTYPE", WRONGTYPE)  # unchanged (ADP-4)
        for argv in (["SET", "ad:k", "x"], ["DEL", "ad:k"], ["APPEND", "ad:k", "x"]):
            e = await error_of(reader.cmd(*argv))
            assert e.name == "READ_ONLY"
        e = await error_of(reader.cmd("MGET", "ad:k", "ad:other"))
        assert (e.name, e.message) == ("COMMAND_ERROR", "ERR adapted key in a multi-key command")
        res = await reader.pipeline([["GET", "ad:k"], ["SET", "ad:k", "y"], ["GET", "ad:none"]])
        assert res[0] == {"result": b"\x00computed"}
        assert res[1]["error"]["name"] == "READ_ONLY"
        assert res[2] == {"result": None}
        # the store's value is untouched and visible to KEYS (ADP-6)
        assert await reader.cmd("KEYS", "ad:*") == ["ad:k"]
        # one owner for the whole cluster
        e = await error_of(reader.adapt("ad:k", serve))
        assert e.name == "KEY_OWNED"
        e = await error_of(reader.unadapt("ad:k"))
        assert e.name == "KEY_OWNED"
        # unadapt: watchers on B get gone, B reads the store again
        assert await owner.unadapt("ad:k") is True
        assert await inbox.next() == ("change", {"t": "change", "key": "ad:k", "op": "gone",
                                                 "pattern": "ad:*"})
        assert await reader.cmd("GET", "ad:k") == "stored"
        # the owner leaves with a read pending: PEER_GONE at once, gone for each key (ADP-5, 7)
        gate = asyncio.Event()

        async def slow(argv, read):
            await gate.wait()
            return "late"

        assert await owner.adapt("ad:slow", slow) is True
        assert await owner.adapt("ad:k", serve) is True
        await until_result(lambda: reader.cmd("GET", "ad:k"), b"\x00computed")
        pending = asyncio.ensure_future(reader.cmd("GET", "ad:slow"))
        await asyncio.sleep(0.3)
        await owner.close()
        e = await error_of(asyncio.wait_for(pending, HOP + SLACK))
        assert e.name == "PEER_GONE"
        got = sorted([m[1]["key"] for m in await inbox.take(2)])
        assert got == ["ad:k", "ad:slow"]
        assert await reader.cmd("GET", "ad:k") == "stored"
        assert await reader.adapt("ad:k", serve) is True  # free again, for any instance
        await inbox.quiet()
        await close_all(reader, watcher)
    run(go())
