"""test_redis_down.py - plexus-server --storage redis://... when Redis comes and goes.

Starts a private redis-server and plexus-server on it, then checks, each wait bounded:
  1. storage works, a change made by one client reaches another's watch (no `by`), /healthz 200;
  2. data stored before the server restarts (SIGTERM, exit 0, start again) is still there;
  3. with Redis hanging (SIGSTOP), a cmd fails with STORAGE_UNAVAILABLE within the timeout,
     and storage recovers by itself after SIGCONT;
  4. with Redis killed, cmd and pipeline fail with STORAGE_UNAVAILABLE within the backend's
     timeout (5 s) plus slack, while messaging (plexus.info, send to another client) keeps working and
     /healthz answers 503;
  5. Redis restarted on the same port: storage works again by itself within 10 s, /healthz 200.

usage: test_redis_down.py PLEXUS_SERVER   (run with /usr/bin/python3)
"""
import asyncio
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from plexus.client import Client  # noqa: E402
from plexus.errors import PlexusError  # noqa: E402

SERVER = sys.argv[1]
DOWN_BOUND_S = 5.0 + 2.0  # rstore's timeout_ms default, plus scheduling slack


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def redis_ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(port):
    p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if redis_ping(port):
            return p
        time.sleep(0.05)
    p.kill()
    raise RuntimeError(f"redis-server on {port} did not answer PING")


def start_server(redis_port):
    p = subprocess.Popen([SERVER, "--port", "0", "--storage", f"redis://127.0.0.1:{redis_port}"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    deadline, buf = time.monotonic() + 10, b""
    while time.monotonic() < deadline and sel.select(timeout=deadline - time.monotonic()):
        chunk = os.read(p.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        m = re.search(rb"listening on (\d+)", buf)
        if m:
            sel.close()
            return p, int(m.group(1))
    p.kill()
    raise RuntimeError(f"plexus-server did not print its port: {buf!r}")


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)
        return None


def healthz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def wait_healthz(port, want, bound_s):
    deadline = time.monotonic() + bound_s
    while healthz(port) != want:
        assert time.monotonic() < deadline, f"/healthz is not {want} after {bound_s} s"
        time.sleep(0.1)


async def client(port, name):
    c = await Client.connect(f"ws://127.0.0.1:{port}")
    await c.hello(name=name)
    return c


async def phase_up(port):
    a, w = await client(port, "a"), await client(port, "w")
    await w.watch("down:*")
    assert await a.cmd("SET", "down:k", "v") == {"$status": "OK"}
    change = await w.next_change(timeout=5)
    assert change == {"t": "change", "key": "down:k", "op": "set", "pattern": "down:*"}, change
    assert await a.cmd("RPUSH", "down:l", "x", "y") == 2
    await a.close()
    await w.close()


async def phase_restarted(port):
    a = await client(port, "a")
    assert await a.cmd("GET", "down:k") == "v"
    assert await a.cmd("LRANGE", "down:l", "0", "-1") == ["x", "y"]
    info = await a.call("plexus.info")
    assert info["storage"] == "redis", info
    await a.close()


async def phase_hung(port):
    a = await client(port, "a")
    t0 = time.monotonic()
    try:
        await a.cmd("GET", "down:k", timeout=DOWN_BOUND_S + 5)
        raise AssertionError("a storage command succeeded while Redis hangs")
    except PlexusError as e:
        assert e.name == "STORAGE_UNAVAILABLE", e.name
    took = time.monotonic() - t0
    assert took <= DOWN_BOUND_S, f"STORAGE_UNAVAILABLE after {took:.1f} s"
    await a.close()


async def phase_down(port):
    a = await client(port, "a")
    for request in (a.cmd("GET", "down:k", timeout=DOWN_BOUND_S + 5),
                    a.pipeline([["SET", "down:x", "1"], ["GET", "down:x"]],
                               timeout=DOWN_BOUND_S + 5)):
        t0 = time.monotonic()
        try:
            await request
            raise AssertionError("a storage command succeeded while Redis is down")
        except PlexusError as e:
            assert e.name == "STORAGE_UNAVAILABLE", e.name
        took = time.monotonic() - t0
        assert took <= DOWN_BOUND_S, f"STORAGE_UNAVAILABLE after {took:.1f} s"
    # Messaging lives on.
    b = await client(port, "b")
    assert (await a.call("plexus.info"))["connections"] >= 2
    await a.send("client:b", "ev", {"n": 1})
    ev, _ = await b.next_event(timeout=5)
    assert ev["event"] == "ev" and ev["data"] == {"n": 1}, ev
    await a.close()
    await b.close()


async def phase_recovered(port):
    a = await client(port, "a")
    deadline = time.monotonic() + 10
    while True:
        try:
            assert await a.cmd("SET", "down:again", "1", timeout=DOWN_BOUND_S + 5) == {"$status": "OK"}
            break
        except PlexusError as e:
            assert e.name == "STORAGE_UNAVAILABLE", e.name
            assert time.monotonic() < deadline, "storage did not come back within 10 s"
            await asyncio.sleep(0.2)
    assert await a.cmd("GET", "down:again") == "1"
    await a.close()


def run(coro):
    asyncio.run(asyncio.wait_for(coro, 60))


def main():
    rport = free_port()
    redis = start_redis(rport)
    server = None
    try:
        server, port = start_server(rport)
        wait_healthz(port, 200, 5)
        run(phase_up(port))
        assert stop(server) == 0, "SIGTERM must end plexus-server with 0"
        server, port = start_server(rport)
        run(phase_restarted(port))
        redis.send_signal(signal.SIGSTOP)  # a Redis that hangs: bounded by the timeout
        run(phase_hung(port))
        redis.send_signal(signal.SIGCONT)
        run(phase_recovered(port))
        redis.kill()
        redis.wait(5)
        run(phase_down(port))
        wait_healthz(port, 503, DOWN_BOUND_S)
        redis = start_redis(rport)
        run(phase_recovered(port))
        wait_healthz(port, 200, 5)
        assert stop(server) == 0, "SIGTERM must end plexus-server with 0"
        server = None
    finally:
        if server:
            server.kill()
        redis.kill()
        redis.wait(5)
    print("redis down: ok")


if __name__ == "__main__":
    main()
