"""Interop with plexus-server: an 8 MiB attachment chunked and gzipped both ways (SPEC 4, 5)."""
import asyncio
import hashlib
import random

from conftest import run
from plexus.client import Client

SIZE = 8 * 1024 * 1024


def blob():
    """8 MiB that gzip shrinks to about half: still several 1 MiB frames once compressed."""
    raw = random.Random(7).randbytes(SIZE)
    return raw.translate(bytes(b & 0x0F for b in range(256)))


def test_8mib_storage_both_ways(url):
    async def go():
        data = blob()
        c = await Client.connect(url)
        await c.hello()
        k = "py-big:" + url[:3]
        assert await c.cmd("SET", k, data, timeout=30) == {"$status": "OK"}
        assert c.stats["chunked_out"] >= 1 and c.stats["gzip_out"] >= 1  # client -> server
        before = dict(c.stats)
        got = await c.cmd("GET", k, timeout=30)
        assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
        assert c.stats["chunked_in"] > before["chunked_in"]  # server -> client
        assert c.stats["gzip_in"] > before["gzip_in"]
        assert c.stats["frames_in"] - before["frames_in"] >= 4
        await c.cmd("DEL", k)
        await c.close()
    run(go(), timeout=120)


def test_8mib_forwarded_call_small_frames(url):
    """A call with an 8 MiB argument, echoed back, with max_frame 64 KiB on both clients,
    while small calls keep flowing (CHK-5: chunks of different messages interleave)."""
    async def go():
        data = blob()
        a, b = await Client.connect(url), await Client.connect(url)
        await a.hello(name="py-big-a", max_frame=65536)
        await b.hello(name="py-big-b", max_frame=65536)
        await b.register(["py.big.echo"], lambda args, call: args)
        await b.register(["py.big.ping"], lambda args, call: "pong")
        big = asyncio.ensure_future(a.call("py.big.echo", data, timeout=60))
        small = [await a.call("py.big.ping") for _ in range(3)]
        assert not big.done()  # the small calls overtook the large transfer
        got = await big
        assert small == ["pong"] * 3
        assert got == data
        for c in (a, b):
            assert c.stats["chunked_in"] >= 1 and c.stats["gzip_in"] >= 1
            assert c.stats["chunked_out"] >= 1 and c.stats["gzip_out"] >= 1
            assert c.stats["frames_in"] > 40  # about 4 MiB of gzip in 64 KiB frames
        await a.close()
        await b.close()
    run(go(), timeout=120)
