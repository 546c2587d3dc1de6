"""test_decode.py - decode of files the test writes: stream-bound recordings and bare frames,
chunked, gzip and attachment messages, and errors reported with the registry's names."""

import gzip
import json
import struct


def frame(payload, msg_id=1, offset=0, flags=0, version=1):
    return struct.pack(">BBHIII", version, flags, 0, msg_id, offset, len(payload)) + payload


def prefixed(f):
    return struct.pack(">I", len(f)) + f


def body(obj, *atts):
    j = json.dumps(obj).encode()
    out = struct.pack(">I", len(j)) + j
    for a in atts:
        out += struct.pack(">I", len(a)) + a
    return out


def decode(offline, tmp_path, data, *opts):
    path = tmp_path / "rec.bin"
    path.write_bytes(data)
    r = offline.run("decode", str(path), *opts)
    return r.returncode, [json.loads(l) for l in r.stdout.decode().splitlines()]


def test_stream_recording(offline, tmp_path):
    hello = body({"t": "hello", "version": 1, "name": "rec"})
    att = bytes(range(40))
    big = body({"t": "cmd", "id": 7, "argv": ["SET", "k", {"$bin": 0}]}, att)
    gz = gzip.compress(body({"t": "ping", "n": 3}) + b" " * 0, mtime=0)
    data = prefixed(frame(hello, 1))
    data += prefixed(frame(big[:10], 2, 0, 0x02)) + prefixed(frame(big[10:], 2, 10))
    data += prefixed(frame(gz, 3, 0, 0x01))
    rc, lines = decode(offline, tmp_path, data)
    assert rc == 0
    assert len(lines) == 4
    assert lines[0]["message"] == {"t": "hello", "version": 1, "name": "rec"}
    assert lines[0]["at"] == 0 and lines[0]["flags"] == [] and lines[0]["msg_id"] == 1
    assert lines[1]["flags"] == ["MORE"] and "message" not in lines[1]
    assert lines[1]["at"] == 4 + 16 + len(hello)
    assert lines[2]["offset"] == 10 and lines[2]["message"]["argv"][2] == {"$bin": 0}
    assert lines[2]["attachments"] == [{"length": 40, "head": att[:16].hex()}]
    assert lines[3]["flags"] == ["GZIP"] and lines[3]["message"] == {"t": "ping", "n": 3}


def test_bare_frames_and_stdin(offline, tmp_path):
    data = frame(body({"t": "pong", "n": 1}), 5) + frame(body({"t": "bye"}), 6)
    rc, lines = decode(offline, tmp_path, data)
    assert rc == 0 and [l["message"]["t"] for l in lines] == ["pong", "bye"]
    r = offline.run("decode", "-", input=prefixed(frame(body({"t": "bye"}), 9)))
    assert r.returncode == 0 and json.loads(r.stdout)["msg_id"] == 9
    rc, lines = decode(offline, tmp_path, data, "--stream")  # forced: a wrong guess fails
    assert rc == 1 and lines[-1]["error"]["name"] == "BAD_VERSION"  # 2nd header: payload


def test_errors_have_registry_names(offline, tmp_path):
    good = prefixed(frame(body({"t": "bye"})))
    rc, lines = decode(offline, tmp_path, good + good[:-3])
    assert rc == 1 and lines[-1]["error"] == {"code": 101, "name": "TRUNCATED",
                                              "message": lines[-1]["error"]["message"]}
    rc, lines = decode(offline, tmp_path, prefixed(frame(body({"t": "bye"}), version=2)))
    assert rc == 1 and lines[-1]["error"]["name"] == "BAD_VERSION"
    rc, lines = decode(offline, tmp_path, prefixed(frame(struct.pack(">I", 3) + b"{x}")))
    assert rc == 1 and lines[-1]["error"]["name"] == "BAD_JSON"
    rc, lines = decode(offline, tmp_path, prefixed(frame(b"x", 1, 5)))
    assert rc == 1 and lines[-1]["error"]["name"] == "OFFSET_GAP"
    rc, lines = decode(offline, tmp_path, prefixed(frame(b"\x1f\x8b junk", 1, 0, 0x01)))
    assert rc == 1 and lines[-1]["error"]["name"] == "BAD_GZIP"
    # a message-level error is reported and decoding goes on
    data = prefixed(frame(body({"t": "call"}))) + good
    rc, lines = decode(offline, tmp_path, data)
    assert rc == 1
    assert lines[1]["error"]["name"] == "MISSING_FIELD" and lines[1]["error"]["field"] == "id"
    assert lines[2]["message"] == {"t": "bye"}
    rc, lines = decode(offline, tmp_path, prefixed(frame(body({"t": "welcome"}))), "--dir",
                       "c2s")
    assert rc == 1 and lines[-1]["error"]["name"] == "WRONG_DIRECTION"


def test_decode_usage(offline, tmp_path):
    assert offline.run("decode").returncode == 2
    assert offline.run("decode", "x", "--dir", "up").returncode == 2
    r = offline.run("decode", str(tmp_path / "missing"))
    assert r.returncode == 1 and b"cannot open" in r.stderr
