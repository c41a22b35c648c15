"""Reading capture files (``*.sicap``): the one reader of the format.

Two levels, because two programs read captures: ``open_lines()`` checks the header line
(format, version) and hands out the record lines, each parsed as a bounded JSON object by
``parse_line()``; the window and the engine turn them into records (``read_capture``), while
the demo server's replay (``embedded_server.replay``, which may import this module and nothing
else of the engine) reads the same lines into what it serves, with its own checks.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from stream_core.decode.lines import MAX_LINE, NDJSONDecoder
from stream_core.records import (
    RECORD_TYPES,
    AnyRecord,
    Chunk,
    End,
    Event,
    Record,
    Request,
    Response,
    loads_bounded,
)
from stream_core.userfiles import MAX_USER_FILE, UserFileError, open_user_file, read_user_bytes

__all__ = ["FORMAT", "SUFFIX", "VERSION", "Capture", "CaptureError", "CaptureLines",
           "check_capture", "open_lines", "parse_line", "parse_record", "read_capture",
           "read_capture_bytes"]

FORMAT = "stream-inspector-capture"
#: 1.1: ``comment`` and ``notice`` records (a 1.0 reader skips them with a warning).
VERSION = (1, 1)
SUFFIX = ".sicap"
#: The longest line read, in bytes: what one event of ``MAX_LINE`` characters (the live
#: decoders' bound, ``--max-line``) takes as JSON, each character up to 4 bytes of UTF-8, and
#: a margin. A longer line is skipped with a warning instead of being held whole (one line of
#: 300 MB took 720 MiB to open).
MAX_LINE_BYTES = 4 * MAX_LINE + (1 << 20)
#: The latest ``started`` a header may hold: the end of year 9999, the clock's range.
MAX_STARTED = 253_402_300_799
_SKIP_PIECE = 1 << 20


class CaptureError(Exception):
    """The file cannot be opened as a capture at all (foreign, empty, newer major version)."""


@dataclass(slots=True)
class Capture:
    """What a capture file holds: header fields, records in order, and reading warnings."""

    path: str
    version: str
    records: list[AnyRecord]
    header: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def request(self) -> Request | None:
        return next((r for r in self.records if isinstance(r, Request)), None)

    @property
    def response(self) -> Response | None:
        return next((r for r in self.records if isinstance(r, Response)), None)

    @property
    def chunks(self) -> list[Chunk]:
        return [r for r in self.records if isinstance(r, Chunk)]

    @property
    def body(self) -> bytes:
        return b"".join(c.data for c in self.chunks)

    @property
    def end(self) -> End | None:
        last = self.records[-1] if self.records else None
        return last if isinstance(last, End) else None

    @property
    def request_body(self) -> bytes | None:
        text = self.header.get("request_body_b64")
        if not isinstance(text, str):
            return None
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None

    @property
    def started(self) -> float | None:
        """The wall clock of ``t = 0`` (Unix seconds); None when the header has none that a
        clock can show (missing, or not a time between 1970 and 9999)."""
        value = self.header.get("started")
        if type(value) is not int and type(value) is not float:
            return None
        return float(value) if 0 <= value <= MAX_STARTED else None

    def complete_records(self) -> list[AnyRecord]:
        """The records, ending in exactly one ``End`` (made up, incomplete, when missing)."""
        if self.end is not None:
            return list(self.records)
        t = max((r.t for r in self.records), default=0.0)
        chunks = self.chunks
        events = sum(isinstance(r, Event | Record) for r in self.records)
        end = End(t, sum(c.size for c in chunks), len(chunks), events, t, False)
        return [*self.records, end]


def parse_record(obj: dict[str, Any]) -> AnyRecord | None:
    """The record of one capture line (``from_json`` of its type: one schema for writing and
    reading); None for an unknown type; ValueError naming the field when malformed."""
    cls = RECORD_TYPES.get(obj.get("type"))  # type: ignore[arg-type]  # any JSON value: a miss
    return None if cls is None else cls.from_json(obj)


def _version(value: Any) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return value, 0
    if isinstance(value, str):
        m = re.fullmatch(r"(\d+)(?:\.(\d+))?", value.strip())
        if m:
            return int(m.group(1)), int(m.group(2) or 0)
    raise CaptureError(f"unreadable capture version {value!r}")


def _header(name: str, line: bytes) -> tuple[dict[str, Any], int, int]:
    """The header line's fields and version; CaptureError for a foreign or too new file."""
    try:
        header = loads_bounded(line)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        if isinstance(header, dict) and header.get("type") == "request":
            raise CaptureError(
                f"{name} is `capture` NDJSON output without chunk bytes, not a capture file;"
                " record one with `capture --save FILE` or File > Save")
        raise CaptureError(f"{name} is not a Stream Inspector capture (its first line is not a"
                           f" {FORMAT} header)")
    major, minor = _version(header.get("version"))
    if major > VERSION[0]:
        raise CaptureError(
            f"{name} is a version {major}.{minor} capture; this Stream Inspector reads version"
            f" {VERSION[0]} files: update Stream Inspector to open it")
    return header, major, minor


class Readable(Protocol):
    """A binary file, or ``io.BytesIO``: what capture lines are read from."""

    def readline(self, size: int = -1, /) -> bytes: ...


@dataclass(slots=True)
class CaptureLines:
    """A capture's header and, as they are read, its record lines ``(number, raw bytes)``
    (blank lines skipped; a last line without its newline was cut while being written).
    Lines longer than ``max_bytes`` are skipped, their numbers kept in ``too_long``."""

    name: str
    header: dict[str, Any]
    version: tuple[int, int]
    lines: Iterator[tuple[int, bytes]]
    max_bytes: int = MAX_LINE_BYTES
    too_long: list[int] = field(default_factory=list)


def _bounded_lines(source: Readable, limit: int, too_long: list[int]
                   ) -> Iterator[tuple[int, bytes]]:
    """``(number, line)`` for each line of ``source`` from line 1, none longer than
    ``limit`` bytes (a longer one is read through in pieces and its number noted)."""
    number = 0
    while line := source.readline(limit + 1):
        number += 1
        if len(line) <= limit or line.endswith(b"\n") and len(line) == limit + 1:
            yield number, line
            continue
        too_long.append(number)
        while (piece := source.readline(_SKIP_PIECE)) and not piece.endswith(b"\n"):
            pass


def open_lines(name: str, source: Readable, max_bytes: int = MAX_LINE_BYTES) -> CaptureLines:
    """The header of the capture read from ``source`` (a binary file or ``io.BytesIO``), and
    an iterator over its record lines, none longer than ``max_bytes``.

    Raises ``CaptureError`` for an empty, foreign or newer-major file.
    """
    too_long: list[int] = []
    it = _bounded_lines(source, max_bytes, too_long)
    number, first = next(it, (1, b""))
    if too_long:
        raise CaptureError(f"{name} is not a Stream Inspector capture (its first line is"
                           f" longer than {max_bytes:,} bytes)")
    if not first.strip():
        rest = next(it, None)
        if rest is None:
            raise CaptureError(f"{name} is empty: not a Stream Inspector capture")
        it = _chain(rest, it)
    header, major, minor = _header(name, first)

    def records() -> Iterator[tuple[int, bytes]]:
        for number, raw in it:
            if raw.strip():
                yield number, raw

    return CaptureLines(name, header, (major, minor), records(), max_bytes, too_long)


def _chain(first: tuple[int, bytes], rest: Iterator[tuple[int, bytes]]
           ) -> Iterator[tuple[int, bytes]]:
    yield first
    yield from rest


def parse_line(raw: bytes) -> dict[str, Any]:
    """One record line's JSON object; ValueError (deep nesting included) when it is not one."""
    obj = loads_bounded(raw)
    if not isinstance(obj, dict):
        raise ValueError("not an object")
    return obj


def _open(path: str | os.PathLike[str]) -> BinaryIO:
    """The capture file opened for reading: a regular file, never a FIFO (it would wait for a
    writer forever) nor a device (``/dev/zero`` never ends); CaptureError naming it else."""
    try:
        return open_user_file(path, "capture")
    except UserFileError as exc:
        raise CaptureError(str(exc)) from None


def read_capture_bytes(path: str | os.PathLike[str], limit: int = MAX_USER_FILE) -> bytes:
    """The whole capture file at ``path`` (a regular file of at most ``limit`` bytes), for a
    reader that needs it in memory (replay); CaptureError naming it when it cannot be read."""
    try:
        return read_user_bytes(path, "capture", limit)
    except UserFileError as exc:
        raise CaptureError(str(exc)) from None


def check_capture(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The header of the capture file at ``path``, read without its records.

    Raises ``CaptureError`` for a file that ``read_capture`` would refuse (missing, not a
    regular file, empty, foreign, plain ``capture`` output, a newer major version) and
    ``OSError`` when reading it fails: the command line checks a file with it before the
    window starts.
    """
    with _open(path) as f:
        return open_lines(Path(path).name, f).header


def read_capture(path: str | os.PathLike[str], max_bytes: int = MAX_LINE_BYTES) -> Capture:
    """Read a capture file: whatever is intact, with a warning for each problem.

    Raises ``CaptureError`` for a file that cannot be opened as a capture (missing, not a
    regular file, not a capture, a newer major version) and ``OSError`` when reading it
    fails. A truncated last line, corrupted lines (a field of the wrong type, a time out of
    range), lines longer than ``max_bytes`` and unknown record types become ``warnings``
    naming the lines; the records around them are kept. Parsed NDJSON records get back the
    text of their line from the chunks.
    """
    name = Path(path).name
    with _open(path) as f:  # line by line: a capture can be larger than the memory
        capture = open_lines(name, f, max_bytes)
        major, minor = capture.version
        warnings: list[str] = []
        if (major, minor) > VERSION:
            warnings.append(f"{name} is a newer version ({major}.{minor}) capture: opened"
                            f" best-effort, newer details may be missing")
        records: list[AnyRecord] = []
        bad: list[int] = []
        unknown: set[str] = set()
        for number, raw in capture.lines:
            try:
                obj = parse_line(raw)
                record = parse_record(obj)
            except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
                if not raw.endswith(b"\n"):  # the last line, cut while it was written
                    warnings.append(f"{name} is truncated: the last line (line {number}) is"
                                    " incomplete; opened the intact part")
                else:
                    bad.append(number)
                    if len(bad) <= 3:
                        warnings.append(f"line {number} is corrupted ({exc}); skipped")
                continue
            if record is None:
                unknown.add(str(obj.get("type")))
                continue
            records.append(record)
    if len(bad) > 3:
        warnings.append(f"{len(bad)} corrupted lines in all, skipped (lines {bad[0]}..{bad[-1]})")
    if capture.too_long:
        lines = ", ".join(map(str, capture.too_long[:3])) + (
            ", ..." if len(capture.too_long) > 3 else "")
        warnings.append(f"{len(capture.too_long)} line(s) longer than {max_bytes:,} bytes"
                        f" skipped (line {lines}): more than one event or read can hold")
    if unknown:
        warnings.append(f"unknown record types skipped: {', '.join(sorted(unknown))}")
    if "started" in capture.header and Capture("", "", [], capture.header).started is None:
        warnings.append(f"its header's started ({capture.header['started']!r}) is not a"
                        " time: clock times are counted from when it was opened")
    if not records or not isinstance(records[-1], End):
        warnings.append(f"{name} has no end record: the stream was still running or the file"
                        " was cut; it shows what was saved")
    return Capture(os.fspath(path), f"{major}.{minor}", with_record_texts(records),
                   header=capture.header, warnings=warnings)


def with_record_texts(records: list[AnyRecord]) -> list[AnyRecord]:
    """``records`` with each parsed NDJSON record's line as it was received.

    Why: a capture stores a parsed record's ``value`` only, but the live tab showed (and
    sized) the line itself; the chunks hold it, so decoding them again gives back exactly that
    text. A record the chunks do not give back gets its value as compact JSON.
    """
    if not any(type(r) is Record and r.parsed and not r.text for r in records):
        return records
    decoder = NDJSONDecoder()
    lines: dict[int, str] = {}
    for r in records:
        if type(r) is Chunk:
            lines.update((d.seq, d.text) for d in decoder.feed(r.data, r.t, r.seq)
                         if type(d) is Record and d.parsed)
    lines.update((d.seq, d.text) for d in decoder.close(0.0) if type(d) is Record and d.parsed)
    out: list[AnyRecord] = []
    for r in records:
        if type(r) is Record and r.parsed and not r.text:
            text = lines.get(r.seq)
            if text is None or json.loads(text) != r.value:
                text = json.dumps(r.value, ensure_ascii=False)
            r = dataclasses.replace(r, text=text)
        out.append(r)
    return out
