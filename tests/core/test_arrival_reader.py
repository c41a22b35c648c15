"""The arrival reader's life: it ends with its app (closed, or killed), a failed reader turns
into read times that say why, and an app that takes too long has its times marked held."""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import socket
import subprocess
import sys
import termios
import time
from pathlib import Path

from stream_core.net.arrival import ArrivalReader
from stream_core.net.session import Clients, run
from stream_core.net.spec import Mode, RequestSpec, Timeouts
from stream_core.records import AnyRecord, Chunk, End, Error, Response

ROOT = Path(__file__).resolve().parents[2]


def gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for its parent counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_for(condition: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_the_reader_ends_when_its_app_closes_it() -> None:
    async def main() -> int | None:
        reader = ArrivalReader()
        assert await reader.ready()
        proc = reader.proc
        assert proc is not None and proc.poll() is None
        await reader.aclose()
        return proc.returncode

    assert asyncio.run(main()) == 0


def test_the_reader_ends_when_its_app_dies() -> None:
    code = ("import asyncio, sys\n"
            "from stream_core.net.arrival import ArrivalReader\n"
            "async def main():\n"
            "    r = ArrivalReader()\n"
            "    assert await r.ready()\n"
            "    print(r.proc.pid, flush=True)\n"
            "    await asyncio.sleep(60)\n"
            "asyncio.run(main())\n")
    app = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, cwd=ROOT,
                           env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert app.stdout is not None
    try:
        child = int(app.stdout.readline())
        assert not gone(child)
        app.send_signal(signal.SIGKILL)
        app.wait(10)
        assert wait_for(lambda: gone(child))
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        app.stdout.close()


def test_a_reader_that_dies_fails_its_streams_and_later_ones_read_by_themselves(
        demo_server: str) -> None:
    async def main() -> tuple[list[AnyRecord], list[AnyRecord], str | None]:
        clients = Clients()
        first: list[AnyRecord] = []
        second: list[AnyRecord] = []

        def observe(rec: AnyRecord) -> None:
            first.append(rec)
            if isinstance(rec, Chunk) and rec.seq == 1:
                proc = clients.arrival.proc
                assert proc is not None
                proc.kill()  # the reader dies mid-stream

        spec = RequestSpec(f"{demo_server}/timing?interval=0.01&count=500", mode=Mode.SSE,
                           timeouts=Timeouts(connect=5, read=5, total=30))
        try:
            await run(clients, spec, observe)
            await run(clients, RequestSpec(f"{demo_server}/timing?interval=0.01&count=3",
                                           mode=Mode.SSE), second.append)
        finally:
            await clients.aclose()
        return first, second, clients.arrival.failed

    first, second, failed = asyncio.run(main())
    end = first[-1]
    assert isinstance(end, End) and not end.complete
    errors = [r for r in first if isinstance(r, Error)]
    assert errors and "arrival reader" in errors[0].message
    assert failed is not None and "arrival reader" in failed
    [response] = [r for r in second if isinstance(r, Response)]
    done = second[-1]
    assert isinstance(done, End) and done.complete
    assert response.clock == "read" and done.clock == "read"
    assert "arrival reader" in done.clock_reason


def unread_in_kernel(sock: socket.socket) -> int:
    """Bytes waiting in the socket's receive queue (FIONREAD): what nobody has read yet."""
    return int.from_bytes(fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0" * 4), "little")


def test_times_are_marked_held_when_the_app_leaves_too_much_unread(demo_server: str) -> None:
    """A download the app does not take: the reader holds its 32 MiB, then leaves the socket
    unread (the kernel's queue fills up); once the app takes the bytes again, the reads that
    follow may be late, and the end record says for how long the connection was left."""
    size = 128 * 1024 * 1024
    records: list[AnyRecord] = []
    clients = Clients()

    def observe(rec: AnyRecord) -> None:
        records.append(rec)
        if isinstance(rec, Chunk) and rec.seq == 0:
            # The app is busy: nothing is taken until the reader has had to stop reading.
            [stream] = clients.arrival._streams.values()
            sock = stream.get_extra_info("socket")
            seen = [-1]

            def stuck() -> bool:  # the queue is full and stays so: nobody reads it
                before, seen[0] = seen[0], unread_in_kernel(sock)
                time.sleep(0.2)
                return seen[0] > 0 and seen[0] == before == unread_in_kernel(sock)

            assert wait_for(stuck, timeout=60)
            time.sleep(0.3)

    async def main() -> None:
        try:
            await run(clients, RequestSpec(f"{demo_server}/download?size={size}",
                                           mode=Mode.RAW), observe)
        finally:
            await clients.aclose()

    asyncio.run(main())
    end = records[-1]
    assert isinstance(end, End) and end.complete and end.bytes == size
    assert end.clock == "arrival"
    assert end.held_ms >= 250


def test_closing_the_reader_closes_the_connections_it_still_serves() -> None:
    """A connection its owner never closed (httpcore drops the stream of a proxy setup that
    failed half-way) was left to the garbage collector, whose unclosed-socket warning then
    failed whatever test ran at that moment: the reader's close closes it."""
    async def main() -> tuple[socket.socket, int]:
        reader = ArrivalReader()
        assert await reader.ready()
        ours, peer = socket.socketpair()
        ours.setblocking(False)
        stream = reader.attach(ours)
        await stream.watched(5.0)
        try:
            await reader.aclose()
            return peer, ours.fileno()
        finally:
            del stream

    peer, fileno = asyncio.run(main())
    with peer:
        assert fileno == -1  # closed by the reader's close
        peer.settimeout(5)
        assert peer.recv(1) == b""  # and the other end sees it closed
