"""Compare two streams: headers and framing side by side, events aligned, timings.

Why: the same payload through two servers (FastAPI's ``StreamingResponse`` and sse-starlette's
``EventSourceResponse``, a proxy and no proxy, yesterday and today) differs in ways that are
hard to see one stream at a time: a header, the line endings, pings, how events are split
into writes, and when they arrive. Plain functions over records, no Qt: the window's Compare
view (``gui.views.compare_view``) shows them, ``stream-inspector compare`` prints them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from stream_core.records import AnyRecord, Chunk, End, Event, Record, Response, header_text

__all__ = ["DIFFERS", "ONLY_A", "ONLY_B", "SAME", "TIMINGS", "VOLATILE", "Aligned", "Timing",
           "align", "arrivals", "describe", "first_response", "framing", "framing_diff",
           "header_diff", "timing_diff"]

SAME, DIFFERS, ONLY_A, ONLY_B = "same", "differs", "only A", "only B"
#: Headers whose values differ between any two responses: not a difference worth marking.
VOLATILE = {"date", "expires", "last-modified", "x-request-id", "request-id"}
#: Framing rows that are timings: shown, never marked as a difference (``timing_diff`` is).
_TIMING_ROWS = {"First byte", "First event", "Mean gap between events", "Duration"}

Row = tuple[str, str, str, str]  # (name, value A, value B, status)


def _joined(headers: Sequence[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """lower name -> (name as sent, values joined by ', ' and decoded for people), in order."""
    out: dict[str, tuple[str, str]] = {}
    for name, raw in headers:
        low, value = name.lower(), header_text(raw)
        out[low] = (out[low][0], f"{out[low][1]}, {value}") if low in out else (name, value)
    return out


def first_response(records: Sequence[AnyRecord]) -> Response | None:
    """The stream's first response that is not a redirect hop (else its first response)."""
    responses = [r for r in records if isinstance(r, Response)]
    return next((r for r in responses if r.mode != "redirect"), responses[0] if responses
                else None)


def header_diff(a: Response | None, b: Response | None) -> list[Row]:
    """``(name, value A, value B, status)`` rows: status line first, then every header."""
    def line(r: Response | None) -> dict[str, tuple[str, str]]:
        if r is None:
            return {}
        return {":status": (":status", f"{r.status} {r.reason}".strip()),
                ":version": (":version", r.http_version), ":mode": (":mode", r.mode),
                **_joined(r.headers)}
    ha, hb = line(a), line(b)
    rows = []
    for low in [*ha, *(k for k in hb if k not in ha)]:
        name = (ha.get(low) or hb[low])[0]
        va, vb = ha.get(low, ("", None))[1], hb.get(low, ("", None))[1]
        status = (ONLY_B if va is None else ONLY_A if vb is None
                  else SAME if va == vb or low in VOLATILE else DIFFERS)
        rows.append((name, va or "", vb or "", status))
    return rows


def _items(records: Sequence[AnyRecord]) -> list[Event | Record]:
    return [r for r in records if isinstance(r, Event | Record)]


def framing(records: Sequence[AnyRecord]) -> dict[str, str]:
    """How the body was framed and paced: what a reader of two streams compares first."""
    chunks = [r for r in records if isinstance(r, Chunk)]
    items = _items(records)
    body = b"".join(c.data for c in chunks)
    response = first_response(records)
    end = next((r for r in records if isinstance(r, End)), None)
    headers = {k.lower(): header_text(v) for k, v in response.headers} if response else {}
    crlf, lf, cr = (_count(body, b"\r\n"), _count(body, b"\n"), _count(body, b"\r"))
    endings = [name for name, n in (("CRLF", crlf), ("LF", lf - crlf), ("CR", cr - crlf)) if n]
    gaps = [b.t - a.t for a, b in zip(items, items[1:], strict=False)]
    per_chunk = f"{len(items) / len(chunks):.2f}" if chunks else "—"
    return {
        "Transfer": ("chunked" if "chunked" in headers.get("transfer-encoding", "") else
                     f"Content-Length {headers['content-length']}"
                     if "content-length" in headers else "until close") if response else "—",
        "Content-Type": headers.get("content-type", "—"),
        "Chunks (reads)": f"{len(chunks):,}",
        "Bytes": f"{len(body):,}",
        "Events / records": f"{len(items):,}",
        "Events per read": per_chunk,
        "Comment lines (pings)": f"{_line_starts(body, b':'):,}",
        "Line endings": " + ".join(endings) or "—",
        "retry: fields": f"{_line_starts(body, b'retry:'):,}",
        "id: fields": f"{_line_starts(body, b'id'):,}",
        "First byte": _ms(chunks[0].t if chunks else None),
        "First event": _ms(items[0].t if items else None),
        "Mean gap between events": _ms(sum(gaps) / len(gaps) if gaps else None),
        "Duration": _ms(end.duration if end else None),
    }


#: Bytes searched per call (see ``_count``).
COUNT_WINDOW = 4 * 1024 * 1024


def _count(body: bytes, sub: bytes) -> int:
    """``body.count(sub)`` (``sub`` cannot overlap itself) a window at a time.

    Why: the window compares in a worker thread, and one call over a million events' body
    (~100 MB) holds the GIL, and so the window's thread, for its whole length: the regular
    expressions that counted line starts here held it 1.6-2.9 s each. Counted a window at a
    time, the GIL can change hands between windows.
    """
    n, step = 0, COUNT_WINDOW
    for start in range(0, len(body), step):
        n += body.count(sub, start, min(len(body), start + step + len(sub) - 1))
    return n


def _line_starts(body: bytes, prefix: bytes) -> int:
    """Lines of ``body`` that start with ``prefix`` (``(?m)^prefix``: at the start and
    after each LF)."""
    return int(body.startswith(prefix)) + _count(body, b"\n" + prefix)


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.1f} ms"


def framing_diff(a: Sequence[AnyRecord], b: Sequence[AnyRecord]) -> list[Row]:
    """Framing rows of both streams; timings are shown but never marked (see timing_diff)."""
    fa, fb = framing(a), framing(b)
    return [(k, fa[k], fb[k], SAME if fa[k] == fb[k] or k in _TIMING_ROWS else DIFFERS)
            for k in fa]


@dataclass(slots=True)
class Aligned:
    """One row of the event alignment: the n-th event of each side."""

    seq: int
    a: Event | Record | None
    b: Event | Record | None

    @property
    def differs(self) -> bool:
        return describe(self.a)[:2] != describe(self.b)[:2]

    @property
    def status(self) -> str:
        if self.a is None or self.b is None:
            return ONLY_B if self.a is None else ONLY_A
        return DIFFERS if self.differs else SAME


def describe(item: Event | Record | None) -> tuple[str, str, float | None]:
    """(kind, text, t) of an event or record, as the comparison sees it."""
    if item is None:
        return ("", "", None)
    if isinstance(item, Event):
        return (item.event, item.data, item.t)
    text = json.dumps(item.value, sort_keys=True) if item.parsed else item.text
    return ("record", text, item.t)


def align(a: Sequence[AnyRecord], b: Sequence[AnyRecord]) -> list[Aligned]:
    """The n-th event (or NDJSON record) of A beside the n-th of B."""
    ea, eb = _items(a), _items(b)
    return [Aligned(i, ea[i] if i < len(ea) else None, eb[i] if i < len(eb) else None)
            for i in range(max(len(ea), len(eb)))]


def arrivals(records: Sequence[AnyRecord]) -> tuple[list[float], list[int]]:
    """x = arrival time, y = events so far (chunks when the stream has no events)."""
    items: Sequence[AnyRecord] = _items(records)
    if not items:
        items = [r for r in records if isinstance(r, Chunk)]
    return [r.t for r in items], list(range(1, len(items) + 1))


@dataclass(frozen=True, slots=True)
class Timing:
    """One timing of both streams, in seconds (None: that stream has no such moment)."""

    name: str
    a: float | None
    b: float | None
    status: str

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


#: The timings compared, by name: first byte, first event, mean gap, duration, and the
#: largest difference in arrival between aligned events.
TIMINGS = ("first_byte", "first_event", "mean_gap", "duration", "max_event_offset")


def _timings(records: Sequence[AnyRecord]) -> dict[str, float | None]:
    chunks = [r for r in records if isinstance(r, Chunk)]
    items = _items(records)
    end = next((r for r in records if isinstance(r, End)), None)
    gaps = [y.t - x.t for x, y in zip(items, items[1:], strict=False)]
    return {"first_byte": chunks[0].t if chunks else None,
            "first_event": items[0].t if items else None,
            "mean_gap": sum(gaps) / len(gaps) if gaps else None,
            "duration": end.duration if end else None}


def timing_diff(a: Sequence[AnyRecord], b: Sequence[AnyRecord], *,
                seconds: float | None = None, fraction: float | None = None) -> list[Timing]:
    """Each of ``TIMINGS`` for both streams, ``DIFFERS`` when B is off A by more than
    ``seconds`` or by more than ``fraction`` of A's value (``SAME`` when no tolerance is
    given: timings always differ a little). ``max_event_offset`` is 0 for A and, for B,
    the largest ``|t_B - t_A|`` over events both streams have (with ``fraction``: of A's
    duration)."""
    ta, tb = _timings(a), _timings(b)
    pairs = [(r.a.t, r.b.t) for r in align(a, b) if r.a is not None and r.b is not None]
    ta["max_event_offset"] = 0.0 if pairs else None
    tb["max_event_offset"] = max((abs(y - x) for x, y in pairs), default=None)
    out = []
    for name in TIMINGS:
        va, vb = ta[name], tb[name]
        if va is None or vb is None:
            status = SAME if va is vb else ONLY_A if vb is None else ONLY_B
        elif seconds is not None:
            status = DIFFERS if abs(vb - va) > seconds else SAME
        elif fraction is not None:  # of A's value; an event's offset: of A's duration
            ref = abs(ta["duration"] or 0.0) if name == "max_event_offset" else abs(va)
            status = DIFFERS if abs(vb - va) > fraction * ref else SAME
        else:
            status = SAME
        out.append(Timing(name, va, vb, status))
    return out
