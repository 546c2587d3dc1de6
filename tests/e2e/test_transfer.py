"""End-to-end: large and broken transfers - an 8 MiB value through SET and GET (chunked and
gzipped both ways), a peer leaving mid-chunk, and a slow reader held to the queue bound."""

import asyncio
import os
import random
import socket
import time

import websockets

from plexus_wire import WsClient, encode_frames, run

MIB = 1 << 20


def compressible(n):
    """n random bytes over a 16-symbol alphabet: gzip shrinks them to about 60 %."""
    table = bytes(b"abcdefghijklmnop"[i & 15] for i in range(256))
    return random.Random(1).randbytes(n).translate(table)


def test_8mib_value_set_get_chunked_and_gzipped(start_server):
    srv = start_server()

    async def main():
        c = await WsClient.connect(srv.port)
        await c.hello("big")
        value = compressible(8 * MIB)
        frames = encode_frames({"t": "cmd", "id": 1, "argv": ["SET", "blob", {"$bin": 0}]},
                               [value], msg_id=77, max_frame=64 << 10,
                               gzip_threshold=c.gzip_threshold)
        assert len(frames) > 1 and frames[0][1] & 0x01  # chunked and gzipped on the way in
        t0 = time.monotonic()
        for fr in frames:
            await c.send_frame(fr)
        r, _ = await c.recv_until(lambda o: o.get("t") == "reply" and o.get("id") == 1)
        assert r.get("result") == {"$status": "OK"}, r
        t1 = time.monotonic()
        r, atts = await c.request({"t": "cmd", "argv": ["GET", "blob"]}, timeout=60)
        t2 = time.monotonic()
        assert atts[r["result"]["$bin"]] == value
        assert c.asm.chunked_messages == 1 and c.asm.gzip_messages == 1  # both on the way out
        # Uncompressible data goes out chunked (several frames of at most max_frame).
        noise = os.urandom(3 * MIB)
        r, _ = await c.request({"t": "cmd", "argv": ["SET", "noise", {"$bin": 0}]}, [noise])
        assert r.get("result") == {"$status": "OK"}, r
        before = c.asm.chunked_messages
        r, atts = await c.request({"t": "cmd", "argv": ["GET", "noise"]}, timeout=60)
        assert atts[r["result"]["$bin"]] == noise
        assert c.asm.chunked_messages == before + 1
        print("8 MiB compressible: SET %.0f ms, GET %.0f ms" % ((t1 - t0) * 1e3, (t2 - t1) * 1e3))

    run(main())


def test_small_reply_not_stuck_behind_big_transfer(start_server):
    srv = start_server()

    async def main():
        c = await WsClient.connect(srv.port)
        await c.hello("rr")
        noise = os.urandom(8 * MIB)
        r, _ = await c.request({"t": "cmd", "argv": ["SET", "n", {"$bin": 0}]}, [noise])
        assert "result" in r
        await c.send({"t": "cmd", "id": 500, "argv": ["GET", "n"]})
        await c.send({"t": "ping", "n": 501})
        order = []
        while len(order) < 2:
            m, atts = await c.recv(timeout=60)
            if m.get("t") == "pong" or (m.get("t") == "reply" and m.get("id") == 500):
                order.append(m["t"])
        assert order == ["pong", "reply"]  # frames are interleaved round-robin

    run(main())


def test_peer_disconnects_mid_chunk(start_server):
    srv = start_server()

    async def main():
        other = await WsClient.connect(srv.port)
        await other.hello("other")
        c = await WsClient.connect(srv.port)
        await c.hello("quitter")
        frames = encode_frames({"t": "cmd", "id": 3, "argv": ["SET", "x", {"$bin": 0}]},
                               [os.urandom(3 * MIB)], msg_id=5, max_frame=c.max_frame)
        assert len(frames) >= 3
        await c.send_frame(frames[0])
        await c.send_frame(frames[1])
        c.abort()  # gone without a close, in the middle of a chunked message
        await asyncio.sleep(0.3)
        assert srv.alive()
        r, _ = await other.request({"t": "cmd", "argv": ["SET", "y", "1"]})
        assert r.get("result") == {"$status": "OK"}
        r, _ = await other.request({"t": "cmd", "argv": ["GET", "x"]})
        assert r.get("result") is None  # the half-sent SET never happened
        again = await WsClient.connect(srv.port)
        assert (await again.hello("quitter"))["t"] == "welcome"  # its name was released

    run(main())


def test_slow_reader_is_closed_and_memory_stays_bounded(start_server):
    srv = start_server("--max-message", 256 << 10, "--max-queue", MIB)

    async def main():
        writer = await WsClient.connect(srv.port)
        await writer.hello("writer")
        value = os.urandom(200 << 10)
        r, _ = await writer.request({"t": "cmd", "argv": ["SET", "v", {"$bin": 0}]}, [value])
        assert "result" in r
        rss_before = srv.rss_kib()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 10)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", srv.port))
        sock.setblocking(False)
        slow = await WsClient.connect(srv.port, sock=sock, max_queue=1, read_limit=1 << 16)
        await slow.hello("slow")
        slow.ws.transport.pause_reading()  # never read: replies pile up on the server
        for i in range(1000):  # 200 MiB of replies if nothing bounded them
            await slow.send({"t": "cmd", "id": 1000 + i, "argv": ["GET", "v"]})
        # Others are still served promptly while the slow reader is dealt with.
        t0 = time.monotonic()
        for n in range(5):
            await writer.send({"t": "ping", "n": n})
            pong, _ = await writer.recv_until(lambda o: o.get("t") == "pong", timeout=5)
            assert pong["n"] == n
        assert time.monotonic() - t0 < 5
        await asyncio.sleep(0.5)
        grown_mib = (srv.rss_kib() - rss_before) / 1024
        slow.ws.transport.resume_reading()
        code, seen = await slow.wait_closed(timeout=20)
        names = [m["name"] for m, _ in seen if m.get("t") == "error"]
        assert code == 1008, (code, names)
        assert names == ["SLOW_READER"]
        replies = [m for m, _ in seen if m.get("t") == "reply"]
        assert len(replies) < 1000
        print("slow reader: server RSS grew %.1f MiB" % grown_mib)
        assert grown_mib < 64, grown_mib
        r, _ = await writer.request({"t": "cmd", "argv": ["GET", "v"]})
        assert "result" in r

    run(main())
