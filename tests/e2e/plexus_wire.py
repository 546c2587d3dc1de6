"""plexus_wire.py - a small Python implementation of the Plexus v1 wire format for the
end-to-end tests, written from spec/DECISIONS.md: frames, chunking, gzip, bodies with
attachments, the stream binding, and asyncio clients for the WebSocket and TCP bindings.
Every wait takes a timeout."""

import asyncio
import gzip
import json
import struct

HEADER = struct.Struct(">BBHIII")  # version, flags, reserved, msg_id, offset, length
HEADER_LEN = 16
FLAG_GZIP = 0x01
FLAG_MORE = 0x02
SUBPROTOCOL = "plexus.v1"
DEFAULT_TIMEOUT = 10.0


def encode_body(obj, atts=()):
    """u32 json_len | JSON text | { u32 len | bytes }*"""
    text = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    parts = [struct.pack(">I", len(text)), text]
    for a in atts:
        parts += [struct.pack(">I", len(a)), bytes(a)]
    return b"".join(parts)


def decode_body(body):
    """Returns (obj, [attachments])."""
    (jlen,) = struct.unpack_from(">I", body, 0)
    obj = json.loads(body[4:4 + jlen].decode("utf-8"))
    atts, pos = [], 4 + jlen
    while pos < len(body):
        (alen,) = struct.unpack_from(">I", body, pos)
        atts.append(body[pos + 4:pos + 4 + alen])
        pos += 4 + alen
        assert pos <= len(body), "attachment cut short"
    return obj, atts


def frame(msg_id, offset, payload, flags=0, version=1, reserved=0):
    return HEADER.pack(version, flags, reserved, msg_id, offset, len(payload)) + payload


def parse_header(data):
    version, flags, reserved, msg_id, offset, length = HEADER.unpack_from(data, 0)
    return {"version": version, "flags": flags, "reserved": reserved, "msg_id": msg_id,
            "offset": offset, "length": length}


def encode_frames(obj, atts=(), msg_id=1, max_frame=1 << 20, gzip_threshold=1024,
                  use_gzip=True):
    """One message as a list of frames: gzip when the body is at least the threshold and it
    shrinks (mtime 0, level 6), then chunks of max_frame payload bytes, MORE on all but the
    last."""
    body = encode_body(obj, atts)
    flags = 0
    if use_gzip and len(body) >= gzip_threshold:
        packed = gzip.compress(body, compresslevel=6, mtime=0)
        if len(packed) < len(body):
            body, flags = packed, FLAG_GZIP
    frames, off = [], 0
    while True:
        chunk = body[off:off + max_frame]
        more = off + len(chunk) < len(body)
        frames.append(frame(msg_id, off, chunk, flags | (FLAG_MORE if more else 0)))
        off += len(chunk)
        if not more:
            return frames


def stream_prefix(fr):
    return struct.pack(">I", len(fr)) + fr


class Assembler:
    """Frames in, (obj, atts) out; keeps statistics of what it saw (frames, gzip)."""

    def __init__(self):
        self.partial = {}
        self.frames = 0
        self.gzip_messages = 0
        self.chunked_messages = 0

    def feed(self, data):
        h = parse_header(data)
        assert h["version"] == 1 and h["reserved"] == 0, h
        assert HEADER_LEN + h["length"] == len(data), "frame length mismatch"
        self.frames += 1
        payload = data[HEADER_LEN:]
        buf, flags, nframes = self.partial.pop(h["msg_id"], (bytearray(), h["flags"], 0))
        assert h["offset"] == len(buf), "offset gap/overlap"
        assert (flags & FLAG_GZIP) == (h["flags"] & FLAG_GZIP), "flags mismatch"
        buf += payload
        if h["flags"] & FLAG_MORE:
            self.partial[h["msg_id"]] = (buf, flags, nframes + 1)
            return None
        if nframes:
            self.chunked_messages += 1
        body = bytes(buf)
        if flags & FLAG_GZIP:
            self.gzip_messages += 1
            body = gzip.decompress(body)
        return decode_body(body)


class Client:
    """Base client: send(obj, atts) and recv(timeout) of whole messages."""

    def __init__(self):
        self.asm = Assembler()
        self.next_id = 1
        self.max_frame = 1 << 20
        self.gzip_threshold = 1024
        self.use_gzip = True
        self.welcome = None
        self.inbox = []

    def new_id(self):
        self.next_id += 1
        return self.next_id

    async def send(self, obj, atts=()):
        for fr in encode_frames(obj, atts, self.new_id(), self.max_frame, self.gzip_threshold,
                                self.use_gzip):
            await self.send_frame(fr)

    async def recv(self, timeout=DEFAULT_TIMEOUT):
        if self.inbox:
            return self.inbox.pop(0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise asyncio.TimeoutError("no message within %.1f s" % timeout)
            data = await asyncio.wait_for(self.recv_frame(), left)
            msg = self.asm.feed(data)
            if msg is not None:
                return msg

    async def recv_until(self, pred, timeout=DEFAULT_TIMEOUT):
        """Waits for a message matching pred; others are kept for later recv calls."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for i, m in enumerate(self.inbox):
            if pred(m[0]):
                return self.inbox.pop(i)
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise asyncio.TimeoutError("no matching message within %.1f s" % timeout)
            saved, self.inbox = self.inbox, []
            try:
                m = await self.recv(left)
            finally:
                self.inbox = saved
            if pred(m[0]):
                return m
            self.inbox.append(m)

    async def hello(self, name=None, timeout=DEFAULT_TIMEOUT, **fields):
        obj = {"t": "hello", "version": 1}
        if name is not None:
            obj["name"] = name
        obj.update(fields)
        await self.send_frame(frame(self.new_id(), 0, encode_body(obj)))
        welcome, _ = await self.recv_until(lambda o: o.get("t") in ("welcome", "error"), timeout)
        if welcome.get("t") == "welcome":
            self.welcome = welcome
            self.max_frame = welcome["max_frame"]
            self.gzip_threshold = welcome["gzip_threshold"]
            self.use_gzip = welcome["gzip"]
        return welcome

    async def request(self, obj, atts=(), timeout=DEFAULT_TIMEOUT):
        """Sends a request with a fresh id and waits for its reply."""
        rid = self.new_id()
        obj = dict(obj, id=rid)
        await self.send(obj, atts)
        return await self.recv_until(lambda o: o.get("t") == "reply" and o.get("id") == rid,
                                     timeout)


class WsClient(Client):
    def __init__(self, ws):
        super().__init__()
        self.ws = ws

    @classmethod
    async def connect(cls, port, timeout=DEFAULT_TIMEOUT, **kw):
        import websockets
        kw.setdefault("subprotocols", [SUBPROTOCOL])
        kw.setdefault("max_size", None)
        kw.setdefault("ping_interval", None)
        ws = await asyncio.wait_for(websockets.connect("ws://127.0.0.1:%d/" % port, **kw),
                                    timeout)
        c = cls(ws)
        _open_clients.append(c)
        return c

    def abort(self):
        self.ws.transport.abort()

    async def send_frame(self, data):
        await self.ws.send(data)

    async def recv_frame(self):
        data = await self.ws.recv()
        assert isinstance(data, bytes), "server sent a text message"
        return data

    async def close(self):
        await asyncio.wait_for(self.ws.close(), DEFAULT_TIMEOUT)

    async def wait_closed(self, timeout=DEFAULT_TIMEOUT):
        """Reads until the server closes; returns (close code, messages seen)."""
        import websockets
        seen = list(self.inbox)
        self.inbox = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                left = deadline - loop.time()
                if left <= 0:
                    raise asyncio.TimeoutError("connection not closed within %.1f s" % timeout)
                seen.append(await self.recv(left))
        except websockets.ConnectionClosed as e:
            return e.rcvd.code if e.rcvd else None, seen


class TcpClient(Client):
    """The stream binding: u32 big-endian frame length before each frame."""

    def __init__(self, reader, writer):
        super().__init__()
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port, timeout=DEFAULT_TIMEOUT):
        r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        c = cls(r, w)
        _open_clients.append(c)
        return c

    def abort(self):
        self.writer.transport.abort()

    async def send_frame(self, data):
        self.writer.write(stream_prefix(data))
        await self.writer.drain()

    async def recv_frame(self):
        (n,) = struct.unpack(">I", await self.reader.readexactly(4))
        return await self.reader.readexactly(n)

    async def close(self):
        self.writer.close()
        await asyncio.wait_for(self.writer.wait_closed(), DEFAULT_TIMEOUT)


_open_clients = []


def run(coro, timeout=120.0):
    """Runs a test coroutine with an overall timeout; drops every client it left open."""

    async def wrapper():
        try:
            return await asyncio.wait_for(coro, timeout)
        finally:
            while _open_clients:
                _open_clients.pop().abort()

    return asyncio.run(wrapper())
