"""Downloads that are safe to interrupt: ``FILE.part`` until complete, then an atomic rename.

A cut-off download never leaves a file under the final name; the ``.part`` stays, with a small
``FILE.part.json`` sidecar holding the validator (ETag or Last-Modified) so that a later
``resume`` can ask for the rest with ``Range`` + ``If-Range``; a server that answers 200
instead of 206 (it ignores ranges, or the file changed) restarts the download from zero.

Pause/Resume in the window is just: cancel the ``session.run`` task (the ``.part`` is flushed
and kept), then run the same spec again with ``resume=True``. ``partial_size()`` tells whether
there is something to resume.

Writing and hashing run in one worker thread, a block (~1 MiB) at a time with a few blocks in
flight, so that disk and SHA-256 overlap with network reads instead of taking turns with them
on the event loop. The finished file is fsynced before the rename; so that this last fsync does
not have to write back the whole file at once, a second thread ``fdatasync``s every
``SYNC_EVERY`` bytes while the download goes on (writeback overlaps the transfer).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import json
import os
import re
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from stream_core.net.errors import StreamError, file_failure, host_port
from stream_core.net.filenames import download_name, free_path, name_max

__all__ = ["Download", "body_start", "discard_partial", "meta_path", "part_path", "partial_size"]

BLOCK = 1 << 20
#: Blocks handed to the writer and not yet written: the event loop waits only beyond this.
IN_FLIGHT = 4
#: Written bytes between two background ``fdatasync`` calls.
SYNC_EVERY = 64 << 20
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def part_path(path: str) -> str:
    return path + ".part"


def meta_path(path: str) -> str:
    return path + ".part.json"


def partial_size(path: str) -> int:
    """Bytes already in ``path``'s ``.part`` (0 when there is none): what resume would keep."""
    try:
        return os.path.getsize(part_path(path))
    except OSError:
        return 0


def body_start(status: int, headers: Iterable[tuple[str, str]]) -> int | None:
    """Where a download response's body lands in the file, byte for byte as received: 0 for a
    2xx, the Content-Range start of a 206; None when the file does not hold the wire bytes (a
    Content-Encoding: the file gets them decoded) or the body is not written (any other status).
    """
    values = {k.lower(): v for k, v in headers}
    if values.get("content-encoding", "identity").strip().lower() not in ("", "identity"):
        return None
    if status == 206:
        m = _CONTENT_RANGE.match(values.get("content-range", ""))
        return int(m.group(1)) if m else None
    return 0 if 200 <= status < 300 and status != 204 else None


def discard_partial(path: str) -> None:
    for p in (part_path(path), meta_path(path)):
        with contextlib.suppress(FileNotFoundError):
            os.remove(p)


def _io_error(exc: OSError, path: str) -> StreamError:
    f = file_failure(exc, path)
    return StreamError(f.kind, f.message)


class Download:
    """One destination file; ``session.run`` drives it, one connection at a time.

    Order of calls: ``check_writable()`` before any request, ``request_headers()`` when
    building it, ``start(response)``, ``write()`` per read, ``finish()`` at a complete end,
    and ``close()`` always (it keeps what arrived in the ``.part``).
    """

    def __init__(self, path: str, *, resume: bool = False,
                 name_from_response: bool = False) -> None:
        self.path = path
        self.part = part_path(path)
        self.resume = resume
        self.name_from_response = name_from_response and not resume
        self.bytes = 0  # bytes of the file so far, resumed part included
        self.total: int | None = None  # full size when the server said it
        self._asked_from = 0  # the Range start we asked for (0: whole file)
        self._validator: str | None = None
        self._file: BinaryIO | None = None
        self._hash = hashlib.sha256()
        self._pieces: list[bytes] = []  # reads not yet handed to the worker
        self._buffered = 0
        self._failed = False
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending: deque[concurrent.futures.Future[None]] = deque()
        self._syncer: concurrent.futures.ThreadPoolExecutor | None = None
        self._sync: concurrent.futures.Future[None] | None = None
        self._unsynced = 0  # bytes written since the last background fdatasync began
        self._started = 0.0
        self._received = 0  # bytes of this connection

    # --- before the request ---------------------------------------------------------------

    def check_writable(self) -> None:
        """Fail early (no request sent) when the destination cannot be written at all."""
        folder = os.path.dirname(os.path.abspath(self.path))
        if os.path.isdir(self.path):
            raise StreamError("io", f"cannot write {self.path}: it is a folder")
        if not os.path.isdir(folder):
            raise StreamError("io", f"cannot write {self.path}: the folder does not exist")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StreamError("io", f"permission denied writing {self.path}")

    def request_headers(self) -> list[tuple[str, str]]:
        """``Range`` (+ ``If-Range``) to continue an existing ``.part`` when resuming."""
        self._asked_from = partial_size(self.path) if self.resume else 0
        if not self._asked_from:
            return []
        headers = [("Range", f"bytes={self._asked_from}-")]
        meta = self._read_meta()
        etag, modified = meta.get("etag"), meta.get("last_modified")
        if isinstance(etag, str) and etag and not etag.startswith("W/"):
            headers.append(("If-Range", etag))  # weak tags are not allowed in If-Range
        elif isinstance(modified, str) and modified:
            headers.append(("If-Range", modified))
        return headers

    def _read_meta(self) -> dict[str, Any]:
        try:
            with open(meta_path(self.path), encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    # --- the response -----------------------------------------------------------------------

    async def start(self, response: httpx.Response) -> bool:
        """Open the ``.part`` for this response; True when it is already complete (416)."""
        status, hp = response.status_code, host_port(response.url)
        encoded = bool(response.headers.get("content-encoding", "identity") != "identity")
        length = response.headers.get("content-length")
        self.total = int(length) if length and length.isdigit() and not encoded else None
        if status == 206 and self._asked_from:
            m = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
            if m is None or int(m.group(1)) != self._asked_from:
                raise StreamError("protocol", f"{hp} answered the range request for byte "
                                              f"{self._asked_from} with Content-Range "
                                              f"{response.headers.get('content-range')!r}")
            self.total = int(m.group(3)) if m.group(3) != "*" else None
            await self._open(append=True)
        elif status == 416 and self._asked_from:
            m = re.match(r"bytes\s+\*/(\d+)", response.headers.get("content-range", ""))
            known = int(m.group(1)) if m else self._read_meta().get("total")
            if known != self._asked_from:
                raise StreamError("http", f"HTTP 416 from {hp}: cannot resume {self.part} at "
                                          f"byte {self._asked_from}; delete it to start over")
            self.total = known
            await self._open(append=True)
            return True
        elif 200 <= status < 300 and status not in (204, 206):
            if self.name_from_response:
                self._rename_for(response)
            await self._open(append=False)
        else:
            raise StreamError("http", f"HTTP {status} {response.reason_phrase} from {hp}: "
                                      "nothing to download".replace("  ", " "))
        self._write_meta(response)
        return False

    def _rename_for(self, response: httpx.Response) -> None:
        """Take the response's name for the file (Content-Disposition, or an extension from
        Content-Type), in the same folder, without taking an existing file's name."""
        folder = os.path.dirname(os.path.abspath(self.path))
        name = download_name(str(response.url), response.headers.get("content-disposition"),
                             response.headers.get("content-type"), name_max(folder))
        if name != os.path.basename(self.path):
            self.path = str(free_path(Path(folder) / name))
            self.part = part_path(self.path)
        self.name_from_response = False

    async def _open(self, *, append: bool) -> None:
        self._hash = hashlib.sha256()
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="download")
        self._syncer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="fdatasync")
        self._unsynced = 0
        try:
            self._file = open(self.part, "r+b" if append else "wb")
        except OSError as exc:
            raise _io_error(exc, self.part) from None
        self.bytes = 0
        if append:
            await asyncio.wrap_future(self._pool.submit(self._hash_existing))
        self._started = time.monotonic()
        self._received = 0

    def _hash_existing(self) -> None:
        """Hash the resumed part (and seek to its end) so the final SHA-256 covers it all."""
        assert self._file is not None
        self._file.seek(0)
        while block := self._file.read(BLOCK):
            self._hash.update(block)
            self.bytes += len(block)

    def _write_meta(self, response: httpx.Response) -> None:
        meta = self._read_meta() if response.status_code == 206 else {}
        meta.update(url=str(response.url), total=self.total)
        if response.status_code != 206:
            meta.update(etag=response.headers.get("etag"),
                        last_modified=response.headers.get("last-modified"))
        try:
            with open(meta_path(self.path), "w", encoding="utf-8") as f:
                json.dump(meta, f)
        except OSError as exc:
            raise _io_error(exc, meta_path(self.path)) from None

    # --- the body -------------------------------------------------------------------------

    async def write(self, data: bytes) -> None:
        """Keep ``data``; hand each ~1 MiB to the worker (at most ``IN_FLIGHT`` blocks queued).

        The reads are kept as they are (no copy into a buffer) and written one by one by the
        worker: large writes, and nothing copied on the event loop.
        """
        self._pieces.append(data)
        self._buffered += len(data)
        self.bytes += len(data)
        self._received += len(data)
        if self._buffered >= BLOCK:
            await self._submit()

    async def _submit(self, in_flight: int = IN_FLIGHT) -> None:
        """Hand the kept reads to the worker; first wait while ``in_flight`` blocks are queued."""
        pending = self._pending
        while pending and (len(pending) >= in_flight or pending[0].done()):
            await asyncio.wrap_future(pending.popleft())
        if self._pieces and self._pool is not None:
            pieces, self._pieces, self._buffered = self._pieces, [], 0
            pending.append(self._pool.submit(self._write_block, pieces))

    def _write_block(self, pieces: list[bytes]) -> None:
        assert self._file is not None
        for piece in pieces:
            try:
                self._file.write(piece)
            except OSError as exc:
                self._failed = True
                raise _io_error(exc, self.part) from None
            self._hash.update(piece)
        self._unsynced += sum(map(len, pieces))
        if self._unsynced >= SYNC_EVERY and self._syncer is not None and (
                self._sync is None or self._sync.done()):
            self._unsynced = 0
            self._file.flush()
            with contextlib.suppress(RuntimeError):  # the syncer is shutting down: no matter
                self._sync = self._syncer.submit(_datasync, self._file.fileno())

    def rate(self) -> float:
        """Bytes per second of this connection so far."""
        elapsed = time.monotonic() - self._started
        return self._received / elapsed if elapsed > 0 else 0.0

    async def finish(self) -> tuple[str, str]:
        """Flush, fsync, check the length, rename to the final name: (path, sha256)."""
        await self._submit(in_flight=1)
        await self._submit(in_flight=1)
        if self.total is not None and self.bytes != self.total:
            raise StreamError("protocol", f"download stopped at {self.bytes} of {self.total} "
                                          f"bytes; {self.part} is kept for resume")
        assert self._file is not None and self._pool is not None
        file = self._file
        try:
            if self._sync is not None:
                await asyncio.wrap_future(self._sync)  # (errors surface in the final fsync)
            await asyncio.wrap_future(self._pool.submit(_sync, file))
            file.close()
            os.replace(self.part, self.path)
        except OSError as exc:
            raise _io_error(exc, self.path) from None
        self._file = None
        with contextlib.suppress(OSError):
            os.remove(meta_path(self.path))
        return self.path, self._hash.hexdigest()

    def close(self) -> None:
        """Keep whatever arrived in the ``.part`` and release the file and the worker.

        Synchronous on purpose: it runs in ``finally`` blocks, also while the task is being
        cancelled, and waits for the blocks in flight (and a background fdatasync). After a
        failed write nothing more is appended, so the ``.part`` stays a true prefix of the
        download (resume relies on it).
        """
        pool, self._pool = self._pool, None
        if pool is None:
            self._file = None
            return
        # The blocks in flight (or the resume hashing) finish first: they write to
        # ``self._file``, so it is released only after them (else they would be lost).
        pool.shutdown(wait=True)
        file, self._file = self._file, None
        if self._syncer is not None:
            self._syncer.shutdown(wait=True)
            self._syncer = None
        pending, self._pending = self._pending, deque()
        failed = self._failed or any(f.exception() is not None for f in pending)
        pieces, self._pieces, self._buffered = self._pieces, [], 0
        if file is None:
            return
        with contextlib.suppress(OSError):
            if pieces and not failed:
                file.writelines(pieces)
            file.close()


def _sync(file: BinaryIO) -> None:
    file.flush()
    os.fsync(file.fileno())


def _datasync(fd: int) -> None:
    """Write back what is written so far (background; the final fsync still comes)."""
    with contextlib.suppress(OSError):
        os.fdatasync(fd)
