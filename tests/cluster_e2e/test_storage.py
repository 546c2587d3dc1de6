"""Storage across instances sharing one Redis (SPEC sections 11-13): what one instance writes
the other reads, with the same replies and errors; watches on one instance see changes made
through another, each exactly once, without `by` (SPEC 11.11: changes come from Redis's
keyspace notifications); the keyspace clients see holds only their keys."""
import asyncio

from helpers import OK, HOP, close_all, connect, error_of, run, Inbox

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def test_written_on_a_is_read_on_b(pair):
    A, B = pair

    async def go():
        a = await connect(A.ws, name="sto-a")
        b = await connect(B.tcp, name="sto-b")
        assert await a.cmd("SET", "s:str", b"\x00\xff") == OK
        assert await b.cmd("GET", "s:str") == b"\x00\xff"
        assert await a.cmd("HSET", "s:h", "f1", "v1", "f2", b"\x01\x00") == 2
        assert await b.cmd("HGET", "s:h", "f2") == b"\x01\x00"
        assert await b.cmd("HLEN", "s:h") == 2
        assert await a.cmd("RPUSH", "s:l", "a", "b", "c") == 3
        assert await b.cmd("LRANGE", "s:l", "0", "-1") == ["a", "b", "c"]
        assert await a.cmd("SADD", "s:s", "x", "y") == 2
        assert sorted(await b.cmd("SMEMBERS", "s:s")) == ["x", "y"]
        assert await a.cmd("ZADD", "s:z", "1.5", "m", "0.1", "n") == 2
        assert await b.cmd("ZRANGE", "s:z", "0", "-1", "WITHSCORES") == \
            ["n", "0.10000000000000001", "m", "1.5"]
        assert await a.cmd("SET", "s:e", "v", "EX", "100") == OK
        assert 95000 <= await b.cmd("PTTL", "s:e") <= 100000
        assert await b.cmd("TYPE", "s:h") == {"$status": "hash"}
        # errors come back alike through either instance
        e = await error_of(b.cmd("LPUSH", "s:str", "x"))
        assert (e.name, e.message) == ("WRONGTYPE", WRONGTYPE)
        e = await error_of(b.cmd("INCR", "s:l"))
        assert (e.name, e.message) == ("WRONGTYPE", WRONGTYPE)
        e = await error_of(b.cmd("HSET", "s:h", "f"))
        assert (e.name, e.message) == ("WRONG_ARITY", "ERR wrong number of arguments for 'hset' command")
        e = await error_of(b.cmd("FLUSHDB"))
        assert (e.name, e.message) == ("UNKNOWN_COMMAND",
                                       "ERR unknown command 'FLUSHDB', with args beginning with: ")
        # the other way round, and deletes
        assert await b.cmd("SET", "s:fromb", "é" * 600) == OK
        assert await a.cmd("GET", "s:fromb") == ("é" * 600).encode()  # 1,200 bytes: attachment
        assert await a.cmd("DEL", "s:str", "s:fromb") == 2
        assert await b.cmd("GET", "s:str") is None
        assert await b.cmd("EXISTS", "s:str", "s:fromb", "s:h") == 1
        # writes from both sides at once are not lost
        await asyncio.gather(*[c.cmd("INCR", "s:n") for c in (a, b) for _ in range(200)])
        assert await a.cmd("GET", "s:n") == "400"
        assert await b.cmd("GET", "s:n") == "400"
        # pipelines: per-command results, atomic all or none
        res = await a.pipeline([["SET", "s:p", "1"], ["INCR", "s:p"], ["LPUSH", "s:p", "z"],
                                ["GET", "s:p"]], atomic=True)
        assert [r.get("result") for r in res] == [OK, 2, None, "2"]
        assert res[2]["error"]["name"] == "WRONGTYPE"
        assert await b.cmd("GET", "s:p") == "2"
        e = await error_of(b.pipeline([["SET", "s:p", "9"], ["GET"]], atomic=True))
        assert e.name == "EXEC_ABORTED"
        assert e.detail["index"] == 1 and e.detail["error"]["name"] == "WRONG_ARITY"
        assert await a.cmd("GET", "s:p") == "2"  # nothing ran
        for c in (a, b):
            assert (await c.call("plexus.info"))["storage"] == "redis"
            assert "change-by" not in c.welcome.get("features", [])  # SPEC 11.11
        await close_all(a, b)
    run(go())


def test_watch_on_b_sees_change_made_on_a(pair):
    A, B = pair

    async def go():
        wb = await connect(B.ws, name="watch-b")
        wa = await connect(A.tcp, name="watch-a")
        ma = await connect(A.ws, name="mut-a")
        mb = await connect(B.tcp, name="mut-b")
        ib, ia = Inbox(wb), Inbox(wa)
        assert await wb.watch("w:*") is True
        assert await wb.watch("w:a") is True
        assert await wa.watch("w:*") is True
        assert await ma.cmd("SET", "w:a", "1") == OK
        got = await ib.take(2)
        assert sorted(got, key=lambda m: m[1]["pattern"]) == [
            ("change", {"t": "change", "key": "w:a", "op": "set", "pattern": "w:*"}),
            ("change", {"t": "change", "key": "w:a", "op": "set", "pattern": "w:a"}),
        ]
        # the watcher on the writer's own instance gets it once, not once per path
        assert await ia.next() == ("change", {"t": "change", "key": "w:a", "op": "set",
                                              "pattern": "w:*"})
        await ib.quiet()
        await ia.quiet(0)
        # a change made on B reaches A's watcher, with B's client as by
        assert await mb.cmd("HSET", "w:h", "f", "v") == 1
        assert await ia.next() == ("change", {"t": "change", "key": "w:h", "op": "hset",
                                              "pattern": "w:*"})
        assert await ib.next() == ("change", {"t": "change", "key": "w:h", "op": "hset",
                                              "pattern": "w:*"})
        # a command changing several keys: in the order of its key arguments (WAT-5)
        assert await ma.cmd("DEL", "w:h", "w:a") == 2
        assert [m[1]["key"] for m in await ia.take(2)] == ["w:h", "w:a"]
        got = await ib.take(3)
        assert [m[1]["key"] for m in got if m[1]["pattern"] == "w:*"] == ["w:h", "w:a"]
        assert all(m[1]["op"] == "del" and "by" not in m[1] for m in got)
        # a command that changes nothing notifies nothing (STO-19)
        assert await ma.cmd("SET", "w:nx", "1", "NX") == OK
        assert await ma.cmd("SET", "w:nx", "2", "NX") is None
        assert (await ib.next())[1]["op"] == "set"
        assert (await ia.next())[1]["op"] == "set"
        await ib.quiet()
        await ia.quiet(0)
        # expiry: Redis reports SET ... PX as set then expire (REDIS-BACKEND.md), then expired
        assert await ma.cmd("SET", "w:e", "1", "PX", "150") == OK
        assert [m[1] for m in await ib.take(2)] == [
            {"t": "change", "key": "w:e", "op": "set", "pattern": "w:*"},
            {"t": "change", "key": "w:e", "op": "expire", "pattern": "w:*"}]
        assert (await ib.next(timeout=3 + HOP))[1] == {"t": "change", "key": "w:e",
                                                       "op": "expired", "pattern": "w:*"}
        # unwatch: nothing more
        assert await wb.unwatch("w:*") is True
        assert await wb.unwatch("w:a") is True
        await ib.quiet(0)
        await ia.take(3)  # A's watcher still gets w:e set, expire and expired
        assert await ma.cmd("SET", "w:a", "2") == OK
        assert (await ia.next())[1]["key"] == "w:a"
        await ib.quiet()
        await close_all(wb, wa, ma, mb)
    run(go())


def test_keyspace_holds_only_client_keys(pair):
    """The instances' own records (names, routes, groups, adapters, heartbeats) are not keys
    of the store clients see (STO-5, ADP-6): KEYS, SCAN and DBSIZE show client keys only, and
    a client's FLUSHALL does not break the cluster."""
    A, B = pair

    async def go():
        a = await connect(A.ws, name="ks-a", groups=["ks-g"])
        b = await connect(B.ws, name="ks-b", groups=["ks-g"])
        await a.register(["ks.echo"], lambda args, call: args)
        await b.register(["ks.echo"], lambda args, call: args)
        await b.adapt("ks:owned", lambda argv, read: "view")
        await a.watch("ks:*")
        await asyncio.sleep(HOP)  # heartbeats and registrations have been written by now
        for c in (a, b):
            assert await c.cmd("DBSIZE") == 0
            assert await c.cmd("KEYS", "*") == []
            assert await c.cmd("SCAN", "0") == ["0", []]
        assert await a.cmd("SET", "ks:k", "v") == OK
        assert await b.cmd("KEYS", "*") == ["ks:k"]
        assert await b.cmd("FLUSHALL") == OK
        assert await a.cmd("DBSIZE") == 0
        await asyncio.sleep(HOP)
        # names, routes and adapters survived the client's FLUSHALL
        e = await error_of(connect(A.tcp, name="ks-b"))
        assert e.name == "NAME_TAKEN"
        assert await a.call("ks.echo", [1], to="ks-b") == [1]
        assert await a.cmd("GET", "ks:owned") == "view"
        await close_all(a, b)
    run(go())
