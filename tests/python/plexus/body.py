"""Bodies (SPEC section 6): u32 json_len, strict JSON text of one object, attachments.

decode() keeps every JSON number exact (int or decimal.Decimal) so that the
catalogue can check values exactly (BODY-12); plain() turns the tree into
ordinary Python values afterwards. Attachment references {"$bin": i} stay in
the tree; resolve() replaces them with the bytes.
"""
import json
import struct
from decimal import Decimal

from .errors import PlexusError

MAX_ATTACHMENTS = 1024
MAX_DEPTH = 128
U32 = struct.Struct(">I")


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def _pairs(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError(f"duplicate member {k!r}")
        obj[k] = v
    return obj


def _int(text):
    return int(text) if len(text) < 4000 else Decimal(text)


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_float=Decimal, parse_int=_int,
                            parse_constant=_reject_constant, strict=True)


def _check_string(s):
    if "\0" in s:
        raise PlexusError("BAD_JSON", "string contains U+0000")
    for ch in s:  # the text was valid UTF-8, so a surrogate here came from a lone \u escape
        if "\ud800" <= ch <= "\udfff":
            raise PlexusError("BAD_JSON", "lone surrogate escape")


def _walk(value, depth=1):
    """Check depth (BODY-5) and strings (BODY-4) of a parsed value."""
    if isinstance(value, (dict, list)):
        if depth > MAX_DEPTH:
            raise PlexusError("BAD_JSON", f"nesting deeper than {MAX_DEPTH}")
        items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
        for k, v in items:
            if k is not None:
                _check_string(k)
            _walk(v, depth + 1)
    elif isinstance(value, str):
        _check_string(value)


def parse_json(text):
    """Parse a strict JSON text (BODY-3, BODY-4, BODY-5); numbers stay exact."""
    try:
        s = text.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PlexusError("BAD_UTF8", str(e))
    try:
        value = _DECODER.decode(s)
    except (ValueError, RecursionError) as e:
        raise PlexusError("BAD_JSON", str(e)[:200])
    _walk(value)
    return value


def is_ref(value):
    """True for an attachment reference: an object whose only member is $bin (BODY-8)."""
    return isinstance(value, dict) and len(value) == 1 and "$bin" in value


def _is_index(v, natt):
    if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
        return False
    return 0 <= v < natt and v == int(v)


def check_refs(value, natt):
    """BODY-8: every reference is an integer in [0, natt); first bad one in document order."""
    if is_ref(value):
        if not _is_index(value["$bin"], natt):
            raise PlexusError("BAD_ATTACHMENT_REF", f"bad reference {value['$bin']!r}")
    elif isinstance(value, dict):
        for v in value.values():
            check_refs(v, natt)
    elif isinstance(value, list):
        for v in value:
            check_refs(v, natt)


def decode(body):
    """Split and check a body (ERR-1 steps 7-9); returns (exact JSON object, [attachments])."""
    if len(body) < 4:
        raise PlexusError("BODY_TRUNCATED", "body shorter than 4 bytes")
    json_len = U32.unpack_from(body)[0]
    if json_len > len(body) - 4:
        raise PlexusError("BODY_TRUNCATED", "json_len beyond the body")
    pos = 4 + json_len
    spans = []
    while pos < len(body):
        if len(body) - pos < 4:
            raise PlexusError("BODY_TRUNCATED", "attachment length prefix cut")
        n = U32.unpack_from(body, pos)[0]
        if n > len(body) - pos - 4:
            raise PlexusError("BODY_TRUNCATED", "attachment data cut")
        spans.append((pos + 4, pos + 4 + n))
        pos += 4 + n
    obj = parse_json(bytes(body[4:4 + json_len]))
    if not isinstance(obj, dict):
        raise PlexusError("NOT_OBJECT")
    if len(spans) > MAX_ATTACHMENTS:
        raise PlexusError("TOO_MANY_ATTACHMENTS", f"{len(spans)} attachments")
    check_refs(obj, len(spans))
    return obj, [bytes(body[a:b]) for a, b in spans]


def plain(value):
    """Turn exact numbers into int (integral) or float; other values unchanged."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and value.adjusted() < 20:
            return int(value)
        return float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def pack(value, attachments):
    """Replace bytes values by references, appending them to attachments (BODY-11)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        attachments.append(bytes(value))
        return {"$bin": len(attachments) - 1}
    if isinstance(value, dict):
        return {k: pack(v, attachments) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [pack(v, attachments) for v in value]
    return value


def resolve(value, attachments):
    """Replace references by the bytes of their attachments."""
    if is_ref(value):
        return attachments[int(value["$bin"])]
    if isinstance(value, dict):
        return {k: resolve(v, attachments) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, attachments) for v in value]
    return value


def dumps(obj):
    """JSON text without insignificant whitespace (BODY-11); refuses U+0000 (MSG-5)."""
    try:
        _walk(obj, -(1 << 30))  # strings only: no depth bound on what we send
    except PlexusError as e:
        raise PlexusError("INVAL", f"{e.message}: send such bytes as an attachment")
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def encode(obj, attachments=(), json_text=None):
    """Lay out a body: u32 json_len, JSON text, then each attachment as u32 len + bytes."""
    if len(attachments) > MAX_ATTACHMENTS:
        raise PlexusError("INVAL", "more than 1024 attachments")
    text = json_text if json_text is not None else dumps(obj)
    parts = [U32.pack(len(text)), text]
    for a in attachments:
        parts += [U32.pack(len(a)), a]
    return b"".join(parts)
