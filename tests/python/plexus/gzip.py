"""The gzip layer (SPEC section 5): GZ-5 compression and bounded, strict inflate."""
import struct
import zlib

from .errors import PlexusError

MEMBER_HEADER = bytes.fromhex("1f8b08000000000000ff")
FTEXT, FHCRC, FEXTRA, FNAME, FCOMMENT = 1, 2, 4, 8, 16


def compress(body):
    """One gzip member as GZ-5 says: level 6, window 15, memLevel 8, default strategy."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY)
    data = c.compress(body) + c.flush(zlib.Z_FINISH)
    return MEMBER_HEADER + data + struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF)


def _bad(why):
    return PlexusError("BAD_GZIP", why)


def _header_end(data):
    """Parse the member header (RFC 1952); return where the deflate data starts."""
    if len(data) < 10:
        raise _bad("gzip header truncated")
    if data[0] != 0x1F or data[1] != 0x8B:
        raise _bad("bad gzip magic")
    if data[2] != 8:
        raise _bad("gzip method is not deflate")
    flg = data[3]
    if flg & 0xE0:
        raise _bad("reserved gzip FLG bits set")
    pos = 10
    if flg & FEXTRA:
        if len(data) < pos + 2:
            raise _bad("gzip header truncated")
        pos += 2 + struct.unpack_from("<H", data, pos)[0]
    for bit in (FNAME, FCOMMENT):
        if flg & bit:
            end = data.find(b"\0", pos)
            if end < 0:
                raise _bad("gzip header truncated")
            pos = end + 1
    if flg & FHCRC:
        if len(data) < pos + 2:
            raise _bad("gzip header truncated")
        if struct.unpack_from("<H", data, pos)[0] != zlib.crc32(data[:pos]) & 0xFFFF:
            raise _bad("gzip header CRC mismatch")
        pos += 2
    if pos > len(data):
        raise _bad("gzip header truncated")
    return pos


def inflate(data, bound):
    """Inflate one gzip member to at most `bound` bytes (GZ-6, GZ-7, GZ-8).

    Never holds more than bound + 1 output bytes: TOO_LARGE as soon as the
    output passes the bound, BAD_GZIP for any malformation, whichever comes
    first in stream order.
    """
    if not data:
        raise _bad("empty gzip payload")
    pos = _header_end(data)
    d = zlib.decompressobj(-15)
    try:
        out = d.decompress(data[pos:], bound + 1)  # max_length caps the output
    except zlib.error as e:
        raise _bad(f"corrupt deflate data: {e}")
    if len(out) > bound:
        raise PlexusError("TOO_LARGE", f"inflated body exceeds max_message {bound}")
    if not d.eof:
        raise _bad("gzip stream ends before the end of the deflate data")
    trailer = d.unused_data
    if len(trailer) < 8:
        raise _bad("gzip trailer truncated")
    if len(trailer) > 8:
        raise _bad("bytes after the gzip member")
    crc, isize = struct.unpack("<II", trailer)
    if crc != zlib.crc32(out):
        raise _bad("gzip CRC-32 mismatch")
    if isize != len(out) & 0xFFFFFFFF:
        raise _bad("gzip ISIZE mismatch")
    return out
