"""conftest.py - a real redis-server on a free port of 127.0.0.1 and plexus-server instances
sharing it (--storage redis://), for the cross-instance tests. Reuses tests/e2e's Server
(plexus-server on --port 0) and plexus_wire. Every wait has a timeout."""

import importlib.util
import os
import socket
import subprocess
import sys
import time

import pytest

E2E = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e")
sys.path.insert(0, E2E)
_spec = importlib.util.spec_from_file_location("e2e_conftest", os.path.join(E2E, "conftest.py"))
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

REDIS = "/usr/bin/redis-server"
REDIS_START_TIMEOUT = 10.0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def redis_ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), 0.5) as c:
            c.settimeout(0.5)
            c.sendall(b"PING\r\n")
            return c.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_url():
    """A fresh redis-server (no persistence) for one test; its redis:// URL."""
    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + REDIS_START_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None and not redis_ping(port):
            time.sleep(0.05)
        if proc.poll() is None and redis_ping(port):
            break
        proc.kill()
        proc.wait(5)
    else:
        raise RuntimeError("redis-server did not start")
    yield "redis://127.0.0.1:%d" % port
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


start_server = e2e.start_server
