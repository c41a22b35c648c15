"""Incremental Server-Sent Events decoder, exactly per WHATWG *Interpreting an event stream*.

Shaped like httpx ``_decoders.LineDecoder``: :meth:`SSEDecoder.feed` takes one network read and
returns the events (and ``retry`` fields) it completed, keeping the rest; :meth:`SSEDecoder.close`
ends the stream. No I/O, no Qt.

Why it is written the way it is:

* Bytes go through one incremental UTF-8 decoder (``errors="replace"``) per chunk, so a
  multi-byte character split across reads decodes right and invalid bytes become U+FFFD exactly
  as the standard's "UTF-8 decode" does. The leading BOM is handled on bytes before that, even
  when the first read holds only part of it.
* Line ends are normalised per chunk with ``str.replace`` (C speed; a chunk with CRLF only is
  split on CRLF directly) and split with ``str.split``; a CR ending one chunk ends the line at once (nothing is held back) and an LF
  starting the next chunk is then skipped, so CRLF split across reads is one line end.
* A partial line is kept as a list of pieces joined once when its end arrives: a single line of
  tens of MiB in 64 KiB reads costs O(n), never a rescan of a growing buffer.
* Memory is bounded: once what the pending event holds (its data lines and the unfinished
  line) passes ``max_line`` characters, it is dropped with a ``decode`` :class:`Error`, and
  so is everything up to the blank line that ends it; then parsing goes on. The count is
  kept only while something is pending at the end of a read (a read that ends with a blank
  line, the usual case, costs one test), adding just the data lines that read added; a read
  longer than ``max_line`` is fed in slices.
* The per-line loop works on locals, with no method call per line. Runs of events of the
  usual shapes (``data: X`` and ``id: I`` + ``data: X``, blank-line separated) are recognised
  with C-level list and string operations and built in one tight loop (``_bulk``); the
  tests check that this gives exactly what the per-line loop gives. Most of what is left is
  the cost of creating ``Event`` objects and the garbage collections they trigger.
"""

from __future__ import annotations

import codecs

from stream_core.records import Comment, Error, Event, Notice, Retry

__all__ = ["MAX_LINE", "MAX_NOTICES", "SSEDecoder"]

#: What one ``feed`` returns, in stream order.
Decoded = list[Event | Retry | Comment | Notice | Error]

#: Default bound on one pending event (its lines so far, the unfinished one included), in
#: characters: a server that never ends a line cannot make the client hold more than this.
MAX_LINE = 16 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"
#: Notices of one kind a decoder reports at most (unknown field names, invalid ``retry:``
#: values): enough to tell "a typo" from "a different protocol"; a hostile stream cannot
#: make more.
MAX_NOTICES = 32
_MAX_FIELD_NAME = 64
#: Below this many complete lines in a read, the bulk path is not worth its set-up.
_BULK_MIN_LINES = 16


class SSEDecoder:
    """Turn the bytes of one ``text/event-stream`` response into :class:`Event`/:class:`Retry`.

    ``Event.seq`` counts dispatched events from ``next_seq``. ``Event.t`` is the ``t`` of the
    read that completed it. ``Event.first_chunk`` is the ``chunk_seq`` of the read holding the
    first byte of the first non-empty line after the previous blank line (a comment or an
    unknown field counts as such a line: it is what the wire carried for this event), and
    ``Event.last_chunk`` the read holding the line end of the dispatching blank line (its CR,
    for a CRLF split across reads: the event is dispatched at the CR, nothing is held back).

    ``last_event_id`` is the event source's *last event ID string*: it takes the value of the
    ID buffer at each blank line (dispatch or not), as the standard says, so an ``id:`` inside
    an event that never finished is not reported; that is what a reconnect's ``Last-Event-ID``
    must carry. The buffer itself is ``last_event_id_buffer``.

    What it saw, it says as it decodes (Diagnostics reads nothing else): each comment line is a
    :class:`Comment` record, and a :class:`Notice` reports a leading BOM (``bom``), a new kind
    of line end mixed in (``line-ends``, the kinds so far in the order lf, crlf, cr:
    ``"lf+crlf"``), an invalid ``retry:`` value and a field name SSE does not know (at most
    ``MAX_NOTICES`` of each), the first invalid UTF-8 (``invalid-utf8``), and at
    :meth:`close` an event the stream ended inside of (``unfinished-event``). The counts
    behind them stay readable: ``saw_bom``,
    ``line_endings`` (``lf``/``crlf``/``cr``, per read with ``str.count``; a CRLF split across
    reads is one ``crlf``), ``unknown_fields`` (at most 32 names, each cut to 64
    characters), ``invalid_retry``, ``invalid_utf8`` and, after :meth:`close`,
    ``dropped_unfinished``.
    """

    __slots__ = (
        "_decoder", "_pending", "_head", "_head_chunk", "_skip_lf", "_parts", "_data", "_etype",
        "_id_buf", "_last_id", "_seq", "_ev_first", "_max_line", "_part_size", "_held",
        "_held_data", "_counted", "_dropping", "_mid_line", "_ends_seen", "_last_chunk",
        "dropped_unfinished", "saw_bom", "line_endings", "unknown_fields", "invalid_retry",
        "invalid_utf8",
    )

    def __init__(self, *, last_event_id: str = "", next_seq: int = 0,
                 max_line: int = MAX_LINE) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = b""  # bytes of a character cut at the end of the last read
        # Bytes held at stream start until we know whether they begin with a BOM; None after.
        self._head: bytes | None = b""
        self._head_chunk = -1
        self._skip_lf = False  # the previous text ended with CR: a leading LF is part of it
        self._parts: list[str] = []  # pieces of the unfinished line
        self._data: list[str] = []  # the data buffer, one item per data line
        self._etype = ""
        self._id_buf = last_event_id
        self._last_id = last_event_id
        self._seq = next_seq
        # chunk_seq of the first byte of the pending event's first non-empty line, or -1.
        self._ev_first = -1
        self._max_line = max(max_line, 1)
        self._part_size = 0  # characters in _parts (when it is not empty)
        # characters (line ends included) of the first _counted items of _held_data, which
        # is _data when the count is current
        self._held, self._counted, self._held_data = 0, 0, self._data
        self._dropping = False  # an over-long event is being skipped, up to its blank line
        self._mid_line = False  # ... and the skipped text ended inside a line
        self._ends_seen: tuple[str, ...] = ()  # the kinds of line end seen so far, in order
        self._last_chunk = -1  # the chunk_seq of the latest read
        self.dropped_unfinished = False
        self.saw_bom = False
        self.line_endings: dict[str, int] = {"lf": 0, "crlf": 0, "cr": 0}
        self.unknown_fields: set[str] = set()
        self.invalid_retry = 0
        self.invalid_utf8 = False

    @property
    def last_event_id(self) -> str:
        """The last event ID string (what ``Last-Event-ID`` should carry on reconnect)."""
        return self._last_id

    @property
    def last_event_id_buffer(self) -> str:
        """The ID buffer, which may include an ``id:`` of an event not finished yet."""
        return self._id_buf

    @property
    def next_seq(self) -> int:
        """The ``seq`` the next dispatched event will get."""
        return self._seq

    def feed(self, data: bytes, t: float, chunk_seq: int) -> Decoded:
        """Decode one read; return what it completed (and what it saw), in stream order."""
        if len(data) > self._max_line:
            return self._feed_slices(data, t, chunk_seq)
        self._last_chunk = chunk_seq
        seen: Decoded | None = None
        if self._head is not None:
            data = self._strip_bom(data, chunk_seq)
            if self._head is None and self.saw_bom:  # stripped by this read (once)
                seen = [Notice(t, "bom", "", chunk_seq)]
        if not data:
            return seen or []
        dec = self._decoder
        text = dec.decode(data)
        if "\ufffd" in text and not self.invalid_utf8:
            # Real U+FFFD characters in the input are not errors; EF BF BD always decodes to
            # one, and EF never continues a sequence, so counting them is exact.
            if text.count("\ufffd") > (self._pending + data).count(b"\xef\xbf\xbd"):
                self.invalid_utf8 = True
                seen = [*(seen or ()), Notice(t, "invalid-utf8", "", chunk_seq)]
        out = self._feed_text(text, t, chunk_seq) if text else []
        if seen:
            out[:0] = seen
        if data[-1] < 0x80:  # ends with ASCII: nothing pending in the UTF-8 decoder
            self._pending = b""
        else:
            self._pending = dec.getstate()[0]
            if self._pending and self._ev_first < 0:
                # The next line begins with a character split across reads: its first byte
                # is in this read.
                self._ev_first = chunk_seq
        return out

    def _feed_slices(self, data: bytes, t: float, chunk_seq: int) -> Decoded:
        """A read longer than ``max_line``, fed ``max_line`` bytes at a time (chunk boundaries
        can fall anywhere), so that the size check sees every event it holds."""
        out: Decoded = []
        step = self._max_line
        for i in range(0, len(data), step):
            out.extend(self.feed(data[i:i + step], t, chunk_seq))
        return out

    def close(self, t: float) -> list[Notice]:
        """End of stream: an unfinished event is discarded, never dispatched (WHATWG).

        ``dropped_unfinished`` tells whether anything was thrown away: a data or event-type
        buffer, an ``id`` not yet committed, or an unterminated line that is not a comment;
        an ``unfinished-event`` notice says so (and ``invalid-utf8`` one for a character cut
        by the end of the stream, if none was reported before).
        """
        out: list[Notice] = []
        tail = self._decoder.decode(b"", True)
        if self._head:
            tail = self._head.decode("utf-8", "replace") + tail
        if "\ufffd" in tail and not self.invalid_utf8:
            self.invalid_utf8 = True
            out.append(Notice(t, "invalid-utf8", "", self._last_chunk))
        self._head = None
        partial = "".join(self._parts) + tail
        self.dropped_unfinished = bool(
            self._data or self._etype or self._id_buf != self._last_id
            or (partial and not partial.startswith(":"))
        )
        if self._skip_lf:  # the stream ended with a CR: a line end alone
            self._skip_lf = False
            if "cr" not in self._ends_seen:
                ends: Decoded = []
                self._note_line_ends(ends, t, self._last_chunk)
                out.extend(n for n in ends if isinstance(n, Notice))
        if self.dropped_unfinished:
            out.append(Notice(t, "unfinished-event", "", self._last_chunk))
        self._parts = []
        self._data = []
        self._etype = ""
        self._id_buf = self._last_id
        self._ev_first = -1
        return out

    def _strip_bom(self, data: bytes, chunk_seq: int) -> bytes:
        """Drop one leading BOM, holding back at most two bytes while it is undecided."""
        held = self._head
        assert held is not None
        buf = held + data if held else data
        if len(buf) < 3 and _BOM.startswith(buf):
            if not held:
                self._head_chunk = chunk_seq
            self._head = buf
            return b""
        self._head = None
        if buf.startswith(_BOM):
            self.saw_bom = True
            return buf[3:]
        if held:
            # Held bytes that were not a BOM: the first line began in the read that held them.
            self._ev_first = self._head_chunk
        return buf

    def _feed_text(self, text: str, t: float, cs: int) -> Decoded:
        endings = self.line_endings
        seen = self._ends_seen
        out: Decoded = []
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                endings["crlf"] += 1
                endings["cr"] -= 1
                text = text[1:]
                if "crlf" not in seen:
                    self._note_line_ends(out, t, cs)
                if not text:
                    return out
            elif "cr" not in seen:  # the CR that ended the last read was a line end alone
                self._note_line_ends(out, t, cs)
        if "\r" in text:
            self._skip_lf = text[-1] == "\r"
            crlf = text.count("\r\n")
            cr = text.count("\r") - crlf
            lf = text.count("\n") - crlf
            endings["crlf"] += crlf
            endings["cr"] += cr
            endings["lf"] += lf
            if ((crlf and "crlf" not in seen) or (cr and "cr" not in seen)
                    or (lf and "lf" not in seen)):
                self._note_line_ends(out, t, cs)
            if not cr and not lf:  # CRLF only: split without a normalising copy
                lines = text.split("\r\n")
            else:
                lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        else:
            lf = text.count("\n")
            endings["lf"] += lf
            if lf and "lf" not in seen:
                self._note_line_ends(out, t, cs)
            lines = text.split("\n")
        tail = lines.pop()
        if self._dropping:
            end = self._end_of_dropped(lines, tail)
            if end < 0:
                return out
            del lines[:end + 1]
        if not lines:  # no line end in this read
            parts = self._parts
            if not parts:
                self._part_size = 0
                if self._ev_first < 0:
                    self._ev_first = cs
            parts.append(tail)
            self._part_size += len(tail)
            if self._part_size > self._max_line - self._held_now():
                out.extend(self._overflow(bool(tail), t, cs))
            return out
        if self._parts:
            self._parts.append(lines[0])
            lines[0] = "".join(self._parts)
            self._parts = []

        start = self._bulk(lines, out, t, cs) if len(lines) >= _BULK_MIN_LINES else 0
        self._lines(lines[start:] if start else lines, out, t, cs)
        if tail:
            if self._ev_first < 0:
                self._ev_first = cs
            self._parts = [tail]
            self._part_size = len(tail)
            if len(tail) > self._max_line - self._held_now():
                out.extend(self._overflow(True, t, cs))
        elif self._data and self._held_now() > self._max_line:
            out.extend(self._overflow(False, t, cs))
        return out

    def _note_line_ends(self, out: Decoded, t: float, cs: int) -> None:
        """Record the kinds of line end seen so far; a notice when one joins another. A CR
        that ends the read is not counted yet: the next read may begin with its LF."""
        kinds = list(self._ends_seen)
        counts = self.line_endings
        for kind in ("lf", "crlf", "cr"):
            n = counts[kind] - (kind == "cr" and self._skip_lf)
            if n > 0 and kind not in kinds:
                kinds.append(kind)
        if len(kinds) > len(self._ends_seen):
            self._ends_seen = tuple(kinds)
            if len(kinds) > 1:
                named = [k for k in ("lf", "crlf", "cr") if k in kinds]
                out.append(Notice(t, "line-ends", "+".join(named), cs))

    def _held_now(self) -> int:
        """Characters the pending event's data lines hold (counting only lines not yet
        counted: linear over the stream however many reads an event spans)."""
        data = self._data
        if data is not self._held_data:  # dispatched since: a new data buffer
            self._held, self._counted, self._held_data = 0, 0, data
        n = len(data)
        if n > self._counted:
            self._held += sum(map(len, data[self._counted:])) + n - self._counted
            self._counted = n
        return self._held

    def _overflow(self, mid_line: bool, t: float, cs: int) -> list[Error]:
        """The pending event holds more than ``max_line``: drop it, say so, and skip up to
        the blank line that ends it."""
        first = self._ev_first if self._ev_first >= 0 else cs
        error = Error(t, "decode", f"an event or line longer than {self._max_line} "
                                   f"characters (from chunk {first}) was skipped, up to "
                                   "its blank line (--max-line)")
        self._parts, self._data, self._etype = [], [], ""
        self._held, self._counted, self._held_data = 0, 0, self._data
        self._ev_first = -1
        self._dropping, self._mid_line = True, mid_line
        return [error]

    def _end_of_dropped(self, lines: list[str], tail: str) -> int:
        """While an over-long event is skipped: the index in ``lines`` of the blank line that
        ends it (then parsing resumes after it), or -1 when this read is skipped whole."""
        try:
            end = lines.index("", 1 if self._mid_line else 0)
        except ValueError:
            self._mid_line = bool(tail) or (self._mid_line and not lines)
            return -1
        self._dropping = self._mid_line = False
        self._last_id = self._id_buf  # a blank line, even with nothing to dispatch
        return end

    def _bulk(self, lines: list[str], out: Decoded, t: float,
              cs: int) -> int:
        """Decode whole runs of the usual event shapes with C-level list operations.

        Finishes the event pending at the start of ``lines`` through :meth:`_lines`; then, if
        every event up to the last blank line has the shape ``data: X`` or ``id: I\ndata: X``
        (checked with slicing, ``any`` and ``str.count``, no per-line Python code), builds
        those events in one tight loop. Returns the index of the first line not yet
        processed. The result is exactly what :meth:`_lines` would give.
        """
        try:
            i = lines.index("") + 1
        except ValueError:
            return 0
        j = len(lines)
        while lines[j - 1]:  # back to the last blank line: a few lines at most, usually
            j -= 1
        n = j - i
        if n < _BULK_MIN_LINES:
            return 0
        self._lines(lines[:i], out, t, cs)
        seq = self._seq
        # ``new`` + ``init`` is ``Event(...)`` without the C-level type call, which costs more
        # than the Python-level __init__ call CPython 3.11 inlines (about 25% of this loop).
        new = object.__new__
        init = Event.__init__
        append = out.append
        if n % 2 == 0 and not any(lines[i + 1:j:2]):
            datas = lines[i:j:2]
            if _all_start_with(datas, "data: "):
                id_buf = self._id_buf
                for k, d in enumerate(datas, seq):
                    ev = new(Event)
                    init(ev, k, t, "message", d[6:], id_buf, cs, cs)
                    append(ev)
                self._seq = seq + len(datas)
                self._last_id = id_buf
                return j
        if n % 3 == 0 and not any(lines[i + 2:j:3]):
            ids = lines[i:j:3]
            datas = lines[i + 1:j:3]
            if (_all_start_with(ids, "id: ") and _all_start_with(datas, "data: ")
                    and "\x00" not in "".join(ids)):
                for k, x, d in zip(range(seq, seq + len(ids)), ids, datas, strict=True):
                    ev = new(Event)
                    init(ev, k, t, "message", d[6:], x[4:], cs, cs)
                    append(ev)
                self._seq = seq + len(ids)
                self._id_buf = self._last_id = ids[-1][4:]
                return j
        return i

    def _lines(self, lines: list[str], out: Decoded, t: float,
               cs: int) -> None:
        """Interpret complete lines (the general case; state lives in locals for speed)."""
        if not lines:
            return
        append = out.append
        new = object.__new__
        init = Event.__init__
        data = self._data
        etype = self._etype
        id_buf = self._id_buf
        last_id = self._last_id
        seq = self._seq
        carry = self._ev_first  # start of the event pending when these lines began
        for line in lines:
            if not line:  # blank line: dispatch
                last_id = id_buf
                if data:
                    ev = new(Event)  # Event(...), faster: see _bulk
                    init(ev, seq, t, etype or "message", "\n".join(data), id_buf,
                         carry if carry >= 0 else cs, cs)
                    append(ev)
                    seq += 1
                    data = []
                etype = ""
                carry = -1
                continue
            # Fast paths for the usual shapes, same result as the general code below.
            if line.startswith("data: "):
                data.append(line[6:])
                continue
            if line.startswith("id: "):
                value = line[4:]
                if "\x00" not in value:
                    id_buf = value
                continue
            name, colon, value = line.partition(":")
            if colon:
                if value[:1] == " ":
                    value = value[1:]
                if not name:
                    append(Comment(t, value, cs))
                    continue
            if name == "data":
                data.append(value)
            elif name == "id":
                if "\x00" not in value:
                    id_buf = value
            elif name == "event":
                etype = value
            elif name == "retry":
                ms = _retry_ms(value) if value.isascii() and value.isdigit() else None
                if ms is not None:
                    append(Retry(t, ms))
                else:
                    self.invalid_retry += 1
                    if self.invalid_retry <= MAX_NOTICES:
                        append(Notice(t, "invalid-retry", value[:_MAX_FIELD_NAME], cs))
            elif len(self.unknown_fields) < MAX_NOTICES:
                name = name[:_MAX_FIELD_NAME]
                if name not in self.unknown_fields:
                    self.unknown_fields.add(name)
                    append(Notice(t, "unknown-field", name, cs))
        self._data = data
        self._etype = etype
        self._id_buf = id_buf
        self._last_id = last_id
        self._seq = seq
        # A non-blank last line belongs to an event still pending: remember where it began.
        self._ev_first = (carry if carry >= 0 else cs) if lines[-1] else -1

def _all_start_with(items: list[str], prefix: str) -> bool:
    """Whether every item starts with ``prefix``, checked by C code only.

    The items hold no LF, so in ``LF + LF.join(items)`` the text ``LF + prefix`` can only
    occur at the start of an item: one count checks them all.
    """
    return ("\n" + "\n".join(items)).count("\n" + prefix) == len(items)


def _retry_ms(digits: str) -> int | None:
    """The value of an all-ASCII-digits ``retry`` field, exactly as sent (the engine clamps
    only the delay it uses); None beyond Python's int conversion limit (4300 digits by
    default), a number no JSON writer here could print either."""
    try:
        return int(digits)
    except ValueError:
        return None
