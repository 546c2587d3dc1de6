"""test_stream.py - listen and watch: JSON lines until --count, --timeout or a signal."""

import json
import signal
import time

from conftest import finish


def test_listen_presence_and_timeout(cli):
    p = cli.start("--name", "obs", "listen", "--presence", "--timeout", "3000")
    cli.wait_ready(p, "listening as obs")
    cli.run("--name", "visitor", "send", "--to", "all", "hi", "[1]")
    t0 = time.monotonic()
    rc, out = finish(p)
    assert rc == 0
    assert time.monotonic() - t0 < 10
    lines = [json.loads(l) for l in out.splitlines()]
    assert {"t": "presence", "kind": "join", "name": "visitor", "groups": []} in lines
    assert {"t": "event", "from": "visitor", "to": "all", "event": "hi", "data": [1]} in lines
    assert {"t": "presence", "kind": "leave", "name": "visitor"} in lines


def test_listen_stops_on_sigterm_and_sigint(cli):
    for sig in (signal.SIGTERM, signal.SIGINT):
        p = cli.start("listen")
        cli.wait_ready(p, "listening as")
        p.send_signal(sig)
        assert p.wait(10) == 0


def test_listen_usage(cli):
    assert cli.run("listen", "--count").returncode == 2
    assert cli.run("listen", "--count", "x").returncode == 2
    assert cli.run("listen", "extra").returncode == 2


def test_watch_prints_changes(cli):
    p = cli.start("watch", "user:*", "--count", "3")
    cli.wait_ready(p, "watching as")
    cli.run("--name", "w1", "SET", "user:1", "a")
    cli.run("SET", "other", "b")                      # does not match
    cli.run("--name", "w2", "HSET", "user:2", "f", "v")
    cli.run("DEL", "user:1", "user:2")
    rc, out = finish(p)
    assert rc == 0
    lines = [json.loads(l) for l in out.splitlines()]
    assert lines[0] == {"t": "change", "key": "user:1", "op": "set", "by": "w1",
                        "pattern": "user:*"}
    assert lines[1]["key"] == "user:2" and lines[1]["op"] == "hset" and lines[1]["by"] == "w2"
    assert lines[2]["op"] == "del" and lines[2]["key"] == "user:1"
    assert len(lines) == 3


def test_watch_usage(cli):
    assert cli.run("watch").returncode == 2
