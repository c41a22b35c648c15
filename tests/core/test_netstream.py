"""The buffered network backend: used by the engine, byte-exact, bounded, flow-controlled."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpcore
import pytest

from stream_core.net import netstream
from stream_core.net.arrival import ENV, ArrivalStream
from stream_core.net.clients import Clients
from stream_core.net.netstream import HIGH_WATER, LOW_WATER, BufferedStream, _Protocol
from stream_core.net.spec import RequestSpec


class FakeTransport(asyncio.Transport):
    """Records the flow-control calls the stream makes (no socket: this tests the buffer)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []
        self.closing = False

    def pause_reading(self) -> None:
        self.calls.append("pause")

    def resume_reading(self) -> None:
        self.calls.append("resume")

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


def make_stream() -> tuple[BufferedStream, _Protocol, FakeTransport]:
    transport, protocol = FakeTransport(), _Protocol()
    protocol.connection_made(transport)
    return BufferedStream(transport, protocol), protocol, transport


async def read_all(stream: BufferedStream, max_bytes: int) -> list[bytes]:
    out = []
    while data := await stream.read(max_bytes, timeout=5):
        assert len(data) <= max_bytes
        out.append(data)
    return out


def test_reads_are_bounded_and_byte_exact() -> None:
    async def main() -> None:
        stream, protocol, _ = make_stream()
        sent = [bytes([i]) * n for i, n in enumerate((1, 70_000, 5, 300_000, 65_536))]
        for piece in sent:
            protocol.data_received(piece)
        protocol.eof_received()
        got = await read_all(stream, 65_536)
        assert b"".join(got) == b"".join(sent)
        assert await stream.read(10) == b""  # EOF stays EOF

    asyncio.run(main())


def test_reader_pauses_past_high_water_and_resumes_below_low_water() -> None:
    async def main() -> None:
        stream, protocol, transport = make_stream()
        block = b"x" * 65_536
        while not transport.calls:
            protocol.data_received(block)
        assert transport.calls == ["pause"] and protocol.buffered > HIGH_WATER
        while protocol.buffered >= LOW_WATER:
            assert transport.calls == ["pause"]
            await stream.read(65_536)
        assert transport.calls == ["pause", "resume"]

    asyncio.run(main())


def test_waiting_reader_wakes_on_data_and_times_out() -> None:
    async def main() -> None:
        stream, protocol, _ = make_stream()
        loop = asyncio.get_running_loop()
        loop.call_soon(protocol.data_received, b"late")
        assert await stream.read(100, timeout=5) == b"late"
        with pytest.raises(httpcore.ReadTimeout):
            await stream.read(100, timeout=0.01)

    asyncio.run(main())


def test_lost_connection_is_a_read_error_chained_to_the_os_error() -> None:
    async def main() -> None:
        stream, protocol, _ = make_stream()
        protocol.data_received(b"kept")
        protocol.connection_lost(ConnectionResetError(104, "Connection reset by peer"))
        assert await stream.read(100) == b"kept"  # what arrived first is still served
        with pytest.raises(httpcore.ReadError) as info:
            await stream.read(100)
        assert isinstance(info.value.__context__, ConnectionResetError)

    asyncio.run(main())


@pytest.mark.parametrize(("yield_after_s", "turns"), [(3600.0, 0), (0.0, 17)])  # 16 reads + the one at EOF
def test_serving_from_the_buffer_yields_only_after_yield_after_s(
        monkeypatch: pytest.MonkeyPatch, yield_after_s: float, turns: int) -> None:
    """Reads served from the buffer do not suspend, until YIELD_AFTER_S has passed."""
    monkeypatch.setattr(netstream, "YIELD_AFTER_S", yield_after_s)

    async def main() -> int:
        stream, protocol, _ = make_stream()
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        for _ in range(16):
            protocol.data_received(b"y" * 65_536)
        protocol.eof_received()
        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        start = ticks
        await read_all(stream, 65_536)
        task.cancel()
        return ticks - start

    assert asyncio.run(main()) == turns


@pytest.mark.parametrize("clock", ["arrival", "read"])
def test_engine_streams_over_the_buffered_backend(demo_server: str, clock: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Byte-exact over the arrival reader's stream, and over the buffered one when the
    reader is turned off."""
    if clock == "read":
        monkeypatch.setenv(ENV, "read")

    async def main() -> tuple[str, int, object]:
        clients = Clients()
        client = clients.for_spec(RequestSpec(demo_server))
        digest, size = hashlib.sha256(), 0
        try:
            async with client.stream("GET", f"{demo_server}/download?size=8000000") as response:
                kind = type(response.extensions["network_stream"])
                async for data in response.aiter_raw():
                    digest.update(data)
                    size += len(data)
        finally:
            await clients.aclose()
        return digest.hexdigest(), size, kind

    got, size, kind = asyncio.run(main())
    assert kind is (BufferedStream if clock == "read" else ArrivalStream)
    assert size == 8_000_000
    async def expected() -> str:
        import httpx
        async with httpx.AsyncClient() as c:
            body = (await c.get(f"{demo_server}/download?size=8000000")).content
        return hashlib.sha256(body).hexdigest()
    assert got == asyncio.run(expected())


def test_idle_connection_is_readable_once_the_server_closes_it() -> None:
    """What httpcore asks before reusing a kept-alive connection (real loopback sockets)."""
    async def main() -> tuple[bool, bool, bytes]:
        server_side: list[asyncio.StreamWriter] = []
        accepted = asyncio.Event()

        def on_client(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            server_side.append(writer)
            accepted.set()

        server = await asyncio.start_server(on_client, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        stream = await netstream.BufferedBackend().connect_tcp("127.0.0.1", port, timeout=5)
        await accepted.wait()
        idle = stream.get_extra_info("is_readable")
        server_side[0].write(b"bye")
        server_side[0].close()
        await server_side[0].wait_closed()
        closed = stream.get_extra_info("is_readable")
        got = await stream.read(100, timeout=5)
        await stream.aclose()
        server.close()
        await server.wait_closed()
        return idle, closed, got

    idle, closed, got = asyncio.run(main())
    assert (idle, closed, got) == (False, True, b"bye")
