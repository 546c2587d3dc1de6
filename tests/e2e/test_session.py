"""End-to-end: sessions over WebSocket - hello/welcome, several clients, max connections,
text messages, garbage frames, subprotocol, /healthz and the command line."""

import asyncio
import base64
import gzip
import http.client
import os
import resource
import socket
import struct
import subprocess
import time

import websockets

from conftest import server_bin
from plexus_wire import (FLAG_GZIP, HEADER, TcpClient, WsClient, encode_body, encode_frames,
                         frame, run)


def test_hello_welcome(start_server):
    srv = start_server()

    async def main():
        c = await WsClient.connect(srv.port)
        w = await c.hello("alice")
        assert w["t"] == "welcome"
        assert w["version"] == 1
        assert w["name"] == "alice"
        assert w["max_frame"] == 1 << 20
        assert w["max_message"] == 64 << 20
        assert w["gzip"] is True
        ping_id = 7
        await c.send({"t": "ping", "n": ping_id})
        pong, _ = await c.recv_until(lambda o: o.get("t") == "pong")
        assert pong.get("n") == ping_id
        await c.close()

    run(main())


def test_negotiated_frame_size_is_used_for_replies(start_server):
    srv = start_server()

    async def main():
        c = await WsClient.connect(srv.port)
        w = await c.hello("small", max_frame=4096, gzip=False)
        assert w["max_frame"] == 4096 and w["gzip"] is False
        value = os.urandom(50000)
        r, _ = await c.request({"t": "cmd", "argv": ["SET", "k", {"$bin": 0}]}, [value])
        assert "result" in r, r
        frames_before = c.asm.frames
        r, atts = await c.request({"t": "cmd", "argv": ["GET", "k"]})
        assert atts[r["result"]["$bin"]] == value
        assert c.asm.frames - frames_before >= 50000 // 4096
        assert c.asm.gzip_messages == 0

    run(main())


def test_several_clients_exchange_events(start_server):
    srv = start_server()

    async def main():
        clients = [await WsClient.connect(srv.port) for _ in range(5)]
        for i, c in enumerate(clients):
            w = await c.hello("c%d" % i)
            assert w["name"] == "c%d" % i
        await clients[0].send({"t": "send", "to": "client:c3", "event": "hi", "data": [1, 2]})
        ev, _ = await clients[3].recv_until(lambda o: o.get("t") == "event")
        assert ev["from"] == "c0" and ev["event"] == "hi" and ev["data"] == [1, 2]
        r, _ = await clients[1].request({"t": "send", "to": "all", "event": "all", "data": 5})
        assert r["result"]["delivered"] == 4
        for i in (0, 2, 3, 4):
            ev, _ = await clients[i].recv_until(lambda o: o.get("t") == "event" and
                                                o.get("event") == "all")
            assert ev["from"] == "c1" and ev["data"] == 5
        for c in clients:
            await c.close()

    run(main())


def test_max_connections_gets_server_full(start_server):
    srv = start_server("--max-connections", 2)

    async def main():
        a = await WsClient.connect(srv.port)
        b = await WsClient.connect(srv.port)
        assert (await a.hello("a"))["t"] == "welcome"
        assert (await b.hello("b"))["t"] == "welcome"
        c = await WsClient.connect(srv.port)
        code, seen = await c.wait_closed()
        assert code == 1013
        assert [m["name"] for m, _ in seen if m.get("t") == "error"] == ["SERVER_FULL"]
        await b.close()
        await asyncio.sleep(0.2)
        d = await WsClient.connect(srv.port)
        assert (await d.hello("d"))["t"] == "welcome"
        r, _ = await a.request({"t": "send", "to": "client:d", "event": "x"})
        assert r["result"]["delivered"] == 1

    run(main())


def test_text_message_closes_1003(start_server):
    srv = start_server()

    async def main():
        c = await WsClient.connect(srv.port)
        await c.hello("t")
        await c.ws.send("this is text")
        code, seen = await c.wait_closed()
        assert code == 1003
        assert not [m for m, _ in seen if m.get("t") == "error"]
        other = await WsClient.connect(srv.port)
        assert (await other.hello("t"))["t"] == "welcome"  # the name was released

    run(main())


def test_garbage_gets_error_and_1002(start_server):
    srv = start_server()

    async def main():
        c = await WsClient.connect(srv.port)
        await c.hello("g")
        await c.ws.send(b"\x07\x00\x00\x00garbage garbage garbage")
        code, seen = await c.wait_closed()
        errors = [m for m, _ in seen if m.get("t") == "error"]
        assert code == 1002
        assert [(e["code"], e["name"]) for e in errors] == [(102, "BAD_VERSION")]
        d = await WsClient.connect(srv.port)  # the server is still serving
        assert (await d.hello("d"))["t"] == "welcome"

    run(main())


def test_bad_frames_get_their_error_codes(start_server):
    srv = start_server("--max-frame", 1024)

    async def one(data, want_code, want_close):
        c = await WsClient.connect(srv.port)
        await c.hello()
        await c.ws.send(data)
        code, seen = await c.wait_closed()
        errors = [m["code"] for m, _ in seen if m.get("t") == "error"]
        assert (errors, code) == ([want_code], want_close), data[:20]

    async def main():
        await one(frame(1, 0, b"x" * 10, flags=0x80), 103, 1002)  # RESERVED_BITS
        await one(frame(1, 0, b"x" * 2000), 105, 1009)  # FRAME_TOO_LARGE
        await one(frame(1, 0, b"x" * 10) + b"extra", 104, 1002)  # LENGTH_MISMATCH
        await one(frame(1, 5, b"x" * 10), 201, 1002)  # OFFSET_GAP
        await one(frame(1, 0, encode_body([1, 2])), 404, 1002)  # NOT_OBJECT
        # A WebSocket message far longer than any frame, in fragments: stopped early.
        c = await WsClient.connect(srv.port)
        await c.hello()
        try:
            await c.ws.send([frame(1, 0, b"y" * 100)[:16]] + [b"z" * 4096] * 64)
        except websockets.ConnectionClosed:
            pass  # the server may close before the whole message is sent
        code, seen = await c.wait_closed()
        assert code == 1002
        assert [m["code"] for m, _ in seen if m.get("t") == "error"] == [104]

    run(main())


def test_fragmented_websocket_message_is_reassembled(start_server):
    srv = start_server()

    async def main():
        c = await WsClient.connect(srv.port)
        await c.hello("frag")
        data = frame(9, 0, encode_body({"t": "ping", "n": 42}))
        await c.ws.send([data[:5], data[5:17], data[17:]])
        pong, _ = await c.recv_until(lambda o: o.get("t") == "pong")
        assert pong["n"] == 42

    run(main())


def test_wrong_subprotocol_is_refused(start_server):
    srv = start_server()

    async def main():
        for protos in (None, ["chat"]):
            try:
                ws = await asyncio.wait_for(websockets.connect(
                    "ws://127.0.0.1:%d/" % srv.port, subprotocols=protos), 10)
            except websockets.InvalidStatusCode as e:
                assert e.status_code == 400  # TRN-3
                continue
            await ws.close()
            raise AssertionError("upgrade without plexus.v1 was accepted")
        c = await WsClient.connect(srv.port, subprotocols=["chat", "plexus.v1"])
        assert c.ws.subprotocol == "plexus.v1"
        assert (await c.hello())["t"] == "welcome"

    run(main())


def test_healthz(start_server):
    srv = start_server()
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("GET", "/healthz")
    r = conn.getresponse()
    assert r.status == 200
    assert r.read() == b"ok"
    conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("GET", "/nothing-here")
    r = conn.getresponse()
    assert r.status == 404
    r.read()
    conn.close()


def test_usage_errors_exit_2():
    """LIM-1: a value outside its range is refused at start-up with one line and exit 2."""
    for args in (["--port", "70000"], ["--bogus"], ["--max-frame", "100"], ["--port"],
                 ["--log-level", "loud"], ["--secret", "a", "--secret-file", "/dev/null"],
                 ["--secret-file", "/nonexistent/secret"],
                 ["--ping-interval", "999"], ["--ping-interval", "3600001"],
                 ["--hello-timeout", "999"], ["--hello-timeout", "300001"],
                 ["--history", "10001"], ["--max-connections", "0"],
                 ["--max-connections", "1000001"], ["--missed-pongs", "0"],
                 ["--missed-pongs", "101"], ["--call-timeout", "0"],
                 ["--call-timeout", "300001"], ["--max-call-timeout", "100", "--call-timeout",
                                                "200"],
                 ["--max-message", "65535"], ["--max-frame", "16777217"],
                 ["--max-queue", "131071"]):
        p = subprocess.run([server_bin()] + args, capture_output=True, timeout=10)
        assert p.returncode == 2, (args, p.returncode)
        assert p.stderr.startswith(b"plexus-server: --" if args != ["--bogus"] else
                                   b"plexus-server: "), p.stderr
        assert p.stdout == b"", args
    p = subprocess.run([server_bin(), "--help"], capture_output=True, timeout=10)
    assert p.returncode == 0
    for opt in (b"--host", b"--port", b"--tcp-port", b"--secret", b"--secret-file",
                b"--override-key", b"--max-connections", b"--max-message", b"--max-frame",
                b"--history", b"--ping-interval", b"--hello-timeout", b"--call-timeout",
                b"--max-call-timeout", b"--missed-pongs", b"--max-queue", b"--log-level",
                b"--version", b"exit codes"):
        assert opt in p.stdout, opt
    for text in (b"1..1000000", b"0 (off) or 1000..3600000", b"1000..300000", b"0..10000",
                 b"65536..1073741824", b"512..16777216", b"1..100 "):
        assert text in p.stdout, text
    p = subprocess.run([server_bin(), "--version"], capture_output=True, timeout=10)
    assert p.returncode == 0 and p.stdout.startswith(b"plexus-server ")


def test_range_ends_are_accepted(start_server):
    """LIM-1: every value in a range is accepted: each end starts the server."""
    for args in (["--ping-interval", 1000], ["--ping-interval", 3600000],
                 ["--hello-timeout", 1000], ["--hello-timeout", 300000], ["--history", 10000],
                 ["--max-connections", 1], ["--max-connections", 1000000],
                 ["--missed-pongs", 1], ["--missed-pongs", 100], ["--call-timeout", 1],
                 ["--max-call-timeout", 1], ["--max-call-timeout", 4294967295],
                 ["--max-message", 65536, "--max-queue", 131072],
                 ["--max-frame", 512], ["--max-frame", 16777216]):
        srv = start_server(*args)
        assert srv.terminate() == 0, args


def test_ping_interval_zero_switches_pings_off(start_server):
    """SES-16, LIM-1: --ping-interval 0 is accepted and announced as 0 in welcome."""
    srv = start_server("--ping-interval", 0, "--missed-pongs", 1)

    async def main():
        c = await WsClient.connect(srv.port)
        assert (await c.hello())["ping_interval_ms"] == 0
        try:
            m, _ = await c.recv(timeout=1.5)
            raise AssertionError("the server sent %r with pings off" % m)
        except asyncio.TimeoutError:
            pass

    run(main())


def test_missed_pongs_and_max_call_timeout_reach_the_hub(start_server):
    srv = start_server("--ping-interval", 1000, "--missed-pongs", 1, "--max-call-timeout",
                       20000, "--call-timeout", 5000)

    async def main():
        c = await WsClient.connect(srv.port)
        w = await c.hello("quiet")
        assert (w["ping_interval_ms"], w["call_timeout_ms"]) == (1000, 5000)
        s = await WsClient.connect(srv.port)
        await s.hello("srv")
        r, _ = await s.request({"t": "register", "routes": ["slow"]})
        assert r["result"] is True
        await c.send({"t": "call", "id": 5, "route": "slow", "timeout_ms": 900000})
        call, _ = await s.recv_until(lambda o: o.get("t") == "call")
        assert call["timeout_ms"] == 20000  # clamped to --max-call-timeout
        code, seen = await c.wait_closed(timeout=5)  # the first ping goes unanswered
        assert code == 1008
        assert "PING_TIMEOUT" in [m["name"] for m, _ in seen if m.get("t") == "error"]

    run(main())


def test_max_connections_capped_by_the_fd_limit(start_server):
    """--max-connections above what the hard fd limit allows: the bound in effect is the
    limit - 64 (PLX_FD_RESERVE), and the next connection gets SERVER_FULL, not a hang."""
    srv = start_server("--max-connections", 1000, "--tcp-port", 0, nofile=100)

    async def main():
        clients = []
        for i in range(36):
            c = await (WsClient.connect(srv.port) if i % 2 else TcpClient.connect(srv.tcp_port))
            assert (await c.hello("c%d" % i))["t"] == "welcome"
            clients.append(c)
        extra = await WsClient.connect(srv.port)
        code, seen = await extra.wait_closed(timeout=5)
        assert code == 1013
        assert [m["name"] for m, _ in seen if m.get("t") == "error"] == ["SERVER_FULL"]
        await clients.pop().close()
        await asyncio.sleep(0.3)
        again = await WsClient.connect(srv.port)
        assert (await again.hello("again"))["t"] == "welcome"

    run(main())


def test_fd_limit_without_room_exits_1():
    p = subprocess.run([server_bin(), "--port", "0"], capture_output=True, timeout=20,
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64)))
    assert p.returncode == 1, p.stderr
    assert b"file descriptor limit 64" in p.stderr


def test_port_in_use_exits_1():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        p = subprocess.run([server_bin(), "--port", str(s.getsockname()[1])],
                           capture_output=True, timeout=20)
        assert p.returncode == 1
        assert b"cannot listen" in p.stderr
    finally:
        s.close()


def test_before_welcome_rules(start_server):
    """SES-2/SES-3: until welcome, frames are single (MORE is NOT_READY), at most 65,536
    bytes, and any message but hello is NOT_READY, even one the catalogue rejects."""
    srv = start_server("--tcp-port", 0)

    async def expect_fatal(c, send, code, close=None):
        await send(c)
        if close is None:  # stream binding: error, then end of stream
            m, _ = await c.recv_until(lambda o: o.get("t") == "error")
            assert m["code"] == code, m
            assert await asyncio.wait_for(c.reader.read(1), 10) == b""
        else:
            got, seen = await c.wait_closed()
            assert got == close
            assert [m["code"] for m, _ in seen if m.get("t") == "error"] == [code]

    chunked_hello = encode_frames({"t": "hello", "version": 1, "pad": "x" * 3000}, (), 1,
                                  max_frame=1024, use_gzip=False)
    assert len(chunked_hello) > 1

    async def send_chunked(c):
        for fr in chunked_hello:
            await c.send_frame(fr)

    async def send_ping(c):
        await c.send_frame(frame(1, 0, encode_body({"t": "ping", "id": 4})))

    async def send_unknown(c):
        await c.send_frame(frame(1, 0, encode_body({"t": "nonsense", "id": 4})))

    async def send_missing_t(c):
        await c.send_frame(frame(1, 0, encode_body({"id": 4, "version": 1})))

    async def send_big(c):
        await c.send_frame(frame(1, 0, encode_body({"t": "hello", "version": 1,
                                                   "pad": "y" * 70000})))

    async def send_gzip_hello(c):  # SES-3, CHK-9: gzip is not in effect before welcome
        packed = gzip.compress(encode_body({"t": "hello", "version": 1}), mtime=0)
        await c.send_frame(frame(1, 0, packed, flags=FLAG_GZIP))

    async def main():
        for send, code in ((send_chunked, 601), (send_ping, 601), (send_unknown, 601),
                           (send_missing_t, 601), (send_big, 105), (send_gzip_hello, 302)):
            close = {601: 1008, 105: 1009, 302: 1002}[code]
            await expect_fatal(await WsClient.connect(srv.port), send, code, close)
            await expect_fatal(await TcpClient.connect(srv.tcp_port), send, code)

    run(main())


def test_too_large_header_fails_at_once_while_the_peer_stalls(start_server):
    """FRM-5, FRM-6, TRN-9, TRN-14: a header announcing more than max_frame (65,536 before
    welcome, the negotiated value after) gets FRAME_TOO_LARGE and close 1009 as soon as its
    16 bytes are in, although the rest of the message never comes."""
    srv = start_server("--tcp-port", 0)

    async def ws_case(length, max_frame):
        c = await WsClient.connect(srv.port)
        if max_frame:
            assert (await c.hello(max_frame=max_frame))["max_frame"] == max_frame
        stall = asyncio.Event()

        async def fragments():  # the header as the first fragment, then nothing
            yield HEADER.pack(1, 0, 0, 9, 0, length)
            await stall.wait()
            yield b"x"

        sender = asyncio.ensure_future(c.ws.send(fragments()))
        try:
            code, seen = await c.wait_closed(timeout=2)  # the drain timeout is 4 s
        finally:
            stall.set()
            sender.cancel()
        assert code == 1009
        assert [m["name"] for m, _ in seen if m.get("t") == "error"] == ["FRAME_TOO_LARGE"]

    async def tcp_case(length, max_frame):
        t = await TcpClient.connect(srv.tcp_port)
        if max_frame:
            assert (await t.hello(max_frame=max_frame))["max_frame"] == max_frame
        t.writer.write(struct.pack(">I", 16 + length) + HEADER.pack(1, 0, 0, 9, 0, length))
        await t.writer.drain()
        m, _ = await t.recv_until(lambda o: o.get("t") == "error", timeout=2)
        assert m["name"] == "FRAME_TOO_LARGE"
        assert await asyncio.wait_for(t.reader.read(1), 2) == b""

    async def main():
        for length, max_frame in ((65537, None), (70000, None), (1025, 1024)):
            await ws_case(length, max_frame)
            await tcp_case(length, max_frame)

    run(main())


def raw_ws_connect(port):
    """A WebSocket connection by hand (a blocking socket after the 101), for peers that
    misbehave below what the websockets library allows: never answering a close frame."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: plexus.v1\r\n\r\n" % key).encode())
    resp = b""
    while b"\r\n\r\n" not in resp:
        chunk = s.recv(4096)
        assert chunk, "connection closed during the handshake"
        resp += chunk
    assert resp.startswith(b"HTTP/1.1 101"), resp
    assert resp.endswith(b"\r\n\r\n"), "data after the handshake"
    return s


def ws_client_frame(opcode, payload, fin=True):
    """One masked client WebSocket frame (payload < 64 KiB)."""
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def test_closing_peer_that_never_answers_is_released_in_5s(start_server):
    """LIM-4: a connection closed for a fatal error is released within 5 s although the peer
    stays inside its message and never answers the close frame."""
    srv = start_server()
    s = raw_ws_connect(srv.port)
    try:
        s.sendall(ws_client_frame(2, HEADER.pack(1, 0, 0, 1, 0, 70000), fin=False))
        got = s.recv(4096)  # the error message, then the close frame (1009)
        t0 = time.monotonic()

        def close_frame_in(data):
            at = data.find(b"\x88", data.find(b"FRAME_TOO_LARGE"))
            return at >= 0 and len(data) >= at + 2 and len(data) == at + 2 + data[at + 1]

        while not close_frame_in(got):
            chunk = s.recv(4096)
            assert chunk, "closed before the close frame: %r" % got
            got += chunk
        at = got.find(b"\x88", got.find(b"FRAME_TOO_LARGE"))
        assert got[at + 2:at + 4] == b"\x03\xf1"  # close code 1009
        s.settimeout(10)
        assert s.recv(4096) == b""  # we answer nothing: the server lets go on its own
        elapsed = time.monotonic() - t0
        assert elapsed < 4.9, elapsed
    finally:
        s.close()


def test_invalid_reply_and_error_messages(start_server):
    """ERR-3: a reply the catalogue rejects gets error{re}; an error message is never
    answered; a request with an id gets reply{id, error}."""
    srv = start_server()

    async def main():
        c = await WsClient.connect(srv.port)
        await c.hello("err3")
        await c.send({"t": "reply", "id": 11, "result": 1,
                      "error": {"code": 1, "name": "X", "message": "both"}})
        m, _ = await c.recv()
        assert (m["t"], m["code"], m.get("re")) == ("error", 505, 11), m
        await c.send({"t": "error", "code": "not a number"})
        await c.send({"t": "cmd", "id": 12})  # argv missing
        m, _ = await c.recv()
        assert m["t"] == "reply" and m["id"] == 12 and m["error"]["code"] == 503, m

    run(main())


def test_options_reach_the_hub(start_server, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret\n")
    srv = start_server("--secret-file", secret_file, "--override-key", "ovr", "--history", 5,
                       "--max-message", 1 << 20, "--max-frame", 4096, "--call-timeout", 1234,
                       "--ping-interval", 1000, "--hello-timeout", 1000, "--log-level", "error")

    async def main():
        c = await WsClient.connect(srv.port)
        w = await c.hello("opt", secret="s3cret")
        assert (w["max_message"], w["max_frame"], w["call_timeout_ms"], w["history"],
                w["ping_interval_ms"]) == (1 << 20, 4096, 1234, 5, 1000)
        ping, _ = await c.recv_until(lambda o: o.get("t") == "ping", timeout=3)
        await c.send({"t": "pong", "n": ping.get("n")})
        bad = await WsClient.connect(srv.port)
        assert (await bad.hello("intruder", secret="wrong"))["name"] == "AUTH_FAILED"
        code, _ = await bad.wait_closed()
        assert code == 1008
        taker = await WsClient.connect(srv.port)
        assert (await taker.hello("opt", secret="s3cret", override="ovr"))["name"] == "opt"
        code, seen = await c.wait_closed()
        assert code == 1008 and "REPLACED" in [m["name"] for m, _ in seen if m.get("t") == "error"]
        silent = await WsClient.connect(srv.port)
        code, seen = await silent.wait_closed(timeout=5)
        assert code == 1008 and [m["name"] for m, _ in seen if m.get("t") == "error"] == \
            ["HELLO_TIMEOUT"]

    run(main())
