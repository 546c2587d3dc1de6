#!/usr/bin/python3
"""plexus-conform codec adapter for the Python codec (conformance/ADAPTERS.md).

JSON lines on stdin/stdout: info, decode, encode, quit. Run as
`plexus-conform codec --adapter "/usr/bin/python3 tests/python/codec_adapter.py"`.
PLEXUS_PY_BROKEN=1 breaks the encoder on purpose (chunk offsets off by one) so
a test can check that the runner notices.
"""
import json
import os
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from plexus.codec import Reader, Writer  # noqa: E402
from plexus.errors import PlexusError  # noqa: E402


def dump(v):
    """JSON text with exact numbers (a Decimal prints as its digits)."""
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dump(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(dump(x) for x in v) + "]"
    return json.dumps(v)


def decode(req):
    lim = req["limits"]
    r = Reader(req["binding"], "server" if req["dir"] == "c2s" else "client",
               lim["max_frame"], lim["max_message"], lim["gzip"], exact=True)
    r.assembler.max_partial, r.assembler.expiry_ms = lim["max_partial"], lim["expiry_ms"]
    error = None
    try:
        for data, now in zip(req["input"], req.get("now_ms") or [0] * len(req["input"])):
            r.feed(bytes.fromhex(data), now)
        r.end()
    except PlexusError as e:
        error = e
    messages = []
    for m in r.take():
        if m.error:  # catalogue errors are non-fatal; the vectors end with the failing one
            error = m.error
            break
        messages.append({"json": m.obj, "attachments": [a.hex() for a in m.attachments]})
    return {"messages": messages, "error": error.name if error else None,
            "code": error.code if error else None}


def encode(req):
    w = Writer(req["binding"], req["max_frame"], req["gzip"], req["gzip_threshold"])
    frames = w.encode(None, [bytes.fromhex(a) for a in req["attachments"]], req["msg_id"],
                      req["json_text"].encode())
    out = b"".join(frames)
    if os.environ.get("PLEXUS_PY_BROKEN") and len(frames) > 1:
        skip = 4 if req["binding"] == "stream" else 0  # the stream prefix
        out = bytearray(out)
        out[len(frames[0]) + skip + 11] ^= 1  # second frame's offset, lowest bit
        out = bytes(out)
    return {"output": out.hex()}


def main():
    for line in sys.stdin:
        req = json.loads(line, parse_float=Decimal)
        op = req.get("op")
        if op == "quit":
            return 0
        if op == "info":
            ans = {"name": "plexus-python", "ops": ["decode", "encode"]}
        elif op == "decode":
            ans = decode(req)
        elif op == "encode":
            ans = encode(req)
        else:
            ans = {"unsupported": f"unknown op {op!r}"}
        sys.stdout.write(dump(ans) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
