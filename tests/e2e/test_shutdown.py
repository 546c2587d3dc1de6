"""End-to-end: SIGTERM while clients are busy - every WebSocket peer gets SHUTTING_DOWN and
close 1001, a stream-binding peer gets SHUTTING_DOWN and end of stream; exit code 0."""

import asyncio
import os
import signal

import websockets

from plexus_wire import TcpClient, WsClient, run


def test_sigterm_during_traffic(start_server):
    srv = start_server("--tcp-port", 0)

    async def busy(c, key):
        """SET/GET in a loop until the server closes the connection."""
        value = os.urandom(100 << 10)
        try:
            while True:
                await c.send({"t": "cmd", "id": c.new_id(), "argv": ["SET", key, {"$bin": 0}]},
                             [value])
                await c.send({"t": "cmd", "id": c.new_id(), "argv": ["GET", key]})
                await asyncio.sleep(0)
        except websockets.ConnectionClosed:
            pass

    async def main():
        # max_queue=None: the library keeps reading while the test is busy elsewhere, as a
        # client that reads its replies would; one that stops reading is a slow reader,
        # dropped after the close deadline (LIM-4, test_slow_reader), not this test's case.
        clients = [await WsClient.connect(srv.port, max_queue=None) for _ in range(4)]
        for i, c in enumerate(clients):
            assert (await c.hello("c%d" % i))["t"] == "welcome"
        tcp = await TcpClient.connect(srv.tcp_port)
        assert (await tcp.hello("tcp"))["t"] == "welcome"
        tasks = [asyncio.create_task(busy(c, "k%d" % i)) for i, c in enumerate(clients[:3])]
        await asyncio.sleep(0.5)
        os.kill(srv.proc.pid, signal.SIGTERM)
        m, _ = await tcp.recv_until(lambda o: o.get("t") == "error", timeout=15)
        assert m["name"] == "SHUTTING_DOWN"
        assert await asyncio.wait_for(tcp.reader.read(1), 15) == b""
        for c in clients:
            code, seen = await c.wait_closed(timeout=15)
            assert code == 1001
            assert "SHUTTING_DOWN" in [m["name"] for m, _ in seen if m.get("t") == "error"]
        await asyncio.wait_for(asyncio.gather(*tasks), 15)

    run(main())
    assert srv.proc.wait(15) == 0
