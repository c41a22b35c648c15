"""Capture files (``*.sicap``): one stream saved with its exact bytes, timing and records.

Why a format of our own: HAR keeps neither chunk boundaries nor arrival times, so it cannot
replay a stream as it came. The file is NDJSON, written while the stream runs (a long stream
never has to fit in memory, a crash loses at most the last ~100 ms), and versioned
``MAJOR.MINOR``: a reader opens any older file, a newer minor version best-effort (unknown
fields and record types are skipped with a warning), and refuses a newer major version.

Layout (docs/capture-format.md has the full description)::

    {"format":"stream-inspector-capture","version":"1.0","created":"...","app":"...", ...}
    {"type":"request","t":0.0,...}           one line per record, in arrival order,
    {"type":"chunk","t":..,"data_b64":".."}  each the ``capture`` CLI record (records.py),
    ...                                      chunks with their exact bytes
    {"type":"end",...}

Secrets are masked unless the caller opts in (``Masker``): headers, query and fragment
parameters with secret-looking names (``records.is_secret_name``), URL user info, and those
values wherever else they appear in a saved string (error messages, reconnect reasons).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

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
    is_secret_name,
    json_line,
    loads_bounded,
)

__all__ = [
    "FORMAT",
    "MASK",
    "SUFFIX",
    "VERSION",
    "AtomicFile",
    "Capture",
    "CaptureError",
    "CaptureWriter",
    "Masker",
    "atomic_write",
    "check_capture",
    "is_secret_name",
    "mask_headers",
    "mask_request",
    "mask_url",
    "masked",
    "read_capture",
    "record_line",
]

FORMAT = "stream-inspector-capture"
VERSION = (1, 0)
SUFFIX = ".sicap"
MASK = "***"
APP = "stream-inspector 0.1.0"
FLUSH_SECONDS = 0.1
FLUSH_BYTES = 64 * 1024

#: Secret values shorter than this are not searched for in texts (they would mask words).
MIN_SECRET = 4
_URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.I)
_VALUE_PARTS = re.compile(r"[\s;,]+")


def mask_headers(headers: Iterable[tuple[str, str]]) -> Headers:
    """Headers with the value of every secret-looking name (``is_secret_name``) masked."""
    return [(k, MASK if is_secret_name(k) else v) for k, v in headers]


def _mask_params(text: str) -> str:
    """``a=1&token=x`` -> ``a=1&token=***``: secret-looking names masked, the rest as written."""
    if "=" not in text:
        return text
    out = []
    for part in text.split("&"):
        name, sep, _value = part.partition("=")
        out.append(f"{name}={MASK}" if sep and is_secret_name(unquote_plus(name)) else part)
    return "&".join(out)


def mask_url(url: str) -> str:
    """The URL with its user info (``TOKEN@``, ``user:***@``) and the values of secret-looking
    query and fragment parameters (``?api_key=***``, ``#access_token=***``) masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if sep else f"{MASK}@{host}"
    query, fragment = _mask_params(parts.query), _mask_params(parts.fragment)
    if (netloc, query, fragment) == (parts.netloc, parts.query, parts.fragment):
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def _url_secrets(url: str) -> set[str]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return set()
    found: set[str] = set()
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        user, sep, password = userinfo.partition(":")
        found.update([password] if sep else [user])
    for text in (parts.query, parts.fragment):
        for part in text.split("&"):
            name, sep, value = part.partition("=")
            if sep and is_secret_name(unquote_plus(name)):
                found.add(value)
    return found | {unquote_plus(v) for v in found}


def _header_secrets(value: str) -> set[str]:
    """A secret header's value and its parts: ``Bearer X`` -> X, ``a=X; b=Y`` -> X, Y."""
    found = {value}
    words = [w for w in _VALUE_PARTS.split(value) if w]
    if len(words) > 1 and words[0].isalpha():
        words = words[1:]  # the scheme of ``Bearer X`` / ``Basic X`` is not a secret
    for word in words:
        name, sep, rest = word.partition("=")
        found.add(rest if sep and name else word)
    return found


class Masker:
    """Masks a stream's secrets in every string of its records (for saved files and exports).

    Secret-looking header names, query and fragment parameters and URL user info are masked
    where they stand (``mask_url``, ``mask_headers``); their values, learnt from each
    ``Request``, are also masked wherever else they appear (error messages, reconnect
    reasons, response headers, any URL inside a text). Bodies and events are left as they came.
    """

    def __init__(self) -> None:
        self._values: list[str] = []  # longest first: a secret containing another goes whole

    def learn(self, request: Request) -> None:
        found = _url_secrets(request.url)
        for name, value in request.headers:
            if is_secret_name(name):
                found |= _header_secrets(value)
        new = {v for v in found if len(v) >= MIN_SECRET} - set(self._values)
        if new:
            self._values = sorted({*self._values, *new}, key=len, reverse=True)

    def text(self, text: str) -> str:
        if "://" in text:
            text = _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def headers(self, headers: Iterable[tuple[str, str]]) -> Headers:
        return [(k, MASK if is_secret_name(k) else self.text(v)) for k, v in headers]

    def record(self, r: AnyRecord) -> AnyRecord:
        """``r`` with its secrets masked (a copy; ``r`` itself when it holds none)."""
        if isinstance(r, Request):
            self.learn(r)
            return Request(r.t, r.method, self.text(mask_url(r.url)), self.headers(r.headers))
        if isinstance(r, Response):
            return Response(r.t, r.status, self.text(r.reason), r.http_version,
                            self.headers(r.headers), r.mode)
        if isinstance(r, Error):
            return Error(r.t, r.kind, self.text(r.message))
        if isinstance(r, Reconnect) and r.reason:
            return Reconnect(r.t, r.attempt, r.delay_ms, r.last_event_id, self.text(r.reason))
        return r


def mask_request(method: str, url: str,
                 headers: Iterable[tuple[str, str]]) -> tuple[str, Headers]:
    """A request's URL and headers without its secrets (Copy as curl / httpx without them)."""
    masker = Masker()
    request = masker.record(Request(0.0, method, url, list(headers)))
    assert isinstance(request, Request)
    return request.url, request.headers


def masked(records: Iterable[AnyRecord]) -> list[AnyRecord]:
    """The records with every secret of the stream masked in every string (for exports)."""
    records = list(records)
    masker = Masker()
    for r in records:
        if isinstance(r, Request):
            masker.learn(r)  # a secret of a later request is masked in earlier texts too
    return [masker.record(r) for r in records]


def record_line(record: AnyRecord, *, save_secrets: bool = False,
                masker: Masker | None = None) -> dict[str, Any]:
    """The capture-file object of one record: its ``to_json()`` plus what replay needs.

    Secrets are masked (``Masker``) unless ``save_secrets``; pass the stream's ``masker``
    so that values learnt from its requests are masked in its later texts too.
    """
    if not save_secrets:
        record = (masker or Masker()).record(record)
    obj = record.to_json(with_data=True) if isinstance(record, Chunk) else record.to_json()
    obj["t"] = record.t  # unrounded: an opened capture shows the very same times
    if isinstance(record, End):
        obj["duration"] = record.duration
    elif isinstance(record, Response):
        obj["reason"] = record.reason
    elif isinstance(record, Event | Record):
        obj["first_chunk"], obj["last_chunk"] = record.first_chunk, record.last_chunk
    return obj


class AtomicFile:
    """A file that takes its name only once written: a temporary ``NAME.XXXXXXXX.part`` in the
    same folder, synced and renamed over ``NAME`` by ``commit()``; ``close()`` before that
    deletes it. Why: Save and Export must never destroy the file the user had (a full disk,
    an error half-way): until the rename, ``NAME`` is untouched.

    ``file`` stays open after ``commit()`` (a capture of a running stream keeps appending to
    the renamed file). It gets the mode of the file it replaces, else the umask's default.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.folder, name = os.path.split(os.path.abspath(self.path))
        fd, self.temp = tempfile.mkstemp(prefix=f"{name[:200]}.", suffix=".part",
                                         dir=self.folder)
        self.file: IO[bytes] = os.fdopen(fd, "wb")
        self.committed = False
        try:
            mode = stat.S_IMODE(os.stat(self.path).st_mode)
        except OSError:  # a new file: what ``open(path, "wb")`` would have made
            mode = 0o666 & ~_umask()
        with contextlib.suppress(OSError):
            os.fchmod(fd, mode)

    def commit(self) -> None:
        """Flush, fsync and rename over the target (once); OSError leaves the target as it was."""
        if self.committed:
            return
        self.file.flush()
        os.fsync(self.file.fileno())
        os.replace(self.temp, self.path)
        self.committed = True
        with contextlib.suppress(OSError):  # the rename itself survives a crash
            folder = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def close(self) -> None:
        """Close the file; delete it if it was never committed."""
        try:
            self.file.close()
        finally:
            if not self.committed:
                with contextlib.suppress(OSError):
                    os.unlink(self.temp)


def _umask() -> int:
    """The process's umask, read without changing it (``os.umask`` sets it, racing threads
    that create files meanwhile); 022 where /proc does not say."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """``with atomic_write(path) as f: f.write(...)``: ``path`` is replaced only when the block
    ends without an exception and the data is on disk; otherwise it is left as it was and no
    temporary file remains."""
    out = AtomicFile(path)
    try:
        yield out.file
        out.commit()
    finally:
        out.close()


class CaptureWriter:
    """Writes a capture file as the stream goes; an observer (``writer(record)``).

    The header is written (and flushed) on creation, so an unwritable path fails at once
    with ``OSError``. Records are buffered and flushed at least every 100 ms (a timer on the
    running asyncio loop, if any) or every 64 KiB, and at once for the ``End`` record. A write
    failure later (disk full) stops the writing, keeps ``error``, and never raises into the
    stream: the stream itself must go on.

    A path is never truncated: the file is written under a temporary name (``AtomicFile``)
    and renamed over ``path`` once its header is on disk when ``live`` (a stream being
    recorded: the file holds its first records while it runs), else at ``close()`` or
    ``publish()`` (a Save: a failure before that leaves the previous file as it was).
    """

    def __init__(self, path: str | os.PathLike[str] | IO[bytes], *, save_secrets: bool = False,
                 request_body: bytes | None = None, mode: str | None = None,
                 started: float | None = None, app: str = APP, live: bool = True) -> None:
        self.save_secrets = save_secrets
        self._masker = None if save_secrets else Masker()
        self.error: OSError | None = None
        self.closed = False
        self.count = 0
        self._owns = not hasattr(path, "write")
        self.path: str | None = None
        self._atomic: AtomicFile | None = None
        if self._owns:
            self.path = os.fspath(path)  # type: ignore[arg-type]
            self._atomic = AtomicFile(self.path)
            self._out: IO[bytes] = self._atomic.file
        else:
            self._out = path  # type: ignore[assignment]
        self._pending = 0
        self._last_flush = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None
        header: dict[str, Any] = {
            "format": FORMAT, "version": f"{VERSION[0]}.{VERSION[1]}",
            "created": datetime.now(UTC).isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"),
            "app": app, "started": round(started if started is not None else time.time(), 6),
            "secrets": "included" if save_secrets else "masked",
        }
        if mode is not None:
            header["mode"] = mode
        if request_body is not None:
            header["request_body_b64"] = base64.b64encode(request_body).decode("ascii")
        try:
            self._out.write(json_line(header))
            self._out.flush()
            if live and self._atomic is not None:
                self._atomic.commit()
        except OSError:
            self._close_file()
            raise

    def __call__(self, record: AnyRecord) -> None:
        self.write(record)

    def write(self, record: AnyRecord) -> None:
        if self.closed or self.error is not None:
            return
        line = json_line(record_line(record, save_secrets=self.save_secrets,
                                     masker=self._masker))
        try:
            self._out.write(line)
        except OSError as exc:
            self._fail(exc)
            return
        self.count += 1
        self._pending += len(line)
        if isinstance(record, End) or self._pending >= FLUSH_BYTES or (
                time.monotonic() - self._last_flush >= FLUSH_SECONDS):
            self.flush()
        elif self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
            else:
                self._timer = loop.call_later(FLUSH_SECONDS, self._timed_flush)

    def extend(self, records: Iterable[AnyRecord]) -> None:
        for record in records:
            self.write(record)

    def _timed_flush(self) -> None:
        self._timer = None
        self.flush()

    def flush(self) -> None:
        if self.closed or self.error is not None:
            return
        try:
            self._out.flush()
        except OSError as exc:
            self._fail(exc)
            return
        self._pending = 0
        self._last_flush = time.monotonic()

    def _fail(self, exc: OSError) -> None:
        self.error = exc
        self._cancel_timer()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def publish(self) -> None:
        """Put what is written so far under the file's name now (synced); later records are
        appended to it. Without this, the file takes its name at ``close()``."""
        self.flush()
        if self._atomic is not None and self.error is None:
            try:
                self._atomic.commit()
            except OSError as exc:
                self._fail(exc)

    def close(self) -> None:
        """Flush, sync and rename the file over its name (idempotent). After a write error
        the previous file of that name is left as it was (unless ``publish`` replaced it)."""
        if self.closed:
            return
        self.publish()
        self._cancel_timer()
        self.closed = True
        self._close_file()

    def discard(self) -> None:
        """Close without publishing: the previous file of that name stays as it was."""
        self._cancel_timer()
        self.closed = True
        self._close_file()

    def _close_file(self) -> None:
        if self._atomic is not None:
            try:
                if self._atomic.committed and self.error is None:
                    os.fsync(self._out.fileno())  # the records appended since publish()
            except OSError as exc:
                self.error = exc
            finally:
                try:
                    self._atomic.close()
                except OSError as exc:
                    self.error = self.error or exc

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()


# -- reading ---------------------------------------------------------------------------------

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
                        _str(obj, "mode", "raw"))
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
        return Error(t, _str(obj, "kind"), _str(obj, "message"))  # type: ignore[arg-type]
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


def _read_header(name: str, f: IO[bytes]) -> tuple[dict[str, Any], int, int]:
    first = f.readline()
    if not first.strip() and not f.read(1):
        raise CaptureError(f"{name} is empty: not a Stream Inspector capture")
    return _header(name, first)


def check_capture(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The header of the capture file at ``path``, read without its records.

    Raises ``CaptureError`` for a file that ``read_capture`` would refuse (empty, foreign,
    plain ``capture`` output, a newer major version) and ``OSError`` when it cannot be read:
    the command line checks a file with it before the window starts.
    """
    with open(path, "rb") as f:
        return _read_header(Path(path).name, f)[0]


def read_capture(path: str | os.PathLike[str]) -> Capture:
    """Read a capture file: whatever is intact, with a warning for each problem.

    Raises ``CaptureError`` for a file that is not a capture (or one of a newer major
    version) and ``OSError`` when it cannot be read. A truncated last line, corrupted lines
    and unknown record types become ``warnings``; the records around them are kept.
    """
    name = Path(path).name
    with open(path, "rb") as f:  # line by line: a capture can be larger than the memory
        header, major, minor = _read_header(name, f)
        warnings: list[str] = []
        if (major, minor) > VERSION:
            warnings.append(f"{name} is a newer version ({major}.{minor}) capture: opened"
                            f" best-effort, newer details may be missing")
        records: list[AnyRecord] = []
        bad: list[int] = []
        unknown: set[str] = set()
        for number, raw in enumerate(f, start=2):
            if not raw.strip():
                continue
            try:
                obj = loads_bounded(raw)
                if not isinstance(obj, dict):
                    raise ValueError("not an object")
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
    return Capture(os.fspath(path), f"{major}.{minor}", records, header, warnings)
