#!/usr/bin/python3
"""make_seeds.py - writes the fuzz harnesses' seed corpora (fuzz/corpus/<harness>/) from the
codec test vectors in spec/vectors/*.json and the conformance cases (hub scripts from their
client messages), plus a few hand-made seeds for the harness-specific input formats (storage
commands, hub scripts).

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
             "fuzz_encoder", "fuzz_msg", "fuzz_reader", "fuzz_store", "fuzz_hub"]

seeds = {h: {} for h in HARNESSES}  # harness -> {content: name}

# Seeds that reproduce an open finding (the replay test would fail until it is fixed): not
# written to fuzz/corpus/. Remove an entry once its bug is fixed.
HELD_BACK = {}


def held_back(harness, name):
    return any(harness == h and name.startswith(prefix) for h, prefix in HELD_BACK)


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


STORE_SCRIPTS = {
    "strings": "SET a 1\nGET a\nINCR a\nINCRBY a 10\nDECR a\nDECRBY a 3\nAPPEND a xyz\n"
               "STRLEN a\nMSET b 2 c 3\nMGET a b c d\nSET n x NX\nSET n y XX GET\n"
               "SET e v EX 1\nSET p v PX 5 KEEPTTL\nINCR n\n",
    "keys": "SET a 1\nSET b 2\nEXISTS a b c\nTYPE a\nKEYS *\nKEYS [ab]\nSCAN 0 MATCH a* COUNT 1\n"
            "RENAME a c\nCOPY c d\nCOPY c d REPLACE\nDEL b c d\nDBSIZE\nFLUSHALL\n",
    "ttl": "SET a 1\nEXPIRE a 1\nTTL a\nPTTL a\n~1500\nGET a\nSET b 2\nPEXPIRE b 10 NX\n"
           "PERSIST b\nEXPIRE b -1\nEXISTS b\nSET c 3 EX 100\n~200000\nDBSIZE\n",
    "hashes": "HSET h f1 v1 f2 v2\nHGET h f1\nHMGET h f1 f3\nHGETALL h\nHKEYS h\nHVALS h\n"
              "HLEN h\nHEXISTS h f2\nHSETNX h f1 z\nHINCRBY h n 5\nHDEL h f1 f2 n\nHLEN h\n",
    "lists": "RPUSH l a b c\nLPUSH l z\nLRANGE l 0 -1\nLINDEX l -1\nLINSERT l BEFORE b x\n"
             "LSET l 0 q\nLREM l 0 a\nLTRIM l 0 1\nLLEN l\nLPOP l\nRPOP l 2\nLPOP l\n",
    "sets": "SADD s a b c\nSADD t b c d\nSMEMBERS s\nSISMEMBER s a\nSCARD s\nSINTER s t\n"
            "SUNION s t\nSDIFF s t\nSMOVE s t a\nSREM t b\nSPOP s\nSRANDMEMBER t -3\n",
    "zsets": "ZADD z 1 a 2 b 3 c\nZSCORE z b\nZINCRBY z 2.5 a\nZRANK z a\nZCARD z\n"
             "ZCOUNT z -inf +inf\nZRANGE z 0 -1 WITHSCORES\nZRANGEBYSCORE z (1 3 LIMIT 0 2\n"
             "ZREVRANGEBYSCORE z +inf -inf\nZREM z a b\nZADD z NX GT CH INCR 1 c\n",
    "errors": "FOO bar\nGET\nSET a\nLPUSH a\nSET s x\nLPUSH s y\nINCR s\nINCRBY a 1.5\n"
              "SET a 9223372036854775807\nINCR a\nEXPIRE a x\nZADD z x a\n\n \nget A\n",
    "limits": "".join("SET k%d v\n" % i for i in range(70)) + "DBSIZE\nAPPEND k1 " +
              "x" * 4097 + "\nSET big " + "y" * 4096 + "\n",
}


def handmade_store():
    for name, script in STORE_SCRIPTS.items():
        add("fuzz_store", "s-" + name, script.encode())


def hub_op(slot, action, *args):
    return bytes([(slot << 5) | action] + list(args))


def hub_hello(slot, name_index):
    return hub_op(slot, 3, 0x08 | 0x10 | name_index, 0)


def handmade_hub():
    """fuzz_hub scripts (config byte, then ops; see fuzz_hub.c)."""
    two = hub_op(0, 0) + hub_hello(0, 0) + hub_op(1, 0) + hub_hello(1, 1)
    scripts = {
        "call-reply": two + hub_op(1, 4, 0x01) + hub_op(0, 6, 0x00, 20) + hub_op(1, 8, 0x80) +
        hub_op(0, 2, 10),
        "call-timeout": two + hub_op(1, 4, 0x03) + hub_op(0, 6, 0x10, 0) + hub_op(0, 6, 0x81, 5) +
        hub_op(0, 2, 30) + hub_op(0, 2, 60) + hub_op(1, 8, 0x80),
        "peer-gone": two + hub_op(1, 4, 0x01) + hub_op(0, 6, 0x00, 200) + hub_op(1, 1) +
        hub_op(0, 2, 100),
        "hello-timeout": hub_op(0, 0) + hub_op(0, 2, 90) + hub_op(0, 2, 10),
        "groups-send": two + hub_op(0, 10, 0) + hub_op(1, 10, 0) + hub_op(0, 9, 0x23) +
        hub_op(1, 9, 0x35) + hub_op(0, 9, 0x28) + hub_op(1, 11, 0) + hub_op(0, 12, 2) +
        hub_op(1, 9, 0x20) + hub_op(0, 9, 0x06),
        "storage": two + hub_op(0, 15, 0) + hub_op(1, 13, 0x40) + hub_op(1, 13, 0x01) +
        hub_op(1, 17, 1) + hub_op(0, 13, 0x11) + hub_op(1, 8, 0xA0) + hub_op(0, 13, 0x10) +
        hub_op(0, 2, 80) + hub_op(0, 14, 0x05, 0x00, 0x01) + hub_op(1, 18, 1) + hub_op(1, 1),
        "call-all": two + hub_op(0, 4, 0x01) + hub_op(1, 4, 0x01) + hub_op(0, 10, 0) +
        hub_op(0, 7, 0x00, 30) + hub_op(1, 8, 0x80) + hub_op(0, 8, 0x80) + hub_op(0, 7, 0x08, 3) +
        hub_op(0, 2, 50),
        "builtins": two + hub_op(0, 6, 0x02, 0) + hub_op(0, 6, 0x03, 0) + hub_op(0, 6, 0x04, 0) +
        hub_op(0, 6, 0x05, 0) + hub_op(0, 6, 0x46, 0) + hub_op(0, 6, 0x07, 0),
        "server-full": b"".join(hub_op(i, 0) for i in range(8)) + hub_op(7, 2, 1),
        "pings": two + hub_op(0, 2, 120) + hub_op(0, 20) + hub_op(1, 19, 7) + hub_op(0, 2, 120) +
        hub_op(0, 2, 120) + hub_op(0, 21),
        "shutdown": two + hub_op(0, 6, 0x00, 50) + hub_op(0, 25),
        "raw": two + hub_op(0, 22, 32) + b'{"t":"join","id":5,"group":"x"}' +
        hub_op(1, 22, 20) + b'{"t":"nope","id":1}x' + hub_op(0, 23, 0x13),
        "slow-reader": two + hub_op(1, 24) + hub_op(0, 9, 0x01) + hub_op(0, 6, 0x00, 10),
        "rename-override": two + hub_op(2, 0) + hub_op(2, 3, 0x08, 0x03) + hub_op(1, 12, 0),
    }
    for name, script in scripts.items():
        for cfg in (0, 2, 4):
            add("fuzz_hub", "s-%s-%d" % (name, cfg), bytes([cfg]) + script)


def resolve_refs(value):
    """Replaces the case format's matchers ({"$ref": ...}, {"$capture": ...}) by a string."""
    if isinstance(value, dict):
        if any(k.startswith("$") and k != "$bin" for k in value):
            return "ref"
        return {k: resolve_refs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_refs(v) for v in value]
    return value


def from_conformance():
    """fuzz_hub scripts from the conformance cases' c2s messages: one slot per connection,
    hello and send steps as raw JSON ops (the harness moves their ids out of its tracked
    range), a reply to a captured id as the harness's reply op, waits as ticks, closes."""
    for path in sorted(glob.glob(os.path.join(os.path.dirname(HERE), "conformance", "cases",
                                              "*", "*.json"))):
        with open(path) as fp:
            case = json.load(fp)
        conns = [c if isinstance(c, str) else c["name"] for c in case["connections"]]
        if len(conns) > 8:
            continue
        slot = {name: i for i, name in enumerate(conns)}
        script = b"".join(hub_op(i, 0) for i, c in enumerate(case["connections"])
                          if isinstance(c, str) or c.get("open", True))
        for step in case["steps"]:
            i = slot.get(step.get("conn", conns[0]), 0)
            if "hello" in step:
                msg = dict({"t": "hello", "version": 1}, **resolve_refs(step["hello"]))
            elif "send" in step and isinstance(step["send"], dict):
                sent = step["send"]
                if sent.get("t") == "reply" and isinstance(sent.get("id"), dict):
                    script += hub_op(i, 8, 0xC0 if "error" in sent else 0x80)
                    continue
                msg = resolve_refs(sent)
            elif "wait" in step:
                script += hub_op(i, 2, min(255, step["wait"] // 37 + 1))
                continue
            elif "close" in step:
                script += hub_op(slot.get(step["close"], 0), 1)
                continue
            elif "open" in step:
                script += hub_op(slot.get(step["open"], 0), 0)
                continue
            else:
                continue
            text = json.dumps(msg, separators=(",", ":")).encode()
            if len(text) <= 255:
                script += hub_op(i, 22, len(text)) + text
        name = "v-conform-" + os.path.basename(path)[:-5]
        add("fuzz_hub", name, bytes([0]) + script + hub_op(0, 2, 255))


def write():
    seeds["fuzz_encoder"] = dict(seeds["fuzz_body"])  # the same input format: a body
    for h, items in seeds.items():
        d = os.path.join(CORPUS, h)
        os.makedirs(d, exist_ok=True)
        for old in os.listdir(d):
            if old.startswith("v-") or old.startswith("s-"):
                os.remove(os.path.join(d, old))
        names = set()
        held = 0
        for data, name in items.items():
            if held_back(h, name):
                held += 1
                continue
            if name in names:  # same name, other content: make it unique
                name += "-" + hashlib.sha1(data).hexdigest()[:8]
            names.add(name)
            with open(os.path.join(d, name), "wb") as fp:
                fp.write(data)
        print("%-15s %4d seeds%s" % (h, len(items) - held,
                                      " (%d held back)" % held if held else ""))


def main():
    from_vectors()
    handmade_codec()
    handmade_store()
    handmade_hub()
    from_conformance()
    write()


if __name__ == "__main__":
    main()
