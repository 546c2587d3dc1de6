"""Frames (SPEC section 3) and the stream binding (section 2.2).

A frame is a 16-byte big-endian header (version, flags, reserved, msg_id,
offset, length) followed by `length` payload bytes.
"""
import struct

from .errors import PlexusError

HEADER = struct.Struct(">BBHIII")
HEADER_LEN = 16
VERSION = 1
GZIP = 0x01
MORE = 0x02
U32 = struct.Struct(">I")


class Frame:
    __slots__ = ("flags", "msg_id", "offset", "payload")

    def __init__(self, flags, msg_id, offset, payload):
        self.flags, self.msg_id, self.offset, self.payload = flags, msg_id, offset, payload

    gzip = property(lambda self: bool(self.flags & GZIP))
    more = property(lambda self: bool(self.flags & MORE))

    def encode(self):
        return HEADER.pack(VERSION, self.flags, 0, self.msg_id, self.offset,
                           len(self.payload)) + self.payload


def check_header(head, max_frame):
    """FRM-5 steps 1-5 on the first bytes of a frame; returns (flags, msg_id, offset, length)."""
    if len(head) < HEADER_LEN:
        raise PlexusError("TRUNCATED")
    version, flags, reserved, msg_id, offset, length = HEADER.unpack_from(head)
    if version != VERSION:
        raise PlexusError("BAD_VERSION")
    if flags & ~(GZIP | MORE) or reserved:
        raise PlexusError("RESERVED_BITS")
    if length > max_frame:
        raise PlexusError("FRAME_TOO_LARGE", f"frame payload {length} > max_frame {max_frame}")
    if flags & MORE and length == 0:
        raise PlexusError("EMPTY_CHUNK")
    return flags, msg_id, offset, length


def decode_frame(data, max_frame):
    """Decode one whole frame (a WebSocket message): FRM-5 steps 1-6."""
    flags, msg_id, offset, length = check_header(data, max_frame)
    if len(data) < HEADER_LEN + length:
        raise PlexusError("TRUNCATED")
    if len(data) > HEADER_LEN + length:
        raise PlexusError("LENGTH_MISMATCH")
    return Frame(flags, msg_id, offset, bytes(data[HEADER_LEN:]))


def stream_prefix(frame_bytes):
    """The stream binding's u32 frame_len before a frame (TRN-12)."""
    return U32.pack(len(frame_bytes)) + frame_bytes


class StreamDeframer:
    """Incremental reader of the stream binding: feed bytes, take frames.

    Buffers at most 4 + 16 + max_frame bytes of one frame (TRN-15): the
    prefix and header are checked as soon as they are in (TRN-13, TRN-14).
    """

    def __init__(self, max_frame):
        self.max_frame = max_frame
        self.buf = bytearray()
        self.need = None  # frame_len once the header passed its checks

    def feed(self, data):
        """Append received bytes (read them back with next_frame)."""
        self.buf += data

    def next_frame(self):
        """The next whole frame, or None when more bytes are needed. Raises PlexusError."""
        if len(self.buf) < 4:
            return None
        frame_len = U32.unpack_from(self.buf)[0]
        if frame_len < HEADER_LEN:
            raise PlexusError("TRUNCATED", f"frame_len {frame_len} < 16")
        if self.need is None:
            if len(self.buf) < 4 + HEADER_LEN:
                return None
            length = check_header(bytes(self.buf[4:4 + HEADER_LEN]), self.max_frame)[3]
            if frame_len != HEADER_LEN + length:
                raise PlexusError("LENGTH_MISMATCH", f"frame_len {frame_len} != 16 + {length}")
            self.need = frame_len
        if len(self.buf) < 4 + self.need:
            return None
        whole = bytes(self.buf[4:4 + self.need])
        del self.buf[:4 + self.need]
        self.need = None
        return decode_frame(whole, self.max_frame)

    def end(self):
        """End of stream: an incomplete prefix or frame is TRUNCATED (TRN-18)."""
        if self.buf:
            raise PlexusError("TRUNCATED", "stream ends inside a frame")
