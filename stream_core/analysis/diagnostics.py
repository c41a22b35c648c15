""""Why is this buffered?": findings about a stream, from its records alone.

Fed the same records the window shows (``feed`` per record, in order), :class:`Diagnostics`
reports what a developer debugging a stream should know: headers that make proxies buffer or
cache (``Content-Encoding``, ``Content-Length``, no ``Cache-Control: no-cache``, no
``X-Accel-Buffering: no``), a wrong or missing ``Content-Type``, slow headers, a first byte
long after the headers, everything in one read, line-end mixing, a BOM, unknown fields,
invalid ``retry:``, invalid UTF-8, an unfinished last event, and ids that repeat or skip
across reconnects. Each :class:`Finding` points at the chunk or event it is about and may
carry a :class:`Fix` (a header to add, a mode to use) that a front end can resend with.

What the body's framing was like comes from the engine's decoders, which say what they saw
as they decode (``Notice`` records: BOM, line ends, invalid ``retry:``, unknown fields,
invalid UTF-8, an unfinished event; ``Comment`` records): nothing here decodes the body
again, so a flood costs a few counters and a reopened capture finds the same.

No Qt, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from stream_core.decode.detect import sniff
from stream_core.decode.sse import MAX_NOTICES
from stream_core.net.spec import Mode
from stream_core.records import (
    AnyRecord,
    Chunk,
    End,
    Error,
    Event,
    Notice,
    Reconnect,
    Request,
    Response,
    header_text,
)

__all__ = ["Diagnostics", "Finding", "Fix", "Severity"]

Severity = Literal["info", "warning", "error"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}
SLOW_HEADERS_S = 1.0
"""Headers later than this after the request are reported."""
LATE_FIRST_BYTE_S = 2.0
"""A first body byte this long after the headers is reported."""
ONE_CHUNK_MIN_EVENTS = 3
"""Fewer events than this in one read is normal and not reported."""
_MAX_IDS = 100_000
_SNIFF_BYTES = 4096
_STREAM_MODES = frozenset({Mode.SSE.value, Mode.NDJSON.value, Mode.LINES.value})


@dataclass(frozen=True, slots=True)
class Fix:
    """A one-click change to the request: extra headers and/or another mode, then resend."""

    label: str
    headers: tuple[tuple[str, str], ...] = ()
    mode: str | None = None


IDENTITY = Fix("Resend with Accept-Encoding: identity", (("Accept-Encoding", "identity"),))
SSE_MODE = Fix("Resend in SSE mode", mode=Mode.SSE.value)
AUTO_MODE = Fix("Resend in auto mode", mode=Mode.AUTO.value)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing worth knowing; ``chunk``/``event`` are seq numbers it points at (or None)."""

    code: str
    severity: Severity
    title: str
    detail: str
    chunk: int | None = None
    event: int | None = None
    fix: Fix | None = None


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The value(s) of header ``name`` as people read them (UTF-8 when valid, else Latin-1)."""
    low = name.lower()
    values = [header_text(v) for k, v in headers if k.lower() == low]
    return ", ".join(values) if values else None


class Diagnostics:
    """Accumulates evidence from records; :meth:`findings` turns it into findings."""

    def __init__(self) -> None:
        self._request_t = 0.0
        self._response: Response | None = None
        self._header_findings: list[Finding] = []
        self._first_chunk: Chunk | None = None
        self._first_chunk_of_conn: Chunk | None = None
        self._late_first: tuple[int, float] | None = None
        self._slow_headers: float | None = None
        self._sniff = b""
        self._sniffed: Mode | None = None
        self._sniff_done = False
        self._first_at: dict[str, int] = {}  # finding code -> chunk seq where first seen
        self._line_ends = ""  # the kinds of line end mixed, as the latest notice said
        self._unknown: set[str] = set()
        self._invalid_retry = 0
        self._events = 0
        self._event_chunks: set[int] = set()
        self._first_event: Event | None = None
        self._chunks = 0
        self._ids: set[str] = set()
        self._after_reconnect: Reconnect | None = None
        self._id_problems: list[Finding] = []
        self._ended = False
        self._dropped_unfinished = False
        self._errors: list[Finding] = []

    # -- feeding ---------------------------------------------------------------------------
    def feed(self, rec: AnyRecord) -> None:
        if isinstance(rec, Chunk):
            self.feed_chunks((rec,))
        elif isinstance(rec, Event):
            self._event(rec)
        elif isinstance(rec, Notice):
            self.notice(rec)
        elif isinstance(rec, Request):
            self._request_t = rec.t
        elif isinstance(rec, Response) and rec.mode != "redirect":  # (a hop: the next counts)
            self._response_record(rec)
        elif isinstance(rec, Reconnect):
            self._after_reconnect = rec
        elif isinstance(rec, Error):
            if rec.kind != "cancelled" and len(self._errors) < 5:
                self._errors.append(Finding(
                    f"error-{rec.kind}", "error", f"The stream failed ({rec.kind})",
                    rec.message, chunk=self._chunks - 1 if self._chunks else None))
        elif isinstance(rec, End):
            self._end()

    def _response_record(self, rec: Response) -> None:
        first = self._response is None
        self._response = rec
        self._first_chunk_of_conn = None
        wait = rec.t - self._request_t
        if wait > SLOW_HEADERS_S and (self._slow_headers is None or wait > self._slow_headers):
            self._slow_headers = wait
        if first:  # header findings describe the first response; reconnects repeat them
            self._header_findings = self._check_headers(rec)

    def _check_headers(self, rec: Response) -> list[Finding]:
        h = rec.headers
        out: list[Finding] = []
        ctype_full = _header(h, "content-type") or ""
        ctype = ctype_full.split(";")[0].strip().lower()
        is_sse = rec.mode == Mode.SSE.value or ctype == "text/event-stream"
        streaming = is_sse or rec.mode in _STREAM_MODES
        encoding = (_header(h, "content-encoding") or "").strip().lower()
        if streaming and encoding and encoding != "identity":
            out.append(Finding(
                "content-encoding", "warning", f"Content-Encoding: {encoding} on a stream",
                "Compressed streams are often held back by the compressor, a proxy or the "
                "client until a block fills up, so events arrive late and in bursts. Event "
                "streams are best sent uncompressed.", chunk=0, fix=IDENTITY))
        length = _header(h, "content-length")
        if streaming and length is not None and rec.status < 300:
            out.append(Finding(
                "content-length", "warning", f"Content-Length: {length} on a stream",
                "A length means the server knew the whole body before sending it: it was "
                "probably buffered, and proxies may wait for all of it. Streams should use "
                "chunked transfer (HTTP/1.1) or no length at all.", chunk=0))
        if is_sse:
            cache = (_header(h, "cache-control") or "").lower()
            if "no-cache" not in cache and "no-store" not in cache:
                out.append(Finding(
                    "cache-control", "warning",
                    "No Cache-Control: no-cache" + (f" (it is {cache!r})" if cache else ""),
                    "Without it, caches and proxies may store or coalesce the event stream. "
                    "Send Cache-Control: no-cache with text/event-stream."))
            if (_header(h, "x-accel-buffering") or "").strip().lower() != "no":
                out.append(Finding(
                    "x-accel-buffering", "info", "No X-Accel-Buffering: no",
                    "Behind nginx (and some other proxies) responses are buffered unless the "
                    "application sends X-Accel-Buffering: no. Harmless without such a proxy."))
        if rec.mode == Mode.SSE.value and 200 <= rec.status < 300 and ctype != "text/event-stream":
            what = f"Content-Type {ctype!r}" if ctype else "no Content-Type"
            out.append(Finding(
                "content-type", "warning", f"Read as SSE, but the server sent {what}",
                "An EventSource (browser) rejects a stream that is not text/event-stream, "
                "and proxies may buffer other types. Either the endpoint is not an event "
                "stream (try auto mode) or the server should send text/event-stream.",
                chunk=0, fix=AUTO_MODE))
        return out

    def feed_chunks(self, chunks: Sequence[Chunk]) -> None:
        """``feed`` for each of ``chunks`` in order (consecutive reads, nothing in between):
        a flood's drain hands its reads here at once, at a few operations per batch."""
        if not chunks:
            return
        self._chunks += len(chunks)
        if self._first_chunk is None:
            self._first_chunk = chunks[0]
        if self._first_chunk_of_conn is None and self._response is not None:
            rec = self._first_chunk_of_conn = chunks[0]
            late = rec.t - self._response.t
            if late > LATE_FIRST_BYTE_S and (self._late_first is None
                                             or late > self._late_first[1]):
                self._late_first = (rec.seq, late)
        if not self._sniff_done:
            for rec in chunks:
                self._sniff += rec.data[:_SNIFF_BYTES - len(self._sniff)]
                if len(self._sniff) >= _SNIFF_BYTES or b"\n\n" in self._sniff \
                        or b"\r\n\r\n" in self._sniff:
                    self._finish_sniff()
                    break

    def notice(self, rec: Notice) -> None:
        """What a decoder saw (a ``Notice`` record): kept for the findings, with the chunk
        where it was first seen."""
        code, first = rec.code, self._first_at
        if code == "line-ends":
            self._line_ends = rec.detail
            first.setdefault("line-endings", rec.chunk)
        elif code == "invalid-retry":
            self._invalid_retry += 1
            first.setdefault(code, rec.chunk)
        elif code == "unknown-field":
            if len(self._unknown) < MAX_NOTICES:
                self._unknown.add(rec.detail)
            first.setdefault("unknown-fields", rec.chunk)
        elif code == "unfinished-event":
            self._dropped_unfinished = True
        elif code in ("bom", "invalid-utf8"):
            first.setdefault(code, rec.chunk)

    def _finish_sniff(self) -> None:
        self._sniff_done = True
        resp = self._response
        if resp is not None and resp.mode != Mode.SSE.value:
            encoded = (_header(resp.headers, "content-encoding") or "identity").lower()
            if encoded == "identity":
                self._sniffed = sniff(self._sniff)

    def _event(self, rec: Event) -> None:
        """Called for every event of a flood too: a few attribute reads in the usual case."""
        self._events += 1
        chunks = self._event_chunks
        if len(chunks) < 2:
            if self._first_event is None:
                self._first_event = rec
            chunks.add(rec.last_chunk)
        if self._after_reconnect is not None:
            after, self._after_reconnect = self._after_reconnect, None
            self._check_resume(after, rec)
        ids = self._ids
        if rec.id and len(ids) < _MAX_IDS:
            ids.add(rec.id)

    def feed_events(self, events: Sequence[Event]) -> None:
        """``feed`` for each of ``events`` in order (consecutive events, nothing in between).

        The same evidence as per-event calls, at a few set operations per batch: a flood's
        drain hands its events here at once.
        """
        n = len(events)
        if not n:
            return
        self._events += n
        if self._first_event is None:
            self._first_event = events[0]
        if self._after_reconnect is not None:
            after, self._after_reconnect = self._after_reconnect, None
            self._check_resume(after, events[0])
        chunks = self._event_chunks
        if len(chunks) < 2:
            for rec in events:
                chunks.add(rec.last_chunk)
                if len(chunks) >= 2:
                    break
        ids = self._ids
        room = _MAX_IDS - len(ids)
        if room <= 0:
            return
        if n <= room:  # cannot overflow: at most n new ids
            ids.update([rec.id for rec in events if rec.id])
            return
        for rec in events:
            if rec.id and len(ids) < _MAX_IDS:
                ids.add(rec.id)

    def _check_resume(self, reconnect: Reconnect, rec: Event) -> None:
        if not reconnect.last_event_id:
            self._id_problems.append(Finding(
                "missing-ids", "warning", "Reconnected without a Last-Event-ID",
                "The events before the drop had no id, so the server could not know where to "
                "resume: events may have been lost or sent twice. Give events an id: field.",
                event=rec.seq))
        elif rec.id and rec.id in self._ids:
            self._id_problems.append(Finding(
                "duplicate-id", "warning", f"Event id {rec.id!r} repeated after a reconnect",
                f"The client resumed with Last-Event-ID {reconnect.last_event_id!r}, yet the "
                "server sent an event it had already sent: it ignores Last-Event-ID.",
                event=rec.seq))
        elif reconnect.last_event_id.isdigit() and rec.id.isdigit() \
                and int(rec.id) > int(reconnect.last_event_id) + 1:
            self._id_problems.append(Finding(
                "skipped-ids", "warning",
                f"Ids jump from {reconnect.last_event_id} to {rec.id} across a reconnect",
                "Events between them were lost while the client was reconnecting.",
                event=rec.seq))
        elif not rec.id:
            self._id_problems.append(Finding(
                "missing-ids", "warning", "No id on the events after a reconnect",
                "Without ids a further drop cannot be resumed.", event=rec.seq))

    def _end(self) -> None:
        self._ended = True
        if not self._sniff_done:
            self._finish_sniff()

    # -- results ---------------------------------------------------------------------------
    def findings(self) -> list[Finding]:
        """Everything found so far, most severe first (stable within a severity)."""
        out = self._errors + self._header_findings
        if self._slow_headers is not None:
            out.append(Finding(
                "slow-headers", "warning", f"Headers took {self._slow_headers:.1f} s",
                "The server sent nothing, not even the status line, for that long: it does "
                "work (or waits for a backend) before answering. Send the headers at once and "
                "stream the body as it is produced.", chunk=0))
        if self._late_first is not None:
            seq, late = self._late_first
            out.append(Finding(
                "late-first-byte", "warning", f"First byte {late:.1f} s after the headers",
                "The headers came early but the body did not: the server or a proxy held the "
                "first bytes back (buffering), or the stream is quiet by design.", chunk=seq))
        first = self._first_event
        if first is not None and self._events >= ONE_CHUNK_MIN_EVENTS \
                and len(self._event_chunks) == 1 and self._ended and self._chunks > 0:
            resp = self._response
            lag = (first.t - resp.t) if resp is not None else 0.0
            out.append(Finding(
                "one-chunk", "warning" if lag > 0.5 else "info",
                f"All {self._events} events arrived in one read",
                "Nothing reached the client until everything was ready: something (the "
                "server's framework, a compressor, a proxy) buffered the stream. For a fast "
                "stream this can also just be the network coalescing small writes.",
                chunk=first.last_chunk, event=first.seq))
        if self._sniffed is Mode.SSE:
            out.append(Finding(
                "looks-like-sse", "warning", "The body looks like Server-Sent Events",
                "It was read in another mode, so events, ids and retry are not parsed. "
                "Resend in SSE mode to see the events.", chunk=0, fix=SSE_MODE))
        at = self._first_at
        if "line-endings" in at:
            kinds = self._line_ends.split("+")
            out.append(Finding(
                "line-endings", "warning" if "cr" in kinds else "info", "Line ends are mixed",
                f"{' and '.join(k.upper() for k in kinds)} line ends. All are valid SSE, but a"
                " mix usually means two layers write the stream, and naive parsers that split"
                " on one kind break.", chunk=at["line-endings"]))
        if "bom" in at:
            out.append(Finding(
                "bom", "info", "The stream starts with a UTF-8 BOM",
                "SSE allows one leading BOM (it is stripped), but other tools choke on it.",
                chunk=at["bom"]))
        if "unknown-fields" in at:
            names = ", ".join(sorted(self._unknown)[:8])
            out.append(Finding(
                "unknown-fields", "info", f"Unknown fields ignored: {names}",
                "Only data, event, id and retry mean something; other fields are ignored "
                "(a typo, or a different protocol).", chunk=at["unknown-fields"]))
        if "invalid-retry" in at:
            out.append(Finding(
                "invalid-retry", "info", f"{self._invalid_retry} invalid retry: value(s) ignored",
                "retry: must be ASCII digits only (milliseconds); anything else is ignored.",
                chunk=at["invalid-retry"]))
        if "invalid-utf8" in at:
            out.append(Finding(
                "invalid-utf8", "warning", "Invalid UTF-8 in the stream",
                "Event streams are always UTF-8; invalid bytes were replaced with U+FFFD (�). "
                "The server is sending another encoding or cutting characters.",
                chunk=at["invalid-utf8"]))
        if self._dropped_unfinished:
            out.append(Finding(
                "unfinished-event", "warning", "The stream ended inside an event",
                "The last event has no blank line after it, so it is never dispatched (as the "
                "SSE standard requires): the server must end every event with an empty line.",
                chunk=max(self._chunks - 1, 0)))
        out.extend(self._id_problems)
        out.sort(key=lambda f: SEVERITY_ORDER[f.severity])
        return out
