"""Interop with plexus-server started with small limits: keepalive, hello timeout,
max connections, and raw stream-binding errors (SPEC 2.2, 9, 10)."""
import asyncio
import select
import socket
import subprocess
import time

import pytest

from conftest import SERVER_BIN, Server, connect, run
from plexus.client import Client


@pytest.fixture(scope="module")
def small():
    s = Server("--ping-interval", "1000", "--hello-timeout", "1000", "--max-connections", "4")
    yield s
    assert s.stop() == 0, s.stderr[-3000:]


@pytest.fixture(params=["ws", "tcp"])
def surl(request, small):
    return getattr(small, request.param)


def test_server_pings_are_answered(surl):
    async def go():
        c = await connect(surl)
        assert c.welcome["ping_interval_ms"] == 1000
        await asyncio.sleep(3.5)  # past missed_pongs x interval: our pongs keep it open
        assert not c.closed
        assert await c.cmd("DBSIZE") >= 0
        await c.close()
    run(go())


def test_ping_timeout_without_pongs(surl):
    async def go():
        c = await connect(surl)

        async def deaf(m):  # swallow pings: the server must give up on us
            if m.obj["t"] == "error":
                c._on_error(m.obj)
        c._dispatch = deaf
        err = await c.next_error(timeout=6)
        assert err.name == "PING_TIMEOUT"
        await c.wait_closed()
        if surl.startswith("ws:"):
            assert c.t.close_code() == 1008
        await c.close()
    run(go())


def test_hello_timeout(surl):
    async def go():
        c = await Client.connect(surl)
        t0 = time.monotonic()
        err = await c.next_error(timeout=5)
        assert err.name == "HELLO_TIMEOUT" and 0.8 < time.monotonic() - t0 < 5
        await c.wait_closed()
        await c.close()
    run(go())


def test_server_full(small):
    async def go():
        await asyncio.sleep(0.5)  # connections of earlier tests are released
        conns = [await connect(small.ws) for _ in range(4)]
        extra = await Client.connect(small.tcp)
        err = await extra.next_error()
        assert err.name == "SERVER_FULL"
        await extra.wait_closed()
        await extra.close()
        for c in conns:
            await c.close()
    run(go())


def raw_tcp(small, data):
    """Send raw bytes on the stream binding; return everything received until EOF."""
    port = int(small.tcp.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


def test_stream_prefix_below_16(small):
    from plexus.codec import Reader
    got = raw_tcp(small, bytes.fromhex("0000000f01000000"))
    r = Reader("stream", "client", gzip=False)
    r.feed(got)
    r.end()
    [m] = r.take()
    assert (m.obj["t"], m.obj["name"]) == ("error", "TRUNCATED")


def starts(*args):
    """True when plexus-server starts (prints its port) with these options."""
    if not SERVER_BIN:
        pytest.skip("PLEXUS_SERVER_BIN is not set: interop tests need plexus-server")
    p = subprocess.Popen([SERVER_BIN, "--host", "127.0.0.1", "--port", "0", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:  # 'listening on N', or EOF when it refuses to start; at most 10 s
        ready = select.select([p.stdout], [], [], 10)[0]
        line = p.stdout.readline() if ready else b""
    finally:
        if p.poll() is None:
            p.terminate()
        p.wait(10)
        p.stdout.close()
    return line.startswith(b"listening on")


def test_option_ranges():
    """LIM-1: a server refuses values outside a limit's range and accepts every value inside."""
    assert starts("--ping-interval", "0"), "ping interval 0 (off) refused"
    for args in (("--ping-interval", "500"), ("--hello-timeout", "500"),
                 ("--hello-timeout", "400000")):
        assert not starts(*args), f"{args} accepted"
