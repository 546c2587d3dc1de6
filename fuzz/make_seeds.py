#!/usr/bin/python3
"""make_seeds.py - writes the fuzz harnesses' seed corpora (fuzz/corpus/<harness>/) from the
codec test vectors in spec/vectors/*.json, plus a few hand-made seeds for the harness-specific
input formats (storage commands, hub scripts).

Run with /usr/bin/python3 fuzz/make_seeds.py (standard library only). Seeds it writes are
named "v-..." (from a vector) or "s-..." (hand-made); before writing, it deletes its own
earlier seeds and leaves every other file (inputs merged from fuzzing runs) alone. The input
formats are the ones documented at the top of each fuzz_<name>.c.
"""
import glob
import gzip
import hashlib
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(os.path.dirname(HERE), "spec")
CORPUS = os.path.join(HERE, "corpus")

HARNESSES = ["fuzz_frame", "fuzz_deframer", "fuzz_assembler", "fuzz_inflate", "fuzz_body",
             "fuzz_msg", "fuzz_reader", "fuzz_store", "fuzz_hub"]

seeds = {h: {} for h in HARNESSES}  # harness -> {content: name}


def add(harness, name, data):
    """Keeps one seed per distinct content (the first name wins)."""
    if data not in seeds[harness]:
        seeds[harness][data] = name


def u16(n):
    return struct.pack(">H", n)


def u32(n):
    return struct.pack(">I", n)


def parse_frame(b):
    """(version, flags, msg_id, offset, length, payload) of a whole frame, or None."""
    if len(b) < 16:
        return None
    version, flags, reserved, msg_id, offset, length = struct.unpack(">BBHIII", b[:16])
    if len(b) != 16 + length:
        return None
    return version, flags, msg_id, offset, length, b[16:]


def split_stream(data):
    """The whole frames of a stream-binding byte string (stops at the first bad one)."""
    frames, pos = [], 0
    while len(data) - pos >= 4:
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        if n < 16 or len(data) - pos - 4 < n:
            break
        frames.append(data[pos + 4:pos + 4 + n])
        pos += 4 + n
    return frames


def messages(frames):
    """Reassembles well-formed frames into (gzip, wire payload) per completed message."""
    partial, out = {}, []
    for f in frames:
        p = parse_frame(f)
        if not p or p[0] != 1:
            continue
        _, flags, msg_id, offset, _, payload = p
        wire = partial.pop(msg_id, b"") + payload
        if flags & 2:
            partial[msg_id] = wire
        else:
            out.append((bool(flags & 1), wire))
    return out


def inflate(wire):
    try:
        d = zlib.decompressobj(31)
        body = d.decompress(wire, 1 << 20)
        return body if d.eof and not d.unconsumed_tail else None
    except zlib.error:
        return None


def json_texts(body):
    if len(body) < 4:
        return []
    n = struct.unpack(">I", body[:4])[0]
    return [body[4:4 + n]] if n <= len(body) - 4 else []


def body_of(message):
    """A body built from a vector's expected message: compact JSON + attachments."""
    text = json.dumps(message["json"], separators=(",", ":")).encode()
    out = u32(len(text)) + text
    for a in message.get("attachments", []):
        raw = bytes.fromhex(a)
        out += u32(len(raw)) + raw
    return out


def assembler_records(frames, now_ms, allow_gzip):
    """fuzz_assembler's format: config byte, then frame and tick records."""
    out = bytes([1 if allow_gzip else 0])
    last = now_ms[0] if now_ms else 0
    for i, f in enumerate(frames):
        p = parse_frame(f)
        if not p or p[0] != 1 or p[4] > 0x7FF or p[3] > 0xFFFF:
            continue
        if now_ms and i < len(now_ms) and now_ms[i] > last:
            steps = (now_ms[i] - last) // 111
            while steps > 0:
                out += bytes([0xF0 | min(steps, 15)])
                steps -= min(steps, 15)
            last = now_ms[i]
        _, flags, msg_id, offset, length, payload = p
        op = (msg_id & 3) | (0x04 if flags & 2 else 0) | (0x08 if flags & 1 else 0) | 0x30 | 0x40
        out += bytes([op]) + u16(offset) + u16(length) + payload
    return out


def reader_config(stream, direction, allow_gzip):
    dirs = {"c2s": 0, "s2c": 2, "both": 3}
    return bytes([(1 if stream else 0) | (dirs.get(direction, 0) << 1) |
                  (8 if allow_gzip else 0)])


def from_vectors():
    for path in sorted(glob.glob(os.path.join(SPEC, "vectors", "*.json"))):
        with open(path) as fp:
            v = json.load(fp)
        name = "v-" + os.path.basename(path)[:-5]
        chunks = [bytes.fromhex(h) for h in v.get("input", [])]
        stream = v.get("binding") == "stream"
        allow_gzip = v.get("limits", {}).get("gzip", True)
        if stream:
            data = b"".join(chunks)
            frames = split_stream(data)
            add("fuzz_deframer", name, data)
        else:
            frames = chunks
            add("fuzz_deframer", name,
                b"".join(u32(len(f)) + f for f in frames))
        for i, f in enumerate(frames):
            add("fuzz_frame", "%s-%d" % (name, i), f)
        add("fuzz_assembler", name, assembler_records(frames, v.get("now_ms"), allow_gzip))

        # reader: frames one per record (WebSocket) or the stream pieces as they are
        rec = reader_config(stream, v.get("dir"), allow_gzip)
        for c in chunks:
            if len(c) < 0xFFFF:
                rec += u16(len(c)) + c
        add("fuzz_reader", name, rec)

        for i, (gz, wire) in enumerate(messages(frames)):
            body = wire
            if gz:
                add("fuzz_inflate", "%s-%d" % (name, i), wire)
                body = inflate(wire)
                if body is None:
                    continue
            add("fuzz_body", "%s-%d" % (name, i), body)
            for text in json_texts(body):
                add("fuzz_msg", "%s-%d" % (name, i), text)
        for i, m in enumerate(v.get("expect", {}).get("messages", [])):
            add("fuzz_body", "%s-expect-%d" % (name, i), body_of(m))
            add("fuzz_msg", "%s-expect-%d" % (name, i),
                json.dumps(m["json"], separators=(",", ":")).encode())


def gzip_member(data, **header):
    return gzip.compress(data, compresslevel=6, mtime=0, **header)


def handmade_codec():
    ping = b'{"t":"ping","n":1}'
    body = u32(len(ping)) + ping
    add("fuzz_inflate", "s-ping", gzip_member(body))
    add("fuzz_inflate", "s-zeros-1m", gzip_member(bytes(1 << 20)))
    add("fuzz_inflate", "s-empty", gzip_member(b""))
    add("fuzz_inflate", "s-two-members", gzip_member(b"a") + gzip_member(b"b"))
    # fuzz_assembler: a gzip-message record (op 0x81: id 1; repeat 200, chunks of 7 bytes)
    text = b"abcdefgh" * 4
    add("fuzz_assembler", "s-gzip-op", bytes([1, 0x81, 200, 6, len(text)]) + text)
    add("fuzz_assembler", "s-expiry",
        bytes([0, 0x44]) + u16(3) + b"abc" + bytes([0xFF, 0xFF]) + bytes([0x40]) + u16(1) + b"x")


def write():
    for h, items in seeds.items():
        d = os.path.join(CORPUS, h)
        os.makedirs(d, exist_ok=True)
        for old in os.listdir(d):
            if old.startswith("v-") or old.startswith("s-"):
                os.remove(os.path.join(d, old))
        names = set()
        for data, name in items.items():
            if name in names:  # same name, other content: make it unique
                name += "-" + hashlib.sha1(data).hexdigest()[:8]
            names.add(name)
            with open(os.path.join(d, name), "wb") as fp:
                fp.write(data)
        print("%-15s %4d seeds" % (h, len(items)))


def main():
    from_vectors()
    handmade_codec()
    write()


if __name__ == "__main__":
    main()
