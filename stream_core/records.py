"""The records a stream produces, in arrival order.

One stream yields: ``Request``, ``Response``, then any mix of ``Chunk``, ``Event``,
``Comment``, ``Notice``, ``Record``, ``Retry``, ``Reconnect``, ``Progress``, ``Error``, and
exactly one ``End``, last. Each class declares its fields once with their wire form
(``stream_core.schema``): ``to_json()`` is the public ``capture`` NDJSON object (README,
*`capture`*), ``to_json(form="file")`` a capture file's line, ``from_json()`` reads one back.
Records are immutable (frozen for the type checker; see ``schema`` for why not at run time).
The window keeps these objects (slotted, cheap) and formats them on demand.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable
from itertools import accumulate
from typing import Any, ClassVar, Literal

from stream_core.schema import (
    BASE64,
    BIG_INT,
    BOOL,
    COUNTS,
    HEADERS,
    INT,
    JSON,
    RATE,
    STR,
    STRINGS,
    TIME,
    Wired,
    optional,
    record,
    wire,
)

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


# -- the record types ---------------------------------------------------------------------
# Each field is declared once, with its wire form (``stream_core.schema``): ``to_json()`` gives
# what ``capture`` prints, ``to_json(form="file")`` a capture file's line, ``from_json()``
# reads one back. Positional order is part of the API (the decoders build records by
# position): new fields go last, with a default.


@record
class Request(Wired):
    type: ClassVar[Literal["request"]] = "request"
    t: float = wire(TIME)
    method: str = wire(STR)
    url: str = wire(STR)
    headers: Headers = wire(HEADERS)


@record
class Response(Wired):
    type: ClassVar[Literal["response"]] = "response"
    t: float = wire(TIME)
    status: int = wire(INT)
    reason: str = wire(STR, read_default="")  # the status text (a hand-written file may lack it)
    http_version: str = wire(STR, read_default="HTTP/1.1")
    headers: Headers = wire(HEADERS)
    mode: str = wire(STR, read_default="raw")
    #: Where the stream's times come from: "arrival" (when the bytes reached this machine,
    #: whatever the app was doing) or "read" (when the app read them); "" when not known.
    clock: str = wire(STR, default="", when=lambda r: bool(r.clock))


@record
class Chunk(Wired):
    """One network read: ``offset`` counts body bytes since the first response of the stream.

    Its JSON has ``size``; the bytes (``data_b64``) are in every capture file and on stdout
    with ``--chunks-data``."""

    type: ClassVar[Literal["chunk"]] = "chunk"
    seq: int = wire(INT)
    t: float = wire(TIME)
    offset: int = wire(INT)
    data: bytes = wire(BASE64, key="data_b64", on_request=True, sized="size")

    @property
    def size(self) -> int:
        return len(self.data)


@record
class Event(Wired):
    """One dispatched SSE event.

    ``first_chunk``/``last_chunk`` are the seq numbers of the chunks that carried the event's
    bytes (from the first byte of its first line to its dispatching blank line).
    """

    type: ClassVar[Literal["event"]] = "event"
    seq: int = wire(INT)
    t: float = wire(TIME)
    event: str = wire(STR, read_default="message")
    data: str = wire(STR)
    id: str = wire(STR, read_default="")
    first_chunk: int = wire(INT, default=-1, file_only=True)
    last_chunk: int = wire(INT, default=-1, file_only=True)


@record
class Comment(Wired):
    """One SSE comment line (``: ping``), the text after the colon with one leading space
    removed; ``chunk`` is the seq of the chunk that finished the line. Keep-alives are what
    people check, so comments are records (hidden by default in the window)."""

    type: ClassVar[Literal["comment"]] = "comment"
    t: float = wire(TIME)
    text: str = wire(STR)
    chunk: int = wire(INT, default=-1, file_only=True)

    @property
    def first_chunk(self) -> int:
        """The chunk span, as events and records give theirs: one line, in one read."""
        return self.chunk

    @property
    def last_chunk(self) -> int:
        return self.chunk


#: What a decoder noticed that is valid (or tolerated) but worth knowing; see ``Notice``.
NoticeCode = Literal["bom", "line-ends", "invalid-retry", "unknown-field", "invalid-utf8",
                     "unfinished-event"]


@record
class Notice(Wired):
    """Something a decoder saw while decoding that changes no event but that a person
    debugging the stream wants to know (Diagnostics turns these into findings): a leading
    BOM, line ends of a new kind mixed in (``detail``: the kinds so far, ``"lf+crlf"``), an
    invalid ``retry:`` value, a field name SSE does not know (``detail``: the name or value,
    cut to 64 characters), invalid UTF-8, an event the stream ended inside of. ``chunk`` is
    the read it was seen in. Each decoder reports a bounded number of them."""

    type: ClassVar[Literal["notice"]] = "notice"
    t: float = wire(TIME)
    code: str = wire(STR)
    detail: str = wire(STR, default="")
    chunk: int = wire(INT, default=-1, file_only=True)


def _parsed(r: Record) -> bool:
    return r.parsed


def _unparsed(r: Record) -> bool:
    return not r.parsed


def _unparsed_error(r: Record) -> bool:
    return not r.parsed and r.error is not None


@record
class Record(Wired):
    """One NDJSON / JSON Lines line, or one text line in ``lines`` mode.

    ``value`` is the parsed JSON when ``error`` is None; otherwise ``text`` holds the line.
    In ``lines`` mode ``value`` is None and ``text`` holds the line, ``error`` None. The JSON
    holds ``value`` for a parsed line, else ``text`` (and ``error``); a capture file does not
    repeat a parsed line's text (reopening takes it from the chunks).
    """

    type: ClassVar[Literal["record"]] = "record"
    seq: int = wire(INT)
    t: float = wire(TIME)
    text: str = wire(STR, when=_unparsed, read_default="")
    value: Any = wire(JSON, default=None, when=_parsed)
    error: str | None = wire(optional(STR), default=None, when=_unparsed_error)
    parsed: bool = wire(BOOL, default=False, derive=lambda obj: "value" in obj)
    first_chunk: int = wire(INT, default=-1, file_only=True)
    last_chunk: int = wire(INT, default=-1, file_only=True)


@record
class Retry(Wired):
    type: ClassVar[Literal["retry"]] = "retry"
    t: float = wire(TIME)
    ms: int = wire(BIG_INT)


@record
class Reconnect(Wired):
    type: ClassVar[Literal["reconnect"]] = "reconnect"
    t: float = wire(TIME)
    attempt: int = wire(INT)
    delay_ms: int = wire(INT)
    last_event_id: str = wire(STR, read_default="")
    #: Why the previous connection ended: "stream ended" after a clean end, else the network
    #: failure ("protocol: connection closed ..."), which is then not also an Error record.
    reason: str = wire(STR, default="", when=lambda r: bool(r.reason))


@record
class Progress(Wired):
    type: ClassVar[Literal["progress"]] = "progress"
    t: float = wire(TIME)
    bytes: int = wire(INT)
    total: int | None = wire(optional(INT), read_default=None)
    rate: float = wire(RATE, default=0.0)


@record
class Error(Wired):
    type: ClassVar[Literal["error"]] = "error"
    t: float = wire(TIME)
    kind: ErrorKind = wire(STR)  # a file may hold any kind: shown as it is
    message: str = wire(STR)


def _has_path(r: End) -> bool:
    return r.path is not None


@record
class End(Wired):
    """The stream's last record: totals, whether it ended by itself (``complete``), and
    ``stopped`` (why not, when cut short on purpose: ``max-events``, ``max-reconnects``,
    ``recording-cap``, ``interrupted``, ``max-time``...). ``dropped`` counts what the stream
    carried but no record shows (``unfinished_events``: an SSE event the stream ended inside
    of, which the standard never dispatches), and ``problems`` says in words what a script
    would otherwise miss: nothing is dropped silently; both are left out when empty. A new
    field of ``end`` is declared here, with a default and a ``when`` that leaves it out
    while it does not apply."""

    type: ClassVar[Literal["end"]] = "end"
    t: float = wire(TIME)
    bytes: int = wire(INT)
    chunks: int = wire(INT)
    events: int = wire(INT)
    duration: float = wire(TIME)
    complete: bool = wire(BOOL, read_default=False)
    path: str | None = wire(optional(STR), default=None, when=_has_path)
    sha256: str | None = wire(optional(STR), default=None, when=_has_path)
    #: Body bytes after Content-Encoding (every connection); None where not counted.
    decoded_bytes: int | None = wire(optional(INT), default=None,
                                     when=lambda r: r.decoded_bytes is not None)
    stopped: str = wire(STR, default="", when=lambda r: bool(r.stopped))
    dropped: dict[str, int] = wire(COUNTS, default_factory=dict, when=lambda r: bool(r.dropped))
    problems: list[str] = wire(STRINGS, default_factory=list, when=lambda r: bool(r.problems))
    #: Where the times came from (``Response.clock``, over every connection), and why they
    #: are read times when they are; ``held_ms``: how long the arrival reader left the
    #: connections unread (its buffer full), when it did: times in that span are read times.
    clock: str = wire(STR, default="", when=lambda r: bool(r.clock))
    clock_reason: str = wire(STR, default="", when=lambda r: bool(r.clock_reason))
    held_ms: float = wire(RATE, default=0.0, when=lambda r: r.held_ms > 0)


@record
class Expect(Wired):
    """The verdict on one expectation (``capture --expect``, ``# @expect``): ``result`` is
    ``pass``, ``fail`` or ``skip`` (not decided: the stream was stopped first), ``t`` when
    it was decided, ``value`` what was seen (JSON; times in seconds), ``message`` the same in
    words, ``source`` where the expectation was written (``FILE:LINE``), if anywhere.

    Not a record of the stream itself (the engine never emits one, a capture file does not
    keep one, so it is neither in ``AnyRecord`` nor in ``RECORD_TYPES``): ``capture`` prints
    it among the stream's records as the verdict comes."""

    type: ClassVar[Literal["expect"]] = "expect"
    t: float = wire(TIME)
    expression: str = wire(STR)
    result: str = wire(STR)  # "pass", "fail" or "skip"
    value: Any = wire(JSON)
    message: str = wire(STR)
    source: str = wire(STR, default="", when=lambda r: bool(r.source))


AnyRecord = (Request | Response | Chunk | Event | Comment | Notice | Record | Retry | Reconnect
             | Progress | Error | End)

#: Every record class by its JSON ``type`` (what a capture file's reader looks up).
RECORD_TYPES: dict[str, type[AnyRecord]] = {
    cls.type: cls for cls in (Request, Response, Chunk, Event, Comment, Notice, Record, Retry,
                              Reconnect, Progress, Error, End)}

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
