"""Writing capture files (``*.sicap``): a stream saved with its exact bytes, timing, records.

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

Secrets are masked unless the caller opts in (``capture.masking.Masker``). Files are written
under a temporary name and renamed when complete (``AtomicFile``). Reading is
``capture.reader``'s.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from stream_core.capture.masking import Masker
from stream_core.capture.reader import FORMAT, VERSION
from stream_core.records import AnyRecord, End, Request, json_line

__all__ = ["APP", "AtomicFile", "CaptureWriter", "atomic_write", "record_line"]

APP = "stream-inspector 0.1.0"
FLUSH_SECONDS = 0.1
FLUSH_BYTES = 64 * 1024

def record_line(record: AnyRecord, *, save_secrets: bool = False,
                masker: Masker | None = None) -> dict[str, Any]:
    """The capture-file object of one record (its ``file`` form: exact times, chunk bytes,
    what replay and reopening need; ``stream_core.schema``).

    Secrets are masked (``Masker``) unless ``save_secrets``; pass the stream's ``masker``
    so that values learnt from its requests are masked in its later texts too.
    """
    if not save_secrets:
        record = (masker or Masker()).record(record)
    return record.to_json(form="file")


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
                 request_body: bytes | None = None, request: Request | None = None,
                 mode: str | None = None, started: float | None = None, app: str = APP,
                 live: bool = True) -> None:
        self.save_secrets = save_secrets
        self._masker = None if save_secrets else Masker()
        if self._masker is not None and request is not None and request_body:
            # The header comes before the records: the request's secret values, learnt now,
            # are blanked in the body it sent (one ``*`` per byte) as everywhere else.
            self._masker.learn(request)
            request_body = self._masker.blank_bytes(request_body)
        self.error: OSError | None = None
        self.closed = False
        self.count = 0
        self._owns = not hasattr(path, "write")
        self.path: str | None = None
        self._atomic: AtomicFile | None = None
        if self._owns:
            self.path = os.fspath(path)  # type: ignore[arg-type]  # no write(): a path
            self._atomic = AtomicFile(self.path)
            self._out: IO[bytes] = self._atomic.file
            if save_secrets:  # readable by its owner only, whatever the umask or old file
                with contextlib.suppress(OSError):
                    os.fchmod(self._out.fileno(), 0o600)
        else:
            self._out = path  # type: ignore[assignment]  # has write(): a binary file
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
        # The masker may hold a chunk back until the next one (a secret split across them).
        for r in [record] if self._masker is None else self._masker.feed(record):
            self._write_line(json_line(record_line(r, save_secrets=True)))
        if self.error is not None:
            return
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

    def _write_line(self, line: bytes) -> None:
        if self.error is not None:
            return
        try:
            self._out.write(line)
        except OSError as exc:
            self._fail(exc)
            return
        self.count += 1
        self._pending += len(line)

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
        if self._masker is not None:  # what it held back (a stream without its End)
            for r in self._masker.flush():
                self._write_line(json_line(record_line(r, save_secrets=True)))
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
