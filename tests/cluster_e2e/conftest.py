"""conftest.py - fixtures of the cluster tests: a real redis-server on a free 127.0.0.1 port
(no persistence), and plexus-server instances sharing it (--storage redis://127.0.0.1:PORT, on
--port 0 --tcp-port 0, ports read from stdout). Everything started is stopped at the end of
the test: SIGTERM with a bounded wait, then SIGKILL. The Python client of tests/python is the
test client. Every wait has a timeout."""

import asyncio
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))  # the plexus package (asyncio client)
sys.path.insert(0, HERE)

SERVER_BIN = os.environ.get("PLEXUS_SERVER_BIN")
REDIS_BIN = os.environ.get("REDIS_SERVER_BIN", "/usr/bin/redis-server")
START_TIMEOUT = 15.0  # a process must be listening within this
STOP_TIMEOUT = 10.0  # and exit this long after SIGTERM (then SIGKILL)


def free_port():
    """A TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc, sig=signal.SIGTERM):
    """Signal, wait up to STOP_TIMEOUT, then SIGKILL; returns the exit status."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)
    return proc.returncode


class Redis:
    """redis-server on 127.0.0.1:port, --save '' --appendonly no. command() speaks RESP."""

    def __init__(self, port=None):
        if not os.access(REDIS_BIN, os.X_OK):
            raise RuntimeError(f"{REDIS_BIN} is missing: the cluster tests need redis-server "
                               "(Debian package redis-server; scripts/setup.sh installs it)")
        self.port = port or free_port()
        self.proc = None
        self.log = tempfile.TemporaryFile()
        self.start()

    def start(self):
        """Starts redis-server on self.port (again, after stop) and waits for PONG."""
        self.proc = subprocess.Popen(
            [REDIS_BIN, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no"],
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if self.command("PING", timeout=1.0) == "PONG":
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}: {self.tail()}")

    def command(self, *argv, timeout=5.0):
        """One command on a fresh connection; the reply (str, int, bytes, list; errors raise)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            out = b"*%d\r\n" % len(argv)
            for a in argv:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
            s.sendall(out)
            f = s.makefile("rb")
            return _resp_read(f)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is not None:
            stop_process(self.proc)

    def kill(self):
        if self.proc is not None:
            stop_process(self.proc, signal.SIGKILL)

    def tail(self, n=2000):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-n:]


def _resp_read(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise OSError("redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_resp_read(f) for _ in range(n)]
    raise OSError(f"bad RESP line {line!r}")


class Instance:
    """One plexus-server with --storage redis://127.0.0.1:PORT; ws and tcp are its URLs."""

    def __init__(self, redis_url, args=(), label="?"):
        if not SERVER_BIN or not os.access(SERVER_BIN, os.X_OK):
            raise RuntimeError("set PLEXUS_SERVER_BIN to plexus-server (ctest -R cluster_e2e does)")
        self.label = label
        self.args = list(args)
        self.redis_url = redis_url
        self.log = tempfile.TemporaryFile()  # a file, so a chatty server never blocks
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16").lstrip(":")
        self.proc = subprocess.Popen(
            [SERVER_BIN, "--host", "127.0.0.1", "--port", "0", "--tcp-port", "0",
             "--storage", redis_url, *self.args],
            stdout=subprocess.PIPE, stderr=self.log, stdin=subprocess.DEVNULL, env=env)
        ports = {}
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_TIMEOUT
        buf = b""
        while len(ports) < 2 and time.monotonic() < deadline:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            for m in re.finditer(rb"listening (tcp )?on (\d+)", buf):
                ports["tcp" if m.group(1) else "ws"] = int(m.group(2))
        sel.close()
        if len(ports) < 2:
            self.kill()
            raise RuntimeError(f"plexus-server {label} did not print its ports: {buf!r}\n"
                               + self.tail())
        self.ws = f"ws://127.0.0.1:{ports['ws']}"
        self.tcp = f"plexus://127.0.0.1:{ports['tcp']}"

    def alive(self):
        return self.proc.poll() is None

    def terminate(self):
        """SIGTERM; the exit status (SIGKILL after STOP_TIMEOUT)."""
        return stop_process(self.proc)

    def kill(self):
        """kill -9."""
        return stop_process(self.proc, signal.SIGKILL)

    def tail(self, n=3000):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-n:]


class Cluster:
    """One Redis and the instances started on it; start() adds one, stop() ends all."""

    def __init__(self):
        self.redis = Redis()
        self.instances = []
        self.dead = set()  # instances a test killed or stopped on purpose

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.redis.port}"

    def start(self, *args, label=None):
        inst = Instance(self.url, [str(a) for a in args], label or "ABCDEFGH"[len(self.instances)])
        self.instances.append(inst)
        return inst

    def formed(self, timeout=START_TIMEOUT, **hello):
        """Waits until every instance knows every other one's clients (a probe client on each,
        listed by all: each instance has the others' directories, spec/CLUSTER.md), then closes
        the probes and lets their leaves pass. A freshly started instance is in this window
        for up to a second; tests of features run on a formed cluster, test_startup.py tests
        the window itself."""
        from helpers import connect, settled

        async def go():
            probes = [await connect(inst.ws, **hello) for inst in self.instances]
            try:
                names = [p.name for p in probes]
                for p in probes:
                    await settled(p, names, bound=timeout)
            finally:
                for p in probes:
                    await p.close()
            await asyncio.sleep(0.5)  # the probes' leaves cross the bus (sub-millisecond)

        asyncio.run(asyncio.wait_for(go(), 2 * timeout))

    def stopped(self, inst):
        """Mark an instance as ended by the test (its exit status is not checked)."""
        self.dead.add(inst)

    def stop(self):
        """SIGTERM every instance; returns [(label, status)] of those the test did not end."""
        statuses = []
        for inst in self.instances:
            status = inst.terminate()
            if inst not in self.dead:
                statuses.append((inst.label, status))
            inst.proc.stdout.close()
        self.redis.kill()
        return statuses

    def logs(self):
        out = [f"--- redis-server :{self.redis.port}\n{self.redis.tail()}"]
        for inst in self.instances:
            out.append(f"--- plexus-server {inst.label} {inst.ws} {inst.tcp}\n{inst.tail()}")
        return "\n".join(out)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def cluster(request):
    """A fresh Redis; cluster.start(*args) starts an instance on it. At the end every instance
    gets SIGTERM and must exit 0 (unless the test ended it); logs are printed on failure."""
    c = Cluster()
    try:
        yield c
    finally:
        statuses = c.stop()
        rep = getattr(request.node, "rep_call", None)
        if rep is None or rep.failed:
            print(c.logs())
    bad = [(label, s) for label, s in statuses if s != 0]
    assert not bad, f"instances did not exit 0 on SIGTERM: {bad}\n{c.logs()}"


@pytest.fixture
def pair(cluster):
    """Two instances on one Redis, formed."""
    pair = cluster.start(), cluster.start()
    cluster.formed()
    return pair


@pytest.fixture
def trio(cluster):
    """Three instances on one Redis, formed."""
    trio = cluster.start(), cluster.start(), cluster.start()
    cluster.formed()
    return trio
