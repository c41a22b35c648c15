"""Every way out of a response body closes the response on the event loop, at once.

The ways out that leave httpx's body iterator paused at a read it handed over: Stop while a
download waits for the disk (the cancellation lands in the write, not in a network read),
``--max-events``, and a write that fails. Each must release the connection before the stream
ends and leave no httpx/httpcore generator for the garbage collector.

These run on a loop without async-generator hooks, as the window's qasync loop does: nothing
there finalizes an abandoned async generator on the loop, so a leftover is closed wherever it
is collected, which Python reports as "async generator ignored GeneratorExit" and, after the
loop closed, "no running event loop" (seen at the exit of ``--demo download --screenshot``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from stream_core.net import download as dl
from stream_core.net.errors import StreamError
from stream_core.net.session import Clients, run
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import AnyRecord
from tests.core.conftest import Capture

MiB = 1024 * 1024


@contextlib.contextmanager
def unraisables() -> Iterator[list[str]]:
    """What Python reports as "Exception ignored" meanwhile (asserted by the test itself)."""
    seen: list[str] = []
    previous = sys.unraisablehook

    def hook(info: Any) -> None:
        seen.append(f"{info.object!r}: {info.exc_value!r}")

    sys.unraisablehook = hook
    try:
        yield seen
    finally:
        sys.unraisablehook = previous


def run_without_asyncgen_hooks(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``main()`` on a fresh loop that, like qasync's, finalizes no async generator."""
    async def hookless() -> None:
        sys.set_asyncgen_hooks(firstiter=None, finalizer=None)  # restored when the loop stops
        await main()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(hookless())
    finally:
        loop.close()
    gc.collect()  # a generator left behind is closed here, after its loop: as at the app's exit


async def stream(spec: RequestSpec, cancel_on: asyncio.Event | None = None
                 ) -> tuple[Capture, list[str]]:
    """Run ``spec`` (cancelled once ``cancel_on`` is set): its records, and the connections
    still busy with a response once it ended (looked at before the client closes)."""
    records: list[AnyRecord] = []
    clients = Clients()
    try:
        task = asyncio.ensure_future(run(clients, spec, records.append))
        if cancel_on is not None:
            waiting = asyncio.ensure_future(cancel_on.wait())
            await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        pool = clients.for_spec(spec)._transport._pool  # type: ignore[attr-defined]
        busy = [repr(c) for c in pool.connections if not (c.is_idle() or c.is_closed())]
    finally:
        await clients.aclose()
    return Capture(records), busy


def run_and_check(spec: RequestSpec, cancel_on: asyncio.Event | None = None) -> Capture:
    """``stream(spec)`` on a loop without async-generator hooks; fails when the ended stream
    still held its connection or anything was left for the collector to close."""
    out: list[tuple[Capture, list[str]]] = []

    async def main() -> None:
        out.append(await stream(spec, cancel_on))

    with unraisables() as seen:
        run_without_asyncgen_hooks(main)
    cap, busy = out[0]
    cap.check_shape()
    assert busy == [], "the ended stream still holds its connection"
    assert seen == [], "left for the garbage collector to close"
    return cap


def test_stop_while_the_download_waits_for_the_disk(
        demo_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writing = asyncio.Event()

    async def stuck_disk(self: dl.Download, data: bytes) -> None:
        writing.set()
        await asyncio.Event().wait()  # a disk slower than any network: Stop lands here

    monkeypatch.setattr(dl.Download, "write", stuck_disk)
    cap = run_and_check(RequestSpec(f"{demo_server}/download?size={8 * MiB}",
                                    mode=Mode.DOWNLOAD, output=str(tmp_path / "f.bin")),
                        cancel_on=writing)
    assert writing.is_set() and cap.errors[-1] == ("cancelled", "stopped")


def test_a_write_that_fails_mid_body(demo_server: str, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    async def full_disk(self: dl.Download, data: bytes) -> None:
        raise StreamError("io", "disk full")

    monkeypatch.setattr(dl.Download, "write", full_disk)
    cap = run_and_check(RequestSpec(f"{demo_server}/download?size={8 * MiB}",
                                    mode=Mode.DOWNLOAD, output=str(tmp_path / "f.bin")))
    assert cap.errors == [("io", "disk full")]


def test_max_events_ends_an_endless_stream(demo_server: str) -> None:
    cap = run_and_check(RequestSpec(f"{demo_server}/events?interval=0.01", mode=Mode.SSE,
                                    max_events=3))
    assert cap.end.stopped == "max-events" and len(cap.of("event")) == 3
