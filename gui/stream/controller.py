"""One request's life: runs ``stream_core.net.session.run`` and feeds the tab's models.

The engine calls the observer once per record on the qasync loop; the observer only appends
to a queue (no Qt work per record). A ``DrainTimer`` (``gui.stream.tables``) drains the queue
within ~2 ms after a quiet spell and every 16-150 ms under a flood. Each drain hands the batch
to the Qt-free ``StreamAggregate`` (statistics, timeline, diagnostics, LLM) and appends the
rows it returns to the models, one ``append_batch`` per model per stretch, so the cost of Qt
work does not grow with the event rate and a flood cannot starve input handling.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, Signal

from gui.services.throttle import Throttle
from gui.stream.models import ChunksModel, EventsModel
from gui.stream.raw_buffer import RawBuffer
from gui.stream.tables import DRAIN_STEP, ArrivalQueue, DrainTimer
from stream_core.analysis.aggregate import StreamAggregate
from stream_core.analysis.diagnostics import Diagnostics
from stream_core.analysis.llm import LLMAssembler
from stream_core.analysis.stats import RATE_WINDOW, Stats
from stream_core.net import session
from stream_core.net.arrival import Origin
from stream_core.net.clients import ClientSource
from stream_core.net.download import partial_size
from stream_core.net.spec import RequestSpec
from stream_core.records import (
    End,
    Error,
    Event,
    Observer,
    Progress,
    Reconnect,
    Record,
    Request,
    Response,
)

logger = logging.getLogger(__name__)

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

    def __init__(self, clients: ClientSource, spec: RequestSpec,
                 parent: QObject | None = None, *, source: Source | None = None) -> None:
        super().__init__(parent)
        self.clients = clients
        self.spec = spec
        # Where records come from: the live engine by default; an opened or replayed capture
        # passes its own coroutine with the same contract as ``session.run``. The engine takes
        # ``origin`` (t = 0) when it starts; a resumed run counts from it too, and from
        # ``_resume`` (the chunk numbers and offsets of the runs before it).
        # (The engine's source holds no reference to the controller: a closed tab is freed by
        # reference counting, with no cycle for the collector.)
        self.origin = origin = Origin()
        self._resume = resume = [session.Resume()]
        self._source: Source = source or (lambda observer: session.run(
            clients, spec, observer, origin=origin, resume=resume[0]))
        self._live = source is None
        self.proxied = False  # an exchange recorded by the proxy (gui.window.proxy_actions)
        self.start_wall = time.time()
        self._start_mono = time.monotonic()
        self.events = EventsModel(self.start_wall, self)
        self.chunks = ChunksModel(self.start_wall, self)
        self.raw = RawBuffer()
        # Statistics, timeline, diagnostics, LLM and the latest request/response/error/end:
        # Qt-free, fed one drained batch at a time (read through the properties below).
        self.aggregate = StreamAggregate(spec.body)
        self.state = State.CONNECTING
        self._froze = False  # this stream's drains called gc.freeze() (undone when it ends)
        self.ended = False  # set just before ``finished`` is emitted
        self._stopped_at = 0.0
        self.runs = 0  # how many times the stream was started (Resume starts it again)
        # Adaptive drain (gui.stream.tables.DrainTimer, a QTimer stand-in): at once when a record
        # arrives after a quiet spell (latency), stretched to ~150 ms ticks under a flood.
        self._timer = DrainTimer(DRAIN_MS, self)
        self._queue: ArrivalQueue = self._timer.queue
        self._task: asyncio.Task[Any] | None = None
        self._updates = Throttle(self._update_now, UPDATE_MS / 1000, self)
        self._timer.timeout.connect(self._drain_step)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the stream as a referenced task on the running (qasync) loop."""
        if self._task is not None:
            raise RuntimeError("already started")
        self.start_wall = self.events.start_wall = self.chunks.start_wall = time.time()
        self._start_mono = time.monotonic()
        self._launch(self._source)

    def _take_origin(self) -> None:
        """The engine has taken t = 0: wall-clock columns, Save's ``started`` and the elapsed
        time count from it exactly (not from when the tab asked for the stream)."""
        o = self.origin
        if o.taken and self._live and self._start_mono != o.mono:
            self.start_wall = self.events.start_wall = self.chunks.start_wall = o.wall
            self._start_mono = o.mono

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

    def set_background(self, background: bool) -> None:
        """The stream's tab is behind another (True) or shown: drains are then batched
        (at most every ``tables.BACKGROUND_GAP_S``), or immediate again."""
        self._timer.background = background

    @property
    def live(self) -> bool:
        """False for a stream read back from a capture (or another given source)."""
        return self._live

    @property
    def can_resume(self) -> bool:
        """A stopped or failed live download whose ``.part`` holds something to continue."""
        spec = self.spec
        return (self._live and self.ended and spec.output is not None
                and self.state in (State.STOPPED, State.FAILED) and partial_size(spec.output) > 0)

    def resume(self) -> None:
        """Run the stopped download again with ``resume=True``, in the same models.

        The new run asks for the rest of the ``.part`` (Range + If-Range); the engine starts
        it at the same ``Origin`` and at a ``Resume`` so that its records' times, chunk numbers
        and offsets continue those of the earlier runs as they are made.
        """
        if self.running or self._task is None:
            raise RuntimeError("resume() needs a stream that has run and stopped")
        self.drain()
        self.spec.resume = True
        # The engine's run counts from the first run's t = 0 (the same origin).
        self._resume[0] = session.Resume(self.stats.chunks, self.stats.bytes)
        self.aggregate.restart()
        self.ended = False
        self._set_state(State.CONNECTING)
        self._launch(self._source)

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

    def set_llm_choice(self, fmt: str = "", path: str = "") -> None:
        """Read the LLM reply as format ``fmt`` ("" detects) or with a dotted JSON ``path``;
        the events or NDJSON records received so far are read again."""
        events = self.events
        self.aggregate.set_llm_choice(fmt, path, (
            item for item in map(events.row, range(len(events)))
            if isinstance(item, Event | Record)))
        self.updated.emit()

    def set_llm_path(self, path: str) -> None:
        """:meth:`set_llm_choice` with a dotted JSON ``path`` ("" detects the format)."""
        self.set_llm_choice("", path)

    # -- the aggregate's figures, read-only ---------------------------------------------------
    @property
    def stats(self) -> Stats:
        return self.aggregate.stats

    @property
    def diagnostics(self) -> Diagnostics:
        return self.aggregate.diagnostics

    @property
    def llm(self) -> LLMAssembler:
        return self.aggregate.llm

    @property
    def request(self) -> Request | None:
        return self.aggregate.request

    @property
    def requests(self) -> list[Request]:
        return self.aggregate.requests

    @property
    def response(self) -> Response | None:
        return self.aggregate.response

    @property
    def responses(self) -> list[Response]:
        return self.aggregate.responses

    @property
    def error(self) -> Error | None:
        return self.aggregate.error

    @property
    def end(self) -> End | None:
        return self.aggregate.end

    @property
    def progress(self) -> Progress | None:
        return self.aggregate.progress

    @property
    def retry_ms(self) -> int | None:
        return self.aggregate.retry_ms

    async def _run(self, source: Source) -> None:
        cancelled = False
        try:
            await source(self._queue.append)
        except asyncio.CancelledError:
            cancelled = True
        except Exception as exc:  # an engine bug must not take the window down
            logger.exception("stream %s failed inside the engine", self.spec.url)
            self._queue.append(Error(self.elapsed(), "io", f"internal error: {exc!r}"))
        finally:
            self._timer.stop()
            self.drain()
            if self._froze:
                # The flood is over: give its objects back to the collector, so that they
                # can be freed with the tab (gc.freeze() has no per-object undo).
                self._froze = False
                gc.unfreeze()
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
    def _drain_step(self) -> None:
        """The drain timer's drain: ``DRAIN_STEP`` records at most (the timer comes back at
        the next turn of the loop for the rest)."""
        self.drain(DRAIN_STEP)

    def drain(self, most: int | None = None) -> None:
        """Move queued records (``most`` at most: the drain timer's steps) into the aggregate
        and the models: one batch per model per stretch of the batch (a response or a
        reconnect ends a stretch)."""
        # The engine holds ``self._queue.append``: take from it, never rebind the list.
        queue = self._queue
        if not queue:
            if self.running:
                self._emit_update()
            return
        batch = queue.take(len(queue) if most is None else most)
        self._take_origin()
        raw_feed = self.raw.feed
        for chunks, rows, marker in self.aggregate.feed(batch):
            if chunks:
                for chunk in chunks:
                    raw_feed(chunk.data)
                self.chunks.append_batch(chunks)
            if rows:
                self.events.append_batch(rows)
            if marker is None:
                continue
            if isinstance(marker, Reconnect):
                self._set_state(State.RECONNECTING)
            else:
                self._set_state(State.STREAMING)
                self.responseReceived.emit()
        if len(batch) >= FREEZE_BATCH:
            # Under a flood the objects that survive a drain are long-lived (models, spool,
            # caches): moving them out of the collector's generations keeps full collections
            # from rescanning them, which were the GUI's worst stalls (57-88 ms each). Undone
            # when the stream ends (``_run``), so a closed tab's objects can be collected.
            gc.freeze()
            self._froze = True
        self._emit_update()

    def changed_outside(self) -> None:
        """What the views show of this stream changed outside it (a download's ``.part``
        deleted after it stopped): the tab, its title and its summary refresh."""
        self.updated.emit()

    def _emit_update(self, force: bool = False) -> None:
        if force:
            self._updates.call_now()
        else:
            self._updates()

    def _update_now(self) -> None:
        self.stats.sample(self.elapsed())  # (the stream's own time: rates from arrival times)
        self.updated.emit()

    def _set_state(self, state: State) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state.value)
