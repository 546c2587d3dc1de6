"""The error registry (SPEC section 17), loaded from spec/errors.json at import."""
import json
import os

from . import SPEC_DIR

with open(os.path.join(SPEC_DIR, "errors.json"), encoding="utf-8") as _f:
    REGISTRY = {e["name"]: e for e in json.load(_f)["errors"]}
BY_CODE = {e["code"]: e for e in REGISTRY.values()}


class PlexusError(Exception):
    """A registry error: code, name, message, fatal flag, close code, optional detail."""

    def __init__(self, name_or_code, message=None, detail=None):
        entry = REGISTRY.get(name_or_code) or BY_CODE.get(name_or_code)
        if entry is None:  # an unknown code from a newer peer (ERR-10)
            entry = {"code": name_or_code, "name": str(name_or_code), "fatal": False,
                     "close": 0, "message": "unknown error"}
        self.code = entry["code"]
        self.name = entry["name"]
        self.fatal = entry["fatal"]
        self.close = entry["close"]
        self.message = message if message is not None else entry["message"]
        self.detail = detail
        self.re = None
        super().__init__(f"{self.name} ({self.code}): {self.message}")

    @classmethod
    def from_wire(cls, obj):
        """Build from an error object or an error message ({code, name, message, detail?})."""
        e = cls(obj.get("code"), obj.get("message"), obj.get("detail"))
        e.re = obj.get("re")  # an error message's request id, if any
        if isinstance(obj.get("name"), str):
            e.name = obj["name"]
        return e

    def to_wire(self):
        """The error object of a reply: {code, name, message[, detail]}."""
        obj = {"code": self.code, "name": self.name, "message": self.message}
        if self.detail is not None:
            obj["detail"] = self.detail
        return obj
