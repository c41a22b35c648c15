"""The window's loop frees a cancelled delayed call at once (issue 23.20): qasync kept each
one, and its Qt timer, until it was due (a 300 s read timeout per network read). The qasync
internals gui/services/qtloop.py relies on are guarded in tests/test_pinned_internals.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import qasync
from pytestqt.qtbot import QtBot

from gui.services.qtloop import EventLoop
from stream_core.net.session import Clients, run
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import Chunk
from tests.gui.conftest import Runner


def pending(loop: Any) -> int:
    """Delayed calls (each a Qt timer) the loop holds."""
    calls = loop._timer._SimpleTimer__callbacks
    assert isinstance(calls, dict)
    return len(calls)


def test_the_app_and_the_tests_run_on_this_loop(aloop: asyncio.AbstractEventLoop) -> None:
    assert isinstance(aloop, EventLoop) and isinstance(aloop, qasync.QEventLoop)


def test_cancelled_delayed_calls_leave_nothing_behind(
        aloop: asyncio.AbstractEventLoop, qtbot: QtBot) -> None:
    before = pending(aloop)
    handles = [aloop.call_later(300, lambda: None) for _ in range(500)]
    assert pending(aloop) == before + 500
    for handle in handles:
        handle.cancel()
    assert pending(aloop) == before  # (qasync's own loop: 500 until 300 s later)
    for handle in handles:
        handle.cancel()  # twice: harmless


def test_delayed_calls_still_run_and_cancelled_ones_do_not(
        aloop: asyncio.AbstractEventLoop, qtbot: QtBot) -> None:
    ran: list[str] = []
    aloop.call_later(0.01, ran.append, "due")
    aloop.call_later(0.01, ran.append, "cancelled").cancel()
    box: list[asyncio.Handle] = []
    box.append(aloop.call_later(0.01, lambda: (ran.append("self"), box[0].cancel())))
    aloop.call_at(aloop.time() + 0.01, ran.append, "at")
    aloop.call_soon(ran.append, "soon")
    before = pending(aloop)
    qtbot.waitUntil(lambda: len(ran) == 4, timeout=5000)
    assert sorted(ran) == ["at", "due", "self", "soon"]
    qtbot.waitUntil(lambda: pending(aloop) <= before - 3, timeout=5000)


def test_a_stream_of_many_reads_leaves_no_timers_behind(
        aloop: asyncio.AbstractEventLoop, arun: Runner[Any], demo_server: str) -> None:
    """An LLM reply, one delta per network read: each read armed a 300 s read timeout that
    stayed behind, with its Qt timer, once the data came (~340 bytes per event held)."""
    words = 300
    prompt = " ".join(f"w{i}" for i in range(words))
    spec = RequestSpec(f"{demo_server}/v1/chat/completions?delay=0.002", mode=Mode.SSE,
                       method="POST", headers=[("Content-Type", "application/json")],
                       body=json.dumps({"model": "demo", "stream": True, "messages": [
                           {"role": "user", "content": prompt}]}).encode())
    reads: list[Chunk] = []
    before = pending(aloop)

    async def stream() -> int:
        clients = Clients()
        try:
            await run(clients, spec, lambda rec: reads.append(rec)
                      if isinstance(rec, Chunk) else None)
        finally:
            await clients.aclose()
        return pending(aloop)

    after = arun(stream(), timeout=60000)
    assert len(reads) > words // 2  # (many reads: the point of the test)
    assert after - before < 10, f"{after - before} delayed calls left after {len(reads)} reads"
