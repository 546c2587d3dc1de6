"""Interop between the Python client and the C reference client (plexus-cli, run as a
program: its code is not read here) through plexus-server, on both bindings."""
import asyncio
import base64
import json
import os
import random
import sys

import pytest

from conftest import connect, run

CLI = os.environ.get("PLEXUS_CLI_BIN")
pytestmark = pytest.mark.skipif(not CLI, reason="PLEXUS_CLI_BIN (plexus-cli) is not set")


async def cli(url, *args, timeout=15):
    """Run plexus-cli to completion; returns (exit status, stdout, stderr)."""
    p = await asyncio.create_subprocess_exec(CLI, "-u", url, *args, stdout=asyncio.subprocess.PIPE,
                                             stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(p.communicate(), timeout)
    except asyncio.TimeoutError:
        p.kill()
        await p.wait()
        raise
    return p.returncode, out.decode(), err.decode()


async def wait_until(predicate, timeout=10):
    for _ in range(int(timeout / 0.05)):
        if await predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_python_calls_a_route_served_by_c(url):
    async def go():
        route = "py-c.add"
        script = "import json,sys; a=json.load(sys.stdin); print(json.dumps({'sum': a[0] + a[1]}))"
        server = await asyncio.create_subprocess_exec(
            CLI, "-u", url, "--name", "c-server", "serve", route, "--count", "2", "--timeout", "20000",
            "--", sys.executable, "-c", script,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        py = await connect(url, name="py-caller")
        try:
            async def served():
                return (await py.call("plexus.routes")).get(route) == ["c-server"]
            await wait_until(served)
            assert await py.call(route, [2, 40]) == {"sum": 42}
            assert await py.call(route, [1, 2], to="c-server") == {"sum": 3}
            await asyncio.wait_for(server.wait(), 10)  # --count 2: it exits after two calls
            assert server.returncode == 0
        finally:
            if server.returncode is None:
                server.kill()
                await server.wait()
            await py.close()
    run(go())


def test_c_calls_a_route_served_by_python(url):
    async def go():
        py = await connect(url, name="py-server")
        calls = []

        def mul(args, call):
            calls.append(call)
            return {"product": args[0] * args[1], "blob": b"\x00\x01"}

        await py.register(["py-c.mul"], mul)
        try:
            rc, out, err = await cli(url, "--name", "c-caller", "--json", "call", "py-c.mul", "[6, 7]")
            assert rc == 0, err
            res = json.loads(out)
            assert res["product"] == 42
            assert calls[0]["from"] == "c-caller" and calls[0]["args"] == [6, 7]
            rc, out, err = await cli(url, "--json", "call-all", "py-c.mul", "[2, 3]")
            assert rc == 0, err
            assert json.loads(out)["py-server"]["result"]["product"] == 6
            def fail(args, call):
                raise ValueError("nope")
            py.routes["py-c.mul"] = fail
            rc, out, err = await cli(url, "--json", "call", "py-c.mul", "[1, 1]")
            assert rc == 1 and "ROUTE_FAILED" in out + err
        finally:
            await py.close()
    run(go())


def test_presence_and_events_between_python_and_c(url):
    async def go():
        listener = await asyncio.create_subprocess_exec(
            CLI, "-u", url, "--name", "c-listener", "listen", "--presence", "--count", "4",
            "--timeout", "15000", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        watcher = None
        try:
            line = await asyncio.wait_for(listener.stderr.readline(), 10)
            assert b"listening as c-listener" in line, line
            watcher = await connect(url, name="py-watcher-c", presence=True)
            py = await connect(url, name="py-talker", groups=["py-c-g"])
            p = await watcher.next_presence()
            assert p == {"t": "presence", "kind": "join", "name": "py-talker", "groups": ["py-c-g"]}
            assert await py.send("client:c-listener", "hello-c", {"n": 1}) == 1
            await py.close()
            out, _ = await asyncio.wait_for(listener.communicate(), 10)
            lines = [json.loads(x) for x in out.decode().splitlines()]
            assert [(x.get("kind"), x["name"]) for x in (lines[0], lines[1], lines[3])] == \
                [("join", "py-watcher-c"), ("join", "py-talker"), ("leave", "py-talker")]
            assert lines[1]["groups"] == ["py-c-g"]
            assert (lines[2]["t"], lines[2]["from"], lines[2]["event"], lines[2]["data"]) == \
                ("event", "py-talker", "hello-c", {"n": 1})
            seen = [await watcher.next_presence() for _ in range(2)]
            assert [(p["kind"], p["name"]) for p in seen] == [("leave", "py-talker"),
                                                              ("leave", "c-listener")]
            rc, _, err = await cli(url, "--name", "c-sender", "send", "--to", "client:py-watcher-c",
                                   "from-c", '{"x": [1, 2]}')
            assert rc == 0, err
            ev, _ = await watcher.next_event()
            assert (ev["from"], ev["event"], ev["data"]) == ("c-sender", "from-c", {"x": [1, 2]})
            seen = [await watcher.next_presence() for _ in range(2)]
            assert [(p["kind"], p["name"]) for p in seen] == [("join", "c-sender"),
                                                              ("leave", "c-sender")]
        finally:
            if listener.returncode is None:
                listener.kill()
                await listener.wait()
            if watcher:
                await watcher.close()
    run(go())


def test_8mib_value_stored_by_python_read_by_c(url):
    async def go():
        data = random.Random(3).randbytes(8 << 20)
        py = await connect(url)
        k = "py-c-big:" + url[:3]
        try:
            await py.cmd("SET", k, data, timeout=30)
            rc, out, err = await cli(url, "--json", "GET", k, timeout=60)
            assert rc == 0, err
            assert base64.b64decode(json.loads(out)["$base64"]) == data
            await py.cmd("DEL", k)
        finally:
            await py.close()
    run(go(), timeout=120)
