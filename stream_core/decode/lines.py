"""Incremental line decoders: NDJSON / JSON Lines / json-seq, and plain text lines.

Shaped like httpx ``_decoders.LineDecoder``: ``feed()`` returns the records a read completed
and keeps the unfinished line; ``close()`` emits a last line that has no newline.

Lines end at LF; one CR before it is dropped (so CRLF works; a lone CR stays in the text).
Each line is decoded on its own with U+FFFD for invalid bytes, which gives exactly what an
incremental decoder over the whole stream gives, because LF is ASCII and never part of a
multi-byte sequence. The unfinished line is kept as a list of pieces joined once when its LF
arrives, so a single line of tens of MiB in 64 KiB reads costs O(n).

A line longer than ``max_line`` bytes (16 MiB by default) is not kept: a ``decode`` Error
says so, the rest of the line is skipped, and the records go on from the next line. The first
line with invalid UTF-8 is preceded by an ``invalid-utf8`` :class:`Notice` (what Diagnostics
reports; the decoder says what it saw, nobody decodes again).

``Record.first_chunk`` is the read holding the line's first byte (for an empty line, its LF),
``last_chunk`` the read holding its LF (or its last byte, for the final line at close).
"""

from __future__ import annotations

import json
from typing import Any

from stream_core.records import Error, Notice, Record, loads_bounded

__all__ = ["MAX_LINE", "LineDecoder", "NDJSONDecoder"]

MAX_LINE = 16 * 1024 * 1024

#: What one ``feed`` returns, in stream order.
Decoded = list[Record | Error | Notice]


class _Lines:
    """Shared framing: split reads into complete byte lines with their chunk span."""

    __slots__ = ("_bad_utf8", "_first", "_last", "_max_line", "_parts", "_seq", "_size",
                 "_skipping")

    def __init__(self, *, next_seq: int = 0, max_line: int = MAX_LINE) -> None:
        self._parts: list[bytes] = []
        self._size = 0  # bytes in _parts
        self._first = -1  # chunk_seq of the unfinished line's first byte
        self._last = -1  # and of its latest piece
        self._seq = next_seq
        self._max_line = max(max_line, 1)
        self._skipping = False  # inside an over-long line: drop bytes up to its LF
        self._bad_utf8 = False  # invalid UTF-8 was seen (and said, once)

    @property
    def next_seq(self) -> int:
        """The ``seq`` the next record will get."""
        return self._seq

    def feed(self, data: bytes, t: float, chunk_seq: int) -> Decoded:
        """Decode one read; return the records of the lines it completed."""
        if not data:
            return []
        if len(data) > self._max_line:  # so that every line in it is measured
            out: Decoded = []
            for i in range(0, len(data), self._max_line):
                out.extend(self.feed(data[i:i + self._max_line], t, chunk_seq))
            return out
        if self._skipping:
            end = data.find(b"\n")
            if end < 0:
                return []
            self._skipping = False
            data = data[end + 1:]
            if not data:
                return []
        lines = data.split(b"\n")
        tail = lines.pop()
        if not lines:  # no LF in this read
            size = self._size + len(tail)
            if size > self._max_line:
                self._skipping = True
                return [self._too_long(t, chunk_seq)]
            if not self._parts:
                self._first = chunk_seq
            self._parts.append(tail)
            self._size = size
            self._last = chunk_seq
            return []
        first = chunk_seq
        out = []
        if self._parts:
            if self._size + len(lines[0]) > self._max_line:
                out.append(self._too_long(t, chunk_seq))
                del lines[0]
            else:
                self._parts.append(lines[0])
                lines[0] = b"".join(self._parts)
                first = self._first
            self._parts = []
        self._emit(lines, t, first, chunk_seq, out)
        self._size = len(tail)
        if tail:
            self._parts = [tail]
            self._first = self._last = chunk_seq
        return out

    def _replaced(self, line: bytes, t: float, cs: int, out: Decoded) -> str:
        """A line that is not valid UTF-8, with U+FFFD for its invalid bytes; the first
        such line of the stream is said in a notice."""
        if not self._bad_utf8:
            self._bad_utf8 = True
            out.append(Notice(t, "invalid-utf8", "", cs))
        return line.decode("utf-8", "replace")

    def _too_long(self, t: float, chunk_seq: int) -> Error:
        """Drop the unfinished line: it has passed ``max_line``."""
        first = self._first if self._parts else chunk_seq
        self._parts, self._size = [], 0
        return Error(t, "decode", f"a line longer than {self._max_line} bytes (from chunk "
                                  f"{first}) was skipped (--max-line)")

    def close(self, t: float) -> Decoded:
        """End of stream: a last line without a newline is still a record."""
        if not self._parts:
            return []
        line = b"".join(self._parts)
        self._parts, self._size = [], 0
        out: Decoded = []
        self._emit([line], t, self._first, self._last, out)
        return out

    def _emit(self, lines: list[bytes], t: float, first: int, cs: int,
              out: Decoded) -> None:
        raise NotImplementedError


class LineDecoder(_Lines):
    """``lines`` mode: every line (empty ones too) is a record with ``text``, no parsing."""

    __slots__ = ()

    def _emit(self, lines: list[bytes], t: float, first: int, cs: int,
              out: Decoded) -> None:
        seq = self._seq
        append = out.append
        for line in lines:
            if line.endswith(b"\r"):
                line = line[:-1]
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                text = self._replaced(line, t, cs, out)
            append(Record(seq, t, text, None, None, False, first, cs))
            seq += 1
            first = cs
        self._seq = seq


class NDJSONDecoder(_Lines):
    """NDJSON / JSON Lines / ``application/json-seq`` (RFC 7464: leading RS bytes dropped).

    Blank and whitespace-only lines are skipped. A line that is not JSON is data, not a fatal
    error: a record with ``parsed=False``, the ``text`` and an ``error`` a person can read.
    """

    __slots__ = ()

    def _emit(self, lines: list[bytes], t: float, first: int, cs: int,
              out: Decoded) -> None:
        seq = self._seq
        append = out.append
        decode = _JSON.decode
        for raw in lines:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = self._replaced(raw, t, cs, out)
            if line.startswith("\x1e"):
                line = line.lstrip("\x1e")
            if line.endswith("\r"):
                line = line[:-1]
            if not line or line.isspace():
                first = cs
                continue
            try:
                value: Any = loads_bounded(line, decode)
            except ValueError as exc:
                append(Record(seq, t, line, None, _why(exc), False, first, cs))
            else:
                append(Record(seq, t, line, value, None, True, first, cs))
            seq += 1
            first = cs
        self._seq = seq


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


#: ``json.loads`` but strict about NaN/Infinity, which are not JSON and could not be written
#: back out as JSON by the capture CLI.
_JSON = json.JSONDecoder(parse_constant=_no_constant)


def _why(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON: {exc.msg} at column {exc.colno}"
    return f"not JSON: {exc}"
