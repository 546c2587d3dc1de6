#!/usr/bin/python3
"""make_vectors.py - generates the Plexus v1 codec test vectors in spec/vectors/.

Independent of the C codec: every vector is built here from first principles following
spec/DECISIONS.md (frame header, stream prefix, chunking, gzip, body layout, catalogue), then
checked against a small reference reader written in this file, and written as
spec/vectors/NNN-slug.json plus spec/vectors/README.md. Standard library only.

Run: /usr/bin/python3 spec/vectors/make_vectors.py   (re-running reproduces the files byte for
byte; files named NNN-*.json that are no longer generated are removed).
"""
import json
import math
import os
import re
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.dirname(HERE)

# ------------------------------------------------------------------ constants (DECISIONS.md)

VERSION = 1
GZIP = 0x01
MORE = 0x02
HEADER_LEN = 16
DEFAULTS = {"max_frame": 1 << 20, "max_message": 64 << 20, "max_partial": 16,
            "expiry_ms": 30000, "gzip": True}
GZIP_THRESHOLD = 1024
GZIP_LEVEL = 6
MAX_ATTACHMENTS = 1024
UINT_MAX_JSON = (1 << 53) - 1
MAX_DEPTH = 128

with open(os.path.join(SPEC, "errors.json")) as f:
    ERROR_CODES = {e["name"]: e["code"] for e in json.load(f)["errors"]}
with open(os.path.join(SPEC, "messages.json")) as f:
    CATALOGUE = {t["t"]: t for t in json.load(f)["types"]}

# Requirement IDs: those of spec/requirements.json (generated from SPEC.md), plus provisional
# IDs for the sections SPEC.md does not have yet (message catalogue, limits). A provisional ID
# whose prefix appears in requirements.json is an error: align it.
with open(os.path.join(SPEC, "requirements.json")) as f:
    REQUIREMENTS = {r["id"]: r["summary"] for r in json.load(f)["requirements"]}
PROVISIONAL = {}
for _k in PROVISIONAL:
    assert not any(r.startswith(_k.split("-")[0] + "-") for r in REQUIREMENTS), _k
REQUIREMENTS.update(PROVISIONAL)


class PlxError(Exception):
    """A decode error by registry name."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


# ------------------------------------------------------------------ builders


def header(msg_id=1, offset=0, length=0, flags=0, version=VERSION, reserved=0):
    """The 16-byte frame header, big-endian."""
    return struct.pack(">BBHIII", version, flags, reserved, msg_id, offset, length)


def frame(payload, msg_id=1, offset=0, flags=0, length=None, **kw):
    """Header + payload; length defaults to len(payload)."""
    n = len(payload) if length is None else length
    return header(msg_id, offset, n, flags, **kw) + payload


def prefixed(fr, frame_len=None):
    """A stream-binding frame: u32 BE frame_len then the frame."""
    return struct.pack(">I", len(fr) if frame_len is None else frame_len) + fr


def J(obj):
    """Compact JSON text as UTF-8 bytes (keys in insertion order, like cJSON's printer)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def body(json_text, atts=()):
    """u32 json_len | JSON text | {u32 len | bytes}*."""
    out = struct.pack(">I", len(json_text)) + json_text
    for a in atts:
        out += struct.pack(">I", len(a)) + a
    return out


def gzip_member(data, mtime=0, xfl=0, os_byte=255, name=None):
    """One RFC 1952 member: what zlib's deflateInit2(level 6, windowBits 31) with a header of
    mtime 0, OS 255 and no name writes, built from raw deflate + CRC-32 + ISIZE."""
    flg = 0x08 if name is not None else 0
    out = bytes([0x1F, 0x8B, 8, flg]) + struct.pack("<I", mtime) + bytes([xfl, os_byte])
    if name is not None:
        out += name + b"\0"
    c = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15)
    out += c.compress(data) + c.flush()
    return out + struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)


def chunks(payload, msg_id, sizes, flags=0):
    """Frames carrying payload cut into pieces of the given sizes (the last takes the rest)."""
    frames, off = [], 0
    for i, n in enumerate(sizes + [None]):
        piece = payload[off:] if n is None else payload[off:off + n]
        last = n is None
        frames.append(frame(piece, msg_id, off, flags | (0 if last else MORE)))
        off += len(piece)
    return frames


def cut(payload, msg_id, max_frame, flags=0):
    """Encoder framing: every frame but the last carries exactly max_frame bytes."""
    n = max(1, (len(payload) + max_frame - 1) // max_frame)
    return chunks(payload, msg_id, [max_frame] * (n - 1), flags)


def check_encodable(obj):
    """Encode vectors stay where every cJSON printer agrees: ASCII, no escapes, small ints."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            check_encodable(k)
            check_encodable(v)
    elif isinstance(obj, list):
        for v in obj:
            check_encodable(v)
    elif isinstance(obj, str):
        assert all(0x20 <= ord(c) < 0x7F and c not in '"\\' for c in obj), obj
    elif isinstance(obj, bool) or obj is None:
        pass
    else:
        assert isinstance(obj, int) and abs(obj) < 10 ** 15, obj


def encode(obj, atts=(), msg_id=1, max_frame=DEFAULTS["max_frame"], gzip=True,
           threshold=GZIP_THRESHOLD, stream=False):
    """The reference encoder. Returns (input elements, encode object)."""
    check_encodable(obj)
    text = J(obj)
    b = body(text, atts)
    payload, flags = b, 0
    if gzip and len(b) >= threshold:
        z = gzip_member(b)
        if len(z) < len(b):
            payload, flags = z, GZIP
    frames = cut(payload, msg_id, max_frame, flags)
    if stream:
        frames = [prefixed(f) for f in frames]
    enc = {"msg_id": msg_id, "max_frame": max_frame, "gzip": gzip, "gzip_threshold": threshold,
           "json_text": text.decode("ascii")}
    return frames, enc


class Rng:
    """xorshift32: deterministic pseudo-random bytes."""

    def __init__(self, seed):
        self.s = seed

    def byte(self):
        s = self.s
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        self.s = s
        return s & 0xFF

    def bytes(self, n):
        return bytes(self.byte() for _ in range(n))

    def hexchars(self, n):
        return bytes(b"0123456789abcdef"[self.byte() & 15] for _ in range(n))


# ------------------------------------------------------------------ reference reader


def inflate(data, bound):
    d = zlib.decompressobj(31)
    try:
        out = d.decompress(data, bound + 1)
    except zlib.error:
        raise PlxError("BAD_GZIP")
    if len(out) > bound:
        raise PlxError("TOO_LARGE")
    if not d.eof or d.unused_data or d.unconsumed_tail:
        raise PlxError("BAD_GZIP")
    return out


def reject_constant(name):
    raise ValueError(name)


def is_integral(v):
    """A JSON number whose value is an integer (BODY-12: 1.0 and 1e0 count, 1.5 does not)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return isinstance(v, int) or (math.isfinite(v) and v == int(v))


def unique_members(pairs):
    """object_pairs_hook: duplicate member names (after unescaping) are BAD_JSON."""
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate member " + k)
        d[k] = v
    return d


def check_json_tree(v, depth=1):
    """BODY-4/BODY-5: no U+0000 or lone surrogate in any string, at most 128 levels."""
    if isinstance(v, str):
        if any(c == "\0" or 0xD800 <= ord(c) <= 0xDFFF for c in v):
            raise PlxError("BAD_JSON")
    elif isinstance(v, (dict, list)):
        if depth > MAX_DEPTH:
            raise PlxError("BAD_JSON")
        items = list(v.items()) if isinstance(v, dict) else [(None, x) for x in v]
        for k, x in items:
            if k is not None:
                check_json_tree(k, depth)
            check_json_tree(x, depth + 1)


def check_refs(v, natt):
    if isinstance(v, dict):
        if list(v.keys()) == ["$bin"]:
            i = v["$bin"]
            if not (is_integral(i) and 0 <= i < natt):
                raise PlxError("BAD_ATTACHMENT_REF")
            return
        for x in v.values():
            check_refs(x, natt)
    elif isinstance(v, list):
        for x in v:
            check_refs(x, natt)


def body_decode(b):
    if len(b) < 4:
        raise PlxError("BODY_TRUNCATED")
    (jl,) = struct.unpack(">I", b[:4])
    if jl > len(b) - 4:
        raise PlxError("BODY_TRUNCATED")
    text, pos, atts = b[4:4 + jl], 4 + jl, []
    while pos < len(b):
        if len(b) - pos < 4:
            raise PlxError("BODY_TRUNCATED")
        (n,) = struct.unpack(">I", b[pos:pos + 4])
        if n > len(b) - pos - 4:
            raise PlxError("BODY_TRUNCATED")
        atts.append(b[pos + 4:pos + 4 + n])
        pos += 4 + n
    try:
        s = text.decode("utf-8")
    except UnicodeDecodeError:
        raise PlxError("BAD_UTF8")
    try:
        obj = json.loads(s, parse_constant=reject_constant, object_pairs_hook=unique_members)
    except (ValueError, RecursionError):
        raise PlxError("BAD_JSON")
    check_json_tree(obj)
    if not isinstance(obj, dict):
        raise PlxError("NOT_OBJECT")
    if len(atts) > MAX_ATTACHMENTS:
        raise PlxError("TOO_MANY_ATTACHMENTS")
    check_refs(obj, len(atts))
    return obj, atts


def is_uint(v):
    return is_integral(v) and 0 <= v <= UINT_MAX_JSON


def is_bytes(v):
    return isinstance(v, str) or (isinstance(v, dict) and list(v.keys()) == ["$bin"])


def is_strings(v):
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def type_ok(typ, v):
    if typ == "string":
        return isinstance(v, str)
    if typ == "uint":
        return is_uint(v)
    if typ == "bool":
        return isinstance(v, bool)
    if typ == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if typ == "object":
        return isinstance(v, dict)
    if typ == "array":
        return isinstance(v, list)
    if typ == "any":
        return True
    if typ == "strings":
        return is_strings(v)
    if typ == "bytes":
        return is_bytes(v)
    if typ == "argv":
        return isinstance(v, list) and len(v) > 0 and all(is_bytes(x) for x in v)
    if typ == "argvs":
        return isinstance(v, list) and len(v) > 0 and all(type_ok("argv", x) for x in v)
    if typ == "error":
        return (isinstance(v, dict) and is_uint(v.get("code")) and
                isinstance(v.get("name"), str) and isinstance(v.get("message"), str))
    raise AssertionError(typ)


def validate(obj, direction):
    t = obj.get("t")
    if not isinstance(t, str):
        raise PlxError("MISSING_TYPE")
    spec = CATALOGUE.get(t)
    if spec is None:
        raise PlxError("UNKNOWN_TYPE")
    if spec["dir"] not in ("both", direction):
        raise PlxError("WRONG_DIRECTION")
    for f in spec["fields"]:  # MSG-6: field by field in catalogue order
        if f["name"] not in obj:
            if f["required"]:
                raise PlxError("MISSING_FIELD")
            continue
        if not type_ok(f["type"], obj[f["name"]]):
            raise PlxError("BAD_FIELD_TYPE")
        if "enum" in f and obj[f["name"]] not in f["enum"]:
            raise PlxError("BAD_VALUE")
    if "one_of" in spec and sum(1 for n in spec["one_of"] if n in obj) != 1:
        raise PlxError("BAD_VALUE")


class Reader:
    """Frames (or stream bytes) in, messages out; raises PlxError at the first error."""

    def __init__(self, limits, direction):
        self.lim = dict(DEFAULTS, **limits)
        self.dir = direction
        self.partial = {}  # msg_id -> [bytearray, gzip flag, last_ms]
        self.out = []

    def header(self, b):
        version, flags, reserved, msg_id, offset, length = struct.unpack(">BBHIII", b[:16])
        if version != VERSION:
            raise PlxError("BAD_VERSION")
        if flags & ~(GZIP | MORE) or reserved:
            raise PlxError("RESERVED_BITS")
        if length > self.lim["max_frame"]:
            raise PlxError("FRAME_TOO_LARGE")
        if flags & MORE and length == 0:
            raise PlxError("EMPTY_CHUNK")
        return flags, msg_id, offset, length

    def ws(self, data, now):
        if len(data) < HEADER_LEN:
            raise PlxError("TRUNCATED")
        flags, msg_id, offset, length = self.header(data)
        if len(data) < HEADER_LEN + length:
            raise PlxError("TRUNCATED")
        if len(data) > HEADER_LEN + length:
            raise PlxError("LENGTH_MISMATCH")
        self.assemble(flags, msg_id, offset, data[HEADER_LEN:], now)

    def stream(self, data, now):
        pos = 0
        while len(data) - pos >= 4:
            (flen,) = struct.unpack(">I", data[pos:pos + 4])
            if flen < HEADER_LEN:
                raise PlxError("TRUNCATED")
            if len(data) - pos - 4 < HEADER_LEN:
                break
            flags, msg_id, offset, length = self.header(data[pos + 4:pos + 4 + HEADER_LEN])
            if flen != HEADER_LEN + length:
                raise PlxError("LENGTH_MISMATCH")
            if len(data) - pos - 4 < flen:
                break
            fr = data[pos + 4:pos + 4 + flen]
            pos += 4 + flen
            self.assemble(flags, msg_id, offset, fr[HEADER_LEN:], now)
        if pos < len(data):  # TRN-18: end of input inside a prefix or a frame
            raise PlxError("TRUNCATED")

    def assemble(self, flags, msg_id, offset, payload, now):
        lim = self.lim
        for mid, p in self.partial.items():
            if now - p[2] > lim["expiry_ms"]:
                raise PlxError("EXPIRED")
        gz = bool(flags & GZIP)
        p = self.partial.get(msg_id)
        if p is None:
            if offset != 0:
                raise PlxError("OFFSET_GAP")
            if gz and not lim["gzip"]:
                raise PlxError("GZIP_NOT_NEGOTIATED")
            if len(payload) > lim["max_message"]:
                raise PlxError("TOO_LARGE")
            if flags & MORE:
                if len(self.partial) >= lim["max_partial"]:
                    raise PlxError("TOO_MANY_PARTIAL")
                self.partial[msg_id] = [bytearray(payload), gz, now]
                return
            wire = bytes(payload)
        else:
            if offset > len(p[0]):
                raise PlxError("OFFSET_GAP")
            if offset < len(p[0]):
                raise PlxError("OFFSET_OVERLAP")
            if gz != p[1]:
                raise PlxError("FLAGS_MISMATCH")
            if len(p[0]) + len(payload) > lim["max_message"]:
                raise PlxError("TOO_LARGE")
            p[0] += payload
            p[2] = now
            if flags & MORE:
                return
            wire = bytes(p[0])
            del self.partial[msg_id]
        b = inflate(wire, lim["max_message"]) if gz else wire
        obj, atts = body_decode(b)
        validate(obj, self.dir)
        self.out.append((obj, atts))


def run(v):
    """Runs a vector through the reference reader: (messages, error name or None)."""
    r = Reader(v.get("limits", {}), v["dir"])
    inputs = [bytes.fromhex(h) for h in v["input"]]
    now = v.get("now_ms", [0] * len(inputs))
    try:
        if v["binding"] == "stream":
            r.stream(b"".join(inputs), 0)
        else:
            for data, t in zip(inputs, now):
                r.ws(data, t)
    except PlxError as e:
        return r.out, e.name
    return r.out, None


# ------------------------------------------------------------------ descriptions

FLAG_NAMES = {GZIP: "GZIP", MORE: "MORE"}


def describe_frame(b):
    if len(b) < HEADER_LEN:
        return "%d bytes only (%s): shorter than a header" % (len(b), b.hex() or "empty")
    version, flags, reserved, msg_id, offset, length = struct.unpack(">BBHIII", b[:16])
    names = [n for bit, n in FLAG_NAMES.items() if flags & bit]
    if flags & ~(GZIP | MORE):
        names.append("unknown 0x%02x" % (flags & ~(GZIP | MORE)))
    s = ("version %02x, flags %02x (%s), reserved %04x, msg_id %08x (%d), offset %08x (%d), "
         "length %08x (%d)" % (version, flags, "|".join(names) or "none", reserved, msg_id,
                               msg_id, offset, offset, length, length))
    pay = b[16:]
    s += "; %d payload bytes" % len(pay)
    if flags == 0 and offset == 0 and len(pay) == length and version == VERSION:
        s += describe_body(pay)
    elif flags == MORE and offset == 0 and len(pay) >= 4:
        (jl,) = struct.unpack(">I", pay[:4])
        s += ", the body's first bytes: json_len %08x (%d)" % (jl, jl)
    elif flags & GZIP and offset == 0 and pay[:2] == b"\x1f\x8b":
        s += " starting with a gzip header (1f 8b 08 ...)"
    return s


def describe_body(b):
    if len(b) < 4:
        return ": body shorter than its json_len prefix"
    (jl,) = struct.unpack(">I", b[:4])
    s = ": body json_len %08x (%d)" % (jl, jl)
    if jl > len(b) - 4:
        return s + " beyond the end of the body"
    text = b[4:4 + jl]
    shown = text if len(text) <= 120 else text[:117] + b"..."
    s += ", JSON %s" % shown.decode("utf-8", "backslashreplace")
    pos, k = 4 + jl, 0
    while pos < len(b) and k < 3:
        if len(b) - pos < 4:
            return s + ", then %d bytes: a cut attachment prefix" % (len(b) - pos)
        (n,) = struct.unpack(">I", b[pos:pos + 4])
        s += ", attachment %d: len %08x (%d)" % (k, n, n)
        if n > len(b) - pos - 4:
            return s + " but only %d bytes follow" % (len(b) - pos - 4)
        pos += 4 + n
        k += 1
    if pos < len(b):
        s += ", ... (more attachments)"
    return s


def describe(v):
    inputs = [bytes.fromhex(h) for h in v["input"]]
    parts = []
    if v["binding"] == "stream":
        data, pos, k = b"".join(inputs), 0, 0
        while pos + 4 <= len(data) and k < 3:
            (flen,) = struct.unpack(">I", data[pos:pos + 4])
            fr = data[pos + 4:pos + 4 + max(flen, HEADER_LEN)]
            parts.append("stream frame %d: frame_len %08x (%d), %s" %
                         (k + 1, flen, flen, describe_frame(fr)))
            pos += 4 + max(flen, HEADER_LEN)
            k += 1
    else:
        for k, b in enumerate(inputs[:3]):
            parts.append("message %d: %s" % (k + 1, describe_frame(b)))
    more = len(inputs) - 3 if v["binding"] == "websocket" and len(inputs) > 3 else 0
    if more:
        parts.append("(%d more WebSocket messages)" % more)
    return " ".join(p + "." for p in parts)


# ------------------------------------------------------------------ vector registry

VECTORS = []


def M(obj, atts=()):
    return (obj, list(atts))


# The requirement that defines each error a vector expects; vec() adds it to the vector's list.
ERROR_REQUIREMENT = {
    "TRUNCATED": "FRM-5", "BAD_VERSION": "FRM-5", "RESERVED_BITS": "FRM-5",
    "LENGTH_MISMATCH": "FRM-5", "FRAME_TOO_LARGE": "FRM-5", "EMPTY_CHUNK": "FRM-5",
    "EXPIRED": "CHK-8", "BAD_GZIP": "GZ-6", "BODY_TRUNCATED": "BODY-2", "BAD_UTF8": "BODY-3",
    "NOT_OBJECT": "BODY-6", "TOO_MANY_ATTACHMENTS": "BODY-7", "BAD_ATTACHMENT_REF": "BODY-8",
    "MISSING_TYPE": "MSG-6", "UNKNOWN_TYPE": "MSG-6", "WRONG_DIRECTION": "MSG-6",
    "MISSING_FIELD": "MSG-6", "BAD_FIELD_TYPE": "MSG-6", "BAD_VALUE": "MSG-6",
}


def vec(slug, summary, reqs, inputs, msgs=(), error=None, binding="websocket", limits=None,
        direction="c2s", now=None, enc=None):
    assert re.fullmatch(r"[a-z0-9-]+", slug), slug
    reqs = list(reqs)
    if error in ERROR_REQUIREMENT and not (error == "TRUNCATED" and binding == "stream"):
        if ERROR_REQUIREMENT[error] not in reqs:
            reqs.append(ERROR_REQUIREMENT[error])
    for r in reqs:
        assert r in REQUIREMENTS, r
    v = {"name": slug, "requirements": list(reqs), "binding": binding,
         "limits": dict(limits or {}), "dir": direction,
         "input": [b.hex() for b in inputs]}
    for k, val in v["limits"].items():
        assert k in DEFAULTS and val != DEFAULTS[k], (slug, k)
    if now is not None:
        assert len(now) == len(inputs) and binding == "websocket"
        v["now_ms"] = list(now)
    exp = {"messages": [{"json": o, "attachments": [a.hex() for a in atts]} for o, atts in msgs]}
    if error:
        exp["error"] = error
        exp["code"] = ERROR_CODES[error]
    v["expect"] = exp
    if enc is not None:
        assert not error and len(msgs) == 1
        v["encode"] = enc
    v["description"] = summary + " Bytes: " + describe(v)
    # Self-check: the reference reader must agree with what the vector states.
    got, err = run(v)
    assert err == error, (slug, err, error)
    assert [(o, a) for o, a in got] == [(o, list(a)) for o, a in msgs], (slug, got)
    if enc is not None:
        assert "limits" not in v or v["limits"].get("max_frame", DEFAULTS["max_frame"]) >= \
            enc["max_frame"]
        assert json.loads(enc["json_text"]) == msgs[0][0]
    VECTORS.append(v)


def ws_msg(obj, atts=(), msg_id=1, flags=0):
    return frame(body(J(obj), atts), msg_id, 0, flags)


# ------------------------------------------------------------------ valid vectors


def valid_basic():
    ping = {"t": "ping"}
    fr, enc = encode(ping)
    vec("minimal-ping", "The smallest useful message: {\"t\":\"ping\"}, one unchunked frame, "
        "msg_id 1, no attachments.", ["FRM-1", "CHK-1", "BODY-1", "TRN-4"], fr, [M(ping)],
        enc=enc)

    pong = {"t": "pong", "n": 42}
    fr, enc = encode(pong, msg_id=7)
    vec("pong-with-n", "pong with n 42, msg_id 7.", ["FRM-1", "CHK-1", "MSG-1"], fr, [M(pong)],
        enc=enc)

    hello = {"t": "hello", "version": 1, "name": "sensor-1", "groups": ["lab", "floor-2"],
             "presence": True, "max_frame": 65536, "max_message": 1048576, "gzip": True,
             "gzip_threshold": 2048, "agent": "plexus-vectors/1"}
    fr, enc = encode(hello)
    vec("hello-full", "A hello with every optional field a client usually sets.",
        ["MSG-1", "BODY-1", "BODY-11"], fr, [M(hello)], enc=enc)

    welcome = {"t": "welcome", "version": 1, "name": "sensor-1", "server": "plexus-server/1.0",
               "max_frame": 65536, "max_message": 1048576, "gzip": True,
               "gzip_threshold": 2048, "ping_interval_ms": 20000, "call_timeout_ms": 30000,
               "history": 0, "features": ["history"]}
    fr, enc = encode(welcome)
    vec("welcome-s2c", "A welcome as a client receives it (dir s2c).", ["MSG-1", "MSG-6"], fr,
        [M(welcome)], direction="s2c", enc=enc)

    call = {"t": "call", "id": 1, "route": "math.add", "args": {"a": 1, "b": 2},
            "timeout_ms": 5000}
    fr, enc = encode(call, msg_id=2)
    vec("call-with-args", "An RPC call with object args and a timeout.", ["MSG-1"], fr,
        [M(call)], enc=enc)

    rep = {"t": "reply", "id": 1, "result": {"sum": 3, "ok": True, "list": [1, 2, None]}}
    fr, enc = encode(rep, msg_id=3)
    vec("reply-result", "A reply carrying a result.", ["MSG-1", "MSG-4", "MSG-6"], fr, [M(rep)],
        enc=enc)

    rep = {"t": "reply", "id": 2, "error": {"code": 701, "name": "UNKNOWN_ROUTE",
                                            "message": "no client serves this route"}}
    fr, enc = encode(rep, msg_id=4)
    vec("reply-error", "A reply carrying an error object (code, name, message).",
        ["MSG-1", "MSG-4", "MSG-6"], fr, [M(rep)], enc=enc)

    send = {"t": "send", "id": 3, "to": "group:lab", "event": "temp", "data": [20, -1, 22],
            "echo": True}
    fr, enc = encode(send, msg_id=5)
    vec("send-group", "A send to a group with an id and echo.", ["MSG-1"], fr, [M(send)],
        enc=enc)

    ev = {"t": "event", "from": "sensor-1", "to": "group:lab", "event": "temp",
          "data": None, "seq": 7}
    fr, enc = encode(ev, msg_id=6)
    vec("event-s2c", "An event delivery as a client receives it (dir s2c).", ["MSG-1"], fr,
        [M(ev)], direction="s2c", enc=enc)

    cmd = {"t": "cmd", "id": 4, "argv": ["SET", "blob", {"$bin": 0}]}
    att = bytes(range(256))
    fr, enc = encode(cmd, [att], msg_id=8)
    vec("cmd-bin-argv", "A storage command whose value argument is attachment 0 (256 bytes "
        "00..ff).", ["MSG-1", "BODY-8"], fr, [M(cmd, [att])], enc=enc)

    pipe = {"t": "pipeline", "id": 5, "cmds": [["SET", "a", "1"], ["INCR", "a"],
                                              ["GET", {"$bin": 0}]], "atomic": True}
    fr, enc = encode(pipe, [b"a"], msg_id=9)
    vec("pipeline-atomic", "An atomic pipeline of three commands, one naming its key by "
        "attachment.", ["MSG-1", "BODY-8"], fr, [M(pipe, [b"a"])], enc=enc)

    c2s = [
        M({"t": "hello", "version": 1}),
        M({"t": "register", "id": 1, "routes": ["math.add", "math.mul"]}),
        M({"t": "unregister", "id": 2, "routes": ["math.mul"]}),
        M({"t": "call_all", "id": 3, "route": "status", "group": "lab", "args": [],
           "timeout_ms": 1000}),
        M({"t": "join", "id": 4, "group": "lab"}),
        M({"t": "leave", "id": 5, "group": "lab"}),
        M({"t": "rename", "id": 6, "name": "sensor-2"}),
        M({"t": "watch", "id": 7, "pattern": "user:*"}),
        M({"t": "unwatch", "id": 8, "pattern": {"$bin": 0}}, [b"user:*"]),
        M({"t": "adapt", "id": 9, "key": {"$bin": 0}}, [b"\x00key\xff"]),
        M({"t": "unadapt", "id": 10, "key": "k"}),
        M({"t": "error", "code": 707, "name": "UNKNOWN_CALL", "message": "late", "re": 3}),
        M({"t": "reply", "id": 11, "result": None}),
        M({"t": "bye", "reason": "done"}),
    ]
    vec("catalogue-tour-c2s", "Every other client-to-server type, one WebSocket message each, "
        "msg_ids 1..14.", ["MSG-1", "TRN-4"],
        [ws_msg(o, a, i + 1) for i, (o, a) in enumerate(c2s)], c2s)

    s2c = [
        M({"t": "presence", "kind": "join", "name": "sensor-1", "groups": ["lab"]}),
        M({"t": "presence", "kind": "rename", "name": "b", "old": "a"}),
        M({"t": "change", "key": {"$bin": 0}, "op": "set", "by": "sensor-1",
           "pattern": "*"}, [b"\xfe\xff"]),
        M({"t": "read", "id": 12, "key": "cfg", "argv": ["HGET", "cfg", {"$bin": 0}],
           "timeout_ms": 900}, [b"field"]),
        M({"t": "call", "id": 99, "route": "math.add", "args": [1, 2], "from": "caller",
           "timeout_ms": 29000}),
        M({"t": "error", "code": 702, "name": "UNKNOWN_CLIENT", "message": "no client x"}),
        M({"t": "ping", "n": 3}),
    ]
    vec("catalogue-tour-s2c", "Server-to-client types (presence, change, read, call, error, "
        "ping), msg_ids 1..7.", ["MSG-1", "MSG-6"],
        [ws_msg(o, a, i + 1) for i, (o, a) in enumerate(s2c)], s2c, direction="s2c")


def valid_chunking():
    rng = Rng(1)
    send = {"t": "send", "to": "client:bob", "event": "blob", "data": {"$bin": 0}}
    att = rng.bytes(800)
    fr, enc = encode(send, [att], msg_id=10, max_frame=512, gzip=False)
    assert len(fr) == 2
    vec("chunked-2-frames", "A message of %d body bytes cut into 2 frames at max_frame 512 "
        "(512 + rest), MORE on the first." % (len(body(J(send), [att]))),
        ["CHK-1", "CHK-4", "FRM-1"], fr, [M(send, [att])], limits={"max_frame": 512}, enc=enc)

    att = rng.bytes(2300)
    fr, enc = encode(send, [att], msg_id=11, max_frame=512, gzip=False)
    assert len(fr) == 5
    vec("chunked-5-frames", "A message cut into 5 frames at max_frame 512: offsets 0, 512, "
        "1024, 1536, 2048.", ["CHK-1", "CHK-4"], fr, [M(send, [att])],
        limits={"max_frame": 512}, enc=enc)

    text = J(send)
    att = rng.bytes(1024 - 8 - len(text))
    fr, enc = encode(send, [att], msg_id=12, max_frame=512, gzip=False)
    assert len(fr) == 2 and len(fr[1]) == 16 + 512
    vec("chunked-exact-multiple", "A 1024-byte body at max_frame 512: exactly two full frames, "
        "no empty third frame.", ["CHK-4", "CHK-1"], fr, [M(send, [att])],
        limits={"max_frame": 512}, enc=enc)

    att = rng.bytes(512 - 8 - len(text))
    fr, enc = encode(send, [att], msg_id=13, max_frame=512, gzip=False)
    assert len(fr) == 1 and len(fr[0]) == 16 + 512
    vec("max-frame-exact", "A single frame whose payload is exactly max_frame (512).",
        ["FRM-5", "CHK-4"], fr, [M(send, [att])], limits={"max_frame": 512}, enc=enc)

    fr, enc = encode({"t": "ping", "n": 1}, msg_id=0xFFFFFFFF)
    vec("msg-id-max", "msg_id 0xFFFFFFFF is an ordinary id.", ["FRM-4"], fr,
        [M({"t": "ping", "n": 1})], enc=enc)

    fr, enc = encode({"t": "ping", "n": 2}, msg_id=0)
    vec("msg-id-zero", "msg_id 0 is an ordinary id.", ["FRM-4"], fr,
        [M({"t": "ping", "n": 2})], enc=enc)

    # Interleaving: A in 3 chunks, B in 2, order A0 B0 A1 B1 A2; B completes first.
    a_obj = {"t": "send", "to": "all", "event": "a", "data": {"$bin": 0}}
    b_obj = {"t": "send", "to": "all", "event": "b", "data": {"$bin": 0}}
    a_att, b_att = rng.bytes(1200), rng.bytes(700)
    fa = cut(body(J(a_obj), [a_att]), 21, 512)
    fb = cut(body(J(b_obj), [b_att]), 22, 512)
    assert len(fa) == 3 and len(fb) == 2
    vec("interleaved-two", "Two chunked messages interleaved: A0 B0 A1 B1 A2 (A = msg_id 21, "
        "3 frames; B = msg_id 22, 2 frames). B completes first.", ["CHK-4", "CHK-13", "CHK-1"],
        [fa[0], fb[0], fa[1], fb[1], fa[2]], [M(b_obj, [b_att]), M(a_obj, [a_att])],
        limits={"max_frame": 512})

    p = {"t": "ping", "n": 5}
    f1 = cut(body(J(a_obj), [a_att]), 1, 512)
    vec("interleaved-with-single", "A single-frame message (msg_id 2) between the chunks of a "
        "chunked one (msg_id 1) is delivered at once.", ["CHK-4", "CHK-13", "CHK-1"],
        [f1[0], ws_msg(p, msg_id=2)] + f1[1:],
        [M(p), M(a_obj, [a_att])], limits={"max_frame": 512})

    c = {"t": "call", "id": 1, "route": "r", "args": {"$bin": 0}}
    catt = rng.bytes(600)
    fc = cut(body(J(c), [catt]), 9, 512)
    vec("id-reuse-after-completion", "msg_id 9 carries a 2-chunk message, then a single-frame "
        "message, then another 2-chunk message: reuse after completion is allowed.",
        ["CHK-3", "CHK-13"], fc + [ws_msg(p, msg_id=9)] + fc, [M(c, [catt]), M(p), M(c, [catt])],
        limits={"max_frame": 512})

    b = body(J(c), [catt])
    fr = chunks(b, 4, [len(b)])
    assert len(fr[1]) == 16
    vec("final-empty-chunk", "The last chunk (MORE clear) may be empty: chunk 1 carries the "
        "whole body with MORE, chunk 2 has length 0 at offset = body length.",
        ["CHK-7", "CHK-14", "FRM-7"], fr, [M(c, [catt])])

    fr = chunks(b, 5, [1, 2, 3, 100])
    vec("uneven-chunks", "A sender may cut chunks smaller than max_frame and of uneven sizes "
        "(1, 2, 3, 100, rest).", ["CHK-4", "CHK-14"], fr, [M(c, [catt])])

    parts = [chunks(body(J({"t": "ping", "n": i})), i, [3]) for i in range(1, 17)]
    last = ws_msg({"t": "ping", "n": 17}, msg_id=17)
    vec("max-partial-boundary", "max_partial 16: with 16 incomplete messages (msg_ids 1..16), "
        "a 17th message that is complete in one frame is accepted; then the 16 complete in "
        "reverse order.", ["CHK-9", "CHK-14"],
        [q[0] for q in parts] + [last] + [q[1] for q in reversed(parts)],
        [M({"t": "ping", "n": 17})] + [M({"t": "ping", "n": i}) for i in range(16, 0, -1)])

    fr = chunks(body(J({"t": "ping", "n": 4})), 6, [4, 4])
    vec("expiry-counts-idle-time", "expiry_ms 30000 counts idle time per message: chunks at "
        "0, 29000 and 58000 ms (total above 30000, each gap below).", ["CHK-8"], fr,
        [M({"t": "ping", "n": 4})], now=[0, 29000, 58000])


def valid_gzip():
    rng = Rng(2)
    data = {"t": "send", "to": "all", "event": "series",
            "data": [i * 3 % 97 for i in range(400)]}
    fr, enc = encode(data, msg_id=30)
    assert len(fr) == 1 and fr[0][1] == GZIP
    vec("gzip-unchunked", "A compressible body over the 1024 threshold, gzipped into one "
        "frame (flags GZIP).", ["GZ-3", "GZ-4", "GZ-5"], fr, [M(data)], enc=enc)

    send = {"t": "send", "to": "all", "event": "hex", "data": {"$bin": 0}}
    att = rng.hexchars(3000)
    fr, enc = encode(send, [att], msg_id=31, max_frame=512)
    assert len(fr) >= 3 and all(f[1] & GZIP for f in fr)
    vec("gzip-chunked", "A gzipped body whose gzip stream spans %d frames at max_frame 512: "
        "GZIP on every frame, offsets index the gzip stream." % len(fr),
        ["GZ-4", "GZ-5", "CHK-2", "CHK-4"], fr, [M(send, [att])], limits={"max_frame": 512},
        enc=enc)

    text = J(send)
    att = b"A" * (1024 - 8 - len(text))
    fr, enc = encode(send, [att], msg_id=32)
    assert fr[0][1] == GZIP
    vec("gzip-at-threshold", "A body of exactly gzip_threshold (1024) bytes is compressed.",
        ["GZ-2", "GZ-3"], fr, [M(send, [att])], enc=enc)

    att = b"A" * (1023 - 8 - len(text))
    fr, enc = encode(send, [att], msg_id=33)
    assert fr[0][1] == 0
    vec("gzip-below-threshold", "A compressible body of 1023 bytes (threshold 1024) is sent "
        "uncompressed.", ["GZ-2"], fr, [M(send, [att])], enc=enc)

    att = rng.bytes(1500)
    fr, enc = encode(send, [att], msg_id=34)
    assert fr[0][1] == 0
    vec("gzip-not-smaller", "A random (incompressible) body over the threshold is sent "
        "uncompressed because gzip would not make it smaller.", ["GZ-2"], fr,
        [M(send, [att])], enc=enc)

    att = b"B" * 3000
    fr, enc = encode(send, [att], msg_id=35, gzip=False)
    assert fr[0][1] == 0
    vec("gzip-off-encoder", "With gzip off the encoder never compresses, even a very "
        "compressible body.", ["GZ-2"], fr, [M(send, [att])], enc=enc)

    att = b"C" * 200
    fr, enc = encode(send, [att], msg_id=36, threshold=100)
    assert fr[0][1] == GZIP
    vec("gzip-low-threshold", "gzip_threshold 100: a 270-byte compressible body is "
        "compressed.", ["GZ-2"], fr, [M(send, [att])], enc=enc)

    p = {"t": "ping", "n": 8}
    z = gzip_member(body(J(p)), mtime=0x5F5E1000, xfl=2, os_byte=3, name=b"msg.bin")
    vec("gzip-header-with-name", "A decoder accepts any valid RFC 1952 member: this one has "
        "FNAME \"msg.bin\", an mtime, XFL 2 and OS 3 (and is larger than the body).",
        ["GZ-4"], [frame(z, 3, 0, GZIP)], [M(p)])

    big = {"t": "send", "to": "all", "event": "z", "data": {"$bin": 0}}
    att = bytes(65536 - 8 - len(J(big)))
    b = body(J(big), [att])
    assert len(b) == 65536
    vec("gzip-inflates-to-max-message", "max_message 65536: a gzip payload inflating to "
        "exactly 65536 bytes is accepted.", ["GZ-7"], [frame(gzip_member(b), 1, 0, GZIP)],
        [M(big, [att])], limits={"max_message": 65536})

    fr, enc = encode(data, msg_id=40, max_frame=512, stream=True)
    vec("stream-gzip", "Stream binding: a gzipped message, each frame preceded by its "
        "frame_len.", ["TRN-12", "GZ-4"], fr, [M(data)], binding="stream",
        limits={"max_frame": 512}, enc=enc)


def valid_body():
    rng = Rng(3)
    s = {"t": "send", "to": "all", "event": "multi",
         "data": {"x": {"$bin": 0}, "list": [{"$bin": 1}, {"$bin": 2}]}}
    atts = [b"first", rng.bytes(40), b"\x00\x00\x00\x00"]
    fr, enc = encode(s, atts, msg_id=50)
    vec("attachments-several", "Three attachments referenced from nested places.",
        ["BODY-1", "BODY-8"], fr, [M(s, atts)], enc=enc)

    s = {"t": "send", "to": "all", "event": "empty", "data": {"$bin": 0}}
    fr, enc = encode(s, [b""], msg_id=51)
    vec("attachment-empty", "An attachment of length 0 (prefix 00000000, no bytes).",
        ["BODY-1", "BODY-10"], fr, [M(s, [b""])], enc=enc)

    s = {"t": "send", "to": "all", "event": "deep",
         "data": [[{"a": [{"$bin": 1}]}], {"b": {"c": {"d": {"$bin": 0}}}}]}
    atts = [b"zero", b"one", b"unreferenced"]
    vec("bin-nested-and-unreferenced", "$bin references nested in arrays and objects; the "
        "third attachment is not referenced (allowed).", ["BODY-8", "BODY-10"],
        [ws_msg(s, atts, 52)], [M(s, atts)])

    s = {"t": "send", "to": "all", "event": "plain", "data": {"$bin": 5, "note": "x"}}
    fr, enc = encode(s, msg_id=53)
    vec("bin-with-other-members", "An object with \"$bin\" and other members is a plain "
        "object, not a reference (no attachments at all).", ["BODY-8"], fr, [M(s)], enc=enc)

    s = {"t": "send", "to": "group:caf\u00e9", "event": "\u00fcn\u00efc\u00f8d\u00e9",
         "data": "\u65e5\u672c\u8a9e \U0001F600 \u2713"}
    vec("utf8-multibyte", "Raw (unescaped) UTF-8 of 2, 3 and 4 bytes in JSON strings.",
        ["BODY-3"], [ws_msg(s, msg_id=54)], [M(s)])

    text = (b'{"t":"send","to":"all","event":"esc","data":"line\\nbreak \\u00e9 '
            b'\\ud83d\\ude00 \\"q\\" \\\\ \\/ \\t"}')
    obj = json.loads(text)
    vec("json-escapes", "JSON escapes: \\n, \\u00e9, a surrogate pair \\ud83d\\ude00, \\\", "
        "\\\\, \\/ and \\t decode to their characters.", ["BODY-4"],
        [frame(body(text), 55)], [M(obj)])

    text = b' \r\n\t{ "t" : "send" , "to":"all","event":"ws",\n "data" : [ 1 , 2 ] }\n  '
    vec("json-whitespace", "Insignificant JSON whitespace (space, tab, CR, LF) before, inside "
        "and after the object.", ["BODY-4"], [frame(body(text), 56)],
        [M(json.loads(text))])

    text = b'{"t":"send","to":"all","event":"n","data":[0,-1,1.5,1e3,-2.5E-2,9007199254740991]}'
    vec("json-number-forms", "JSON number forms: negative, fraction, exponents, 2^53-1.",
        ["BODY-4"], [frame(body(text), 57)], [M(json.loads(text))])

    s = {"t": "send", "to": "all", "event": "raw", "data": {"$bin": 0}}
    vec("attachment-not-utf8", "Attachment bytes are opaque: ff fe c0 80 ed a0 80 is not "
        "UTF-8 and is accepted.", ["BODY-3", "BODY-1"],
        [ws_msg(s, [b"\xff\xfe\xc0\x80\xed\xa0\x80"], 58)],
        [M(s, [b"\xff\xfe\xc0\x80\xed\xa0\x80"])])

    s = {"t": "send", "to": "all", "event": "many", "data": {"$bin": 1023}}
    atts = [b""] * 1023 + [b"last"]
    vec("attachments-1024", "Exactly 1024 attachments (the limit), the last referenced.",
        ["BODY-7"], [ws_msg(s, atts, 59)], [M(s, atts)])

    c = {"t": "call", "id": 1, "route": "r", "x-future": {"deep": [1, {"y": None}]},
         "trace": "abc"}
    fr, enc = encode(c, msg_id=60)
    vec("unknown-fields-ignored", "Fields the catalogue does not name are ignored (and "
        "kept in the decoded object).", ["MSG-2"], fr, [M(c)], enc=enc)

    p = {"t": "ping", "n": 9007199254740991}
    vec("uint-max", "A uint field at its maximum 2^53-1.", ["MSG-3", "MSG-6"],
        [ws_msg(p, msg_id=61)], [M(p)])


def valid_stream():
    p = {"t": "ping"}
    fr, enc = encode(p, stream=True)
    vec("stream-minimal", "Stream binding: one frame preceded by frame_len 16 + payload.",
        ["TRN-12", "FRM-1"], fr, [M(p)], binding="stream", enc=enc)

    a, b = ws_msg({"t": "ping", "n": 1}, msg_id=1), ws_msg({"t": "pong", "n": 1}, msg_id=2)
    data = prefixed(a) + prefixed(b)
    vec("stream-two-in-one-buffer", "Stream binding: two frames back to back in one buffer.",
        ["TRN-12"], [data], [M({"t": "ping", "n": 1}), M({"t": "pong", "n": 1})],
        binding="stream")
    vec("stream-split-anywhere", "Stream binding: the same bytes split at arbitrary points "
        "(inside the prefix, the header and the payload); elements are concatenated.",
        ["TRN-12"], [data[:2], data[2:11], data[11:25], data[25:]],
        [M({"t": "ping", "n": 1}), M({"t": "pong", "n": 1})], binding="stream")

    rng = Rng(4)
    s = {"t": "send", "to": "all", "event": "s", "data": {"$bin": 0}}
    att = rng.bytes(900)
    fa = cut(body(J(s), [att]), 1, 512)
    pb = ws_msg({"t": "ping", "n": 7}, msg_id=2)
    vec("stream-chunked-interleaved", "Stream binding: a 2-chunk message with a single-frame "
        "message between its chunks.", ["TRN-12", "CHK-4", "CHK-13"],
        [prefixed(fa[0]), prefixed(pb), prefixed(fa[1])],
        [M({"t": "ping", "n": 7}), M(s, [att])], binding="stream",
        limits={"max_frame": 512})


# ------------------------------------------------------------------ invalid: frame layer


def invalid_frame():
    p = body(J({"t": "ping"}))
    good = frame(p, 1)
    vec("truncated-empty-message", "An empty WebSocket message: shorter than a header.",
        ["FRM-5", "TRN-4"], [b""], error="TRUNCATED")
    vec("truncated-short-header", "15 bytes: one short of a header.", ["FRM-5"], [good[:15]],
        error="TRUNCATED")
    vec("truncated-short-header-bad-version", "15 bytes starting with version 2: the size "
        "check comes first.", ["FRM-5", "ERR-1"], [header(version=2)[:15]],
        error="TRUNCATED")
    vec("truncated-short-payload", "The header says %d payload bytes; 5 fewer follow."
        % len(p), ["FRM-5"], [good[:-5]], error="TRUNCATED")
    vec("truncated-after-valid", "A valid ping, then a frame cut short: the ping is "
        "delivered first.", ["FRM-5"], [good, frame(p, 2)[:20]], [M({"t": "ping"})],
        error="TRUNCATED")

    vec("bad-version-0", "version 0.", ["FRM-5"], [frame(p, version=0)], error="BAD_VERSION")
    vec("bad-version-2", "version 2.", ["FRM-5"], [frame(p, version=2)], error="BAD_VERSION")
    vec("bad-version-before-reserved", "version 255 with flags 0xff and reserved 0xffff: "
        "the version check comes first.", ["FRM-5", "ERR-1"],
        [frame(p, version=255, flags=0xFF, reserved=0xFFFF)], error="BAD_VERSION")

    vec("reserved-flag-bit-2", "flags 0x04 (an unknown bit).", ["FRM-5"],
        [frame(p, flags=0x04)], error="RESERVED_BITS")
    vec("reserved-flag-bit-7", "flags 0x80 (an unknown bit).", ["FRM-5"],
        [frame(p, flags=0x80)], error="RESERVED_BITS")
    vec("reserved-field-nonzero", "reserved field 0x0001.", ["FRM-5"],
        [frame(p, reserved=1)], error="RESERVED_BITS")
    vec("reserved-before-frame-too-large", "reserved 0x8000 and a length above max_frame "
        "(header only): reserved bits are checked first.", ["FRM-5", "ERR-1"],
        [header(length=600, reserved=0x8000)], error="RESERVED_BITS",
        limits={"max_frame": 512})

    vec("length-mismatch-extra-byte", "A WebSocket message one byte longer than header + "
        "length.", ["FRM-5", "TRN-4"], [good + b"\x00"], error="LENGTH_MISMATCH")
    vec("two-frames-in-one-websocket-message", "Two whole frames in one WebSocket message: "
        "the bytes after the first frame are a LENGTH_MISMATCH.", ["TRN-4", "FRM-5"],
        [good + frame(p, 2)], error="LENGTH_MISMATCH")

    big = bytes(513)
    vec("frame-too-large", "max_frame 512, a frame with 513 payload bytes.", ["FRM-5"],
        [frame(big)], error="FRAME_TOO_LARGE", limits={"max_frame": 512})
    vec("frame-too-large-header-only", "max_frame 512, a header announcing 513 bytes with no "
        "payload: FRAME_TOO_LARGE comes before the transport length check.",
        ["FRM-5", "TRN-9"], [header(length=513)], error="FRAME_TOO_LARGE",
        limits={"max_frame": 512})
    vec("frame-too-large-default", "Default max_frame 1048576: a header announcing 1048577 "
        "bytes (header only).", ["FRM-5"], [header(length=(1 << 20) + 1)],
        error="FRAME_TOO_LARGE")

    vec("empty-chunk", "MORE set with length 0.", ["FRM-5"], [header(flags=MORE)],
        error="EMPTY_CHUNK")
    vec("empty-chunk-before-offset", "MORE set, length 0, offset 5: EMPTY_CHUNK (frame "
        "layer) comes before the assembler's OFFSET_GAP.", ["FRM-5", "ERR-1"],
        [header(flags=MORE, offset=5)], error="EMPTY_CHUNK")
    vec("empty-chunk-before-truncated", "MORE set, length 0, but 3 stray bytes follow: "
        "EMPTY_CHUNK comes before LENGTH_MISMATCH.", ["FRM-5", "ERR-1"],
        [header(flags=MORE) + b"abc"], error="EMPTY_CHUNK")


def invalid_stream():
    p = body(J({"t": "ping"}))
    fr = frame(p, 1)
    vec("stream-prefix-below-16", "Stream binding: frame_len 15 is below the header size.",
        ["TRN-13"], [struct.pack(">I", 15) + fr], error="TRUNCATED", binding="stream")
    vec("stream-prefix-zero", "Stream binding: frame_len 0, after a valid frame.",
        ["TRN-13"], [prefixed(fr), struct.pack(">I", 0)], [M({"t": "ping"})],
        error="TRUNCATED", binding="stream")
    vec("stream-prefix-too-big", "Stream binding: frame_len one more than 16 + length "
        "(detected when the header is in).", ["TRN-14"], [prefixed(fr, len(fr) + 1)],
        error="LENGTH_MISMATCH", binding="stream")
    vec("stream-prefix-too-small", "Stream binding: frame_len 16 + length - 1.",
        ["TRN-14"], [prefixed(fr, len(fr) - 1)], error="LENGTH_MISMATCH", binding="stream")
    vec("stream-prefix-huge", "Stream binding: frame_len 0xffffffff before a header with "
        "length %d (within max_frame): LENGTH_MISMATCH once the header is in." % len(p),
        ["TRN-14", "TRN-15"], [struct.pack(">I", 0xFFFFFFFF) + header(length=len(p))],
        error="LENGTH_MISMATCH", binding="stream")
    h = header(length=600)
    vec("stream-frame-too-large", "Stream binding, max_frame 512: frame_len 616 and a header "
        "announcing 600; only the header is sent: FRAME_TOO_LARGE as soon as it is in.",
        ["TRN-14", "FRM-5"], [struct.pack(">I", 616) + h], error="FRAME_TOO_LARGE",
        binding="stream", limits={"max_frame": 512})
    vec("stream-bad-version-before-length", "Stream binding: frame_len disagrees and version "
        "is 2: header fields are checked before the lengths.", ["TRN-14", "ERR-1"],
        [struct.pack(">I", 100) + frame(p, version=2)], error="BAD_VERSION",
        binding="stream")
    vec("stream-empty-frame", "Stream binding: frame_len 16, a frame with an empty payload "
        "and MORE clear: the message body is empty.", ["FRM-7", "BODY-2"],
        [prefixed(header())], error="BODY_TRUNCATED", binding="stream")


# ------------------------------------------------------------------ invalid: chunk layer


def invalid_chunk():
    rng = Rng(5)
    s = {"t": "send", "to": "all", "event": "c", "data": {"$bin": 0}}
    b = body(J(s), [rng.bytes(900)])
    fr = cut(b, 1, 512)
    assert len(fr) == 2

    vec("offset-gap-first-chunk", "The first chunk of an unknown msg_id has offset 1.",
        ["CHK-9"], [frame(b[:10], 1, 1, MORE)], error="OFFSET_GAP")
    vec("offset-gap-single-frame", "A complete (MORE clear) frame of an unknown msg_id at "
        "offset 3.", ["CHK-1", "CHK-9"], [frame(b, 1, 3)], error="OFFSET_GAP")
    vec("offset-gap-later", "Chunk 2 at offset 600 after 512 bytes were received.",
        ["CHK-10"], [fr[0], frame(b[600:], 1, 600)], error="OFFSET_GAP",
        limits={"max_frame": 512})
    vec("offset-overlap", "Chunk 2 at offset 100 after 512 bytes were received.",
        ["CHK-10"], [fr[0], frame(b[100:600], 1, 100)], error="OFFSET_OVERLAP",
        limits={"max_frame": 512})
    vec("id-reuse-while-incomplete", "msg_id 1 is reused (offset 0) while its message is "
        "incomplete.", ["CHK-3", "CHK-10"], [fr[0], ws_msg({"t": "ping"}, msg_id=1)],
        error="OFFSET_OVERLAP", limits={"max_frame": 512})

    z = gzip_member(b)
    vec("flags-mismatch-gzip-then-plain", "Chunk 1 has GZIP, chunk 2 does not.",
        ["CHK-2", "CHK-10"],
        [frame(z[:100], 1, 0, GZIP | MORE), frame(z[100:], 1, 100, 0)],
        error="FLAGS_MISMATCH")
    vec("flags-mismatch-plain-then-gzip", "Chunk 1 is plain, chunk 2 has GZIP.",
        ["CHK-2", "CHK-10"],
        [frame(b[:100], 1, 0, MORE), frame(b[100:], 1, 100, GZIP)], error="FLAGS_MISMATCH")

    big = body(J(s), [bytes(65537 - 8 - len(J(s)))])
    assert len(big) == 65537
    vec("too-large-wire", "max_message 65536: chunks of 60000 and 5537 bytes (65537 in all); "
        "the second chunk is refused before it is copied.", ["CHK-10", "CHK-11"],
        [frame(big[:60000], 1, 0, MORE), frame(big[60000:], 1, 60000)], error="TOO_LARGE",
        limits={"max_message": 65536})

    vec("too-many-partial", "max_partial 16: 17 incomplete messages of one byte each "
        "(msg_ids 1..17): the 17th fails.", ["CHK-9", "CHK-14"],
        [frame(b[:1], i, 0, MORE) for i in range(1, 18)], error="TOO_MANY_PARTIAL")
    vec("too-many-partial-after-complete", "16 incomplete messages, one of them completes, "
        "then a new incomplete one is accepted and the next one fails.", ["CHK-9", "CHK-13"],
        [frame(b[:1], i, 0, MORE) for i in range(1, 17)] +
        [frame(b[1:], 5, 1), frame(b[:1], 17, 0, MORE), frame(b[:1], 18, 0, MORE)],
        [M(s, [b[-900:]])], error="TOO_MANY_PARTIAL")

    pb = ws_msg({"t": "ping"}, msg_id=2)
    vec("expired-other-id", "expiry_ms 30000: msg_id 1 gets a chunk at 0 ms; a frame of "
        "msg_id 2 at 35000 ms finds it expired.", ["CHK-8"], [fr[0], pb], error="EXPIRED",
        limits={"max_frame": 512}, now=[0, 35000])
    vec("expired-same-id", "expiry_ms 30000: the next chunk of msg_id 1 arrives at 35000 ms, "
        "after the message expired.", ["CHK-8"], fr, error="EXPIRED",
        limits={"max_frame": 512}, now=[0, 35000])
    vec("expired-idle-while-others-flow", "expiry_ms 30000: msg_id 1 stays idle while "
        "single-frame messages arrive at 15000 and 29000 ms; the one at 30001 ms finds it "
        "expired.", ["CHK-8"],
        [fr[0], ws_msg({"t": "ping", "n": 1}, msg_id=2), ws_msg({"t": "ping", "n": 2},
                                                               msg_id=2), pb],
        [M({"t": "ping", "n": 1}), M({"t": "ping", "n": 2})], error="EXPIRED",
        limits={"max_frame": 512}, now=[0, 15000, 29000, 30001])


# ------------------------------------------------------------------ invalid: gzip layer


def invalid_gzip():
    p = {"t": "send", "to": "all", "event": "g", "data": "x" * 2000}
    b = body(J(p))
    z = gzip_member(b)

    bomb = gzip_member(body(J({"t": "ping"}), [bytes(4 << 20)]))
    vec("gzip-bomb", "max_message 65536: %d bytes of gzip inflating to 4 MiB + 20 bytes: "
        "TOO_LARGE once the bound is passed." % len(bomb), ["GZ-7"],
        [frame(bomb, 1, 0, GZIP)], error="TOO_LARGE", limits={"max_message": 65536})
    s = {"t": "send", "to": "all", "event": "z", "data": {"$bin": 0}}
    b1 = body(J(s), [bytes(65537 - 8 - len(J(s)))])
    assert len(b1) == 65537
    vec("gzip-inflates-one-past-max-message", "max_message 65536: a gzip payload inflating "
        "to 65537 bytes.", ["GZ-7"], [frame(gzip_member(b1), 1, 0, GZIP)],
        error="TOO_LARGE", limits={"max_message": 65536})

    bad = bytearray(z)
    bad[12] ^= 0xFF
    vec("gzip-corrupt-deflate", "A gzip member with a corrupted deflate byte.", ["GZ-6"],
        [frame(bytes(bad), 1, 0, GZIP)], error="BAD_GZIP")
    vec("gzip-bad-magic", "A payload flagged GZIP that starts 1f 8c (not a gzip member).",
        ["GZ-6"], [frame(b"\x1f\x8c" + z[2:], 1, 0, GZIP)], error="BAD_GZIP")
    vec("gzip-zlib-wrapper", "A zlib (RFC 1950) stream instead of gzip.", ["GZ-6"],
        [frame(zlib.compress(b, 6), 1, 0, GZIP)], error="BAD_GZIP")
    crc = bytearray(z)
    crc[-8] ^= 0x01
    vec("gzip-bad-crc", "A gzip member whose CRC-32 trailer is wrong.", ["GZ-6"],
        [frame(bytes(crc), 1, 0, GZIP)], error="BAD_GZIP")
    isz = bytearray(z)
    isz[-4] ^= 0x01
    vec("gzip-bad-isize", "A gzip member whose ISIZE trailer is wrong.", ["GZ-6"],
        [frame(bytes(isz), 1, 0, GZIP)], error="BAD_GZIP")
    vec("gzip-truncated", "A gzip member missing its last 4 bytes (ISIZE).", ["GZ-6"],
        [frame(z[:-4], 1, 0, GZIP)], error="BAD_GZIP")
    vec("gzip-truncated-chunked", "A gzip member cut short, in 2 chunks (the message "
        "completes without the trailer).", ["GZ-6", "CHK-1"],
        [frame(z[:20], 1, 0, GZIP | MORE), frame(z[20:-8], 1, 20, GZIP)], error="BAD_GZIP")
    vec("gzip-trailing-garbage", "A valid gzip member followed by 3 bytes.", ["GZ-6"],
        [frame(z + b"abc", 1, 0, GZIP)], error="BAD_GZIP")
    vec("gzip-two-members", "Two gzip members back to back (only one is allowed).", ["GZ-6"],
        [frame(z + gzip_member(b), 1, 0, GZIP)], error="BAD_GZIP")
    vec("gzip-empty-payload", "A GZIP frame with an empty payload.", ["GZ-6"],
        [header(flags=GZIP)], error="BAD_GZIP")
    vec("gzip-not-negotiated", "gzip off: a valid GZIP frame.", ["GZ-1", "CHK-9"],
        [frame(z, 1, 0, GZIP)], error="GZIP_NOT_NEGOTIATED", limits={"gzip": False})
    vec("gzip-body-truncated", "A valid gzip member whose inflated body is cut inside an "
        "attachment.", ["GZ-4", "BODY-1"],
        [frame(gzip_member(body(J({"t": "ping"}), [b"abcdef"])[:-2]), 1, 0, GZIP)],
        error="BODY_TRUNCATED")


# ------------------------------------------------------------------ invalid: body layer


def bad_texts(error, req, rows):
    """One invalid vector per (slug, summary, JSON text): the text alone as the body's JSON,
    no attachments, in one frame."""
    for slug, summary, raw in rows:
        vec(slug, summary, [req], [frame(body(raw), 1)], error=error)


def invalid_body():
    t = J({"t": "ping"})

    def one(raw, msg_id=1):
        return [frame(raw, msg_id)]

    vec("body-empty", "An unchunked frame with an empty payload: no json_len.", ["BODY-1"],
        one(b""), error="BODY_TRUNCATED")
    vec("body-three-bytes", "A 3-byte body.", ["BODY-1"], one(b"\x00\x00\x00"),
        error="BODY_TRUNCATED")
    vec("body-json-len-beyond-end", "json_len one more than the bytes that follow.",
        ["BODY-1"], one(struct.pack(">I", len(t) + 1) + t), error="BODY_TRUNCATED")
    vec("body-json-len-huge", "json_len 0xffffffff.", ["BODY-1"],
        one(struct.pack(">I", 0xFFFFFFFF) + t), error="BODY_TRUNCATED")
    vec("body-attachment-prefix-cut", "2 bytes after the JSON: an attachment prefix cut "
        "short.", ["BODY-1"], one(body(t) + b"\x00\x00"), error="BODY_TRUNCATED")
    vec("body-attachment-data-cut", "An attachment announcing 10 bytes with 5 present.",
        ["BODY-1"], one(body(t) + struct.pack(">I", 10) + b"12345"),
        error="BODY_TRUNCATED")
    vec("body-second-attachment-cut", "Attachment 0 is whole; attachment 1 announces 4 "
        "bytes with 3 present.", ["BODY-1"],
        one(body(t, [b"ok"]) + struct.pack(">I", 4) + b"abc"), error="BODY_TRUNCATED")

    bad_texts("BAD_UTF8", "BODY-3", [
        ("utf8-overlong", "JSON string containing c0 af (overlong '/').",
         b'{"t":"ping","x":"\xc0\xaf"}'),
        ("utf8-overlong-3-byte", "JSON string containing e0 80 80 (overlong NUL).",
         b'{"t":"ping","x":"\xe0\x80\x80"}'),
        ("utf8-surrogate", "JSON string containing ed a0 80 (U+D800, a surrogate).",
         b'{"t":"ping","x":"\xed\xa0\x80"}'),
        ("utf8-truncated-sequence", "JSON string containing e2 82 (3-byte sequence cut) before "
         "the closing quote.",
         b'{"t":"ping","x":"\xe2\x82"}'),
        ("utf8-above-max", "JSON string containing f4 90 80 80 (above U+10FFFF).",
         b'{"t":"ping","x":"\xf4\x90\x80\x80"}'),
        ("utf8-invalid-byte", "JSON string containing ff.",
         b'{"t":"ping","x":"\xff"}'),
        ("utf8-lone-continuation", "JSON string containing 80 (a lone continuation byte).",
         b'{"t":"ping","x":"a\x80b"}'),
    ])

    bad_texts("BAD_JSON", "BODY-4", [
        ("json-trailing-comma", "{\"t\":\"ping\",} does not parse.",
         b'{"t":"ping",}'),
        ("json-trailing-garbage", "An object followed by \" x\".",
         b'{"t":"ping"} x'),
        ("json-two-objects", "Two objects back to back.",
         b'{"t":"ping"}{"t":"ping"}'),
        ("json-empty-text", "json_len 0: empty JSON text.",
         b""),
        ("json-trailing-nul", "An object followed by a NUL byte inside json_len (NUL is not JSON "
         "whitespace).",
         b'{"t":"ping"}\x00'),
        ("json-raw-control-char", "A raw LF (0a) inside a JSON string (control characters must "
         "be escaped).",
         b'{"t":"ping","x":"a\nb"}'),
        ("json-unclosed", "An object with no closing brace.",
         b'{"t":"ping"'),
        ("json-single-quotes", "Single-quoted strings are not JSON.",
         b"{'t':'ping'}"),
    ])

    bad_texts("NOT_OBJECT", "BODY-6", [
        ("not-object-array", "The JSON text is an array.",
         b'[{"t":"ping"}]'),
        ("not-object-string", "The JSON text is a string.",
         b'"ping"'),
        ("not-object-number", "The JSON text is a number.",
         b"42"),
        ("not-object-null", "The JSON text is null.",
         b"null"),
    ])

    def ref(v, atts=()):
        return one(body(J({"t": "send", "to": "all", "event": "r", "data": v}), atts))

    vec("bin-ref-out-of-range", "{\"$bin\": 1} with one attachment.", ["BODY-8"],
        ref({"$bin": 1}, [b"a"]), error="BAD_ATTACHMENT_REF")
    vec("bin-ref-no-attachments", "{\"$bin\": 0} with no attachments.", ["BODY-8"],
        ref({"$bin": 0}), error="BAD_ATTACHMENT_REF")
    vec("bin-ref-negative", "{\"$bin\": -1}.", ["BODY-8"], ref({"$bin": -1}, [b"a"]),
        error="BAD_ATTACHMENT_REF")
    vec("bin-ref-fraction", "{\"$bin\": 0.5}.", ["BODY-8"], ref({"$bin": 0.5}, [b"a"]),
        error="BAD_ATTACHMENT_REF")
    vec("bin-ref-string", "{\"$bin\": \"0\"}.", ["BODY-8"], ref({"$bin": "0"}, [b"a"]),
        error="BAD_ATTACHMENT_REF")
    vec("bin-ref-bool", "{\"$bin\": true}.", ["BODY-8"], ref({"$bin": True}, [b"a"]),
        error="BAD_ATTACHMENT_REF")
    vec("bin-ref-nested-out-of-range", "A bad reference deep inside arrays and objects: "
        "{\"$bin\": 2} with 2 attachments.", ["BODY-8"],
        ref([{"a": [{"$bin": 0}, {"b": {"$bin": 2}}]}], [b"a", b"b"]),
        error="BAD_ATTACHMENT_REF")
    vec("bin-ref-in-unknown-field", "A bad reference in a field the catalogue does not name "
        "is still a body error.", ["BODY-8", "MSG-2"],
        one(body(J({"t": "ping", "extra": {"$bin": 7}}))), error="BAD_ATTACHMENT_REF")

    vec("too-many-attachments", "1025 empty attachments, none referenced.", ["BODY-7"],
        one(body(t, [b""] * 1025)), error="TOO_MANY_ATTACHMENTS")


# ------------------------------------------------------------------ invalid: message layer


def invalid_message():
    def one(obj, msg_id=1):
        return [ws_msg(obj, msg_id=msg_id)]

    vec("missing-type", "An object without t.", ["MSG-2", "MSG-6"], one({"id": 1, "route": "r"}),
        error="MISSING_TYPE")
    vec("type-not-string", "t is a number: there is no string field t.", ["MSG-2", "MSG-6"],
        one({"t": 7}), error="MISSING_TYPE")
    vec("unknown-type", "t \"frobnicate\" is not in the catalogue; a valid ping before it "
        "is delivered.", ["MSG-2", "MSG-6"],
        [ws_msg({"t": "ping"}), ws_msg({"t": "frobnicate", "id": 1}, msg_id=2)],
        [M({"t": "ping"})], error="UNKNOWN_TYPE")
    vec("unknown-type-case", "t \"Ping\": type names are case-sensitive.", ["MSG-2", "MSG-6"],
        one({"t": "Ping"}), error="UNKNOWN_TYPE")
    vec("missing-field-call-route", "call without its required route (field: route).",
        ["MSG-6"], one({"t": "call", "id": 1}), error="MISSING_FIELD")
    vec("missing-field-hello-version", "hello without version (field: version).",
        ["MSG-6"], one({"t": "hello", "name": "a"}), error="MISSING_FIELD")
    vec("bad-field-type-id-string", "call with id \"1\" (a string, uint expected; field: "
        "id).", ["MSG-3", "MSG-6"], one({"t": "call", "id": "1", "route": "r"}),
        error="BAD_FIELD_TYPE")
    vec("bad-field-type-id-fraction", "call with id 1.5 (uint expected; field: id).",
        ["MSG-3", "MSG-6"], one({"t": "call", "id": 1.5, "route": "r"}), error="BAD_FIELD_TYPE")
    vec("bad-field-type-bool", "hello with presence \"yes\" (bool expected; field: "
        "presence).", ["MSG-3", "MSG-6"], one({"t": "hello", "version": 1, "presence": "yes"}),
        error="BAD_FIELD_TYPE")
    vec("bad-field-type-strings", "register with routes [\"a\", 1] (strings expected; "
        "field: routes).", ["MSG-3", "MSG-6"], one({"t": "register", "id": 1, "routes": ["a", 1]}),
        error="BAD_FIELD_TYPE")
    vec("bad-field-type-argv-element", "cmd whose argv holds the number 5 (argv elements are "
        "strings or $bin; field: argv).", ["MSG-3", "MSG-6"],
        one({"t": "cmd", "id": 1, "argv": ["GET", 5]}), error="BAD_FIELD_TYPE")
    vec("bad-value-enum", "presence with kind \"arrive\" (not in join/leave/rename/regroup; "
        "field: kind), received s2c.", ["MSG-4", "MSG-6"],
        one({"t": "presence", "kind": "arrive", "name": "a"}), error="BAD_VALUE",
        direction="s2c")
    vec("bad-value-one-of-both", "reply with both result and error (one_of).", ["MSG-4", "MSG-6"],
        one({"t": "reply", "id": 1, "result": 1,
             "error": {"code": 3, "name": "INTERNAL", "message": "x"}}), error="BAD_VALUE")
    vec("bad-value-one-of-neither", "reply with neither result nor error (one_of).",
        ["MSG-4", "MSG-6"], one({"t": "reply", "id": 1}), error="BAD_VALUE")
    vec("wrong-direction-welcome", "A complete, valid welcome sent client to server.",
        ["MSG-6"],
        one({"t": "welcome", "version": 1, "name": "a", "server": "s", "max_frame": 512,
             "max_message": 65536, "gzip": True, "gzip_threshold": 1024,
             "ping_interval_ms": 20000, "call_timeout_ms": 30000, "history": 0}),
        error="WRONG_DIRECTION")
    vec("wrong-direction-hello-s2c", "A valid hello received by a client (dir s2c).",
        ["MSG-6"], one({"t": "hello", "version": 1}), error="WRONG_DIRECTION",
        direction="s2c")


# ------------------------------------------------------------------ SPEC.md rules and precedence


def nest(k):
    """k nested arrays around 0: nest(1) = [0]."""
    v = 0
    for _ in range(k):
        v = [v]
    return v


def spec_valid():
    p = {"t": "ping", "n": 6}
    fr = chunks(body(J(p)), 7, [4])
    vec("expiry-boundary-not-expired", "expiry_ms 30000: the next chunk arrives exactly "
        "30000 ms after the first; a message expires only when now - last_chunk_time > "
        "expiry_ms.", ["CHK-8"], fr, [M(p)], now=[5, 30005])

    z = gzip_member(body(J(p)))
    hdr = (bytes([0x1F, 0x8B, 8, 0x1F]) + struct.pack("<I", 1234567890) + bytes([4, 11]) +
           struct.pack("<H", 6) + b"AB\x02\x00hi" + b"name.txt\0" + b"a comment\0")
    full = hdr + struct.pack("<H", zlib.crc32(hdr) & 0xFFFF) + z[10:]
    vec("gzip-header-all-flags", "A member with every RFC 1952 header flag: FTEXT, FHCRC (a "
        "correct header CRC-16), FEXTRA (6 bytes), FNAME and FCOMMENT, mtime set, XFL 4, OS 11: "
        "accepted.", ["GZ-6"], [frame(full, 4, 0, GZIP)], [M(p)])

    s = {"t": "send", "to": "all", "event": "f", "data": [{"$bin": 1.0}, {"$bin": 0.0}]}
    text = b'{"t":"send","to":"all","event":"f","data":[{"$bin":1.0},{"$bin":0e0}]}'
    vec("bin-ref-integral-float", "$bin values 1.0 and 0e0 are integers by value (BODY-12) "
        "and are valid references.", ["BODY-8", "BODY-12"],
        [frame(body(text, [b"a", b"b"]), 62)], [M(s, [b"a", b"b"])])

    text = b'{"t":"call","id":1e0,"route":"r","timeout_ms":5.0e3}'
    vec("uint-integral-float", "uint fields written 1e0 and 5.0e3 are accepted by value "
        "(BODY-12).", ["BODY-12", "MSG-3"], [frame(body(text), 63)],
        [M({"t": "call", "id": 1.0, "route": "r", "timeout_ms": 5000.0})])

    d = {"t": "ping", "x": nest(127)}
    vec("json-depth-128", "128 levels of containers: the top object (level 1) holding 127 "
        "nested arrays: accepted.", ["BODY-5"], [frame(body(J(d)), 64)], [M(d)])

    r = {"t": "register", "id": 2, "routes": []}
    vec("strings-empty", "A strings field may be an empty array (register routes []).",
        ["MSG-3"], [ws_msg(r, msg_id=65)], [M(r)])

    rep = {"t": "reply", "id": 3, "error": {"code": 703, "name": "ROUTE_FAILED",
                                            "message": "x", "detail": {"code": 1},
                                            "extra": True}}
    vec("error-object-detail-extra", "An error object with detail and an extra member "
        "(ignored) is valid.", ["MSG-3"], [ws_msg(rep, msg_id=66)], [M(rep)])

    a = {"t": "call", "id": 4, "route": "r", "args": None}
    vec("null-for-any", "null is accepted for a field of type any (call args null).",
        ["MSG-3"], [ws_msg(a, msg_id=67)], [M(a)])


def spec_invalid_transport():
    p = body(J({"t": "ping"}))
    fr = frame(p, 1)
    vec("stream-eof-mid-frame", "Stream binding: the input ends 3 bytes before the end of a "
        "frame's payload: an incomplete final frame is TRUNCATED.", ["TRN-18"],
        [prefixed(fr)[:-3]], error="TRUNCATED", binding="stream")
    vec("stream-eof-mid-prefix", "Stream binding: a whole frame, then 2 bytes of a prefix and "
        "nothing more.", ["TRN-18"], [prefixed(fr), b"\x00\x00"], [M({"t": "ping"})],
        error="TRUNCATED", binding="stream")
    vec("stream-eof-mid-header", "Stream binding: a prefix and 10 bytes of a header.",
        ["TRN-18"], [prefixed(fr)[:14]], error="TRUNCATED", binding="stream")
    vec("stream-header-checks-before-payload", "Stream binding: a frame with reserved bit 2 "
        "set whose payload never arrives: RESERVED_BITS as soon as the header is in.",
        ["TRN-14"], [prefixed(frame(p, flags=0x04))[:20]], error="RESERVED_BITS",
        binding="stream")


def spec_invalid_chunk():
    p = body(J({"t": "ping"}))
    z = gzip_member(body(J({"t": "send", "to": "all", "event": "g", "data": "y" * 2000})))
    vec("expiry-boundary-expired", "expiry_ms 30000: the next chunk arrives 30001 ms after "
        "the first: EXPIRED.", ["CHK-8"], chunks(p, 7, [4]), error="EXPIRED",
        now=[5, 30006])
    vec("expired-before-offset-gap", "expiry_ms 30000: the second chunk arrives late and with "
        "a wrong offset: expiry (ERR-1 step 4) comes before reassembly checks.",
        ["CHK-8", "ERR-1"], [frame(p[:4], 1, 0, MORE), frame(p[9:], 1, 9)], error="EXPIRED",
        now=[0, 40000])
    vec("header-before-expired", "expiry_ms 30000: a frame with version 2 arrives after an "
        "incomplete message expired: header checks come before expiry.", ["FRM-5", "ERR-1"],
        [frame(p[:4], 1, 0, MORE), frame(p, 2, version=2)], error="BAD_VERSION",
        now=[0, 40000])
    vec("transport-length-before-expired", "expiry_ms 30000: a frame one byte too long arrives "
        "after an incomplete message expired: transport length (step 3) before expiry "
        "(step 4).", ["ERR-1"], [frame(p[:4], 1, 0, MORE), frame(p, 2) + b"\x00"],
        error="LENGTH_MISMATCH", now=[0, 40000])
    vec("offset-gap-before-gzip-not-negotiated", "gzip off: a new msg_id with offset 5 and "
        "GZIP: OFFSET_GAP is checked first (CHK-9).", ["CHK-9"],
        [frame(z[5:], 1, 5, GZIP)], error="OFFSET_GAP", limits={"gzip": False})
    vec("gzip-not-negotiated-before-too-many-partial", "gzip off: 16 incomplete messages, "
        "then a new GZIP chunk with MORE: GZIP_NOT_NEGOTIATED comes before TOO_MANY_PARTIAL "
        "(CHK-9).", ["CHK-9"],
        [frame(p[:4], i, 0, MORE) for i in range(1, 17)] + [frame(z[:50], 17, 0, GZIP | MORE)],
        error="GZIP_NOT_NEGOTIATED", limits={"gzip": False})
    vec("gzip-not-negotiated-chunked", "gzip off: the first chunk of a chunked message has "
        "GZIP.", ["CHK-9", "GZ-1"], [frame(z[:50], 1, 0, GZIP | MORE)],
        error="GZIP_NOT_NEGOTIATED", limits={"gzip": False})
    vec("offset-gap-before-flags-mismatch", "Chunk 2 has both a gap and a different GZIP flag: "
        "OFFSET_GAP first (CHK-10).", ["CHK-10"],
        [frame(p[:4], 1, 0, MORE), frame(p[6:], 1, 6, GZIP)], error="OFFSET_GAP")
    vec("overlap-before-flags-mismatch", "Chunk 2 has both an overlap and a different GZIP "
        "flag: OFFSET_OVERLAP first (CHK-10).", ["CHK-10"],
        [frame(p[:4], 1, 0, MORE), frame(p[2:], 1, 2, GZIP)], error="OFFSET_OVERLAP")
    s = {"t": "send", "to": "all", "event": "z", "data": {"$bin": 0}}
    big = body(J(s), [bytes(65537 - 8 - len(J(s)))])
    vec("too-large-single-frame", "max_message 65536: a new single-frame message of 65537 "
        "bytes (max_frame 1 MiB allows the frame).", ["CHK-9", "CHK-11"], [frame(big, 1)],
        error="TOO_LARGE", limits={"max_message": 65536})


def spec_invalid_gzip():
    p = {"t": "send", "to": "all", "event": "g", "data": "x" * 2000}
    z = gzip_member(body(J(p)))
    vec("gzip-reserved-flg-bit", "A gzip header with reserved FLG bit 5 (0x20) set.",
        ["GZ-6"], [frame(z[:3] + b"\x20" + z[4:], 1, 0, GZIP)], error="BAD_GZIP")
    vec("gzip-bad-method", "A gzip header with compression method 7 instead of 8.", ["GZ-6"],
        [frame(z[:2] + b"\x07" + z[3:], 1, 0, GZIP)], error="BAD_GZIP")
    hdr = bytes([0x1F, 0x8B, 8, 0x02]) + bytes(4) + bytes([0, 255])
    bad = hdr + struct.pack("<H", (zlib.crc32(hdr) + 1) & 0xFFFF) + z[10:]
    vec("gzip-bad-header-crc", "A gzip header with FHCRC whose CRC-16 is wrong.", ["GZ-6"],
        [frame(bad, 1, 0, GZIP)], error="BAD_GZIP")
    bomb = bytearray(gzip_member(body(J({"t": "ping"}), [bytes(4 << 20)])))
    bomb[-8] ^= 0xFF
    vec("gzip-bomb-bad-crc", "max_message 65536: a bomb whose CRC-32 is also wrong: the bound "
        "is passed before the trailer is read, so TOO_LARGE (GZ-8).", ["GZ-7", "GZ-8"],
        [frame(bytes(bomb), 1, 0, GZIP)], error="TOO_LARGE", limits={"max_message": 65536})
    early = bytearray(gzip_member(body(J({"t": "ping"}), [bytes(4 << 20)])))
    early[10] = 0x07  # first deflate block header: BTYPE 11 (reserved)
    vec("gzip-corrupt-before-bound", "max_message 65536: a would-be bomb whose first deflate "
        "block has the reserved type 3: corruption is met before the bound, so BAD_GZIP.",
        ["GZ-8"], [frame(bytes(early), 1, 0, GZIP)], error="BAD_GZIP",
        limits={"max_message": 65536})


def spec_invalid_body():
    def text(raw, atts=()):
        return [frame(body(raw, atts), 1)]

    bad_texts("BAD_JSON", "BODY-4", [
        ("json-bom", "The JSON text starts with a UTF-8 byte order mark (ef bb bf).",
         b'\xef\xbb\xbf{"t":"ping"}'),
        ("json-escaped-nul", "A string holding \\u0000.",
         b'{"t":"ping","x":"a\\u0000b"}'),
        ("json-raw-nul-in-string", "A raw 00 byte inside a string.",
         b'{"t":"ping","x":"a\x00b"}'),
        ("json-lone-high-surrogate", "A string holding the escape \\ud800 alone.",
         b'{"t":"ping","x":"\\ud800"}'),
        ("json-lone-low-surrogate", "A string holding the escape \\udc00 alone.",
         b'{"t":"ping","x":"\\udc00"}'),
        ("json-reversed-surrogates", "A string holding \\udc00\\ud800 (low before high).",
         b'{"t":"ping","x":"\\udc00\\ud800"}'),
        ("json-escaped-nul-in-key", "A member name holding \\u0000.",
         b'{"t":"ping","a\\u0000":1}'),
    ])
    bad_texts("BAD_JSON", "BODY-5", [
        ("json-duplicate-member", "{\"t\":\"ping\",\"t\":\"pong\"}: two members named t.",
         b'{"t":"ping","t":"pong"}'),
        ("json-duplicate-nested", "Two members named a in a nested object.",
         b'{"t":"ping","x":[{"a":1,"b":2,"a":3}]}'),
        ("json-duplicate-after-unescape", "Members \"t\" and \"\\u0074\" have the same name "
         "after unescaping.",
         b'{"t":"ping","\\u0074":"pong"}'),
    ])
    vec("json-depth-129", "129 levels: the top object holding 128 nested arrays.",
        ["BODY-5"], text(J({"t": "ping", "x": nest(128)})), error="BAD_JSON")

    vec("bin-ref-null", "{\"$bin\": null}.", ["BODY-8"],
        text(J({"t": "ping", "x": {"$bin": None}}), [b"a"]), error="BAD_ATTACHMENT_REF")
    vec("bin-ref-too-large", "{\"$bin\": 4294967296} with one attachment.", ["BODY-8"],
        text(J({"t": "ping", "x": {"$bin": 4294967296}}), [b"a"]),
        error="BAD_ATTACHMENT_REF")
    vec("bin-ref-huge-float", "{\"$bin\": 1e300} with one attachment.", ["BODY-8"],
        text(b'{"t":"ping","x":{"$bin":1e300}}', [b"a"]), error="BAD_ATTACHMENT_REF")

    vec("body-truncated-before-utf8", "Invalid UTF-8 in the JSON and an attachment cut short: "
        "the body layout (step 7) is checked before the JSON text (step 8).", ["ERR-1"],
        [frame(body(b'{"t":"\xff"}') + struct.pack(">I", 9) + b"abc", 1)],
        error="BODY_TRUNCATED")
    vec("utf8-before-json", "Broken JSON that is also invalid UTF-8: BAD_UTF8 first.",
        ["ERR-1", "BODY-3"], text(b'{"t":"ping",\xff'), error="BAD_UTF8")
    vec("not-object-before-too-many-attachments", "An array with 1025 attachments: "
        "NOT_OBJECT (step 8) before TOO_MANY_ATTACHMENTS (step 9).", ["ERR-1"],
        text(b"[]", [b""] * 1025), error="NOT_OBJECT")
    vec("too-many-attachments-before-bad-ref", "1025 attachments and {\"$bin\": 5000}: "
        "TOO_MANY_ATTACHMENTS before BAD_ATTACHMENT_REF.", ["ERR-1", "BODY-7"],
        text(J({"t": "ping", "x": {"$bin": 5000}}), [b""] * 1025),
        error="TOO_MANY_ATTACHMENTS")
    vec("bad-ref-before-catalogue", "An unknown type with a bad reference: body errors "
        "(fatal) come before catalogue errors.", ["ERR-1"],
        text(J({"t": "nope", "x": {"$bin": 0}})), error="BAD_ATTACHMENT_REF")


def spec_invalid_message():
    def one(obj):
        return [ws_msg(obj)]

    vec("field-order-bad-type-first", "call with id \"x\" and no route: fields are checked "
        "one by one in catalogue order, so id's BAD_FIELD_TYPE comes before route's "
        "MISSING_FIELD.", ["MSG-6"], one({"t": "call", "id": "x"}), error="BAD_FIELD_TYPE")
    vec("field-order-missing-first", "call with no id and route 5: id's MISSING_FIELD comes "
        "first.", ["MSG-6"], one({"t": "call", "route": 5}), error="MISSING_FIELD")
    vec("enum-before-later-missing", "presence with kind \"arrive\" and no name: kind comes "
        "before name in catalogue order, so BAD_VALUE (received s2c).", ["MSG-6", "MSG-4"],
        one({"t": "presence", "kind": "arrive"}), error="BAD_VALUE", direction="s2c")
    vec("fields-before-one-of", "reply with id \"1\" and both result and error: the field "
        "check (BAD_FIELD_TYPE) comes before one_of.", ["MSG-6"],
        one({"t": "reply", "id": "1", "result": 1,
             "error": {"code": 3, "name": "INTERNAL", "message": "x"}}),
        error="BAD_FIELD_TYPE")
    vec("direction-before-fields", "An incomplete welcome ({\"t\":\"welcome\"}) sent c2s: "
        "WRONG_DIRECTION before MISSING_FIELD.", ["MSG-6"], one({"t": "welcome"}),
        error="WRONG_DIRECTION")
    vec("null-is-present", "call with route null: null is present and matches only any.",
        ["MSG-3"], one({"t": "call", "id": 1, "route": None}), error="BAD_FIELD_TYPE")
    vec("null-optional-field", "call with to null (an optional string).", ["MSG-3"],
        one({"t": "call", "id": 1, "route": "r", "to": None}), error="BAD_FIELD_TYPE")
    vec("uint-negative", "ping with n -1 (uint is 0..2^53-1).", ["MSG-3"],
        one({"t": "ping", "n": -1}), error="BAD_FIELD_TYPE")
    vec("uint-too-large", "ping with n 2^53.", ["MSG-3"],
        one({"t": "ping", "n": 1 << 53}), error="BAD_FIELD_TYPE")
    vec("argv-empty", "cmd with argv [] (argv is a non-empty array).", ["MSG-3"],
        one({"t": "cmd", "id": 1, "argv": []}), error="BAD_FIELD_TYPE")
    vec("argvs-element-empty", "pipeline whose second command is [].", ["MSG-3"],
        one({"t": "pipeline", "id": 1, "cmds": [["PING"], []]}), error="BAD_FIELD_TYPE")
    vec("error-object-missing-name", "reply whose error object has no name.", ["MSG-3"],
        one({"t": "reply", "id": 1, "error": {"code": 3, "message": "x"}}),
        error="BAD_FIELD_TYPE")
    vec("type-case-hello", "t \"Hello\": names are case-sensitive.", ["MSG-6"],
        one({"t": "Hello", "version": 1}), error="UNKNOWN_TYPE")


# ------------------------------------------------------------------ output


def write_all():
    valid_basic()
    valid_chunking()
    valid_gzip()
    valid_body()
    valid_stream()
    invalid_frame()
    invalid_stream()
    invalid_chunk()
    invalid_gzip()
    invalid_body()
    invalid_message()
    spec_valid()
    spec_invalid_transport()
    spec_invalid_chunk()
    spec_invalid_gzip()
    spec_invalid_body()
    spec_invalid_message()

    names = set()
    wanted = set()
    for i, v in enumerate(VECTORS, 1):
        assert v["name"] not in names, v["name"]
        names.add(v["name"])
        fn = "%03d-%s.json" % (i, v["name"])
        wanted.add(fn)
        with open(os.path.join(HERE, fn), "w", newline="\n") as f:
            f.write(json.dumps(v, sort_keys=True, indent=1, ensure_ascii=True) + "\n")
    for fn in os.listdir(HERE):
        if re.fullmatch(r"\d{3}-.*\.json", fn) and fn not in wanted:
            os.remove(os.path.join(HERE, fn))
    with open(os.path.join(HERE, "README.md"), "w", newline="\n") as f:
        f.write(readme())
    return len(VECTORS)


README_HEAD = """# Plexus v1 codec test vectors

Generated by `make_vectors.py` (run with `/usr/bin/python3 spec/vectors/make_vectors.py`;
standard library only). Do not edit the JSON files or this README by hand: change the
generator and re-run it. Re-running reproduces every file byte for byte (sorted keys,
indent 1, trailing newline, ASCII only).

The generator builds every vector from first principles following spec/DECISIONS.md (not
from the C code) and checks each one against a small reference reader of its own before
writing it. Error codes come from spec/errors.json; catalogue rules from
spec/messages.json.

## File format

One JSON object per file `NNN-slug.json`:

| member | meaning |
|---|---|
| `name` | the slug |
| `description` | what the vector checks, then the first frames decoded field by field |
| `requirements` | IDs of spec/requirements.json (SPEC.md) that the vector checks |
| `binding` | `websocket`: each `input` element is one WebSocket binary message (one frame); `stream`: the `input` elements are concatenated into one byte stream (u32 BE frame_len before each frame) that ends after the last element: input ending inside a prefix or a frame is TRUNCATED (TRN-18, as for a recorded file) |
| `limits` | only the limits that differ from the defaults `max_frame` 1048576, `max_message` 67108864, `max_partial` 16, `expiry_ms` 30000, `gzip` true. The vectors only change `max_frame`, `max_message` (within their LIM-1 ranges) and `gzip`: `max_partial` and `expiry_ms` are fixed by LIM-1 and keep their values (the members stay in the format for codecs that make them configurable) |
| `dir` | `c2s` or `s2c`: the direction the receiver validates messages for (a server receives c2s) |
| `input` | lowercase hex strings |
| `now_ms` | optional (websocket only): the clock value when each input element is fed; default 0 |
| `expect` | valid: `{"messages": [...]}`; invalid: `{"error": NAME, "code": N, "messages": [...]}` where `messages` are those decoded before the error. Each message is `{"json": object, "attachments": [hex, ...]}` |
| `encode` | only on valid single-message vectors an encoder must reproduce byte for byte: `msg_id`, `max_frame`, `gzip`, `gzip_threshold`, `json_text` (exactly what cJSON_PrintUnformatted prints; attachments are `expect.messages[0].attachments`). Encoding with these settings (gzip level 6; for `stream`, each frame preceded by its frame_len) must give exactly the concatenated `input` |

Errors: the first error in the decoding order of SPEC.md section 7 (ERR-1) wins: header
(size, version, reserved bits, max_frame, empty chunk), transport length, expiry (CHK-8:
`now - last_chunk_time > expiry_ms`), reassembly (CHK-9 for a new id, CHK-10 for an
incomplete one), inflate, body layout, UTF-8, JSON, object, attachment count, `$bin`
references, then the catalogue (MSG-6: t, type, direction, then field by field in catalogue
order, then one_of). The stream binding checks frame_len < 16 as soon as the prefix is in and
the header checks and frame_len agreement as soon as the header is in. The codec has no
session state, so ERR-1 step 10 (NOT_READY before welcome) is not exercised here.
Message-level (5xx) errors are non-fatal, every other one is fatal; in these vectors the
failing message is always the last one fed.

Encoder rules: body = u32 json_len | JSON text | {u32 len | bytes}*; gzip when body >=
gzip_threshold and the gzip member is strictly smaller; gzip member = `1f 8b 08 00 00000000
00 ff` + raw deflate (zlib level 6, windowBits 15, memLevel 8, default strategy) + CRC-32 +
ISIZE (little-endian), which is what zlib 1.2.x writes with deflateInit2(windowBits 31) and a
deflateSetHeader of mtime 0, OS 255; frames cut so that every frame but the last carries
exactly max_frame payload bytes; MORE on all but the last; GZIP on every frame of a gzip
message.

## Requirement IDs used

From spec/requirements.json (SPEC.md is normative; summaries are its first sentences).

| ID | requirement |
|---|---|
"""


def readme():
    out = README_HEAD
    used = {r for v in VECTORS for r in v["requirements"]}
    for k, v in REQUIREMENTS.items():
        if k in used:
            out += "| %s | %s |\n" % (k, v.replace("|", "\\|"))
    out += "\n## Vectors\n\n| # | name | binding | expect | encode | requirements |\n"
    out += "|---|---|---|---|---|---|\n"
    for i, v in enumerate(VECTORS, 1):
        e = v["expect"]
        res = e["error"] if "error" in e else "%d message%s" % (
            len(e["messages"]), "" if len(e["messages"]) == 1 else "s")
        out += "| %03d | %s | %s | %s | %s | %s |\n" % (
            i, v["name"], v["binding"], res, "yes" if "encode" in v else "",
            " ".join(v["requirements"]))
    nv = sum(1 for v in VECTORS if "error" not in v["expect"])
    ne = sum(1 for v in VECTORS if "encode" in v)
    out += "\n%d vectors: %d valid (%d with an encode block), %d invalid.\n" % (
        len(VECTORS), nv, ne, len(VECTORS) - nv)
    return out


if __name__ == "__main__":
    n = write_all()
    print("wrote %d vectors to %s" % (n, HERE))
    sys.exit(0)
