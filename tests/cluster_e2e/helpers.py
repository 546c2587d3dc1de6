"""helpers.py - what the cluster tests share: the bounds they check (spec/CLUSTER.md and the
Redis backend's contract, reference-server/redis/rstore.h), an asyncio runner with an overall
timeout, connecting a Python client, and Inbox: every event, presence, change and error
message a client receives, in arrival order."""

import asyncio
import time

from plexus import body
from plexus.client import Client
from plexus.errors import PlexusError

OK = {"$status": "OK"}

# An instance that dies: its clients' names, routes and adapters are released on the others,
# and the calls pending on them fail with PEER_GONE, within this (spec/CLUSTER.md, "Liveness
# and failures": 3 s without a heartbeat, checked every 100 ms).
DEATH_BOUND = 3.1
# Redis unreachable: a storage command fails with STORAGE_UNAVAILABLE within this (rstore.h:
# timeout_ms, default 5000, bounds connecting and each reply).
STORAGE_DOWN_BOUND = 5.0
# Redis back: the backend reconnects with backoff up to 2 s (rstore.h); plus the time to
# connect and re-subscribe.
RECOVERY_BOUND = 8.0
# Scheduling slack on a loaded two-core machine (sanitizer builds), added to every bound.
SLACK = 2.0
# Cross-instance delivery of one message (pub/sub through Redis) takes at most this.
HOP = 2.0
# How long "nothing more arrives" is watched for.
QUIET = 0.5


def run(coro, timeout=90):
    """Run a coroutine to completion with an overall timeout."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def connect(url, **hello):
    """A Python client that has done hello with these fields (PlexusError on refusal)."""
    c = await Client.connect(url)
    try:
        await c.hello(**hello)
    except BaseException:
        await c.close()
        raise
    return c


async def close_all(*clients):
    for c in clients:
        if c is not None:
            await c.close()


async def refused(url, **hello):
    """The PlexusError a hello with these fields is refused with (None when welcomed)."""
    c = await Client.connect(url)
    try:
        await c.hello(**hello)
        return None
    except PlexusError as e:
        return e
    finally:
        await c.close()


async def welcomed(url, **hello):
    """True when a hello with these fields is welcomed (the connection is closed again)."""
    return await refused(url, **hello) is None


async def error_of(aw):
    """Await a request that must fail; its PlexusError."""
    try:
        res = await aw
    except PlexusError as e:
        return e
    raise AssertionError(f"expected an error, got the result {res!r}")


async def until(fn, bound, step=0.1):
    """Calls async fn until it returns a true value or bound seconds pass; (value, elapsed)."""
    t0 = time.monotonic()
    while True:
        v = await fn()
        if v or time.monotonic() - t0 > bound:
            return v, time.monotonic() - t0
        await asyncio.sleep(step)


class Inbox:
    """The event, presence, change and error messages of one client, in arrival order, as
    (t, object with attachment references resolved)."""

    def __init__(self, client):
        self.items = []
        self.cond = asyncio.Condition()
        self.taken = 0
        client.listener = self._on

    def _on(self, t, obj, attachments):
        self.items.append((t, body.resolve(obj, attachments) if t != "error" else obj))
        asyncio.ensure_future(self._notify())

    async def _notify(self):
        async with self.cond:
            self.cond.notify_all()

    async def next(self, timeout=HOP):
        """The next message not taken yet: (t, obj); AssertionError after timeout."""
        async def wait():
            async with self.cond:
                await self.cond.wait_for(lambda: len(self.items) > self.taken)
        try:
            await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"nothing within {timeout} s after {self.items[:self.taken]!r}")
        self.taken += 1
        return self.items[self.taken - 1]

    async def take(self, n, timeout=HOP):
        """The next n messages."""
        return [await self.next(timeout) for _ in range(n)]

    async def quiet(self, timeout=QUIET):
        """Asserts nothing more arrives within timeout."""
        await asyncio.sleep(timeout)
        extra = self.items[self.taken:]
        assert not extra, f"unexpected messages: {extra!r}"


async def settled(client, names=(), routes=None, groups=None, bound=HOP + SLACK):
    """Waits until client's instance knows what other instances did: each of names among its
    plexus.clients, each route of routes served by exactly the listed clients ([]: by none),
    each group of groups with exactly the listed members. The instances' views are eventually
    consistent within one bus round trip (spec/CLUSTER.md, "Races"), so a test that acts on
    another instance's client first waits for it here (bounded); AssertionError after bound."""
    routes, groups = routes or {}, groups or {}

    async def check():
        have = {c["name"] for c in await client.call("plexus.clients")}
        r = await client.call("plexus.routes") if routes else {}
        g = await client.call("plexus.groups") if groups else {}
        ok = (set(names) <= have and all(r.get(k, []) == sorted(v) for k, v in routes.items())
              and all(g.get(k, []) == sorted(v) for k, v in groups.items()))
        return ok, (have, r, g)

    t0 = time.monotonic()
    while True:
        ok, view = await check()
        if ok:
            return
        if time.monotonic() - t0 > bound:
            raise AssertionError(f"not settled within {bound} s: {view}")
        await asyncio.sleep(0.05)


async def settled_on(url, names=(), routes=None, groups=None):
    """settled() seen by a fresh client of url (closed afterwards)."""
    c = await connect(url)
    try:
        await settled(c, names, routes, groups)
    finally:
        await c.close()


async def until_result(aw_fn, expected, bound=HOP + SLACK):
    """Repeats the request aw_fn() until it returns expected (an adapted key seen from another
    instance, for instance); AssertionError with the last result after bound."""
    t0 = time.monotonic()
    while True:
        res = await aw_fn()
        if res == expected:
            return
        if time.monotonic() - t0 > bound:
            raise AssertionError(f"still {res!r} after {bound} s, expected {expected!r}")
        await asyncio.sleep(0.05)
