"""The Python client against a fake server (no plexus-server needed): what the client
does with bad input from a server (SES-22, ERR-3, SES-15)."""
import asyncio

import websockets

from conftest import run
from plexus.client import Client
from plexus.codec import Reader, Writer

WELCOME = {"t": "welcome", "version": 1, "name": "fake", "server": "fake/0", "max_frame": 65536,
           "max_message": 1048576, "gzip": True, "gzip_threshold": 1024, "ping_interval_ms": 0,
           "call_timeout_ms": 1000, "history": 0}


async def fake_server(script):
    """A WebSocket server on 127.0.0.1 that runs script(ws, reader, writer) per connection."""
    async def handler(ws, path=None):
        await script(ws, Reader("websocket", "server", 65536, 1048576, True), Writer(max_frame=65536))
    return await websockets.serve(handler, "127.0.0.1", 0, subprotocols=["plexus.v1"],
                                  compression=None)


async def recv_message(ws, reader):
    while True:
        reader.feed(await asyncio.wait_for(ws.recv(), 5))
        msgs = reader.take()
        if msgs:
            return msgs[0].obj


def test_client_sends_error_and_closes_on_bad_frame():
    seen = {}

    async def script(ws, reader, writer):
        assert (await recv_message(ws, reader))["t"] == "hello"
        await ws.send(writer.encode(WELCOME)[0])
        await ws.send(bytes.fromhex("01040000000000090000000000000000"))  # reserved flag bit 2
        seen["error"] = await recv_message(ws, reader)
        await ws.wait_closed()
        seen["code"] = ws.close_code

    async def go():
        srv = await fake_server(script)
        port = srv.sockets[0].getsockname()[1]
        c = await Client.connect(f"ws://127.0.0.1:{port}")
        await c.hello()
        await c.wait_closed()
        assert c.closed.error.name == "RESERVED_BITS"
        await c.close()
        srv.close()
        await srv.wait_closed()
    run(go())
    assert seen["error"]["name"] == "RESERVED_BITS" and seen["error"]["code"] == 103
    assert seen["code"] == 1002


def test_client_answers_ping_unknown_type_and_unserved_call():
    got = []

    async def script(ws, reader, writer):
        await recv_message(ws, reader)
        await ws.send(writer.encode(WELCOME)[0])
        for obj in ({"t": "ping", "n": 3}, {"t": "frobnicate", "id": 4},
                    {"t": "call", "id": 5, "route": "nope", "from": "x"}, {"t": "reply", "id": 6}):
            await ws.send(writer.encode(obj)[0])
            got.append(await recv_message(ws, reader))

    async def go():
        srv = await fake_server(script)
        port = srv.sockets[0].getsockname()[1]
        c = await Client.connect(f"ws://127.0.0.1:{port}")
        await c.hello()
        for _ in range(100):
            if len(got) == 4:
                break
            await asyncio.sleep(0.05)
        await c.close()
        srv.close()
        await srv.wait_closed()
    run(go())
    assert got[0] == {"t": "pong", "n": 3}
    assert got[1]["t"] == "reply" and got[1]["id"] == 4 and got[1]["error"]["name"] == "UNKNOWN_TYPE"
    assert got[2]["t"] == "reply" and got[2]["id"] == 5 and got[2]["error"]["name"] == "UNKNOWN_ROUTE"
    assert got[3]["t"] == "error" and got[3]["re"] == 6 and got[3]["name"] == "BAD_VALUE"


def test_client_expires_an_idle_incomplete_message():
    """CHK-12: no further frame arrives; the client's timer fails the connection with EXPIRED.
    (expiry_ms is fixed at 30 s by LIM-1; the test shortens the port's own setting.)"""
    seen = {}

    async def script(ws, reader, writer):
        await recv_message(ws, reader)
        await ws.send(writer.encode(WELCOME)[0])
        await ws.send(bytes.fromhex("010200000000000700000000000000040000001a"))  # MORE, 4 bytes
        seen["error"] = await recv_message(ws, reader)
        await ws.wait_closed()
        seen["code"] = ws.close_code

    async def go():
        srv = await fake_server(script)
        port = srv.sockets[0].getsockname()[1]
        c = await Client.connect(f"ws://127.0.0.1:{port}")
        c.reader.assembler.expiry_ms = 300
        await c.hello()
        await c.wait_closed(timeout=5)
        assert c.closed.error.name == "EXPIRED"
        await c.close()
        srv.close()
        await srv.wait_closed()
    run(go())
    assert seen["error"]["name"] == "EXPIRED" and seen["code"] == 1008
