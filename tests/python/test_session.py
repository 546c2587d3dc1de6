"""Interop with plexus-server: session messages (SPEC section 9)."""
import os

import pytest

from conftest import connect, run
from plexus.client import Client
from plexus.errors import PlexusError


def test_hello_welcome_ping_bye(url):
    async def go():
        c = await Client.connect(url)
        w = await c.hello(name="py-sess-a", agent="plexus-python")
        assert w["t"] == "welcome" and w["version"] == 1 and w["name"] == "py-sess-a"
        for k in ("server", "max_frame", "max_message", "gzip", "gzip_threshold",
                  "ping_interval_ms", "call_timeout_ms", "history"):
            assert k in w
        assert (w["max_frame"], w["max_message"], w["gzip"], w["gzip_threshold"]) == \
            (1048576, 67108864, True, 1024)
        assert w.get("features") == ["change-by"]  # VER-6: the in-memory store's one feature
        assert (await c.ping(7)) == {"t": "pong", "n": 7}
        assert (await c.ping()) == {"t": "pong"}
        await c.bye("done")
        assert c.closed
        await c.close()
    run(go())


def test_limits_negotiated(url):
    async def go():
        c = await Client.connect(url)
        w = await c.hello(max_frame=4096, max_message=100000, gzip=False, gzip_threshold=5000)
        assert (w["max_frame"], w["max_message"], w["gzip"], w["gzip_threshold"]) == \
            (4096, 100000, False, 5000)
        assert w["name"]  # assigned (SES-7)
        with pytest.raises(PlexusError) as e:  # refused locally: the server would close
            await c.cmd("SET", "py-too-big", os.urandom(100001))
        assert e.value.name == "TOO_LARGE"
        assert await c.cmd("SET", "py-big-enough", os.urandom(90000)) == {"$status": "OK"}
        assert c.stats["chunked_out"] == 1 and c.stats["gzip_out"] == 0  # gzip off
        await c.close()
    run(go())


def test_name_taken_then_retry_and_already_ready(url):
    async def go():
        a = await Client.connect(url)
        await a.hello(name="py-sess-taken")
        b = await Client.connect(url)
        with pytest.raises(PlexusError) as e:
            await b.hello(name="py-sess-taken")
        assert e.value.name == "NAME_TAKEN" and e.value.code == 603
        with pytest.raises(PlexusError) as e:
            await b.hello(name="bad:name")
        assert e.value.name == "BAD_NAME"
        w = await b.hello(name="py-sess-other")  # SES-9: the connection stays usable
        assert w["name"] == "py-sess-other"
        await b.send_message({"t": "hello", "version": 1})
        err = await b.next_error()
        assert err.name == "ALREADY_READY"
        await a.close()
        await b.close()
    run(go())


def test_unknown_type_with_id_is_answered(url):
    async def go():
        c = await Client.connect(url)
        await c.hello()
        with pytest.raises(PlexusError) as e:
            await c.request({"t": "frobnicate"})
        assert e.value.name == "UNKNOWN_TYPE"
        with pytest.raises(PlexusError) as e:
            await c.request({"t": "call"})
        assert e.value.name == "MISSING_FIELD"
        await c.send_message({"t": "welcome"})  # no id: answered with an error message
        err = await c.next_error()
        assert err.name in ("WRONG_DIRECTION",)
        await c.close()
    run(go())


def test_not_ready_before_hello(url):
    async def go():
        c = await Client.connect(url)
        await c.send_message({"t": "ping"})
        err = await c.next_error()
        assert err.name == "NOT_READY" and err.fatal
        await c.wait_closed()
        await c.close()
    run(go())


def test_fatal_frame_error_closes(url):
    async def go():
        c = await Client.connect(url)
        await c.hello()
        bad = bytes.fromhex("02000000000000010000000000000000")  # version 2
        if url.startswith("plexus:"):
            bad = len(bad).to_bytes(4, "big") + bad
        await c.t.send(bad)
        err = await c.next_error()
        assert err.name == "BAD_VERSION"
        await c.wait_closed()
        if url.startswith("ws:"):  # TRN-10: the registry's close code
            assert c.t.close_code() == 1002
        await c.close()
    run(go())


def test_broken_chunk_offsets_are_caught(url):
    """The client's deliberately broken mode (second chunk's offset + 1) gets OFFSET_GAP."""
    async def go():
        c = await connect(url, max_frame=4096)
        c.broken = "offsets"
        await c.send_message({"t": "cmd", "id": 1, "argv": ["SET", "py-broken", os.urandom(20000)]})
        err = await c.next_error()
        assert (err.name, err.fatal) == ("OFFSET_GAP", True)
        await c.wait_closed()
        await c.close()
    run(go())
