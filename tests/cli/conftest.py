"""conftest.py - fixtures of the plexus-cli tests: a plexus-server on --port 0 per test
(PLEXUS_SERVER_BIN), and helpers that run plexus-cli (PLEXUS_CLI_BIN) with a time bound,
in the background, or on a pseudo-terminal. Every wait has a timeout."""

import os
import pty
import select
import signal
import subprocess
import time

import pytest

WAIT = 15.0  # bound of every wait in these tests


def binary(var):
    path = os.environ.get(var)
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("set %s (ctest -R cli does it)" % var)
    return path


class PlexusServer:
    """plexus-server on 127.0.0.1 and a free port, stopped by stop()."""

    def __init__(self, *extra):
        self.proc = subprocess.Popen(
            [binary("PLEXUS_SERVER_BIN"), "--port", "0", "--log-level", "error"] + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.port = None
        end = time.monotonic() + WAIT
        buf = b""
        while self.port is None:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                self.stop()
                raise RuntimeError("plexus-server printed no port")
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError("plexus-server exited")
            buf += chunk
            for line in buf.decode().splitlines():
                if line.startswith("listening on "):
                    self.port = int(line.split()[-1])
        self.url = "ws://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(WAIT)
        self.proc.stdout.close()


class Cli:
    """Runs plexus-cli against one server."""

    def __init__(self, server):
        self.server = server
        self.bg = []

    def argv(self, args, url=True):
        head = [binary("PLEXUS_CLI_BIN")]
        if url and self.server:
            head += ["-u", self.server.url]
        return head + [str(a) for a in args]

    def run(self, *args, input=None, url=True, timeout=WAIT):
        """Runs to completion; returns CompletedProcess with bytes stdout / stderr."""
        return subprocess.run(self.argv(args, url), input=input, capture_output=True,
                              timeout=timeout)

    def out(self, *args, **kw):
        r = self.run(*args, **kw)
        return r.stdout.decode()

    def start(self, *args, url=True):
        """Starts in the background; killed at the end of the test."""
        p = subprocess.Popen(self.argv(args, url), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.bg.append(p)
        return p

    def wait_ready(self, p, word):
        """Waits for the 'listening as' / 'serving' / 'watching as' line on stderr."""
        end = time.monotonic() + WAIT
        buf = b""
        while word.encode() not in buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([p.stderr], [], [], left)[0]:
                raise RuntimeError("no %r from plexus-cli: %r" % (word, buf))
            chunk = os.read(p.stderr.fileno(), 4096)
            if not chunk:
                raise RuntimeError("plexus-cli ended: %r" % buf)
            buf += chunk
        return buf.decode()

    def tty(self, *args, url=True):
        """Runs with stdout on a pseudo-terminal (stdin /dev/null); returns (rc, text)."""
        master, slave = pty.openpty()
        p = subprocess.Popen(self.argv(args, url), stdin=subprocess.DEVNULL, stdout=slave,
                             stderr=subprocess.PIPE)
        os.close(slave)
        out = read_until_eof(master)
        os.close(master)
        rc = p.wait(WAIT)
        p.stderr.close()
        return rc, out.replace("\r\n", "\n")

    def cleanup(self):
        for p in self.bg:
            if p.poll() is None:
                p.kill()
            p.wait(WAIT)
            for f in (p.stdout, p.stderr):
                if f:
                    f.close()


def read_until_eof(fd, timeout=WAIT):
    end = time.monotonic() + timeout
    data = b""
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise RuntimeError("no end of output: %r" % data)
        if not select.select([fd], [], [], left)[0]:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side of the pty is closed
            break
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


def finish(p, timeout=WAIT):
    """Waits for a background plexus-cli; returns (rc, stdout text)."""
    out, _ = p.communicate(timeout=timeout)
    return p.returncode, out.decode()


@pytest.fixture
def server():
    s = PlexusServer()
    yield s
    s.stop()


@pytest.fixture
def cli(server):
    c = Cli(server)
    yield c
    c.cleanup()


@pytest.fixture
def offline():
    """plexus-cli for commands that need no server."""
    c = Cli(None)
    yield c
    c.cleanup()
