"""test_repl.py - commands from stdin: one per line when stdin is not a terminal (quoting as
redis-cli), and the libedit REPL on a pseudo-terminal with its history file."""

import os
import pty
import select
import subprocess
import time

from conftest import WAIT, binary


def test_line_mode(cli):
    script = b"SET k \"two words\\n\"\nGET k\n\n# a comment\nHSET h 'f' v\nFOO\ncall plexus.info\n"
    r = cli.run(input=script)
    lines = r.stdout.decode().splitlines()
    assert lines[0] == "OK"
    assert lines[1] == "two words" and lines[2] == ""     # the value ends with \n
    assert lines[3] == "1"
    assert lines[4].startswith("ERR unknown command 'FOO'")
    assert '"storage":"memory"' in r.stdout.decode()
    assert r.returncode == 1                                  # the worst code of the lines


def test_line_mode_quit_and_quotes(cli):
    r = cli.run(input=b"SET a 1\nquit\nSET a 2\n")
    assert r.returncode == 0 and cli.out("GET", "a") == "1\n"
    r = cli.run(input=b"SET a \"unbalanced\n")
    assert r.returncode == 2 and b"unbalanced" in r.stderr
    r = cli.run(input=b"SET e \"\\x00\\x41\\t\"\n")
    assert r.returncode == 0
    assert cli.run("GET", "e").stdout == b"\x00A\t\n"


def read_until(fd, want, timeout=WAIT):
    end = time.monotonic() + timeout
    buf = b""
    while want not in buf:
        left = end - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError("waited for %r, got %r" % (want, buf))
        buf += os.read(fd, 4096)
    return buf


def test_interactive_repl(cli, tmp_path):
    master, slave = pty.openpty()
    env = dict(os.environ, HOME=str(tmp_path), TERM="dumb")
    p = subprocess.Popen([binary("PLEXUS_CLI_BIN"), "-u", cli.server.url], stdin=slave,
                         stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    try:
        prompt = (cli.server.url + "> ").encode()
        read_until(master, prompt)
        os.write(master, b"SET greeting hi\r")
        read_until(master, b"OK")
        os.write(master, b"GET greeting\r")
        read_until(master, b'"hi"')                     # formatted: stdout is a terminal
        os.write(master, b"LRANGE nothing 0 -1\r")
        read_until(master, b"(empty array)")
        os.write(master, b"quit\r")
        assert p.wait(WAIT) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(WAIT)
        os.close(master)
    hist = (tmp_path / ".plexus_cli_history").read_text()
    # libedit's format: a header line, then each line with blanks written as \040
    assert hist.splitlines()[1:3] == ["SET\\040greeting\\040hi", "GET\\040greeting"]
