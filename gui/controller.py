"""One request's life: runs ``stream_core.session.run`` and feeds the tab's models.

The engine calls the observer once per record on the qasync loop; the observer only appends
to a list. A ~30 ms QTimer drains that list into the models (one ``append_batch`` per model
per tick) and refreshes the statistics, so the cost of Qt work does not grow with the event
rate and a flood cannot starve input handling.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from gui.models import ChunksModel, EventsModel
from gui.raw_buffer import RawBuffer
from stream_core import session
from stream_core.records import (
    AnyRecord,
    Chunk,
    End,
    Error,
    Event,
    Observer,
    Progress,
    Reconnect,
    Record,
    Request,
    Response,
    Retry,
)
from stream_core.spec import RequestSpec

DRAIN_MS = 30
UPDATE_MS = 100
RATE_WINDOW = 1.0


class State(StrEnum):
    CONNECTING = "connecting"
    STREAMING = "streaming"
    RECONNECTING = "reconnecting"
    DONE = "done"
    FAILED = "failed"
    STOPPED = "stopped"

    @property
    def running(self) -> bool:
        return self in (State.CONNECTING, State.STREAMING, State.RECONNECTING)


class Stats:
    """Counters the summary strip shows; plain attributes, read after each drain."""

    __slots__ = ("bytes", "chunks", "events", "rate", "event_rate", "ttfb", "first_event",
                 "_samples")

    def __init__(self) -> None:
        self.bytes = 0
        self.chunks = 0
        self.events = 0
        self.rate = 0.0  # bytes/s over the last second
        self.event_rate = 0.0
        self.ttfb: float | None = None
        self.first_event: float | None = None
        self._samples: deque[tuple[float, int, int]] = deque()

    def sample(self, now: float) -> None:
        self._samples.append((now, self.bytes, self.events))
        while len(self._samples) > 2 and now - self._samples[1][0] >= RATE_WINDOW:
            self._samples.popleft()
        t0, b0, e0 = self._samples[0]
        span = now - t0
        if span > 0.05:
            self.rate = (self.bytes - b0) / span
            self.event_rate = (self.events - e0) / span


#: A record source: awaits until the stream ends, reporting every record to the observer.
Source = Callable[[Observer], Awaitable[End]]


class StreamController(QObject):
    """Drives one stream and owns its models.

    Signals:
        stateChanged(str): the new ``State`` value, emitted at once on each transition.
        updated(): statistics or models changed; throttled to ~10/s for labels.
        responseReceived(): a ``Response`` arrived (headers, status, detected mode).
        finished(): the task ended (done, failed or stopped); models hold everything.
    """

    stateChanged = Signal(str)
    updated = Signal()
    responseReceived = Signal()
    finished = Signal()

    def __init__(self, clients: session.Clients, spec: RequestSpec,
                 parent: QObject | None = None, *, source: Source | None = None) -> None:
        super().__init__(parent)
        self.clients = clients
        self.spec = spec
        # Where records come from: the live engine by default; an opened or replayed capture
        # passes its own coroutine with the same contract as ``session.run``.
        self._source: Source = source or (lambda observer: session.run(clients, spec, observer))
        self.start_wall = time.time()
        self._start_mono = time.monotonic()
        self.events = EventsModel(self.start_wall, self)
        self.chunks = ChunksModel(self.start_wall, self)
        self.raw = RawBuffer()
        self.stats = Stats()
        self.state = State.CONNECTING
        self.request: Request | None = None
        self.requests: list[Request] = []
        self.response: Response | None = None
        self.responses: list[Response] = []
        self.error: Error | None = None
        self.end: End | None = None
        self.progress: Progress | None = None
        self.retry_ms: int | None = None
        self.ended = False  # set just before ``finished`` is emitted
        self._queue: list[AnyRecord] = []
        self._task: asyncio.Task[Any] | None = None
        self._last_update = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(DRAIN_MS)
        self._timer.timeout.connect(self.drain)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the stream as a referenced task on the running (qasync) loop."""
        if self._task is not None:
            raise RuntimeError("already started")
        self.start_wall = self.events.start_wall = self.chunks.start_wall = time.time()
        self._start_mono = time.monotonic()
        self._task = asyncio.ensure_future(self._run())
        self._timer.start()

    @property
    def task(self) -> asyncio.Task[Any] | None:
        return self._task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Cancel the stream and wait until it has closed its response."""
        task = self._task
        if task is None or task.done():
            return
        task.cancel()
        await asyncio.wait({task})

    async def wait(self) -> None:
        """Wait until the stream has ended, whichever way."""
        if self._task is not None and not self._task.done():
            await asyncio.wait({self._task})

    async def _run(self) -> None:
        cancelled = False
        try:
            await self._source(self._queue.append)
        except asyncio.CancelledError:
            cancelled = True
        except Exception as exc:  # an engine bug must not take the window down
            self._queue.append(Error(self.elapsed(), "io", f"internal error: {exc!r}"))
        finally:
            self._timer.stop()
            self.drain()
            if not self.state.running:
                pass  # already final
            elif cancelled or (self.error is not None and self.error.kind == "cancelled"):
                self._set_state(State.STOPPED)
            elif self.error is not None:
                self._set_state(State.FAILED)
            else:
                self._set_state(State.DONE)
            self._emit_update(force=True)
            self.ended = True
            self.finished.emit()

    def elapsed(self) -> float:
        if self.end is not None:
            return self.end.duration
        return time.monotonic() - self._start_mono

    # -- draining --------------------------------------------------------------------------
    def drain(self) -> None:
        """Move queued records into the models: one batch per model per call."""
        # The engine holds ``self._queue.append``: copy and clear, never rebind the list.
        queue = self._queue
        if not queue:
            if self.running:
                self._emit_update()
            return
        batch = queue[:]
        queue.clear()
        chunks: list[Chunk] = []
        rows: list[Any] = []
        stats = self.stats
        for rec in batch:
            if isinstance(rec, Chunk):
                chunks.append(rec)
                stats.bytes += len(rec.data)
                stats.chunks += 1
                if stats.ttfb is None:
                    stats.ttfb = rec.t
                self.raw.feed(rec.data)
            elif isinstance(rec, Event | Record):
                rows.append(rec)
                stats.events += 1
                if stats.first_event is None:
                    stats.first_event = rec.t
            elif isinstance(rec, Progress):
                self.progress = rec
            elif isinstance(rec, Retry):
                self.retry_ms = rec.ms
                rows.append(rec)
            elif isinstance(rec, Reconnect):
                rows.append(rec)
                self._flush(chunks, rows)
                self._set_state(State.RECONNECTING)
            elif isinstance(rec, Response):
                self.response = rec
                self.responses.append(rec)
                self._set_state(State.STREAMING)
                self.responseReceived.emit()
            elif isinstance(rec, Request):
                self.requests.append(rec)
                if self.request is None:
                    self.request = rec
            elif isinstance(rec, Error):
                if rec.kind != "cancelled":
                    rows.append(rec)
                self.error = rec
            elif isinstance(rec, End):
                self.end = rec
        self._flush(chunks, rows)
        self._emit_update()

    def _flush(self, chunks: list[Chunk], rows: list[Any]) -> None:
        if chunks:
            self.chunks.append_batch(chunks)
            chunks.clear()
        if rows:
            self.events.append_batch(rows)
            rows.clear()

    def _emit_update(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_update >= UPDATE_MS / 1000:
            self._last_update = now
            self.stats.sample(now)
            self.updated.emit()

    def _set_state(self, state: State) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state.value)
