"""The Python codec against every vector of spec/vectors (SPEC section 20.2)."""
import glob
import json
import os

import pytest

from plexus import SPEC_DIR
from plexus.codec import Reader, Writer
from plexus.errors import PlexusError

VECTORS = sorted(glob.glob(os.path.join(SPEC_DIR, "vectors", "*.json")))
assert len(VECTORS) >= 200, "spec/vectors not found"


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def same(a, b):
    """JSON equality with numbers compared by value and booleans kept apart from numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    return a == b


def decode(v):
    """Feed a vector's input; returns (messages, fatal error or None)."""
    limits = v["limits"]
    reader = Reader(binding=v["binding"], received_by="server" if v["dir"] == "c2s" else "client",
                    max_frame=limits.get("max_frame", 1048576),
                    max_message=limits.get("max_message", 67108864), gzip=limits.get("gzip", True))
    now = v.get("now_ms", [0] * len(v["input"]))
    error = None
    try:
        for hexbytes, t in zip(v["input"], now):
            reader.feed(bytes.fromhex(hexbytes), t)
        reader.end()
    except PlexusError as e:
        error = e
    return reader.take(), error


@pytest.mark.parametrize("path", VECTORS, ids=[os.path.basename(p)[:-5] for p in VECTORS])
def test_decode(path):
    v = load(path)
    messages, fatal = decode(v)
    expect = v["expect"]
    if "error" in expect and expect["code"] // 100 == 5:  # non-fatal: the last message fails
        assert fatal is None, f"unexpected fatal {fatal}"
        assert messages and messages[-1].error is not None, "catalogue error not reported"
        assert (messages[-1].error.code, messages[-1].error.name) == (expect["code"], expect["error"])
        messages = messages[:-1]
    elif "error" in expect:
        assert fatal is not None, f"expected {expect['error']}, decoded {messages}"
        assert (fatal.code, fatal.name) == (expect["code"], expect["error"]), str(fatal)
    else:
        assert fatal is None, str(fatal)
    assert all(m.error is None for m in messages), [str(m.error) for m in messages]
    assert len(messages) == len(expect["messages"])
    for got, want in zip(messages, expect["messages"]):
        assert same(got.obj, want["json"]), (got.obj, want["json"])
        assert [a.hex() for a in got.attachments] == want["attachments"]


ENCODE = [p for p in VECTORS if "encode" in load(p)]


@pytest.mark.parametrize("path", ENCODE, ids=[os.path.basename(p)[:-5] for p in ENCODE])
def test_encode(path):
    """The encoder reproduces the input byte for byte, from the vector's json_text and from
    the object printed by our own JSON printer."""
    v = load(path)
    enc = v["encode"]
    atts = [bytes.fromhex(a) for a in v["expect"]["messages"][0]["attachments"]]
    for obj, text in ((None, enc["json_text"].encode()), (json.loads(enc["json_text"]), None)):
        writer = Writer(binding=v["binding"], max_frame=enc["max_frame"], gzip=enc["gzip"],
                        gzip_threshold=enc["gzip_threshold"])
        frames = writer.encode(obj, atts, msg_id=enc["msg_id"], json_text=text)
        assert b"".join(frames).hex() == "".join(v["input"])


def test_vector_count():
    """Every vector was found: 217 at the time of writing, 30 with an encode block."""
    assert len(VECTORS) >= 217 and len(ENCODE) >= 30
