"""Message validation (SPEC section 8), driven by spec/messages.json at run time."""
import json
import os
from decimal import Decimal

from . import SPEC_DIR
from .body import is_ref
from .errors import PlexusError

with open(os.path.join(SPEC_DIR, "messages.json"), encoding="utf-8") as _f:
    TYPES = {t["t"]: t for t in json.load(_f)["types"]}

UINT_MAX = 2 ** 53 - 1


def is_uint(v):
    """MSG-3 uint: a number whose value is an integer in [0, 2^53 - 1] (1.0 and 1e0 count)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
        return False
    return 0 <= v <= UINT_MAX and v == int(v)


def is_bytes(v):
    return isinstance(v, str) or is_ref(v)


def is_argv(v):
    return isinstance(v, list) and len(v) > 0 and all(is_bytes(x) for x in v)


def is_error(v):
    return (isinstance(v, dict) and is_uint(v.get("code")) and isinstance(v.get("name"), str)
            and isinstance(v.get("message"), str))


CHECKS = {
    "string": lambda v: isinstance(v, str),
    "uint": is_uint,
    "bool": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float, Decimal)) and not isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "any": lambda v: True,
    "strings": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "bytes": is_bytes,
    "argv": is_argv,
    "argvs": lambda v: isinstance(v, list) and len(v) > 0 and all(is_argv(x) for x in v),
    "error": is_error,
}


def validate(obj, received_by):
    """Check a message received by "server" or "client" (MSG-6 order); raises PlexusError."""
    t = obj.get("t")
    if not isinstance(t, str):
        raise PlexusError("MISSING_TYPE", 'missing string field "t"')
    spec = TYPES.get(t)
    if spec is None:
        raise PlexusError("UNKNOWN_TYPE", f'unknown type "{t}"')
    allowed = ("c2s", "both") if received_by == "server" else ("s2c", "both")
    if spec["dir"] not in allowed:
        raise PlexusError("WRONG_DIRECTION", f'"{t}" may not be sent to a {received_by}')
    for f in spec["fields"]:
        name = f["name"]
        if name not in obj:
            if f["required"]:
                raise PlexusError("MISSING_FIELD", f'missing field "{name}"', {"field": name})
            continue
        if not CHECKS[f["type"]](obj[name]):
            raise PlexusError("BAD_FIELD_TYPE", f'field "{name}" is not of type {f["type"]}',
                              {"field": name})
        if "enum" in f and obj[name] not in f["enum"]:
            raise PlexusError("BAD_VALUE", f'field "{name}" is not one of {f["enum"]}',
                              {"field": name})
    if "one_of" in spec and sum(k in obj for k in spec["one_of"]) != 1:
        raise PlexusError("BAD_VALUE", f"exactly one of {spec['one_of']} must be present")
    return spec
