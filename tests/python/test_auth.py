"""Interop with plexus-server started with a secret and an override key (SES-5, SES-10, SEC-2)
and WebSocket-level rules (TRN-3, TRN-6)."""
import asyncio
import urllib.request

import pytest
import websockets

from conftest import Server, connect, run
from plexus.client import Client
from plexus.errors import PlexusError

SECRET, OVERRIDE = "py-secret", "py-override"


@pytest.fixture(scope="module")
def authed():
    s = Server("--secret", SECRET, "--override-key", OVERRIDE)
    yield s
    assert s.stop() == 0, s.stderr[-3000:]


@pytest.fixture(params=["ws", "tcp"])
def aurl(request, authed):
    return getattr(authed, request.param)


@pytest.mark.parametrize("fields", [{}, {"secret": "wrong"}, {"secret": SECRET, "override": "nope"}])
def test_auth_failed_is_fatal(aurl, fields):
    async def go():
        c = await Client.connect(aurl)
        with pytest.raises(PlexusError) as e:
            await c.hello(**fields)
        assert (e.value.name, e.value.fatal) == ("AUTH_FAILED", True)
        await c.wait_closed()
        if aurl.startswith("ws:"):
            assert c.t.close_code() == 1008
        await c.close()
    run(go())


def test_override_replaces_the_holder(aurl):
    async def go():
        watcher = await connect(aurl, secret=SECRET, presence=True)
        old = await connect(aurl, secret=SECRET, name="py-auth-x")
        assert (await watcher.next_presence())["kind"] == "join"
        await old.register(["py-auth.slow"], lambda a, c: asyncio.sleep(5))
        pending = asyncio.ensure_future(watcher.call("py-auth.slow"))
        await asyncio.sleep(0.1)
        new = await connect(aurl, secret=SECRET, name="py-auth-x", override=OVERRIDE)
        assert new.name == "py-auth-x"
        err = await old.next_error()
        assert err.name == "REPLACED"
        await old.wait_closed()
        with pytest.raises(PlexusError) as e:
            await pending
        assert e.value.name == "PEER_GONE"  # SES-10: released as if it had disconnected
        kinds = [(await watcher.next_presence())["kind"] for _ in range(2)]
        assert kinds == ["leave", "join"]
        for c in (watcher, old, new):
            await c.close()
    run(go())


def test_websocket_rules(authed):
    async def go():
        # TRN-3: a handshake without plexus.v1 is refused with 400
        with pytest.raises(websockets.InvalidStatusCode) as e:
            await asyncio.wait_for(websockets.connect(authed.ws), 5)
        assert e.value.status_code == 400
        # TRN-6: a text message closes with 1003 and no Plexus error first
        ws = await asyncio.wait_for(websockets.connect(authed.ws, subprotocols=["plexus.v1"]), 5)
        await ws.send('{"t":"ping"}')
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 1003
    run(go())
    # TRN-11: GET /healthz on the same port
    port = authed.ws.rsplit(":", 1)[1]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
        assert r.status == 200
