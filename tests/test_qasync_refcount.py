"""Regression guard for PySide6 6.12.0 on Python 3.11 under qasync.

That combination drops one reference to ``None`` each time Qt calls a Python ``timerEvent``
override, which qasync's timers do for every callback; a busy stream then aborts the process
with ``Fatal Python error: none_dealloc``. pyproject pins ``PySide6-Essentials<6.12`` on
Python < 3.12; this test streams through a qasync loop over a real loopback socket and checks
that the refcount of None does not fall, so a bad pin or a bad upgrade fails here first.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

qasync = pytest.importorskip("qasync")

WRITES = 4000


async def _stream_through_loop() -> tuple[int, int, int]:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for i in range(WRITES):
            writer.write(b"data: %d\n\n" % i)
            await writer.drain()
            await asyncio.sleep(0)  # one loop iteration, one qasync timer, per write
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    # Warm up so that one-time caches do not count as a change.
    received = len(await reader.read(64))
    before = sys.getrefcount(None)
    while data := await reader.read(64):
        received += len(data)
        await asyncio.sleep(0)
    after = sys.getrefcount(None)
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    return before, after, received


def test_streaming_under_qasync_keeps_none_alive(qapp: object) -> None:
    loop = qasync.QEventLoop(qapp)
    try:
        before, after, received = loop.run_until_complete(_stream_through_loop())
    finally:
        loop.close()
    asyncio.set_event_loop(None)
    assert received == sum(len(b"data: %d\n\n" % i) for i in range(WRITES))
    # A leaking build loses one reference per timer callback: thousands here. Normal
    # fluctuation (objects alive at either moment that hold None) is a few dozen.
    assert after - before > -500, (
        f"refcount(None) fell by {before - after} while streaming: this PySide6 build leaks "
        "None under qasync (see pyproject's PySide6 pin)"
    )
