"""test_rpc.py - call, call-all, send and serve: results as JSON lines, errors with their
registry names, a route answered by a shell command, failures as ROUTE_FAILED with stderr."""

import json

from conftest import finish


def serve(cli, route, cmd, *opts, name=None):
    pre = ["--name", name] if name else []
    p = cli.start(*pre, "serve", route, *opts, "--", "sh", "-c", cmd)
    cli.wait_ready(p, "serving " + route)
    return p


def test_call_builtin_route(cli):
    r = cli.run("call", "plexus.info")
    assert r.returncode == 0
    info = json.loads(r.stdout)
    assert info["version"] == 1 and info["storage"] == "memory"


def test_call_errors(cli):
    r = cli.run("call", "nobody.serves")
    assert r.returncode == 1
    assert r.stdout == b"UNKNOWN_ROUTE no client serves this route\n"
    r = cli.run("--json", "call", "nobody.serves", "[1]")
    assert r.returncode == 1
    assert json.loads(r.stdout) == {"error": {"code": 701, "name": "UNKNOWN_ROUTE",
                                              "message": "no client serves this route"}}
    rc, out = cli.tty("call", "nobody.serves")
    assert rc == 1 and out == "(error) UNKNOWN_ROUTE no client serves this route\n"
    r = cli.run("call", "x", "--to", "ghost")
    assert r.returncode == 1 and r.stdout.startswith(b"UNKNOWN_CLIENT ")


def test_serve_json_and_text_replies(cli):
    serve(cli, "echo", "cat")
    serve(cli, "text", "echo hello world")
    serve(cli, "sum", "python3 -c 'import json,sys; print(sum(json.load(sys.stdin)))'")
    assert json.loads(cli.out("call", "echo", '{"a": [1, 2, {"b": null}]}')) == \
        {"a": [1, 2, {"b": None}]}
    assert json.loads(cli.out("call", "echo")) is None           # no args: null on stdin
    assert json.loads(cli.out("call", "text", "1")) == "hello world"
    assert cli.out("call", "sum", "[1, 2, 39]") == "42\n"


def test_serve_binary_output_is_an_attachment(cli):
    serve(cli, "bin", "printf '\\377\\376abc'")
    r = cli.run("--json", "call", "bin")
    assert r.returncode == 0
    assert json.loads(r.stdout) == {"$base64": "//5hYmM="}


def test_serve_failure_is_route_failed_with_stderr(cli):
    serve(cli, "fail", "cat >/dev/null; echo 'no such thing' >&2; exit 3")
    r = cli.run("--json", "call", "fail", '{"x": 1}')
    assert r.returncode == 1
    err = json.loads(r.stdout)["error"]
    assert err["name"] == "ROUTE_FAILED" and err["code"] == 703
    assert err["detail"]["message"] == "no such thing\n"
    assert err["detail"]["detail"]["exit"] == 3
    r = cli.run("call", "fail")
    assert r.stdout.startswith(b"ROUTE_FAILED the serving side answered with an error {")


def test_serve_time_and_output_bounds(cli):
    serve(cli, "slow", "sleep 30", "--cmd-timeout", "300")
    serve(cli, "loud", "head -c 100000 /dev/zero | tr '\\0' a", "--max-output", "1000")
    r = cli.run("--json", "call", "slow")
    err = json.loads(r.stdout)["error"]
    assert err["name"] == "ROUTE_FAILED"
    assert err["detail"]["name"] == "CALL_TIMEOUT"
    assert err["detail"]["detail"]["timeout"] is True
    r = cli.run("--json", "call", "loud")
    err = json.loads(r.stdout)["error"]
    assert err["detail"]["name"] == "LIMIT_REACHED"
    assert "1000 bytes" in err["detail"]["message"]


def test_serve_count_ends_after_n_calls(cli):
    p = serve(cli, "once", "echo done", "--count", "2")
    assert json.loads(cli.out("call", "once")) == "done"
    assert json.loads(cli.out("call", "once")) == "done"
    assert p.wait(15) == 0
    assert cli.run("call", "once").returncode == 1   # no longer served


def test_serve_usage(cli):
    assert cli.run("serve", "r").returncode == 2           # no -- CMD
    assert cli.run("serve", "--", "true").returncode == 2  # no ROUTE
    assert cli.run("serve", "r", "--bogus", "--", "true").returncode == 2


def test_call_all(cli):
    serve(cli, "who", "echo a", name="a")
    serve(cli, "who", "echo b", name="b")
    out = json.loads(cli.out("call-all", "who"))
    assert out == {"a": {"result": "a"}, "b": {"result": "b"}}
    assert json.loads(cli.out("call-all", "who", "--group", "nobody")) == {}
    assert json.loads(cli.out("call-all", "nothing")) == {}


def test_send_counts_deliveries(cli):
    p = cli.start("--name", "rx", "listen", "--group", "g", "--count", "2")
    cli.wait_ready(p, "listening as rx")
    assert json.loads(cli.out("send", "--to", "group:g", "ev", '{"n": 1}')) == {"delivered": 1}
    assert json.loads(cli.out("send", "--to", "client:rx", "ev2")) == {"delivered": 1}
    rc, out = finish(p)
    assert rc == 0
    lines = [json.loads(l) for l in out.splitlines()]
    assert lines[0]["event"] == "ev" and lines[0]["data"] == {"n": 1}
    assert lines[0]["to"] == "group:g" and lines[0]["t"] == "event"
    assert lines[1]["event"] == "ev2" and "data" not in lines[1]
    r = cli.run("send", "--to", "client:ghost", "x")
    assert r.returncode == 1 and r.stdout.startswith(b"UNKNOWN_CLIENT")
    r = cli.run("send", "--to", "nowhere", "x")
    assert r.returncode == 1 and r.stdout.startswith(b"BAD_TARGET")
    assert cli.run("send", "--to", "all", "x", "--no-wait").stdout == b""
