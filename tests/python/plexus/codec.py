"""Reader and writer: whole messages <-> frames, on either binding (SPEC sections 2-8).

Reader: feed WebSocket messages (one frame each) or stream bytes, take decoded
messages; fatal errors raise PlexusError and stick. Writer: message -> frames.
"""
from . import body as bodymod
from . import catalogue, gzip
from .chunk import Assembler, split
from .errors import PlexusError
from .frame import StreamDeframer, decode_frame, stream_prefix

DEFAULT_MAX_FRAME = 1048576
DEFAULT_MAX_MESSAGE = 67108864
HELLO_MAX_FRAME = 65536
DEFAULT_GZIP_THRESHOLD = 1024


class Message:
    """A decoded message: obj (plain JSON object), attachments, and `error`: the
    non-fatal catalogue error it failed with (None when valid). `gzip` and
    `frames` tell how it travelled."""

    def __init__(self, obj, attachments, error=None, gzip=False, frames=1):
        self.obj, self.attachments, self.error = obj, attachments, error
        self.gzip, self.frames = gzip, frames

    def __repr__(self):
        return f"Message({self.obj!r}, {len(self.attachments)} attachments, error={self.error})"


class Reader:
    """Decodes what one endpoint receives. received_by: "server" or "client"."""

    def __init__(self, binding="websocket", received_by="server", max_frame=DEFAULT_MAX_FRAME,
                 max_message=DEFAULT_MAX_MESSAGE, gzip=True, validate=True, exact=False):
        self.binding, self.received_by, self.validate = binding, received_by, validate
        self.exact = exact  # keep numbers exact (Decimal) in Message.obj
        self.max_frame = max_frame
        self.assembler = Assembler(max_message, gzip)
        self.deframer = StreamDeframer(max_frame)
        self.out = []
        self.error = None
        self._frames = {}  # msg_id -> frames seen so far (for Message.frames)

    def set_limits(self, max_frame, max_message, gzip, more_allowed=True):
        """Switch to new effective limits (at welcome, SES-14)."""
        self.max_frame = self.deframer.max_frame = max_frame
        self.assembler.max_message, self.assembler.gzip = max_message, gzip
        self.assembler.more_allowed = more_allowed

    def take(self):
        """The messages decoded so far (and forget them)."""
        out, self.out = self.out, []
        return out

    def feed(self, data, now=0):
        """WebSocket: one binary message; stream: any bytes. Decoded messages go to take()."""
        if self.error:
            raise self.error
        try:
            if self.binding == "websocket":
                self._frame(decode_frame(data, self.max_frame), now)
            else:
                self.deframer.feed(data)
                while (f := self.deframer.next_frame()) is not None:
                    self._frame(f, now)
        except PlexusError as e:
            self.error = e
            raise

    def end(self):
        """Stream end: an incomplete frame is TRUNCATED (TRN-18)."""
        if self.binding == "stream" and not self.error:
            self.deframer.end()

    def check_expiry(self, now):
        """The timer side of CHK-8/CHK-12."""
        try:
            self.assembler.check_expiry(now)
        except PlexusError as e:
            self.error = e
            raise

    def _frame(self, frame, now):
        done = self.assembler.feed(frame, now)
        n = self._frames.pop(frame.msg_id, 0) + 1
        if done is None:
            self._frames[frame.msg_id] = n
            return
        gz, wire = done
        body = gzip.inflate(wire, self.assembler.max_message) if gz else wire
        obj, atts = bodymod.decode(body)
        error = None
        if self.validate:
            try:
                catalogue.validate(obj, self.received_by)
            except PlexusError as e:
                error = e
        self.out.append(Message(obj if self.exact else bodymod.plain(obj), atts, error, gz, n))


class Writer:
    """Encodes messages into frames with the effective limits; msg_ids count from 1."""

    def __init__(self, binding="websocket", max_frame=DEFAULT_MAX_FRAME, gzip=True,
                 gzip_threshold=DEFAULT_GZIP_THRESHOLD, max_message=DEFAULT_MAX_MESSAGE):
        self.binding, self.max_frame = binding, max_frame
        self.gzip, self.gzip_threshold = gzip, gzip_threshold
        self.max_message = max_message
        self.next_id = 1

    def set_limits(self, max_frame, gzip, gzip_threshold, max_message):
        self.max_frame, self.gzip, self.gzip_threshold = max_frame, gzip, gzip_threshold
        self.max_message = max_message

    def encode(self, obj, attachments=(), msg_id=None, json_text=None):
        """Frames (bytes, each prefixed on the stream binding) of one message.

        bytes values inside obj become attachments. Compresses when gzip is in
        effect, the body is at least gzip_threshold and the result is strictly
        shorter (GZ-2, GZ-3).
        """
        atts = list(attachments)
        if json_text is None:
            obj = bodymod.pack(obj, atts)
        if msg_id is None:
            msg_id, self.next_id = self.next_id, (self.next_id + 1) & 0xFFFFFFFF
        body = bodymod.encode(obj, atts, json_text)
        if len(body) > self.max_message:  # the peer would fail with TOO_LARGE: refuse here
            raise PlexusError("TOO_LARGE", f"body of {len(body)} bytes > max_message")
        wire, gz = body, False
        if self.gzip and len(body) >= self.gzip_threshold:
            packed = gzip.compress(body)
            if len(packed) < len(body):
                wire, gz = packed, True
        frames = [f.encode() for f in split(wire, msg_id, self.max_frame, gz)]
        if self.binding == "stream":
            frames = [stream_prefix(f) for f in frames]
        return frames
