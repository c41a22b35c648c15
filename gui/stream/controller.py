"""One request's life: runs ``stream_core.net.session.run`` and feeds the tab's models.

The engine calls the observer once per record on the qasync loop; the observer only appends
to a list. A ~30 ms QTimer drains that list into the models (one ``append_batch`` per model
per tick) and refreshes the statistics, so the cost of Qt work does not grow with the event
rate and a flood cannot starve input handling.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, Signal

from gui.stream.models import ChunksModel, EventsModel
from gui.stream.raw_buffer import RawBuffer
from gui.stream.tables import DrainTimer
from stream_core.analysis.diagnostics import Diagnostics
from stream_core.analysis.llm import LLMAssembler
from stream_core.analysis.stats import RATE_WINDOW, Stats
from stream_core.net import session
from stream_core.net.download import partial_size
from stream_core.net.spec import RequestSpec
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

__all__ = ["DRAIN_MS", "RATE_WINDOW", "UPDATE_MS", "Source", "State", "Stats",
           "StreamController"]

#: Drains at least this big freeze the survivors (see drain()).
FREEZE_BATCH = 2000
DRAIN_MS = 30
UPDATE_MS = 100


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
        self._live = source is None
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
        self._stopped_at = 0.0
        self.runs = 0  # how many times the stream was started (Resume starts it again)
        self.diagnostics = Diagnostics()
        self.llm = LLMAssembler()
        # A resumed run's records continue the first run's clock, chunk numbers and offsets.
        self._t_shift = 0.0
        self._seq_shift = 0
        self._offset_shift = 0
        # Adaptive drain (gui.stream.tables.DrainTimer, a QTimer stand-in): at once when a record
        # arrives after a quiet spell (latency), stretched to ~150 ms ticks under a flood.
        self._timer = DrainTimer(DRAIN_MS, self)
        self._queue: list[AnyRecord] = self._timer.queue
        self._task: asyncio.Task[Any] | None = None
        self._last_update = 0.0
        self._timer.timeout.connect(self.drain)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the stream as a referenced task on the running (qasync) loop."""
        if self._task is not None:
            raise RuntimeError("already started")
        self.start_wall = self.events.start_wall = self.chunks.start_wall = time.time()
        self._start_mono = time.monotonic()
        self._launch(self._source)

    def wrap_source(self, wrapper: Callable[[Source], Source]) -> None:
        """Put ``wrapper`` around the record source before ``start()`` (a recorder tees the
        records into a capture file); the stream stays live, so a download can still resume."""
        if self._task is not None:
            raise RuntimeError("wrap_source() must come before start()")
        self._source = wrapper(self._source)

    def _launch(self, source: Source) -> None:
        self.runs += 1
        self._task = asyncio.ensure_future(self._run(source))
        self._timer.start()

    @property
    def can_resume(self) -> bool:
        """A stopped or failed live download whose ``.part`` holds something to continue."""
        spec = self.spec
        return (self._live and self.ended and spec.output is not None
                and self.state in (State.STOPPED, State.FAILED) and partial_size(spec.output) > 0)

    def resume(self) -> None:
        """Run the stopped download again with ``resume=True``, in the same models.

        The new run asks for the rest of the ``.part`` (Range + If-Range); its records are
        shifted so that times, chunk numbers and offsets continue those of the earlier runs.
        """
        if self.running or self._task is None:
            raise RuntimeError("resume() needs a stream that has run and stopped")
        self.drain()
        self.spec.resume = True
        self._t_shift = time.monotonic() - self._start_mono
        self._seq_shift = self.stats.chunks
        self._offset_shift = self.stats.bytes
        self.error = None
        self.end = None
        self.progress = None
        self.ended = False
        self._set_state(State.CONNECTING)
        shift_t, shift_seq, shift_off = self._t_shift, self._seq_shift, self._offset_shift
        queue_append = self._queue.append

        def shifted(rec: AnyRecord) -> None:
            rec.t += shift_t
            if isinstance(rec, Chunk):
                rec.seq += shift_seq
                rec.offset += shift_off
            elif isinstance(rec, End):
                rec.duration += shift_t
            queue_append(rec)

        source = self._source
        self._launch(lambda _observer: source(shifted))

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

    def set_llm_path(self, path: str) -> None:
        """Read the LLM text with a dotted JSON ``path`` ("" for the built-in shapes); the
        events received so far are read again."""
        self.llm = LLMAssembler(path=path)
        llm = self.llm
        for i in range(len(self.events)):
            item = self.events.row(i)
            if isinstance(item, Event):
                llm.feed(item.event, item.data, item.t)
        self.stats.first_token = llm.first_token_t
        self.updated.emit()

    async def _run(self, source: Source) -> None:
        cancelled = False
        try:
            await source(self._queue.append)
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
            self._stopped_at = time.monotonic() - self._start_mono
            self._emit_update(force=True)
            self.ended = True
            self.finished.emit()

    def elapsed(self) -> float:
        if self.end is not None:
            return self.end.duration
        if self.ended:
            return self._stopped_at
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
        unanalysed: list[Chunk] = []  # chunks Diagnostics has not seen yet (one call for all)
        rows: list[Any] = []
        events: list[Event] = []  # this batch's Events, in order (one Diagnostics call)
        fed = 0  # events[:fed] are counted in stats and fed to diagnostics
        stats = self.stats
        timeline = stats.timeline
        diagnostics = self.diagnostics
        diag = diagnostics.feed
        llm = self.llm
        llm_feed = llm.feed
        feed_llm = not llm.given_up
        add_row = rows.append
        add_event = events.append
        event_t = -1.0
        same_t = 0  # events completed by the same read (same t): one timeline update
        for rec in batch:
            # Fast path first, by frequency: a flood is almost all Events, one Chunk per read.
            tp = type(rec)
            if tp is Event:
                add_row(rec)
                add_event(rec)
                t = rec.t
                if t == event_t:
                    same_t += 1
                else:
                    timeline.events_at(event_t, same_t)
                    event_t, same_t = t, 1
                if feed_llm:
                    llm_feed(rec.event, rec.data, t)
                    feed_llm = not llm.given_up
                continue
            if tp is Chunk:
                self._chunk(rec, chunks)
                unanalysed.append(rec)
                continue
            # Anything else: bring the batched Chunk and Event bookkeeping up to date first,
            # so that diagnostics and stats see the records in order.
            if unanalysed:
                diagnostics.feed_chunks(unanalysed)
                unanalysed.clear()
            if fed < len(events):
                if stats.first_event is None:
                    stats.first_event = events[fed].t
                stats.events += len(events) - fed
                diagnostics.feed_events(events[fed:])
                fed = len(events)
            if isinstance(rec, Chunk):
                self._chunk(rec, chunks)
                diag(rec)
            elif isinstance(rec, Event | Record):
                rows.append(rec)
                stats.events += 1
                if stats.first_event is None:
                    stats.first_event = rec.t
                if rec.t == event_t:
                    same_t += 1
                else:
                    timeline.events_at(event_t, same_t)
                    event_t, same_t = rec.t, 1
                if isinstance(rec, Event):
                    diag(rec)
                    if feed_llm:
                        llm_feed(rec.event, rec.data, rec.t)
                        feed_llm = not llm.given_up
            elif isinstance(rec, Progress):
                self.progress = rec
            elif isinstance(rec, Retry):
                self.retry_ms = rec.ms
                rows.append(rec)
            elif isinstance(rec, Reconnect):
                rows.append(rec)
                timeline.mark(rec.t, "reconnect", f"reconnect {rec.attempt}")
                diag(rec)
                self._flush(chunks, rows)
                self._set_state(State.RECONNECTING)
            elif isinstance(rec, Response):
                diag(rec)
                self.response = rec
                self.responses.append(rec)
                self._set_state(State.STREAMING)
                self.responseReceived.emit()
            elif isinstance(rec, Request):
                diag(rec)
                self.requests.append(rec)
                if self.request is None:
                    self.request = rec
            elif isinstance(rec, Error):
                if rec.kind != "cancelled":
                    rows.append(rec)
                    timeline.mark(rec.t, "error", rec.kind)
                self.error = rec
            elif isinstance(rec, End):
                diag(rec)
                self.end = rec
        if unanalysed:
            diagnostics.feed_chunks(unanalysed)
        if fed < len(events):
            if stats.first_event is None:
                stats.first_event = events[fed].t
            stats.events += len(events) - fed
            diagnostics.feed_events(events[fed:] if fed else events)
        timeline.events_at(event_t, same_t)
        if stats.first_token is None and llm.first_token_t is not None:
            stats.first_token = llm.first_token_t
        self._flush(chunks, rows)
        if len(batch) >= FREEZE_BATCH:
            # Under a flood the objects that survive a drain are long-lived (models, spool,
            # caches): moving them out of the collector's generations keeps full collections
            # from rescanning them, which were the GUI's worst stalls (57-88 ms each).
            gc.freeze()
        self._emit_update()

    def _chunk(self, rec: Chunk, chunks: list[Chunk]) -> None:
        """One network read: a few per drain, so a method call is cheap enough."""
        chunks.append(rec)
        stats = self.stats
        stats.bytes += len(rec.data)
        stats.chunks += 1
        if stats.ttfb is None:
            stats.ttfb = rec.t
        self.raw.feed(rec.data)
        stats.timeline.arrival(rec.t, len(rec.data))

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
