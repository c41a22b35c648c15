"""Every figure of one stream, fed one drained batch of records at a time, without Qt.

Why a class of its own: the window drains its arrival queue every few milliseconds and each
batch must update the statistics, the timeline, the diagnostics and the LLM assembly in
arrival order. Doing that bookkeeping here keeps the window's drain to "hand the batch over,
append the rows to the models", and lets it be tested without widgets.

``feed()`` returns the batch cut into segments at the records that change a stream's state
(a ``Response`` and a ``Reconnect``): the rows and chunks before such a record are shown
before the state it announces. A flood is almost all ``Event`` and ``Chunk`` records, so those
take a fast path (checked with ``type() is``, by frequency) and their diagnostics are fed a
whole batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stream_core.analysis.diagnostics import Diagnostics
from stream_core.analysis.llm import LLMAssembler
from stream_core.analysis.stats import Stats
from stream_core.records import (
    AnyRecord,
    Chunk,
    End,
    Error,
    Event,
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
        segments: list[Segment] = []
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
        add_chunk = chunks.append
        add_event = events.append
        arrival = timeline.arrival
        event_t = -1.0
        same_t = 0  # events completed by the same read (same t): one timeline update
        # The fast path dispatches on ``type(rec) is``, which mypy does not narrow through an
        # alias: the loop variable is ``Any`` (the isinstance chain below narrows as usual).
        records: list[Any] = batch
        for rec in records:
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
                    llm_feed(rec.event, rec.data, t, rec.seq)
                    feed_llm = not llm.given_up
                continue
            if tp is Chunk:
                add_chunk(rec)
                unanalysed.append(rec)
                size = len(rec.data)
                stats.bytes += size
                stats.chunks += 1
                if stats.ttfb is None:
                    stats.ttfb = rec.t
                arrival(rec.t, size)
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
            if isinstance(rec, Event | Record):  # a subclass, or an NDJSON record
                add_row(rec)
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
                    to_llm(llm, rec)
                    feed_llm = not llm.given_up
            elif isinstance(rec, Progress):
                self.progress = rec
            elif isinstance(rec, Retry):
                self.retry_ms = rec.ms
                add_row(rec)
            elif isinstance(rec, Reconnect | Response):
                diag(rec)
                if isinstance(rec, Reconnect):
                    add_row(rec)
                    timeline.mark(rec.t, "reconnect", f"reconnect {rec.attempt}")
                else:
                    self.response = rec
                    self.responses.append(rec)
                segments.append((chunks, rows, rec))
                chunks, rows = [], []
                add_row, add_chunk = rows.append, chunks.append
            elif isinstance(rec, Request):
                diag(rec)
                self.requests.append(rec)
                if self.request is None:
                    self.request = rec
            elif isinstance(rec, Error):
                if rec.kind != "cancelled":
                    add_row(rec)
                    timeline.mark(rec.t, "error", rec.kind)
                self.error = rec
            elif isinstance(rec, End):
                diag(rec)
                self.end = rec
                llm.close()
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
        segments.append((chunks, rows, None))
        return segments
