"""Every figure of one stream, fed one drained batch of records at a time, without Qt.

Why a class of its own: the window drains its arrival queue every few milliseconds and each
batch must update the statistics, the timeline, the diagnostics and the LLM assembly in
arrival order. Doing that bookkeeping here keeps the window's drain to "hand the batch over,
append the rows to the models", and lets it be tested without widgets.

``feed()`` returns the batch cut into segments at the records that change a stream's state
(a ``Response`` and a ``Reconnect``): the rows and chunks before such a record are shown
before the state it announces.

Each record type has one handler (``_HANDLERS``), except the two a flood is made of: a run
of consecutive ``Event`` and ``Chunk`` records goes to one helper, :meth:`_flood`, whose loop
is the measured hot path (a few operations per record; statistics and diagnostics are then
brought up to date once per run).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from stream_core.analysis.diagnostics import Diagnostics
from stream_core.analysis.llm import LLMAssembler
from stream_core.analysis.stats import Stats
from stream_core.records import (
    AnyRecord,
    Chunk,
    Comment,
    End,
    Error,
    Event,
    Notice,
    Progress,
    Reconnect,
    Record,
    Request,
    Response,
    Retry,
)

__all__ = ["Segment", "StreamAggregate", "to_llm"]

#: ``(chunks, rows, marker)``: the chunks and table rows of a stretch of a batch, then the
#: ``Response`` or ``Reconnect`` that ended the stretch (``None`` for the batch's last stretch).
Segment = tuple[list[Chunk], list[Any], AnyRecord | None]


def to_llm(llm: LLMAssembler, rec: Event | Record) -> None:
    """Hand one SSE event or NDJSON record to the LLM assembler."""
    if isinstance(rec, Event):
        llm.feed(rec.event, rec.data, rec.t, rec.seq)
    else:
        llm.feed_value(rec.value if rec.parsed else rec.text, rec.t, rec.seq)


class _Cut:
    """The segments of the batch being fed: chunks and rows so far, cut at each marker."""

    __slots__ = ("chunks", "rows", "segments")

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self.chunks: list[Chunk] = []
        self.rows: list[Any] = []

    def cut(self, marker: AnyRecord | None) -> None:
        self.segments.append((self.chunks, self.rows, marker))
        self.chunks, self.rows = [], []


class StreamAggregate:
    """Statistics, timeline, diagnostics and LLM assembly of one stream, plus its latest
    request, response, error, end, progress and ``retry:`` value."""

    def __init__(self, request_body: bytes | None = None) -> None:
        self.stats = Stats()
        self.diagnostics = Diagnostics()
        self.request_body = request_body  # the tools it declares check the tool calls
        self.llm = LLMAssembler.for_request(request_body)
        self.request: Request | None = None
        self.requests: list[Request] = []
        self.response: Response | None = None
        self.responses: list[Response] = []
        self.error: Error | None = None
        self.end: End | None = None
        self.progress: Progress | None = None
        self.retry_ms: int | None = None

    def restart(self) -> None:
        """A resumed run starts: forget the previous run's error, end and progress."""
        self.error = None
        self.end = None
        self.progress = None

    def set_llm_choice(self, fmt: str, path: str, records: Iterable[Event | Record]) -> None:
        """Read the LLM reply as format ``fmt`` ("" detects), or with a dotted JSON ``path``
        (when set), reading ``records`` (the events or NDJSON records so far) again."""
        self.llm = llm = LLMAssembler.for_request(self.request_body, path=path, fmt=fmt)
        for rec in records:
            to_llm(llm, rec)
        if self.end is not None:
            llm.close()
        self.stats.first_token = llm.first_token_t

    def set_llm_path(self, path: str, records: Iterable[Event | Record]) -> None:
        """:meth:`set_llm_choice` with a path (or "" for automatic detection)."""
        self.set_llm_choice("", path, records)

    def feed(self, batch: list[AnyRecord]) -> list[Segment]:
        """Account for ``batch`` (records in arrival order) and return its segments."""
        cut = _Cut()
        handlers = _HANDLERS
        i, n = 0, len(batch)
        while i < n:
            rec = batch[i]
            tp = type(rec)
            if tp is Event or tp is Chunk:
                i = self._flood(batch, i, cut)
            else:
                handlers[tp](self, rec, cut)
                i += 1
        if self.stats.first_token is None and self.llm.first_token_t is not None:
            self.stats.first_token = self.llm.first_token_t
        cut.cut(None)
        return cut.segments

    # -- the hot path: a run of events and chunks ------------------------------------------
    def _flood(self, batch: list[Any], i: int, cut: _Cut) -> int:
        """Account for the run of ``Event`` and ``Chunk`` records from ``batch[i]``; the index
        of the first record after it.

        Per record only what must be: a row or a chunk, the arrival, the LLM delta. Events
        completed by one read (the same ``t``) are one timeline update; counts, first times
        and diagnostics are brought up to date once, at the end of the run.
        """
        stats = self.stats
        timeline = stats.timeline
        arrival = timeline.arrival
        add_row, add_chunk = cut.rows.append, cut.chunks.append
        llm = self.llm
        llm_feed = llm.feed if not llm.given_up else None
        events: list[Event] = []
        add_event = events.append
        first_chunk = len(cut.chunks)
        nbytes = 0
        event_t, same_t = -1.0, 0
        n = len(batch)
        while i < n:
            rec = batch[i]
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
                if llm_feed is not None:
                    llm_feed(rec.event, rec.data, t, rec.seq)
                    if llm.given_up:
                        llm_feed = None
            elif tp is Chunk:
                add_chunk(rec)
                size = len(rec.data)
                nbytes += size
                arrival(rec.t, size)
            else:
                break
            i += 1
        timeline.events_at(event_t, same_t)
        chunks = cut.chunks[first_chunk:]
        if chunks:
            stats.bytes += nbytes
            stats.chunks += len(chunks)
            if stats.ttfb is None:
                stats.ttfb = chunks[0].t
            self.diagnostics.feed_chunks(chunks)
        if events:
            stats.events += len(events)
            if stats.first_event is None:
                stats.first_event = events[0].t
            self.diagnostics.feed_events(events)
        return i

    # -- one handler per other record type ---------------------------------------------------
    def _record(self, rec: Record, cut: _Cut) -> None:
        """An NDJSON or text line: a row, an event for the figures, maybe an LLM delta."""
        cut.rows.append(rec)
        stats = self.stats
        stats.events += 1
        if stats.first_event is None:
            stats.first_event = rec.t
        stats.timeline.events_at(rec.t, 1)
        if not self.llm.given_up:
            to_llm(self.llm, rec)

    def _request(self, rec: Request, cut: _Cut) -> None:
        self.diagnostics.feed(rec)
        self.requests.append(rec)
        if self.request is None:
            self.request = rec

    def _response(self, rec: Response, cut: _Cut) -> None:
        """A new response: what follows is shown after its state (a segment ends here)."""
        self.diagnostics.feed(rec)
        self.response = rec
        self.responses.append(rec)
        cut.cut(rec)

    def _reconnect(self, rec: Reconnect, cut: _Cut) -> None:
        """A row and a timeline marker; what follows is the next connection's (a segment
        ends here)."""
        self.diagnostics.feed(rec)
        cut.rows.append(rec)
        self.stats.timeline.mark(rec.t, "reconnect", f"reconnect {rec.attempt}")
        cut.cut(rec)

    def _retry(self, rec: Retry, cut: _Cut) -> None:
        self.retry_ms = rec.ms
        cut.rows.append(rec)

    def _comment(self, rec: Comment, cut: _Cut) -> None:
        """A row (keep-alives are what people check; the view hides them by default)."""
        cut.rows.append(rec)

    def _notice(self, rec: Notice, cut: _Cut) -> None:
        """What the decoder saw: a diagnostics matter, not a row."""
        self.diagnostics.notice(rec)

    def _progress(self, rec: Progress, cut: _Cut) -> None:
        self.progress = rec

    def _error(self, rec: Error, cut: _Cut) -> None:
        """The latest error (the banner's); a row and a marker unless the user stopped the
        stream."""
        if rec.kind != "cancelled":
            cut.rows.append(rec)
            self.stats.timeline.mark(rec.t, "error", rec.kind)
        self.error = rec

    def _end(self, rec: End, cut: _Cut) -> None:
        self.diagnostics.feed(rec)
        self.end = rec
        self.llm.close()


_HANDLERS: dict[type[Any], Callable[[StreamAggregate, Any, _Cut], None]] = {
    Record: StreamAggregate._record,
    Request: StreamAggregate._request,
    Response: StreamAggregate._response,
    Reconnect: StreamAggregate._reconnect,
    Retry: StreamAggregate._retry,
    Comment: StreamAggregate._comment,
    Notice: StreamAggregate._notice,
    Progress: StreamAggregate._progress,
    Error: StreamAggregate._error,
    End: StreamAggregate._end,
}
