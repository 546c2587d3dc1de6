"""End-to-end: the stream binding over raw TCP (--tcp-port) shares the hub with WebSocket
clients: they see each other and exchange events, and a broken stream gets its error."""

import os

from plexus_wire import TcpClient, WsClient, run, stream_prefix, frame


def test_tcp_and_websocket_clients_see_each_other(start_server):
    srv = start_server("--tcp-port", 0)
    assert srv.tcp_port and srv.tcp_port != srv.port

    async def main():
        t = await TcpClient.connect(srv.tcp_port)
        w = await WsClient.connect(srv.port)
        assert (await t.hello("tcp-1"))["name"] == "tcp-1"
        assert (await w.hello("ws-1"))["name"] == "ws-1"
        r, _ = await w.request({"t": "send", "to": "client:tcp-1", "event": "hello",
                                "data": {"x": 1}})
        assert r["result"]["delivered"] == 1
        ev, _ = await t.recv_until(lambda o: o.get("t") == "event")
        assert ev["from"] == "ws-1" and ev["data"] == {"x": 1}
        blob = os.urandom(3 << 20)  # chunked over the stream binding, both ways
        await t.send({"t": "send", "to": "client:ws-1", "event": "blob", "data": {"$bin": 0}},
                     [blob])
        ev, atts = await w.recv_until(lambda o: o.get("t") == "event")
        assert ev["from"] == "tcp-1" and atts[ev["data"]["$bin"]] == blob
        r, _ = await t.request({"t": "cmd", "argv": ["SET", "b", {"$bin": 0}]}, [blob])
        assert "result" in r
        r, atts = await t.request({"t": "cmd", "argv": ["GET", "b"]})
        assert atts[r["result"]["$bin"]] == blob
        assert t.asm.chunked_messages >= 1
        await t.close()
        await w.close()

    run(main())


def test_tcp_bad_length_prefix_gets_error_and_close(start_server):
    srv = start_server("--tcp-port", 0)

    async def main():
        t = await TcpClient.connect(srv.tcp_port)
        await t.hello("bad")
        f = frame(3, 0, b"abc")
        t.writer.write(stream_prefix(f)[:3] + b"\x20" + f)  # prefix says 32, header says 19
        await t.writer.drain()
        m, _ = await t.recv_until(lambda o: o.get("t") == "error")
        assert (m["code"], m["name"]) == (104, "LENGTH_MISMATCH")
        assert await t.reader.read(1) == b""  # then the server closes the stream

    run(main())
