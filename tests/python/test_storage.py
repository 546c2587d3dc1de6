"""Interop with plexus-server: storage, pipelines, watches and adapters (SPEC 11-14)."""
import asyncio

import pytest

from conftest import connect, run
from plexus.errors import PlexusError

OK = {"$status": "OK"}




def test_commands_and_replies(url):
    async def go():
        c = await connect(url)
        k = "py-sto:" + url[:3]
        await c.cmd("DEL", k, k + ":h", k + ":l", k + ":z", k + ":s")
        assert await c.cmd("SET", k, b"\x00\xff") == OK
        assert await c.cmd("GET", k) == b"\x00\xff"  # not UTF-8: an attachment (STO-7)
        assert await c.cmd("set", k, "plain") == OK
        assert await c.cmd("GET", k) == "plain"
        assert await c.cmd("SET", k, "x", "NX") is None
        assert await c.cmd("APPEND", k, "!") == 6
        assert await c.cmd("TYPE", k) == {"$status": "string"}
        assert await c.cmd("INCRBY", k + ":n", "9223372036854775806") == 9223372036854775806
        assert await c.cmd("INCR", k + ":n") == 9223372036854775807  # exact 64-bit (STO-8)
        with pytest.raises(PlexusError) as e:
            await c.cmd("INCR", k + ":n")
        assert (e.value.name, e.value.message) == ("COMMAND_ERROR", "ERR increment or decrement would overflow")
        with pytest.raises(PlexusError) as e:
            await c.cmd("LPUSH", k, "x")
        assert e.value.name == "WRONGTYPE" and e.value.message.startswith("WRONGTYPE")
        with pytest.raises(PlexusError) as e:
            await c.cmd("HSET", k + ":h", "f")
        assert (e.value.name, e.value.message) == ("WRONG_ARITY", "ERR wrong number of arguments for 'hset' command")
        with pytest.raises(PlexusError) as e:
            await c.cmd("FLUSHDB")
        assert e.value.name == "UNKNOWN_COMMAND"
        assert e.value.message == "ERR unknown command 'FLUSHDB', with args beginning with: "
        assert await c.cmd("HSET", k + ":h", "f1", "v1", "f2", b"\x01\x00") == 2
        assert sorted(map(repr, await c.cmd("HGETALL", k + ":h"))) == sorted(map(repr, ["f1", "v1", "f2", b"\x01\x00"]))
        assert await c.cmd("RPUSH", k + ":l", "a", "b", "c") == 3
        assert await c.cmd("LRANGE", k + ":l", "0", "-1") == ["a", "b", "c"]
        assert await c.cmd("ZADD", k + ":z", "0.1", "m") == 1
        assert await c.cmd("ZSCORE", k + ":z", "m") == "0.10000000000000001"
        assert await c.cmd("ZRANGE", k + ":z", "0", "-1", "WITHSCORES") == ["m", "0.10000000000000001"]
        assert await c.cmd("SADD", k + ":s", "x", "y") == 2
        assert sorted(await c.cmd("SMEMBERS", k + ":s")) == ["x", "y"]
        big = "é" * 600  # 1,200 bytes of UTF-8: sent back as an attachment (STO-7)
        await c.cmd("SET", k, big)
        assert await c.cmd("GET", k) == big.encode()
        assert await c.cmd("EXPIRE", k, "100") == 1
        assert await c.cmd("TTL", k) == 100
        assert await c.cmd("DEL", k, k + ":h", k + ":l", k + ":z", k + ":s", k + ":n") == 6
        await c.close()
    run(go())


def test_pipelines(url):
    async def go():
        c = await connect(url)
        k = "py-pipe:" + url[:3]
        res = await c.pipeline([["SET", k, b"\x00v"], ["LPUSH", k, "x"], ["GET", k], ["NOPE"]])
        assert res[0] == {"result": OK}
        assert res[1]["error"]["name"] == "WRONGTYPE"
        assert res[2] == {"result": b"\x00v"}  # the command after an error ran (PIPE-1)
        assert res[3]["error"]["name"] == "UNKNOWN_COMMAND"
        with pytest.raises(PlexusError) as e:
            await c.pipeline([["SET", k, "1"], ["GET"]], atomic=True)
        assert e.value.name == "EXEC_ABORTED"
        assert e.value.message == "EXECABORT Transaction discarded because of previous errors."
        assert e.value.detail["index"] == 1 and e.value.detail["error"]["name"] == "WRONG_ARITY"
        assert await c.cmd("GET", k) == b"\x00v"  # nothing ran
        res = await c.pipeline([["SET", k, "1"], ["INCR", k], ["LPUSH", k, "z"], ["GET", k]], atomic=True)
        assert [r.get("result") for r in res] == [OK, 2, None, "2"]
        assert res[2]["error"]["name"] == "WRONGTYPE"
        await c.cmd("DEL", k)
        await c.close()
    run(go())


def test_watch_changes(url):
    async def go():
        w = await connect(url, name="py-watcher")
        m = await connect(url, name="py-mutator")
        k = "py-watch:" + url[:3]
        assert await w.watch(k + ":*") is True
        assert await w.watch(k + ":*") is True  # idempotent (WAT-1)
        assert await w.watch(k + ":a") is True
        await m.cmd("SET", k + ":a", "1")
        got = [await w.next_change(), await w.next_change()]
        assert sorted(c["pattern"] for c in got) == sorted([k + ":*", k + ":a"])
        assert all(c["key"] == k + ":a" and c["op"] == "set" and c["by"] == "py-mutator" for c in got)
        await m.cmd("SET", k + ":b", "1", "NX")
        await m.cmd("SET", k + ":b", "2", "NX")  # changes nothing: no notification (STO-19)
        await m.cmd("DEL", k + ":b", k + ":a")
        ops = [(c["key"], c["op"]) for c in [await w.next_change() for _ in range(4)]]
        assert ops[0] == (k + ":b", "set") and ops[1] == (k + ":b", "del")
        assert sorted(ops[2:]) == [(k + ":a", "del")] * 2
        await m.cmd("SET", k + ":e", "1", "PX", "100")
        assert (await w.next_change())["op"] == "set"
        c = await w.next_change(timeout=3)
        assert (c["key"], c["op"]) == (k + ":e", "expired") and "by" not in c
        assert await w.unwatch(k + ":*") is True
        assert await w.unwatch(k + ":a") is True
        await m.cmd("SET", k + ":a", "1")
        with pytest.raises(asyncio.TimeoutError):
            await w.next_change(timeout=0.3)
        await m.cmd("DEL", k + ":a")
        await w.close()
        await m.close()
    run(go())


def test_adapters(url):
    async def go():
        owner = await connect(url, name="py-owner")
        reader = await connect(url, name="py-reader")
        k = "py-adapt:" + url[:3]
        await owner.watch(k)
        reads = []

        def serve(argv, read):
            reads.append(read)
            if argv[0].upper() == "GET":
                return b"\x00computed"
            raise PlexusError("WRONGTYPE", "WRONGTYPE Operation against a key holding the wrong kind of value")

        assert await owner.adapt(k, serve) is True
        assert await reader.cmd("GET", k) == b"\x00computed"
        assert reads[0]["key"] == k and reads[0]["argv"] == ["GET", k]
        with pytest.raises(PlexusError) as e:
            await reader.cmd("LLEN", k)
        assert e.value.name == "WRONGTYPE"  # the owner's error, unchanged (ADP-4)
        with pytest.raises(PlexusError) as e:
            await reader.cmd("SET", k, "x")
        assert e.value.name == "READ_ONLY"
        for argv in (["MGET", k, "other"], ["EXISTS", k, "x"], ["SINTER", k, "x"]):  # ADP-3
            with pytest.raises(PlexusError) as e:
                await reader.cmd(*argv)
            assert (e.value.name, e.value.message) == ("COMMAND_ERROR", "ERR adapted key in a multi-key command")
        with pytest.raises(PlexusError) as e:
            await reader.adapt(k, serve)
        assert e.value.name == "KEY_OWNED"
        assert await owner.unadapt(k) is True
        c = await owner.next_change()
        assert (c["key"], c["op"], "by" in c) == (k, "gone", False)  # ADP-7, WAT-4
        assert await reader.cmd("GET", k) is None
        await owner.close()
        await reader.close()
    run(go())
