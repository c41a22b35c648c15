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
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from stream_core.records import (
    AnyRecord,
    Chunk,
    End,
    Error,
    Event,
    Headers,
    Progress,
    Reconnect,
    Record,
    Request,
    Response,
    Retry,
    loads_bounded,
)
from stream_core.userfiles import MAX_USER_FILE, UserFileError, open_user_file, read_user_bytes

__all__ = ["FORMAT", "SUFFIX", "VERSION", "Capture", "CaptureError", "CaptureLines",
           "check_capture", "open_lines", "parse_line", "parse_record", "read_capture",
           "read_capture_bytes"]

FORMAT = "stream-inspector-capture"
VERSION = (1, 0)
SUFFIX = ".sicap"


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
        value = self.header.get("started")
        return float(value) if isinstance(value, int | float) else None

    def complete_records(self) -> list[AnyRecord]:
        """The records, ending in exactly one ``End`` (made up, incomplete, when missing)."""
        if self.end is not None:
            return list(self.records)
        t = max((r.t for r in self.records), default=0.0)
        chunks = self.chunks
        events = sum(isinstance(r, Event | Record) for r in self.records)
        end = End(t, sum(c.size for c in chunks), len(chunks), events, t, False)
        return [*self.records, end]


def _headers(value: Any) -> Headers:
    if not isinstance(value, list):
        raise ValueError("headers is not a list")
    out: Headers = []
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise ValueError("a header is not a [name, value] pair")
        out.append((pair[0], pair[1]))
    return out


def _num(obj: dict[str, Any], key: str, default: float | None = None) -> float:
    value = obj.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{key!r} is not a number")
    return float(value)


def _int(obj: dict[str, Any], key: str, default: int | None = None) -> int:
    value = obj.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{key!r} is not an integer")
    return value


def _str(obj: dict[str, Any], key: str, default: str | None = None) -> str:
    value = obj.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key!r} is not a string")
    return value


def parse_record(obj: dict[str, Any]) -> AnyRecord | None:
    """The record of one capture line; None for an unknown type; ValueError when malformed."""
    kind = obj.get("type")
    t = _num(obj, "t")
    if kind == "chunk":
        size = _int(obj, "size")
        text = obj.get("data_b64")
        if text is None:
            raise ValueError("chunk without data_b64")
        data = base64.b64decode(_str(obj, "data_b64"), validate=True)
        if len(data) != size:
            raise ValueError(f"chunk data is {len(data)} bytes, size says {size}")
        return Chunk(_int(obj, "seq"), t, _int(obj, "offset"), data)
    if kind == "event":
        return Event(_int(obj, "seq"), t, _str(obj, "event", "message"), _str(obj, "data"),
                     _str(obj, "id", ""), _int(obj, "first_chunk", -1),
                     _int(obj, "last_chunk", -1))
    if kind == "record":
        parsed = "value" in obj
        text = "" if parsed else _str(obj, "text")
        error = obj.get("error")
        return Record(_int(obj, "seq"), t, text, obj.get("value"),
                      error if isinstance(error, str) else None, parsed,
                      _int(obj, "first_chunk", -1), _int(obj, "last_chunk", -1))
    if kind == "request":
        return Request(t, _str(obj, "method"), _str(obj, "url"), _headers(obj.get("headers")))
    if kind == "response":
        return Response(t, _int(obj, "status"), _str(obj, "reason", ""),
                        _str(obj, "http_version", "HTTP/1.1"), _headers(obj.get("headers")),
                        _str(obj, "mode", "raw"), _str(obj, "clock", ""))
    if kind == "retry":
        return Retry(t, _int(obj, "ms"))
    if kind == "reconnect":
        return Reconnect(t, _int(obj, "attempt"), _int(obj, "delay_ms"),
                         _str(obj, "last_event_id", ""), _str(obj, "reason", ""))
    if kind == "progress":
        total = obj.get("total")
        return Progress(t, _int(obj, "bytes"), total if isinstance(total, int) else None,
                        _num(obj, "rate", 0.0))
    if kind == "error":
        return Error(t, _str(obj, "kind"), _str(obj, "message"))  # type: ignore[arg-type]  # a kind from a file: any str
    if kind == "end":
        known = {"type", "t", "bytes", "chunks", "events", "duration", "complete", "path",
                 "sha256"}
        path, sha = obj.get("path"), obj.get("sha256")
        return End(t, _int(obj, "bytes"), _int(obj, "chunks"), _int(obj, "events"),
                   _num(obj, "duration"), bool(obj.get("complete")),
                   path if isinstance(path, str) else None,
                   sha if isinstance(sha, str) else None,
                   {k: v for k, v in obj.items() if k not in known})
    return None


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


@dataclass(slots=True)
class CaptureLines:
    """A capture's header and, as they are read, its record lines ``(number, raw bytes)``
    (blank lines skipped; a last line without its newline was cut while being written)."""

    name: str
    header: dict[str, Any]
    version: tuple[int, int]
    lines: Iterator[tuple[int, bytes]]


def open_lines(name: str, source: Iterable[bytes]) -> CaptureLines:
    """The header of the capture read from ``source`` (lines with their newlines: a binary
    file or ``io.BytesIO``), and an iterator over its record lines.

    Raises ``CaptureError`` for an empty, foreign or newer-major file.
    """
    it = iter(source)
    first = next(it, b"")
    if not first.strip():
        rest = next(it, b"")
        if not rest:
            raise CaptureError(f"{name} is empty: not a Stream Inspector capture")
        it = iter([rest, *it])
    header, major, minor = _header(name, first)

    def records() -> Iterator[tuple[int, bytes]]:
        for number, raw in enumerate(it, start=2):
            if raw.strip():
                yield number, raw

    return CaptureLines(name, header, (major, minor), records())


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


def read_capture(path: str | os.PathLike[str]) -> Capture:
    """Read a capture file: whatever is intact, with a warning for each problem.

    Raises ``CaptureError`` for a file that cannot be opened as a capture (missing, not a
    regular file, not a capture, a newer major version) and ``OSError`` when reading it
    fails. A truncated last line, corrupted lines and unknown record types become
    ``warnings``; the records around them are kept.
    """
    name = Path(path).name
    with _open(path) as f:  # line by line: a capture can be larger than the memory
        capture = open_lines(name, f)
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
    if unknown:
        warnings.append(f"unknown record types skipped: {', '.join(sorted(unknown))}")
    if not records or not isinstance(records[-1], End):
        warnings.append(f"{name} has no end record: the stream was still running or the file"
                        " was cut; it shows what was saved")
    return Capture(os.fspath(path), f"{major}.{minor}", records, header=capture.header,
                   warnings=warnings)
