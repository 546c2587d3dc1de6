"""The conformance suite (plexus-conform server URL) against each instance of a running pair
sharing one Redis, over both bindings. The cases are grouped by the server_args they need
(conformance/FORMAT.md section 6.1); for each group a pair is started with those arguments,
the runner is told them with --param, and the group's cases run against A then B (the store
is emptied with FLUSHALL before each run, as a freshly spawned server's would be). Cases that
cannot apply to a pair on Redis are left out, each for the reason written in NOT_APPLICABLE;
cases in tests/conformance/known_failures.txt are left out as run_server_suite.sh does."""
import asyncio
import glob
import json
import os
import re
import subprocess

import pytest

from helpers import OK, connect

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
CONFORM_BIN = os.environ.get("PLEXUS_CONFORM_BIN")
RUN_TIMEOUT = 600  # one plexus-conform run

# Cases that cannot run against a pair of instances on Redis in URL mode, and why.
NOT_APPLICABLE = {
    "storage-030": "needs a server without storage (--storage none); these store in Redis",
    "storage-029": "needs --max-keys/--max-value, which plexus-server refuses with --storage redis "
                   "(the bounds are Redis's own there: SPEC 11.11)",
    "security-005": "reads the server's log: plexus-conform does that only with --spawn",
    "session-037": "signals the server: plexus-conform does that only with --spawn",
}


def case_groups():
    """{tuple(server_args): [case ids]} over conformance/cases."""
    groups = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "conformance", "cases", "*", "*.json"))):
        with open(path, encoding="utf-8") as f:
            case = json.load(f)
        if case["id"] not in NOT_APPLICABLE:
            groups.setdefault(tuple(case.get("server_args", [])), []).append(case["id"])
    return groups


def known_failures(binding):
    out = []
    with open(os.path.join(ROOT, "tests", "conformance", "known_failures.txt"), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and not line.startswith("#") and parts[1] in (binding, "both"):
                out.append(parts[0])
    return out


def params(args):
    """--param NAME=VALUE for each --NAME VALUE pair (dashes as underscores)."""
    out = []
    for name, value in zip(args[::2], args[1::2]):
        out += ["--param", f"{name[2:].replace('-', '_')}={value}"]
    return out


GROUPS = case_groups()
APPLICABLE = sorted(GROUPS)


def run_ok(last, rc, lines):
    """A run passed: exit 0 with at least one case passed and none failed; or nothing ran
    because every selected case needs the other binding (the runner's skip reason)."""
    m = re.fullmatch(r"conformance: (\d+) passed, (\d+) failed, (\d+) skipped", last)
    if not m or m.group(2) != "0":
        return False
    if rc == 0 and int(m.group(1)) > 0:
        return True
    return int(m.group(1)) == 0 and all("binding)" in ln for ln in lines if ln.startswith("[skip"))


def flush(url, secret=None):
    async def go():
        c = await connect(url, **({"secret": secret} if secret else {}))
        assert await c.cmd("FLUSHALL") == OK
        await c.close()
    asyncio.run(asyncio.wait_for(go(), 30))


@pytest.mark.parametrize("args", APPLICABLE, ids=[" ".join(a) or "defaults" for a in APPLICABLE])
def test_conformance_on_each_instance(cluster, args):
    if not CONFORM_BIN or not os.access(CONFORM_BIN, os.X_OK):
        raise RuntimeError("set PLEXUS_CONFORM_BIN (ctest -R cluster_conformance does)")
    A = cluster.start(*args)
    B = cluster.start(*args)
    secret = dict(zip(args[::2], args[1::2])).get("--secret")
    cluster.formed(**({"secret": secret} if secret else {}))
    summaries = []
    for inst in (A, B):
        for url, binding in ((inst.ws + "/", "ws"), (inst.tcp, "stream")):
            flush(inst.ws, secret)
            cmd = [CONFORM_BIN, "server", url, "--cases", ",".join(GROUPS[args])] + params(list(args))
            xfail = known_failures(binding)
            if xfail:
                cmd += ["--exclude", ",".join(xfail)]
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=RUN_TIMEOUT)
            out = p.stdout.decode(errors="replace")
            last = out.rstrip("\n").rsplit("\n", 1)[-1]
            lines = [ln for ln in out.splitlines() if not ln.startswith("[pass")]
            summaries.append((inst.label, binding, last, p.returncode, lines))
    bad = [s for s in summaries if not run_ok(*s[2:])]
    report = "\n".join(f"instance {lab} {b}: {last} (exit {rc})" + "".join("\n    " + ln for ln in f[:60])
                       for lab, b, last, rc, f in summaries)
    print(report)
    assert not bad, report
