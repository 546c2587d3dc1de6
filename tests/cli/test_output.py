"""test_output.py - storage replies printed as redis-cli 7.0 prints them, raw when stdout is
not a terminal and formatted on a terminal, and as JSON with --json; exit codes."""

import json
import subprocess

from conftest import PlexusServer, Cli


def seed(cli):
    assert cli.out("SET", "s", "hello") == "OK\n"
    assert cli.out("RPUSH", "l", "a", "b", "c d") == "3\n"
    assert cli.out("HSET", "h", "f", "v") == "1\n"


def test_raw_reply_types(cli):
    seed(cli)
    assert cli.out("GET", "s") == "hello\n"
    assert cli.out("GET", "missing") == "\n"                  # nil: an empty line
    assert cli.out("INCR", "n") == "1\n"                      # integer
    assert cli.out("TYPE", "h") == "hash\n"                   # status
    assert cli.out("LRANGE", "l", "0", "-1") == "a\nb\nc d\n"
    assert cli.out("LRANGE", "missing", "0", "-1") == "\n"    # empty array
    assert cli.out("MGET", "s", "missing", "s") == "hello\n\nhello\n"
    # nested array: SCAN gives [cursor, [keys]]
    r = cli.out("SCAN", "0", "MATCH", "s", "COUNT", "1000")
    assert r == "0\ns\n"


def test_raw_error_and_exit_code(cli):
    r = cli.run("FOO", "a")
    assert r.returncode == 1
    assert r.stdout == b"ERR unknown command 'FOO', with args beginning with: 'a' \n\n"
    cli.out("SET", "s", "x")
    r = cli.run("HGET", "s", "f")
    assert r.returncode == 1
    assert r.stdout == b"WRONGTYPE Operation against a key holding the wrong kind of value\n\n"
    r = cli.run("GET")
    assert r.returncode == 1
    assert r.stdout == b"ERR wrong number of arguments for 'get' command\n\n"


def test_raw_binary_value(cli):
    value = bytes(range(256)) * 8  # not UTF-8, and long: travels as an attachment
    # argv cannot carry NUL bytes: set it through a stdin line with \xHH escapes
    line = "SET bin \"" + "".join("\\x%02x" % b for b in value) + "\"\n"
    r = cli.run(input=line.encode())
    assert r.returncode == 0 and r.stdout == b"OK\n"
    r = cli.run("GET", "bin")
    assert r.returncode == 0
    assert r.stdout == value + b"\n"
    r = cli.run("--json", "GET", "bin")
    import base64
    assert json.loads(r.stdout) == {"$base64": base64.b64encode(value).decode()}


def test_tty_formatting(cli):
    seed(cli)
    cli.out("SET", "q", 'say "hi"\n\x01\u00e9')
    assert cli.tty("GET", "s") == (0, '"hello"\n')
    assert cli.tty("GET", "missing") == (0, "(nil)\n")
    assert cli.tty("HSET", "h", "g", "w") == (0, "(integer) 1\n")
    assert cli.tty("TYPE", "h") == (0, "hash\n")
    assert cli.tty("SET", "t", "1") == (0, "OK\n")
    assert cli.tty("GET", "q") == (0, '"say \\"hi\\"\\n\\x01\\xc3\\xa9"\n')
    assert cli.tty("LRANGE", "l", "0", "-1") == (0, '1) "a"\n2) "b"\n3) "c d"\n')
    assert cli.tty("LRANGE", "missing", "0", "-1") == (0, "(empty array)\n")
    assert cli.tty("MGET", "s", "missing") == (0, '1) "hello"\n2) (nil)\n')
    assert cli.tty("SCAN", "0", "MATCH", "s", "COUNT", "1000") == (0, '1) "0"\n2) 1) "s"\n')
    rc, out = cli.tty("FOO")
    assert rc == 1
    assert out == "(error) ERR unknown command 'FOO', with args beginning with: \n"


def test_tty_index_width_and_nesting(cli):
    cli.out("RPUSH", "big", *[str(i) for i in range(1, 12)])
    rc, out = cli.tty("LRANGE", "big", "0", "-1")
    lines = out.splitlines()
    assert lines[0] == ' 1) "1"' and lines[9] == '10) "10"' and lines[10] == '11) "11"'
    for i in range(1, 12):
        cli.out("SET", "key%02d" % i, "v")
    rc, out = cli.tty("SCAN", "0", "MATCH", "key*", "COUNT", "1000")
    lines = out.splitlines()
    assert lines[0] == '1) "0"'
    assert lines[1].startswith("2)  1) \"key")      # nested, index width 2
    assert lines[2].startswith("    2) \"key")      # prefix: 3 + 1 spaces
    assert lines[11].startswith("   11) \"key")


def test_raw_and_no_raw_switches(cli):
    seed(cli)
    assert cli.out("--no-raw", "GET", "s") == '"hello"\n'
    assert cli.tty("--raw", "GET", "s") == (0, "hello\n")


def test_json_output(cli):
    seed(cli)
    j = lambda *a: json.loads(cli.out("--json", *a))
    assert j("GET", "s") == "hello"
    assert j("GET", "missing") is None
    assert j("INCR", "n") == 1
    assert j("TYPE", "h") == {"$status": "hash"}
    assert j("SET", "x", "y") == {"$status": "OK"}
    assert j("LRANGE", "l", "0", "-1") == ["a", "b", "c d"]
    assert j("SCAN", "0", "MATCH", "s", "COUNT", "1000") == ["0", ["s"]]
    # 15 digits: exact through the server (which rounds 16-digit integers to 15 significant
    # digits: cJSON's number printing) and printed exactly by the CLI
    assert cli.out("--json", "INCRBY", "n", "999999999999998") == "999999999999999\n"
    r = cli.run("--json", "HGET", "s", "f")
    assert r.returncode == 1
    assert json.loads(r.stdout) == {"error": {
        "code": 903, "name": "WRONGTYPE",
        "message": "WRONGTYPE Operation against a key holding the wrong kind of value"}}


def test_exit_codes(cli, offline):
    assert cli.run("SET", "a", "b").returncode == 0
    assert cli.run("LPOP", "a").returncode == 1             # error reply
    assert cli.run("--timeout", "x", "GET", "a").returncode == 2
    assert cli.run("--bogus").returncode == 2
    assert cli.run("call").returncode == 2                  # missing ROUTE
    assert cli.run("call", "r", "{not json").returncode == 2
    assert cli.run("send", "ev").returncode == 2            # missing --to
    r = offline.run("-u", "ws://127.0.0.1:1", "GET", "a")   # nothing listens on port 1
    assert r.returncode == 3 and b"cannot connect" in r.stderr
    assert offline.run("-u", "http://x", "GET", "a").returncode == 3


def test_auth_failure_is_a_connection_failure():
    s = PlexusServer("--secret", "sesame")
    c = Cli(s)
    try:
        r = c.run("GET", "a")
        assert r.returncode == 3 and b"AUTH_FAILED" in r.stderr
        assert c.run("--secret", "sesame", "SET", "a", "1").returncode == 0
        assert c.out("--secret", "sesame", "GET", "a") == "1\n"
    finally:
        c.cleanup()
        s.stop()


def test_lost_connection_exit_code(cli):
    """listen on a server that stops: exit 3."""
    p = cli.start("listen", "--timeout", "10000")
    cli.wait_ready(p, "listening as")
    cli.server.stop()
    rc = p.wait(15)
    assert rc == 3
