"""pytest setup: the plexus package on sys.path, a plexus-server fixture, an asyncio runner."""
import asyncio
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SERVER_BIN = os.environ.get("PLEXUS_SERVER_BIN")


async def connect(url, **hello):
    """A Python client that has done hello with these fields."""
    from plexus.client import Client
    c = await Client.connect(url)
    await c.hello(**hello)
    return c


def run(coro, timeout=60):
    """Run a coroutine to completion with an overall timeout."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


class Server:
    """plexus-server on 127.0.0.1 with --port 0 --tcp-port 0; ws and tcp give the URLs."""

    def __init__(self, *args):
        if not SERVER_BIN:
            pytest.skip("PLEXUS_SERVER_BIN is not set: interop tests need plexus-server")
        self.log = tempfile.TemporaryFile()  # a file, so a chatty server never blocks
        self.proc = subprocess.Popen([SERVER_BIN, "--host", "127.0.0.1", "--port", "0",
                                      "--tcp-port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=self.log)
        ports = {}
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 10
        buf = b""
        while len(ports) < 2 and time.monotonic() < deadline:
            if not sel.select(timeout=deadline - time.monotonic()):
                break
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            for m in re.finditer(rb"listening (tcp )?on (\d+)", buf):
                ports["tcp" if m.group(1) else "ws"] = int(m.group(2))
        sel.close()
        if len(ports) < 2:
            self.stop()
            raise RuntimeError(f"plexus-server did not print its ports: {buf!r}")
        self.ws = f"ws://127.0.0.1:{ports['ws']}"
        self.tcp = f"plexus://127.0.0.1:{ports['tcp']}"

    def stop(self):
        """SIGTERM, then wait up to 10 s (kill after that); returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stdout.close()
        self.log.seek(0)
        self.stderr = self.log.read().decode(errors="replace")
        self.log.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def server():
    s = Server("--history", "10", "--call-timeout", "3000")
    yield s
    assert s.stop() == 0, "SIGTERM must end plexus-server with 0:\n" + s.stderr[-3000:]


@pytest.fixture(params=["ws", "tcp"])
def url(request, server):
    """Each interop test runs over both bindings."""
    return getattr(server, request.param)
