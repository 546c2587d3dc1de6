#!/usr/bin/python3
"""plexus-conform client driver for the Python client (conformance/DRIVERS.md).

JSON lines: commands on stdin (run concurrently, each answered once with its id),
answers and unsolicited events on stdout. Run as
`plexus-conform client --driver "/usr/bin/python3 tests/python/client_driver.py"`.
`--broken offsets` (or PLEXUS_PY_BROKEN=offsets) makes the client send every chunk
after the first with its offset one too high, so a test can check that the runner
notices.
"""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from plexus import body  # noqa: E402
from plexus.client import Client, Closed, Raw  # noqa: E402
from plexus.errors import PlexusError  # noqa: E402

HELLO_OPTIONS = ("name", "groups", "secret", "override", "presence", "max_frame", "max_message",
                 "gzip_threshold", "gzip")
BROKEN = os.environ.get("PLEXUS_PY_BROKEN") or (sys.argv[2] if sys.argv[1:2] == ["--broken"] else None)


class Failure(Exception):
    """A failure that never reached the wire (code 0, DRIVERS.md 2.1)."""

    def __init__(self, name, message):
        super().__init__(message)
        self.name, self.message = name, message


def out(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def to_bytes(v):
    """Command bytes: a string is its UTF-8, {"hex": ...} arbitrary bytes."""
    if isinstance(v, dict) and "hex" in v:
        return bytes.fromhex(v["hex"].replace(" ", ""))
    if isinstance(v, str):
        return v
    raise Failure("BAD_COMMAND", f"not bytes: {v!r}")


def hexed(v):
    return {"hex": (v.encode() if isinstance(v, str) else v).hex()}


def storage(v):
    """A storage reply (STO-6, resolved) in the driver's conventions."""
    if isinstance(v, (str, bytes)):
        return hexed(v)
    if isinstance(v, list):
        return [storage(x) for x in v]
    if isinstance(v, dict) and "$status" in v:
        return {"status": v["$status"]}
    return v


def attachments(cmd):
    return [bytes.fromhex(a.replace(" ", "")) for a in cmd.get("attachments", [])]


class Driver:
    def __init__(self):
        self.client = None

    def event(self, t, obj, atts):
        """The client's listener: report what it received, in order (DRIVERS.md 3)."""
        if t == "event":
            line = {"event": "event", "from": obj["from"], "to": obj["to"], "name": obj["event"]}
            for k in ("data", "seq"):
                if k in obj:
                    line[k] = obj[k]
            line["attachments"] = [a.hex() for a in atts]
        elif t == "presence":
            line = dict(obj, event="presence")
            del line["t"]
        elif t == "change":
            line = {"event": "change", "key": hexed(body.resolve(obj["key"], atts)), "op": obj["op"],
                    "pattern": hexed(body.resolve(obj["pattern"], atts))}
            if "by" in obj:
                line["by"] = obj["by"]
        else:
            line = {"event": "error", "code": obj["code"], "name": obj["name"],
                    "message": obj["message"]}
        out(line)

    async def watch_end(self, c):
        await c._ended.wait()
        line = {"event": "disconnected"}
        err = c.closed.error if c.closed else None
        if err:
            line.update(code=err.code, name=err.name, message=err.message)
        out(line)

    def need(self):
        if not self.client or self.client.closed:
            raise Failure("DISCONNECTED", "not connected")
        return self.client

    async def request(self, cmd, obj, atts=()):
        """Send a request; wait for its reply within the command's timeout_ms (if any)."""
        c = self.need()
        timeout = cmd["timeout_ms"] / 1000 if "timeout_ms" in cmd else None
        return await c.request(obj, atts, timeout)

    async def connect(self, cmd):
        if cmd.get("reconnect"):
            raise Failure("UNSUPPORTED", "the Python client does not reconnect")
        try:
            c = await Client.connect(cmd["url"], timeout=10)
        except (OSError, asyncio.TimeoutError, Closed, Exception) as e:
            raise Failure("CONNECT", str(e) or repr(e))
        c.broken = BROKEN
        c.listener = self.event
        self.client = c
        w = await c.hello(timeout=10, **{k: cmd[k] for k in HELLO_OPTIONS if k in cmd})
        if "timeout_ms" in cmd:
            c.request_timeout = cmd["timeout_ms"] / 1000
        asyncio.ensure_future(self.watch_end(c))
        return {"name": w["name"]}

    async def close(self, cmd):
        c = self.need()
        try:
            await c.bye(timeout=2)
        except (asyncio.TimeoutError, Closed):
            pass
        await c.close()
        return {}

    async def call(self, cmd):
        obj = {"t": "call", "route": cmd["route"]}
        for k in ("to", "args", "timeout_ms"):
            if k in cmd:
                obj[k] = cmd[k]
        m = await self.request(cmd, obj, attachments(cmd))
        return {"result": m.obj["result"], "attachments": [a.hex() for a in m.attachments]}

    async def call_all(self, cmd):
        obj = {"t": "call_all", "route": cmd["route"]}
        for k in ("group", "args", "timeout_ms"):
            if k in cmd:
                obj[k] = cmd[k]
        m = await self.request(cmd, obj, attachments(cmd))
        return {"result": m.obj["result"], "attachments": [a.hex() for a in m.attachments]}

    async def send(self, cmd):
        obj = {"t": "send", "to": cmd["to"], "event": cmd["event"]}
        for k in ("data", "echo"):
            if k in cmd:
                obj[k] = cmd[k]
        if cmd.get("delivered"):
            m = await self.request(cmd, obj, attachments(cmd))
            return {"delivered": m.obj["result"]["delivered"]}
        await self.need().send_message(obj, attachments(cmd))
        return {}

    async def serve(self, cmd):
        def handler(call, atts):
            line = {"event": "call", "route": call["route"]}
            for k in ("from", "args"):
                if k in call:
                    line[k] = call[k]
            line["attachments"] = [a.hex() for a in atts]
            out(line)
            if cmd.get("echo"):
                return Raw(call.get("args"), atts)
            if "error" in cmd:
                raise PlexusError.from_wire(cmd["error"])
            return Raw(cmd.get("reply"), attachments(cmd))
        handler.raw = True
        c = self.need()
        c.routes[cmd["route"]] = handler
        await self.request(cmd, {"t": "register", "routes": [cmd["route"]]})
        return {}

    async def cmd(self, cmd):
        argv = [to_bytes(a) for a in cmd["argv"]]
        m = await self.request(cmd, {"t": "cmd", "argv": argv})
        return {"result": storage(body.resolve(m.obj["result"], m.attachments))}

    async def pipeline(self, cmd):
        obj = {"t": "pipeline", "cmds": [[to_bytes(a) for a in argv] for argv in cmd["cmds"]]}
        if "atomic" in cmd:
            obj["atomic"] = cmd["atomic"]
        m = await self.request(cmd, obj)
        entries = body.resolve(m.obj["result"], m.attachments)
        return {"result": [{"result": storage(e["result"])} if "result" in e else e for e in entries]}

    async def simple(self, cmd, obj):
        await self.request(cmd, obj)
        return {}

    async def adapt(self, cmd):
        key, value = to_bytes(cmd["key"]), to_bytes(cmd["value"])

        def read(argv, msg):
            out({"event": "read", "key": hexed(key), "argv": [hexed(a) for a in argv]})
            return value.encode() if isinstance(value, str) else value
        self.need().adapters[key.encode() if isinstance(key, str) else key] = read
        return await self.simple(cmd, {"t": "adapt", "key": key})

    async def run(self, cmd):
        """Run one command and answer it with its id."""
        rid = cmd.get("id")
        name = cmd.get("cmd")
        try:
            if name == "connect":
                res = await self.connect(cmd)
            elif name in ("call", "call_all", "send", "serve", "cmd", "pipeline", "adapt", "close"):
                res = await getattr(self, name)(cmd)
            elif name == "watch":
                res = await self.simple(cmd, {"t": "watch", "pattern": to_bytes(cmd["pattern"])})
            elif name in ("join", "leave"):
                res = await self.simple(cmd, {"t": name, "group": cmd["group"]})
            elif name == "rename":
                res = await self.simple(cmd, {"t": "rename", "name": cmd["name"]})
            else:
                raise Failure("UNSUPPORTED", f"unknown command {name!r}")
            out(dict({"id": rid, "ok": True}, **res))
        except PlexusError as e:
            err = {"code": e.code, "name": e.name, "message": e.message}
            if e.detail is not None:
                err["detail"] = e.detail
            out({"id": rid, "error": err})
        except asyncio.TimeoutError:
            out({"id": rid, "error": {"code": 704, "name": "CALL_TIMEOUT",
                                      "message": "no reply in time"}})
        except Failure as e:
            out({"id": rid, "error": {"code": 0, "name": e.name, "message": e.message}})
        except Closed as e:
            out({"id": rid, "error": {"code": 0, "name": "DISCONNECTED", "message": str(e)}})
        except (KeyError, TypeError, ValueError) as e:
            out({"id": rid, "error": {"code": 0, "name": "BAD_COMMAND", "message": repr(e)}})


async def main():
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader(limit=80 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    driver = Driver()
    tasks = set()
    while line := await stdin.readline():
        task = asyncio.ensure_future(driver.run(json.loads(line)))
        tasks.add(task)  # a reference, so that the task is not collected while it runs
        task.add_done_callback(tasks.discard)
    if driver.client:  # end of input: close the client, at most 1 s (the runner waits 2 s)
        try:
            await asyncio.wait_for(driver.client.close(), 1)
        except asyncio.TimeoutError:
            pass


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    os._exit(0)  # do not wait for the cancelled tasks of an unfinished client
