"""The Python client against a fake server (no plexus-server needed): what the client
does with bad input from a server (SES-22, ERR-3, SES-15, CHK-12)."""
import asyncio

import websockets

from conftest import run
from plexus.client import Client
from plexus.codec import Reader, Writer

WELCOME = {"t": "welcome", "version": 1, "name": "fake", "server": "fake/0", "max_frame": 65536,
           "max_message": 1048576, "gzip": True, "gzip_threshold": 1024, "ping_interval_ms": 0,
           "call_timeout_ms": 1000, "history": 0}


async def recv_message(ws, reader):
    while True:
        reader.feed(await asyncio.wait_for(ws.recv(), 5))
        msgs = reader.take()
        if msgs:
            return msgs[0].obj


def against_fake(after_welcome, client_steps, setup=None):
    """A fake WebSocket server on 127.0.0.1 answers hello with WELCOME, then runs
    after_welcome(ws, reader, writer); a Client does hello, then client_steps(client)."""
    async def handler(ws, path=None):
        reader, writer = Reader("websocket", "server", 65536, 1048576, True), Writer(max_frame=65536)
        assert (await recv_message(ws, reader))["t"] == "hello"
        await ws.send(writer.encode(WELCOME)[0])
        await after_welcome(ws, reader, writer)

    async def go():
        srv = await websockets.serve(handler, "127.0.0.1", 0, subprotocols=["plexus.v1"],
                                     compression=None)
        c = await Client.connect(f"ws://127.0.0.1:{srv.sockets[0].getsockname()[1]}")
        try:
            if setup:
                setup(c)
            await c.hello()
            await client_steps(c)
        finally:
            await c.close()
            srv.close()
            await srv.wait_closed()
    run(go())


def fatal_case(frame, expected, close_code, setup=None):
    """The fake server sends frame; the client must send error{expected} and close."""
    seen = {}

    async def server(ws, reader, writer):
        await ws.send(frame)
        seen["error"] = await recv_message(ws, reader)
        await ws.wait_closed()
        seen["code"] = ws.close_code

    async def client(c):
        await c.wait_closed(timeout=5)
        assert c.closed.error.name == expected

    against_fake(server, client, setup)
    assert seen["error"]["name"] == expected and seen["code"] == close_code


def test_client_sends_error_and_closes_on_bad_frame():
    fatal_case(bytes.fromhex("01040000000000090000000000000000"), "RESERVED_BITS", 1002)


def test_client_expires_an_idle_incomplete_message():
    """CHK-12: no further frame arrives; the client's timer fails the connection with EXPIRED.
    (expiry_ms is fixed at 30 s by LIM-1; the test shortens the port's own setting.)"""
    def short_expiry(c):
        c.reader.assembler.expiry_ms = 300
    fatal_case(bytes.fromhex("010200000000000700000000000000040000001a"), "EXPIRED", 1008,
               short_expiry)


def test_client_answers_ping_unknown_type_and_unserved_call():
    got = []

    async def server(ws, reader, writer):
        for obj in ({"t": "ping", "n": 3}, {"t": "frobnicate", "id": 4},
                    {"t": "call", "id": 5, "route": "nope", "from": "x"}, {"t": "reply", "id": 6}):
            await ws.send(writer.encode(obj)[0])
            got.append(await recv_message(ws, reader))

    async def client(c):
        for _ in range(100):
            if len(got) == 4:
                break
            await asyncio.sleep(0.05)

    against_fake(server, client)
    assert got[0] == {"t": "pong", "n": 3}
    assert got[1]["t"] == "reply" and got[1]["id"] == 4 and got[1]["error"]["name"] == "UNKNOWN_TYPE"
    assert got[2]["t"] == "reply" and got[2]["id"] == 5 and got[2]["error"]["name"] == "UNKNOWN_ROUTE"
    assert got[3]["t"] == "error" and got[3]["re"] == 6 and got[3]["name"] == "BAD_VALUE"


def test_client_refuses_a_gzip_bomb():
    """GZ-7: 2 KiB of gzip that inflates to 2 MiB, past the client's max_message (1 MiB)."""
    from plexus import gzip
    from plexus.frame import GZIP, Frame
    bomb = gzip.compress(b"\0" * (2 << 20))
    assert len(bomb) < 4096
    fatal_case(Frame(GZIP, 1, 0, bomb).encode(), "TOO_LARGE", 1009)
