"""An asyncio Plexus client over WebSocket (ws://host:port) or the stream binding
(plexus://host:port, raw TCP): hello, calls, routes, events, presence, storage,
pipelines, watches and adapters (SPEC sections 9, 11-16).

Every wait has a timeout; requests default to welcome.call_timeout_ms + 1 s
(LIM-7). Values of type bytes become attachments on the way out, and
attachment references become bytes on the way in (body.pack / body.resolve).
"""
import asyncio
import inspect
import time
from urllib.parse import urlparse

import websockets

from . import body
from .catalogue import is_uint
from .codec import DEFAULT_MAX_MESSAGE, HELLO_MAX_FRAME, Reader, Writer
from .errors import PlexusError

SUBPROTOCOL = "plexus.v1"
MAX_PARTIAL_OUT = 16  # CHK-6: incomplete messages towards the server at once
QUEUE_BOUND = 10000   # events, presence and change messages kept unread


def now_ms():
    return time.monotonic() * 1000.0


class Raw:
    """A handler's result as a JSON value and its attachment list, sent as they are."""

    def __init__(self, value, attachments=()):
        self.value, self.attachments = value, list(attachments)


class Closed(ConnectionError):
    """The connection ended; `error` is the fatal PlexusError that ended it, if any."""

    def __init__(self, why, error=None):
        super().__init__(why)
        self.error = error


class WSTransport:
    binding = "websocket"

    async def open(self, url, timeout):
        self.ws = await asyncio.wait_for(
            websockets.connect(url, subprotocols=[SUBPROTOCOL], compression=None,
                               ping_interval=None, max_size=16 + HELLO_MAX_FRAME,
                               open_timeout=timeout, close_timeout=2), timeout)
        if self.ws.subprotocol != SUBPROTOCOL:  # TRN-2
            try:
                await asyncio.wait_for(self.ws.close(1002), 1)
            except asyncio.TimeoutError:
                self.abort()
            raise Closed("server did not select plexus.v1")

    def set_max_frame(self, max_frame):
        self.ws.max_size = 16 + max_frame  # TRN-9: never buffer more than one frame

    async def send(self, data):
        await self.ws.send(data)

    async def recv(self):
        try:
            data = await self.ws.recv()
        except websockets.ConnectionClosed as e:
            raise Closed(f"closed with {e.code}") from None
        if isinstance(data, str):  # TRN-6
            await self.ws.close(1003)
            raise Closed("text message received")
        return data

    async def close(self, code=1000):
        if getattr(self.ws, "close_rcvd", None):  # the peer closed: no handshake to wait for
            return self.abort()
        await self.ws.close(code)

    def abort(self):
        self.ws.transport.abort()

    def close_code(self):
        return self.ws.close_code


class TCPTransport:
    binding = "stream"

    async def open(self, url, timeout):
        u = urlparse(url)
        self.r, self.w = await asyncio.wait_for(asyncio.open_connection(u.hostname, u.port), timeout)

    def set_max_frame(self, max_frame):
        pass  # the Reader's StreamDeframer enforces TRN-15

    async def send(self, data):
        self.w.write(data)
        await self.w.drain()

    async def recv(self):
        data = await self.r.read(65536)
        if not data:
            raise Closed("end of stream")
        return data

    async def close(self, code=1000):
        if not self.w.is_closing():
            self.w.close()
        try:
            await asyncio.wait_for(self.w.wait_closed(), 2)
        except (OSError, asyncio.TimeoutError):
            pass

    def abort(self):
        self.w.transport.abort()

    def close_code(self):
        return None


class Client:
    """One connection. Create with `await Client.connect(url)`, then `await hello()`."""

    def __init__(self, transport):
        self.t = transport
        self.reader = Reader(transport.binding, "client", HELLO_MAX_FRAME, DEFAULT_MAX_MESSAGE, False)
        self.reader.assembler.more_allowed = False  # SES-3
        self.writer = Writer(transport.binding, HELLO_MAX_FRAME, False)
        self.welcome = None
        self.name = None
        self.request_timeout = 31.0
        self.pending = {}
        self.next_id = 1
        self.routes = {}
        self.adapters = {}
        self.events = asyncio.Queue(QUEUE_BOUND)
        self.presence = asyncio.Queue(QUEUE_BOUND)
        self.changes = asyncio.Queue(QUEUE_BOUND)
        self.errors = asyncio.Queue(QUEUE_BOUND)  # error messages not tied to a request
        self.closed = None  # Closed once the connection ended
        self.stats = dict.fromkeys(("frames_in", "messages_in", "chunked_in", "gzip_in",
                                    "frames_out", "messages_out", "chunked_out", "gzip_out"), 0)
        self._hello = None
        self._pongs = {}
        self._wlock = asyncio.Lock()
        self._partial = asyncio.Semaphore(MAX_PARTIAL_OUT)
        self._tasks = set()
        self._ended = asyncio.Event()  # set when the receive loop has stopped
        self.broken = None  # test switch: "offsets" sends chunks with wrong offsets
        self.listener = None  # listener(t, obj, attachments): events, presence, changes, errors

    @classmethod
    async def connect(cls, url, timeout=5.0):
        """Open ws://host:port or plexus://host:port (stream binding over TCP)."""
        t = TCPTransport() if url.startswith("plexus://") else WSTransport()
        await t.open(url, timeout)
        c = cls(t)
        c._spawn(c._recv_loop())
        c._spawn(c._expiry_loop())
        return c

    def _spawn(self, coro):
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ---- sending ----

    async def send_message(self, obj, attachments=()):
        """Encode and send one message, chunk by chunk, letting other messages interleave (CHK-5)."""
        if self.closed:
            raise self.closed
        frames = self.writer.encode(obj, attachments)
        self.stats["messages_out"] += 1
        self.stats["frames_out"] += len(frames)
        if len(frames) > 1:
            self.stats["chunked_out"] += 1
            if self.broken == "offsets":  # deliberately wrong: skip the second chunk's offset
                frames = self._break_offsets(frames)
        if frames[0][(4 if self.t.binding == "stream" else 0) + 1] & 1:
            self.stats["gzip_out"] += 1
        if len(frames) == 1:
            async with self._wlock:
                await self.t.send(frames[0])
            return
        async with self._partial:
            for f in frames:
                async with self._wlock:
                    await self.t.send(f)

    def _break_offsets(self, frames):
        skip = 4 if self.t.binding == "stream" else 0
        out = []
        for i, f in enumerate(frames):
            f = bytearray(f)
            if i:
                off = int.from_bytes(f[skip + 8:skip + 12], "big") + 1
                f[skip + 8:skip + 12] = off.to_bytes(4, "big")
            out.append(bytes(f))
        return out

    async def request(self, obj, attachments=(), timeout=None):
        """Send a request with a fresh id; returns the reply Message (raises PlexusError on error)."""
        rid = self.next_id
        self.next_id += 1
        fut = asyncio.get_running_loop().create_future()
        self.pending[rid] = fut
        try:
            await self.send_message(dict(obj, id=rid), attachments)
            m = await asyncio.wait_for(fut, timeout or self.request_timeout)
        finally:
            self.pending.pop(rid, None)
        if "error" in m.obj:
            err = PlexusError.from_wire(m.obj["error"])
            err.attachments = m.attachments
            raise err
        return m

    async def _result(self, obj, attachments=(), timeout=None):
        m = await self.request(obj, attachments, timeout)
        return body.resolve(m.obj.get("result"), m.attachments)

    # ---- session ----

    async def hello(self, timeout=5.0, **fields):
        """Send hello (SES-1) and wait for welcome; a refusal raises PlexusError."""
        self._hello = asyncio.get_running_loop().create_future()
        await self.send_message(dict({"t": "hello", "version": 1}, **fields))
        w = await asyncio.wait_for(self._hello, timeout)
        self.welcome, self.name = w, w["name"]
        return w

    def _on_welcome(self, w):
        # SES-14: switch to the effective limits when welcome arrives
        self.reader.set_limits(w["max_frame"], w["max_message"], w["gzip"])
        self.writer.set_limits(w["max_frame"], w["gzip"], w["gzip_threshold"], w["max_message"])
        self.t.set_max_frame(w["max_frame"])
        self.request_timeout = w["call_timeout_ms"] / 1000.0 + 1.0
        if self._hello and not self._hello.done():
            self._hello.set_result(w)

    async def ping(self, n=None, timeout=5.0):
        """Send ping (with n when given) and wait for the pong; returns the pong object."""
        fut = asyncio.get_running_loop().create_future()
        self._pongs[n] = fut
        await self.send_message({"t": "ping"} if n is None else {"t": "ping", "n": n})
        return await asyncio.wait_for(fut, timeout)

    async def bye(self, reason=None, timeout=5.0):
        """Send bye and wait (bounded) for the server to close (SES-18)."""
        await self.send_message({"t": "bye"} if reason is None else {"t": "bye", "reason": reason})
        await self.wait_closed(timeout)

    async def wait_closed(self, timeout=5.0):
        """Wait until the connection has ended; returns the Closed reason."""
        await asyncio.wait_for(self._ended.wait(), timeout)
        return self.closed

    async def close(self):
        """Close the transport and stop the background tasks."""
        if not self.closed:
            self.closed = Closed("closed by the client")
        try:
            if self._ended.is_set():  # the session is over: do not wait for the peer
                self.t.abort()
            else:
                await self.t.close(1000)
        except Exception:
            pass
        for task in list(self._tasks):
            task.cancel()
        self._fail_pending(self.closed)

    # ---- RPC ----

    async def register(self, routes, handler):
        """Serve routes: handler(args, call_obj) returns the result (may be async).

        args come with attachment references resolved to bytes; a handler with
        the attribute raw = True gets (call message, attachments) instead and
        may return a Raw.

        A handler that raises PlexusError answers with that error; any other
        exception answers ROUTE_FAILED with its text (RPC-8: never silence).
        """
        for r in routes:
            self.routes[r] = handler
        return await self._result({"t": "register", "routes": list(routes)})

    async def unregister(self, routes):
        res = await self._result({"t": "unregister", "routes": list(routes)})
        for r in routes:
            self.routes.pop(r, None)
        return res

    async def call(self, route, args=None, to=None, timeout_ms=None, attachments=(), timeout=None):
        obj = {"t": "call", "route": route}
        if args is not None:
            obj["args"] = args
        if to is not None:
            obj["to"] = to
        if timeout_ms is not None:
            obj["timeout_ms"] = timeout_ms
        return await self._result(obj, attachments, timeout)

    async def call_all(self, route, args=None, group=None, timeout_ms=None, timeout=None):
        obj = {"t": "call_all", "route": route}
        for k, v in (("args", args), ("group", group), ("timeout_ms", timeout_ms)):
            if v is not None:
                obj[k] = v
        return await self._result(obj, (), timeout)

    # ---- messaging ----

    async def send(self, to, event, data=None, echo=None, ack=True):
        """Send an event; with ack (an id) returns the delivered count (EVT-4)."""
        obj = {"t": "send", "to": to, "event": event}
        if data is not None:
            obj["data"] = data
        if echo is not None:
            obj["echo"] = echo
        if not ack:
            return await self.send_message(obj)
        return (await self._result(obj))["delivered"]

    async def join(self, group):
        return await self._result({"t": "join", "group": group})

    async def leave(self, group):
        return await self._result({"t": "leave", "group": group})

    async def rename(self, name):
        res = await self._result({"t": "rename", "name": name})
        self.name = name
        return res

    async def next_event(self, timeout=5.0):
        """The next event: (object with data resolved, attachments)."""
        return await asyncio.wait_for(self.events.get(), timeout)

    async def next_presence(self, timeout=5.0):
        return (await asyncio.wait_for(self.presence.get(), timeout))[0]

    async def next_change(self, timeout=5.0):
        return (await asyncio.wait_for(self.changes.get(), timeout))[0]

    async def next_error(self, timeout=5.0):
        return await asyncio.wait_for(self.errors.get(), timeout)

    # ---- storage ----

    async def cmd(self, *argv, timeout=None):
        """Run one storage command; str and bytes arguments; bulk replies come back as str or bytes."""
        return await self._result({"t": "cmd", "argv": list(argv)}, (), timeout)

    async def pipeline(self, cmds, atomic=None, timeout=None):
        """Run commands; a list of {"result": v} or {"error": {...}} entries (PIPE-1)."""
        obj = {"t": "pipeline", "cmds": [list(c) for c in cmds]}
        if atomic is not None:
            obj["atomic"] = atomic
        return await self._result(obj, (), timeout)

    async def watch(self, pattern):
        return await self._result({"t": "watch", "pattern": pattern})

    async def unwatch(self, pattern):
        return await self._result({"t": "unwatch", "pattern": pattern})

    async def adapt(self, key, handler):
        """Own a key: handler(argv, key) answers forwarded reads (ADP-4)."""
        self.adapters[key if isinstance(key, bytes) else key.encode()] = handler
        return await self._result({"t": "adapt", "key": key})

    async def unadapt(self, key):
        res = await self._result({"t": "unadapt", "key": key})
        self.adapters.pop(key if isinstance(key, bytes) else key.encode(), None)
        return res

    # ---- receiving ----

    async def _recv_loop(self):
        try:
            while True:
                data = await self.t.recv()
                self.stats["frames_in"] += 1
                error = None
                try:
                    self.reader.feed(data, now_ms())
                except PlexusError as e:
                    error = e
                for m in self.reader.take():
                    await self._dispatch(m)
                if error:
                    return await self._fatal(error)
        except Closed as e:
            if not self.closed:
                self.closed = e
        except (OSError, asyncio.IncompleteReadError) as e:
            if not self.closed:
                self.closed = Closed(str(e))
        finally:
            self._ended.set()
        self._fail_pending(self.closed)

    async def _expiry_loop(self):
        while not self.closed:  # CHK-12: expire incomplete messages without further frames
            await asyncio.sleep(0.5)
            try:
                self.reader.check_expiry(now_ms())
            except PlexusError as e:
                await self._fatal(e)
                return

    async def _fatal(self, err):
        """We detected a fatal error in what the server sent: send error, close (SES-22)."""
        self.closed = Closed(f"fatal error detected: {err}", err)
        self._fail_pending(self.closed)
        try:
            obj = {"t": "error", "code": err.code, "name": err.name, "message": err.message}
            await asyncio.wait_for(self.send_message_raw(obj), 2)
            await self.t.close(err.close or 1002)
        except Exception:
            pass

    async def send_message_raw(self, obj):
        for f in self.writer.encode(obj):
            async with self._wlock:
                await self.t.send(f)

    def _fail_pending(self, why):
        for fut in list(self.pending.values()) + list(self._pongs.values()) + [self._hello]:
            if fut and not fut.done():
                fut.set_exception(why or Closed("closed"))

    async def _dispatch(self, m):
        obj = m.obj
        self.stats["messages_in"] += 1
        self.stats["chunked_in"] += m.frames > 1
        self.stats["gzip_in"] += m.gzip
        if m.error:
            return await self._answer_error(obj, m.error)
        t = obj["t"]
        if t == "welcome":
            self._on_welcome(obj)
        elif t == "reply":
            fut = self.pending.get(obj["id"])
            if fut and not fut.done():
                fut.set_result(m)
        elif t == "error":
            self._on_error(obj)
        elif t == "ping":  # SES-15: answer at once
            await self.send_message({"t": "pong", "n": obj["n"]} if "n" in obj else {"t": "pong"})
        elif t == "pong":
            fut = self._pongs.pop(obj.get("n"), None)
            if fut and not fut.done():
                fut.set_result(obj)
        elif t == "bye":
            self.closed = Closed("bye from the server")
            await self.t.close(1000)
        elif t == "call":
            self._spawn(self._serve(obj, m.attachments, self.routes.get(obj["route"]),
                                    obj.get("args"), "UNKNOWN_ROUTE"))
        elif t == "read":
            key = body.resolve(obj["key"], m.attachments)
            key = key.encode() if isinstance(key, str) else key
            self._spawn(self._serve(obj, m.attachments, self.adapters.get(key), obj["argv"],
                                    "COMMAND_ERROR"))
        elif t in ("event", "presence", "change"):
            if self.listener:
                self.listener(t, obj, m.attachments)
            else:
                queue = {"event": self.events, "presence": self.presence, "change": self.changes}[t]
                self._put(queue, (body.resolve(obj, m.attachments), m.attachments))

    def _put(self, queue, item):
        if queue.full():  # bounded: a client that reads nothing loses the oldest
            queue.get_nowait()
        queue.put_nowait(item)

    def _on_error(self, obj):
        # An error message never answers one of our requests (those get a reply): its `re`
        # names a reply of ours (the server's id space) or, for DUPLICATE_ID, a request
        # of ours that must stay pending (RPC-3). So it only goes to the errors queue.
        err = PlexusError.from_wire(obj)
        if self._hello and not self._hello.done() and "re" not in obj:
            self._hello.set_exception(err)
        else:
            if self.listener:
                self.listener("error", obj, [])
            else:
                self._put(self.errors, err)
        if err.fatal and "re" not in obj:  # SES-22, ERR-8: close at once
            self.closed = Closed(f"fatal error from the server: {err}", err)
            self._fail_pending(self.closed)
            self._spawn(self.t.close(1000))

    async def _answer_error(self, obj, err):
        """ERR-3 for a message from the server that failed the catalogue."""
        rid = obj.get("id")
        t = obj.get("t")
        wire = {"code": err.code, "name": err.name, "message": err.message}
        if t == "error":
            return
        if is_uint(rid) and t != "reply":
            await self.send_message({"t": "reply", "id": rid, "error": wire})
        elif t == "reply" and is_uint(rid):
            await self.send_message(dict({"t": "error", "re": rid}, **wire))
        else:
            await self.send_message(dict({"t": "error"}, **wire))

    async def _serve(self, obj, attachments, handler, args, missing):
        """Answer a forwarded call or read with exactly one reply (RPC-8, ADP-4)."""
        try:
            if handler is None:
                raise PlexusError(missing, f"no handler for {obj.get('route', obj.get('key'))!r}")
            if getattr(handler, "raw", False):  # handler(message, attachments) -> Raw
                result = handler(obj, attachments)
            else:
                result = handler(body.resolve(args, attachments), obj)
            if inspect.isawaitable(result):
                result = await result
            if not isinstance(result, Raw):
                result = Raw(result)
            reply = {"t": "reply", "id": obj["id"], "result": result.value}
            attachments = result.attachments
        except PlexusError as e:
            reply = {"t": "reply", "id": obj["id"], "error": e.to_wire()}
        except Exception as e:  # a failing handler answers an error, never silence
            reply = {"t": "reply", "id": obj["id"],
                     "error": PlexusError("ROUTE_FAILED", f"handler failed: {e!r}").to_wire()}
        try:
            await self.send_message(reply, attachments if "result" in reply else ())
        except (Closed, ConnectionError, OSError):
            pass
