"""The records a stream produces, in arrival order.

One stream yields: ``Request``, ``Response``, then any mix of ``Chunk``, ``Event``,
``Record``, ``Retry``, ``Reconnect``, ``Progress``, ``Error``, and exactly one ``End``, last.
Each class has ``to_json()`` giving the public ``capture`` NDJSON object (README,
*`capture`*). The window keeps these objects (slotted, cheap) and formats them on
demand; the CLI prints ``to_json()``.
"""

from __future__ import annotations

import base64
import json
import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, Literal

ErrorKind = Literal["connect", "tls", "timeout", "http", "protocol", "decode", "io", "cancelled"]
#: Header names and values as received: one character per byte (U+0000-U+00FF, ISO-8859-1,
#: as HTTP/1.1 and httpx's ``.raw`` define them), so the exact bytes survive any round trip.
#: Show a value with ``header_text``; get its bytes back with ``header_bytes``.
Headers = list[tuple[str, str]]

#: The deepest JSON nesting accepted from outside (captures, NDJSON lines, event data): real
#: documents stay far below it, and every consumer (``json.dumps``, the window's JSON tree)
#: recurses once per level, so deeper input is malformed rather than a ``RecursionError``.
MAX_JSON_DEPTH = 256
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
#: Brackets as +1 / -1 (signed bytes), everything else deleted.
_STEP = bytes(range(256)).translate(bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff"))
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(text: str | bytes) -> int:
    """The deepest nesting of brackets in ``text`` outside JSON strings (linear time, and in C
    but for the strings: a 3 MB document of 400,000 small containers takes ~0.2 s)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    steps = _JSON_STRING.sub(b"", data).translate(_STEP, _NOT_BRACKET)
    return max(accumulate(array("b", steps)), default=0)


def loads_bounded(text: str | bytes, decode: Callable[[str], Any] = json.loads,
                  max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``decode(text)`` (``json.loads``) for input from outside: ``ValueError`` for malformed
    JSON, nesting deeper than ``max_depth`` included (never ``RecursionError``)."""
    raw = text
    if isinstance(text, bytes):
        text = text.decode("utf-8")  # UnicodeDecodeError is a ValueError
    if text.count("[") + text.count("{") > max_depth and json_depth(raw) > max_depth:
        raise ValueError(f"nested deeper than {max_depth} levels")
    try:
        return decode(text)
    except RecursionError:
        raise ValueError(f"nested deeper than {max_depth} levels") from None


def header_bytes(text: str) -> bytes:
    """The wire bytes of a header name or value held as in ``Headers``.

    Text beyond Latin-1 (only a hand-written capture can hold it) is taken as UTF-8.
    """
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def header_text(text: str) -> str:
    """A header value for people: its bytes decoded as UTF-8 when they are valid UTF-8
    (``café-01`` sent as UTF-8), else as Latin-1 (what ``text`` already is)."""
    if text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:  # not Latin-1 bytes, or not valid UTF-8: shown as it is
        return text


@dataclass(slots=True)
class Request:
    t: float
    method: str
    url: str
    headers: Headers
    type: Literal["request"] = "request"

    def to_json(self) -> dict[str, Any]:
        return {"type": "request", "t": round(self.t, 6), "method": self.method,
                "url": self.url, "headers": [list(h) for h in self.headers]}


@dataclass(slots=True)
class Response:
    t: float
    status: int
    reason: str
    http_version: str
    headers: Headers
    mode: str
    #: Where the stream's times come from: "arrival" (when the bytes reached this machine,
    #: whatever the app was doing) or "read" (when the app read them); "" when not known.
    clock: str = ""
    type: Literal["response"] = "response"

    def to_json(self) -> dict[str, Any]:
        out = {"type": "response", "t": round(self.t, 6), "status": self.status,
               "http_version": self.http_version,
               "headers": [list(h) for h in self.headers], "mode": self.mode}
        if self.clock:
            out["clock"] = self.clock
        return out


@dataclass(slots=True)
class Chunk:
    """One network read: ``offset`` counts body bytes since the first response of the stream."""

    seq: int
    t: float
    offset: int
    data: bytes
    type: Literal["chunk"] = "chunk"

    @property
    def size(self) -> int:
        return len(self.data)

    def to_json(self, with_data: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "chunk", "t": round(self.t, 6), "seq": self.seq,
                               "offset": self.offset, "size": len(self.data)}
        if with_data:
            out["data_b64"] = base64.b64encode(self.data).decode("ascii")
        return out


@dataclass(slots=True)
class Event:
    """One dispatched SSE event.

    ``first_chunk``/``last_chunk`` are the seq numbers of the chunks that carried the event's
    bytes (from the first byte of its first line to its dispatching blank line).
    """

    seq: int
    t: float
    event: str
    data: str
    id: str
    first_chunk: int = -1
    last_chunk: int = -1
    type: Literal["event"] = "event"

    def to_json(self) -> dict[str, Any]:
        return {"type": "event", "t": round(self.t, 6), "seq": self.seq, "event": self.event,
                "data": self.data, "id": self.id}


@dataclass(slots=True)
class Comment:
    """One SSE comment line (``: ping``), the text after the colon with one leading space
    removed; ``chunk`` is the seq of the chunk that finished the line. Keep-alives are what
    people check, so comments are records (hidden by default in the window)."""

    t: float
    text: str
    chunk: int = -1
    type: Literal["comment"] = "comment"

    def to_json(self) -> dict[str, Any]:
        return {"type": "comment", "t": round(self.t, 6), "text": self.text}


@dataclass(slots=True)
class Record:
    """One NDJSON / JSON Lines line, or one text line in ``lines`` mode.

    ``value`` is the parsed JSON when ``error`` is None; otherwise ``text`` holds the line.
    In ``lines`` mode ``value`` is None and ``text`` holds the line, ``error`` None.
    """

    seq: int
    t: float
    text: str
    value: Any = None
    error: str | None = None
    parsed: bool = False
    first_chunk: int = -1
    last_chunk: int = -1
    type: Literal["record"] = "record"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "record", "t": round(self.t, 6), "seq": self.seq}
        if self.parsed:
            out["value"] = self.value
        else:
            out["text"] = self.text
            if self.error is not None:
                out["error"] = self.error
        return out


@dataclass(slots=True)
class Retry:
    t: float
    ms: int
    type: Literal["retry"] = "retry"

    def to_json(self) -> dict[str, Any]:
        return {"type": "retry", "t": round(self.t, 6), "ms": self.ms}


@dataclass(slots=True)
class Reconnect:
    t: float
    attempt: int
    delay_ms: int
    last_event_id: str
    #: Why the previous connection ended: "stream ended" after a clean end, else the network
    #: failure ("protocol: connection closed ..."), which is then not also an Error record.
    reason: str = ""
    type: Literal["reconnect"] = "reconnect"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "reconnect", "t": round(self.t, 6),
                               "attempt": self.attempt, "delay_ms": self.delay_ms,
                               "last_event_id": self.last_event_id}
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(slots=True)
class Progress:
    t: float
    bytes: int
    total: int | None
    rate: float = 0.0
    type: Literal["progress"] = "progress"

    def to_json(self) -> dict[str, Any]:
        return {"type": "progress", "t": round(self.t, 6), "bytes": self.bytes,
                "total": self.total, "rate": round(self.rate, 1)}


@dataclass(slots=True)
class Error:
    t: float
    kind: ErrorKind
    message: str
    type: Literal["error"] = "error"

    def to_json(self) -> dict[str, Any]:
        return {"type": "error", "t": round(self.t, 6), "kind": self.kind,
                "message": self.message}


@dataclass(slots=True)
class End:
    t: float
    bytes: int
    chunks: int
    events: int
    duration: float
    complete: bool
    path: str | None = None
    sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    type: Literal["end"] = "end"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "end", "t": round(self.t, 6), "bytes": self.bytes,
                               "chunks": self.chunks, "events": self.events,
                               "duration": round(self.duration, 6), "complete": self.complete}
        if self.path is not None:
            out["path"] = self.path
            out["sha256"] = self.sha256
        out.update(self.extra)
        return out


AnyRecord = (Request | Response | Chunk | Event | Comment | Record | Retry | Reconnect | Progress
             | Error | End)

#: The engine reports every record through one callable; it must not block.
Observer = Callable[[AnyRecord], None]


#: Parts of a header, query parameter or field name that say it carries a credential
#: (design.md, "What the program promises about data"): one list for masking and redirects.
_SECRET_NAME = re.compile(r"key|token|secret|passw|auth|sig|session|credential|cookie", re.I)


def is_secret_name(name: str) -> bool:
    """Whether a header or query parameter called ``name`` likely carries a secret.

    Pattern-based on purpose: ``X-Api-Key``, ``Ocp-Apim-Subscription-Key``,
    ``X-Amz-Security-Token``, ``Proxy-Authorization``, ``client_secret``, ``sig`` all match.
    """
    return _SECRET_NAME.search(name) is not None


#: Line separators that ``json.dumps(ensure_ascii=False)`` leaves raw inside strings and that
#: ``str.splitlines`` and older JavaScript treat as line ends: escaped, a record stays one line.
_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def json_line(obj: dict[str, Any]) -> bytes:
    """``obj`` as one compact UTF-8 JSON line (with its LF) that every line splitter keeps whole.

    Non-ASCII text stays readable, except U+2028, U+2029 and U+0085, which are escaped; lone
    surrogates (from a JSON ``"\\ud800"`` escape) make the whole line ASCII-escaped.
    """
    line = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    if not line.isascii():
        line = line.translate(_LINE_BREAKS)
        try:
            return line.encode("utf-8") + b"\n"
        except UnicodeEncodeError:
            return json.dumps(obj, separators=(",", ":")).encode("ascii") + b"\n"
    return line.encode("ascii") + b"\n"
