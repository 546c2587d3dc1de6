"""test_help.py - --help for the program and every subcommand, help COMMAND, --version."""

import pytest

COMMANDS = ["call", "call-all", "send", "listen", "watch", "serve", "decode", "help"]


def test_overview(offline):
    r = offline.run("--help")
    assert r.returncode == 0
    text = r.stdout.decode()
    assert text.startswith("usage: plexus-cli")
    for word in COMMANDS + ["exit codes", "--json", "--url", "--timeout", "--secret"]:
        assert word in text
    assert offline.run("-h").stdout == r.stdout


@pytest.mark.parametrize("cmd", COMMANDS)
def test_subcommand_help(offline, cmd):
    r = offline.run(cmd, "--help")
    assert r.returncode == 0
    assert r.stdout.decode().startswith("usage: plexus-cli")
    assert cmd in r.stdout.decode().splitlines()[0]
    assert offline.run("help", cmd).stdout == r.stdout
    assert offline.run(cmd, "-h").stdout == r.stdout


def test_storage_help_and_unknown_topic(offline):
    r = offline.run("help", "storage")
    assert r.returncode == 0 and b"redis-cli" in r.stdout
    assert offline.run("help", "nonsense").returncode == 2


def test_version(offline):
    r = offline.run("--version")
    assert r.returncode == 0 and r.stdout.startswith(b"plexus-cli ")
