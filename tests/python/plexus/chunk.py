"""Chunking (SPEC 4.1) and reassembly with limits and expiry (SPEC 4.2)."""
from .errors import PlexusError
from .frame import GZIP, MORE, Frame

MAX_PARTIAL = 16
EXPIRY_MS = 30000


def split(wire, msg_id, max_frame, gzip):
    """Cut a wire payload into frames: every frame but the last carries max_frame bytes (CHK-4)."""
    flags = GZIP if gzip else 0
    if len(wire) <= max_frame:
        return [Frame(flags, msg_id, 0, wire)]
    frames = []
    for off in range(0, len(wire), max_frame):
        last = off + max_frame >= len(wire)
        frames.append(Frame(flags | (0 if last else MORE), msg_id, off, wire[off:off + max_frame]))
    return frames


class Partial:
    __slots__ = ("gzip", "parts", "received", "last")

    def __init__(self, gzip, payload, now):
        self.gzip, self.parts, self.received, self.last = gzip, [payload], len(payload), now


class Assembler:
    """Per-connection reassembly: frames in, (gzip, wire payload) out.

    Holds at most max_partial incomplete messages of at most max_message wire
    bytes each (CHK-11); the clock is the caller's (milliseconds).
    """

    def __init__(self, max_message, gzip, max_partial=MAX_PARTIAL, expiry_ms=EXPIRY_MS):
        self.max_message, self.gzip = max_message, gzip
        self.max_partial, self.expiry_ms = max_partial, expiry_ms
        self.partial = {}
        self.more_allowed = True  # False before welcome: MORE fails with NOT_READY (SES-3)

    def check_expiry(self, now):
        """CHK-8: fail with EXPIRED when an incomplete message has been idle too long."""
        for msg_id, p in self.partial.items():
            if now - p.last > self.expiry_ms:
                raise PlexusError("EXPIRED", f"message {msg_id} idle {now - p.last} ms")

    def feed(self, frame, now):
        """Reassemble one checked frame; returns (gzip, payload) when a message completes."""
        self.check_expiry(now)
        p = self.partial.get(frame.msg_id)
        if p is None:
            if frame.offset != 0:
                raise PlexusError("OFFSET_GAP", f"new message {frame.msg_id} at offset {frame.offset}")
            if frame.gzip and not self.gzip:
                raise PlexusError("GZIP_NOT_NEGOTIATED")
            if len(frame.payload) > self.max_message:
                raise PlexusError("TOO_LARGE")
            if not frame.more:
                return frame.gzip, frame.payload
            if not self.more_allowed:
                raise PlexusError("NOT_READY", "chunked message before welcome")
            if len(self.partial) >= self.max_partial:
                raise PlexusError("TOO_MANY_PARTIAL")
            self.partial[frame.msg_id] = Partial(frame.gzip, frame.payload, now)
            return None
        if frame.offset > p.received:
            raise PlexusError("OFFSET_GAP", f"offset {frame.offset} > received {p.received}")
        if frame.offset < p.received:
            raise PlexusError("OFFSET_OVERLAP", f"offset {frame.offset} < received {p.received}")
        if frame.gzip != p.gzip:
            raise PlexusError("FLAGS_MISMATCH")
        if p.received + len(frame.payload) > self.max_message:
            raise PlexusError("TOO_LARGE")
        p.parts.append(frame.payload)
        p.received += len(frame.payload)
        p.last = now
        if frame.more:
            return None
        del self.partial[frame.msg_id]
        return p.gzip, b"".join(p.parts)
