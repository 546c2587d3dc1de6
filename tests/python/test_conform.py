"""plexus-conform against the Python port: codec mode with the Python adapter, client mode
with the Python client's driver (both bindings), and broken variants that must fail."""
import json
import os
import re
import subprocess

import pytest

from plexus.codec import Writer

HERE = os.path.dirname(os.path.abspath(__file__))
CONFORM = os.environ.get("PLEXUS_CONFORM_BIN")
ADAPTER = f"/usr/bin/python3 {HERE}/codec_adapter.py"
DRIVER = f"/usr/bin/python3 {HERE}/client_driver.py"

needs_conform = pytest.mark.skipif(not CONFORM, reason="PLEXUS_CONFORM_BIN is not set")


def conform(*args, env=None):
    p = subprocess.run([CONFORM, *args], capture_output=True, text=True, timeout=900,
                       env=dict(os.environ, **(env or {})))
    last = re.findall(r"conformance: (\d+) passed, (\d+) failed, (\d+) skipped", p.stdout)
    assert last, p.stdout[-2000:] + p.stderr[-2000:]
    return p.returncode, tuple(map(int, last[-1])), p.stdout


@needs_conform
def test_codec_mode_passes():
    rc, (passed, failed, skipped), out = conform("codec", "--adapter", ADAPTER)
    assert (rc, failed, skipped) == (0, 0, 0), out[-3000:]
    assert passed >= 217


@needs_conform
def test_codec_mode_catches_a_broken_encoder():
    """The same adapter with chunk offsets off by one fails every chunked encode vector."""
    rc, (passed, failed, skipped), out = conform("codec", "--adapter", ADAPTER, "--cases", "CHK-4",
                                                 env={"PLEXUS_PY_BROKEN": "1"})
    assert rc != 0 and failed >= 3, out[-3000:]
    assert "014-chunked-2-frames" in out


@needs_conform
@pytest.mark.parametrize("binding", ["ws", "stream"])
def test_client_mode_passes(binding):
    """Every client case passes; skips only for cases of the other binding."""
    extra = ["--exclude", "cl-chunk-010"] if binding == "stream" else []  # 30 s of expiry, once
    rc, (passed, failed, skipped), out = conform("client", "--binding", binding, "--driver", DRIVER,
                                                 *extra)
    assert (rc, failed) == (0, 0), out[-5000:]
    assert passed >= 70 if binding == "ws" else passed >= 65
    reasons = re.findall(r"^\[skipped\s*\] .*\((.*)\)$", out, re.M)
    assert len(reasons) == skipped and all(r.startswith("needs the ") for r in reasons), reasons


@needs_conform
def test_client_mode_catches_a_broken_client():
    """The Python client with chunk offsets one too high fails the chunking cases."""
    rc, (passed, failed, skipped), out = conform(
        "client", "--cases", "cl-chunk-001,cl-chunk-009", "--driver", DRIVER + " --broken offsets")
    assert rc != 0 and failed >= 1, out[-3000:]
    assert "[FAIL      ] cl-chunk-001" in out


def test_adapter_protocol_directly():
    """The adapter answers info, decode (a catalogue error ends the list) and encode."""
    ping = Writer().encode(None, (), 1, b'{"t":"ping"}')[0]
    hello = Writer().encode(None, (), 2, b'{"t":"Hello"}')[0]
    limits = {"max_frame": 1048576, "max_message": 67108864, "max_partial": 16,
              "expiry_ms": 30000, "gzip": True}
    reqs = [{"op": "info"},
            {"op": "decode", "binding": "websocket", "dir": "c2s", "limits": limits,
             "input": [ping.hex(), hello.hex()], "now_ms": [0, 0]},
            {"op": "encode", "binding": "stream", "msg_id": 1, "max_frame": 1048576, "gzip": True,
             "gzip_threshold": 1024, "json_text": '{"t":"ping"}', "attachments": []},
            {"op": "quit"}]
    p = subprocess.run(["/usr/bin/python3", f"{HERE}/codec_adapter.py"],
                       input="".join(json.dumps(r) + "\n" for r in reqs),
                       capture_output=True, text=True, timeout=30)
    answers = [json.loads(line) for line in p.stdout.splitlines()]
    assert p.returncode == 0 and len(answers) == 3, p.stderr
    assert answers[0]["name"] == "plexus-python"
    assert answers[1] == {"messages": [{"json": {"t": "ping"}, "attachments": []}],
                          "error": "UNKNOWN_TYPE", "code": 502}
    assert answers[2] == {"output": (len(ping).to_bytes(4, "big") + ping).hex()}
