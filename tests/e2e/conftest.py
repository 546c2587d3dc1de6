"""conftest.py - starts plexus-server (PLEXUS_SERVER_BIN) on --port 0 for a test, reads the
ports it prints, and stops it afterwards. Every wait has a timeout."""

import os
import resource
import selectors
import signal
import subprocess
import time

import pytest

START_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0


def server_bin():
    path = os.environ.get("PLEXUS_SERVER_BIN")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("set PLEXUS_SERVER_BIN to the plexus-server executable "
                           "(ctest -R e2e does it)")
    return path


class Server:
    def __init__(self, args, nofile=None):
        """nofile: the RLIMIT_NOFILE (soft and hard) the server starts with."""
        env = dict(os.environ)
        # Keep ASan's quarantine of freed memory small, so RSS reflects live memory.
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16").lstrip(":")
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) \
            if nofile else None
        self.proc = subprocess.Popen([server_bin(), "--port", "0"] + list(args),
                                     stdout=subprocess.PIPE, stderr=None, env=env,
                                     preexec_fn=limit)
        self.port = None
        self.tcp_port = None
        want_tcp = "--tcp-port" in args
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_TIMEOUT
        buf = b""
        while self.port is None or (want_tcp and self.tcp_port is None):
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                self.kill()
                raise RuntimeError("plexus-server did not print its port in time")
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError("plexus-server exited with %s before listening"
                                   % self.proc.wait(STOP_TIMEOUT))
            buf += chunk
            for line in buf.decode().splitlines():
                if line.startswith("listening on "):
                    self.port = int(line.split()[-1])
                elif line.startswith("listening tcp on "):
                    self.tcp_port = int(line.split()[-1])
        sel.close()

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def alive(self):
        return self.proc.poll() is None

    def terminate(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then the exit code (killed and failed after the timeout)."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)


@pytest.fixture
def start_server():
    """start_server(*args, nofile=None) -> Server; every server started is stopped after the
    test."""
    servers = []

    def start(*args, nofile=None):
        s = Server([str(a) for a in args], nofile)
        servers.append(s)
        return s

    yield start
    for s in servers:
        try:
            s.terminate()
        finally:
            s.kill()
        if s.proc.stdout:
            s.proc.stdout.close()
