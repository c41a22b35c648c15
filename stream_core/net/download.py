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
import base64
import binascii
import concurrent.futures
import contextlib
import errno
import hashlib
import json
import os
import re
import stat
import tempfile
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from stream_core.net.errors import StreamError, file_failure, host_port
from stream_core.net.filenames import download_name, free_path, name_max
from stream_core.records import loads_bounded

__all__ = ["Download", "ResumeMismatch", "body_start", "discard_partial", "meta_path",
           "part_path", "partial_size"]

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


#: Opened without following a link, and without blocking on a FIFO planted in its place.
_NO_FOLLOW = os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class ResumeMismatch(Exception):
    """The 206 answering a resume is not the rest of the ``.part`` (another version of the
    file, other bounds): the download must restart from zero, never splice. The message says
    what differed."""


def partial_size(path: str) -> int:
    """Bytes already in ``path``'s ``.part`` (0 when there is none, or it is not a regular
    file, which ``Download`` refuses): what resume would keep."""
    try:
        st = os.lstat(part_path(path))
    except OSError:
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def body_start(status: int, headers: Iterable[tuple[str, str]], *,
               decoded: bool = False) -> int | None:
    """Where a download response's body lands in the file, byte for byte as received: 0 for a
    2xx, the Content-Range start of a 206; None when the body is not written (any other
    status) or, for a download asked to be ``decoded``, when a Content-Encoding means that the
    file does not hold the wire bytes.
    """
    values = {k.lower(): v for k, v in headers}
    if decoded and values.get("content-encoding", "identity").strip().lower() not in (
            "", "identity"):
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
    if exc.errno == errno.ELOOP:
        return StreamError("io", f"cannot write {path}: it is a symbolic link "
                                 "(not followed; delete it to download)")
    f = file_failure(exc, path)
    return StreamError(f.kind, f.message)


def _not_regular(path: str) -> StreamError:
    return StreamError("io", f"cannot write {path}: it is not a regular file "
                             "(a link, a folder or a device; delete it to download)")


def _check_regular(path: str) -> None:
    """Refuse a ``path`` that exists and is not a regular file (a symlink included)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _io_error(exc, path) from None
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(path)


def _open_no_follow(path: str, *, create: bool) -> int:
    """A descriptor for ``path``, read-write, never through a symlink and only for a regular
    file. ``create``: a new file (``O_EXCL``; an old regular file there is removed first),
    else the existing one."""
    flags = os.O_RDWR | _NO_FOLLOW
    if create:
        flags |= os.O_CREAT | os.O_EXCL
    for _ in range(2):
        try:
            fd = os.open(path, flags, 0o666)
            break
        except FileExistsError:
            _check_regular(path)
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)  # a regular file: an old .part, replaced by ours
        except OSError as exc:
            raise _io_error(exc, path) from None
    else:
        raise StreamError("io", f"cannot write {path}: it keeps being re-created")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _not_regular(path)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _fileobj(fd: int) -> BinaryIO:
    """The buffered file over a descriptor from ``_open_no_follow`` (tests wrap this)."""
    return os.fdopen(fd, "r+b")


def _same_file(path: str, fd: int) -> bool:
    """Whether ``path`` is still the very file open as ``fd`` (not swapped for another)."""
    try:
        a, b = os.lstat(path), os.fstat(fd)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


#: ``Digest`` (RFC 3230) and ``Repr-Digest`` (RFC 9530) algorithms checked, by hashlib name.
_DIGESTS = {"sha-256": "sha256", "sha-512": "sha512", "md5": "md5", "sha": "sha1"}
_REPR_DIGEST = re.compile(r"\s*([A-Za-z0-9-]+)\s*=\s*:([A-Za-z0-9+/=]*):")
_DIGEST = re.compile(r"\s*([A-Za-z0-9-]+)\s*=\s*([A-Za-z0-9+/=]+)")


def expected_digests(headers: httpx.Headers) -> list[tuple[str, str, str, bool]]:
    """The digests a response announces that can be checked: (header, algorithm, base64
    value, whole file?). ``Repr-Digest`` and ``Digest`` cover the whole representation (the
    whole file, also for a 206); ``Content-MD5`` only the bytes of this response."""
    out: list[tuple[str, str, str, bool]] = []
    for header, pattern in (("repr-digest", _REPR_DIGEST), ("digest", _DIGEST)):
        for item in headers.get_list(header, split_commas=True):
            m = pattern.match(item)
            if m and m.group(1).lower() in _DIGESTS:
                out.append((header, _DIGESTS[m.group(1).lower()], m.group(2), True))
    md5 = headers.get("content-md5")
    if md5:
        out.append(("content-md5", "md5", md5.strip(), False))
    return out


class Download:
    """One destination file; ``session.run`` drives it, one connection at a time.

    Order of calls: ``check_writable()`` before any request, ``request_headers()`` when
    building it, ``start(response)``, ``write()`` per read, ``finish()`` at a complete end,
    and ``close()`` always (it keeps what arrived in the ``.part``).
    """

    def __init__(self, path: str, *, resume: bool = False,
                 name_from_response: bool = False, decoded: bool = False) -> None:
        self.path = path
        self.part = part_path(path)
        self.resume = resume
        self.name_from_response = name_from_response and not resume
        #: The file gets the body with its Content-Encoding undone (else as sent).
        self.decoded = decoded
        self.bytes = 0  # bytes of the file so far, resumed part included
        self.total: int | None = None  # full size when the server said it
        self._asked_from = 0  # the Range start we asked for (0: whole file)
        self._validator: str | None = None
        self._file: BinaryIO | None = None
        self._hash = hashlib.sha256()
        #: Digests the server announced: (header, hashlib name, value, of the whole file?)
        self._digests: list[tuple[str, str, str, bool]] = []
        self._whole: dict[str, Any] = {}  # hashers over the whole file, resumed part too
        self._body: dict[str, Any] = {}  # hashers over this response's bytes only
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
        _check_regular(self.part)  # never written through a link someone planted
        _check_regular(meta_path(self.path))

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
            fd = os.open(meta_path(self.path), os.O_RDONLY | _NO_FOLLOW)
        except OSError:
            return {}
        try:
            with os.fdopen(fd, encoding="utf-8") as f:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    return {}
                data = loads_bounded(f.read())  # deep nesting: ValueError
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    # --- the response -----------------------------------------------------------------------

    async def start(self, response: httpx.Response) -> bool:
        """Open the ``.part`` for this response; True when it is already complete (416)."""
        status, hp = response.status_code, host_port(response.url)
        encoded = self.decoded and body_start(200, response.headers.items(), decoded=True) is None
        length = response.headers.get("content-length")
        self.total = int(length) if length and length.isdigit() and not encoded else None
        self._digests = [] if encoded else expected_digests(response.headers)
        if status == 206 and self._asked_from:
            self.total = self._check_resume(response)
            await self._open(append=True)
        elif status == 416 and self._asked_from:
            m = re.match(r"bytes\s+\*/(\d+)", response.headers.get("content-range", ""))
            known = int(m.group(1)) if m else self._read_meta().get("total")
            if known != self._asked_from:
                raise StreamError("http", f"HTTP 416 from {hp}: cannot resume {self.part} at "
                                          f"byte {self._asked_from}; delete it to start over")
            self.total = known
            self._digests = []  # no body: nothing announced about it to check
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
    def _check_resume(self, response: httpx.Response) -> int | None:
        """The file's total size from a 206 answering our ``Range``, after checking that it
        continues the ``.part``: the bounds of its Content-Range and its validator against
        what ``.part.json`` recorded (a server may ignore ``If-Range``). ResumeMismatch if not.
        """
        meta = self._read_meta()
        headers = response.headers
        differs: list[str] = []
        crange = headers.get("content-range", "")
        m = _CONTENT_RANGE.match(crange)
        total: int | None = None
        if m is None:
            differs.append(f"Content-Range {crange!r} is not a byte range")
        else:
            total = int(m.group(3)) if m.group(3) != "*" else None
            if int(m.group(1)) != self._asked_from:
                differs.append(f"the range starts at byte {m.group(1)}, not at byte "
                               f"{self._asked_from}")
            known = meta.get("total")
            if type(known) is int and total is not None and total != known:
                differs.append(f"the file is {total} bytes now, {known} before")
        etag, modified = meta.get("etag"), meta.get("last_modified")
        if isinstance(etag, str) and etag:
            if headers.get("etag") != etag:
                differs.append(f"ETag {headers.get('etag')!r}, the .part has {etag!r}")
        elif isinstance(modified, str) and modified and headers.get("last-modified") != modified:
            differs.append(f"Last-Modified {headers.get('last-modified')!r}, the .part has "
                           f"{modified!r}")
        if differs:
            raise ResumeMismatch(f"{host_port(response.url)} answered the resume of "
                                 f"{self.part} with another file ({'; '.join(differs)}): "
                                 "restarting from zero")
        return total

    async def _open(self, *, append: bool) -> None:
        self._hash = hashlib.sha256()
        self._whole = {algo: hashlib.new(algo) for _, algo, _, whole in self._digests if whole}
        self._body = {algo: hashlib.new(algo) for _, algo, _, whole in self._digests
                      if not whole}
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="download")
        self._syncer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="fdatasync")
        self._unsynced = 0
        self._file = _fileobj(_open_no_follow(self.part, create=not append))
        self.bytes = 0
        if append:
            await asyncio.wrap_future(self._pool.submit(self._hash_existing))
        self._started = time.monotonic()
        self._received = 0

    def _hash_existing(self) -> None:
        """Hash the resumed part (and seek to its end) so the final SHA-256 covers it all."""
        assert self._file is not None
        self._file.seek(0)
        hashers = [self._hash, *self._whole.values()]
        while block := self._file.read(BLOCK):
            for h in hashers:
                h.update(block)
            self.bytes += len(block)

    def _write_meta(self, response: httpx.Response) -> None:
        meta = self._read_meta() if response.status_code == 206 else {}
        meta.update(url=str(response.url), total=self.total)
        if response.status_code != 206:
            meta.update(etag=response.headers.get("etag"),
                        last_modified=response.headers.get("last-modified"))
        # A new file of ours renamed over the name: a link planted there is replaced, not
        # written through.
        path = meta_path(self.path)
        try:
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp",
                                       dir=os.path.dirname(os.path.abspath(path)))
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(meta, f)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.remove(tmp)
                raise
        except OSError as exc:
            raise _io_error(exc, path) from None

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
        # One write and one update per hash for the whole block, not one per network read:
        # each is a call that lets the GIL go and must win it back from the event loop's
        # thread (up to the 5 ms switch interval when that thread is busy). Per piece, four
        # concurrent downloads spent most of their time waiting for the GIL here.
        assert self._file is not None
        block = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        try:
            self._file.write(block)
        except OSError as exc:
            self._failed = True
            raise _io_error(exc, self.part) from None
        self._hash.update(block)
        for h in self._whole.values():
            h.update(block)
        for h in self._body.values():
            h.update(block)
        self._unsynced += len(block)
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
        self._check_digests()
        try:
            if self._sync is not None:
                await asyncio.wrap_future(self._sync)  # (errors surface in the final fsync)
            await asyncio.wrap_future(self._pool.submit(_sync, file))
            if not _same_file(self.part, file.fileno()):  # rename only what we wrote
                raise StreamError("io", f"{self.part} was replaced while downloading; "
                                        f"not renamed to {self.path}")
            file.close()
            os.replace(self.part, self.path)
        except OSError as exc:
            raise _io_error(exc, self.path) from None
        self._file = None
        with contextlib.suppress(OSError):
            os.remove(meta_path(self.path))
        return self.path, self._hash.hexdigest()

    def _check_digests(self) -> None:
        """Compare what the server announced (``Repr-Digest``, ``Digest``, ``Content-MD5``)
        with what arrived; on a mismatch the ``.part`` is corrupt: deleted, never renamed."""
        for header, algo, value, whole in self._digests:
            got = (self._whole if whole else self._body)[algo].digest()
            try:
                sent = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                sent = b""
            if got in (sent, _unhex(value)):
                continue
            assert self._file is not None
            with contextlib.suppress(OSError):
                if _same_file(self.part, self._file.fileno()):
                    os.remove(self.part)
                os.remove(meta_path(self.path))
            raise StreamError("protocol", f"the download does not match its {header} "
                                          f"({algo} {value}); {self.part} deleted")

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


def _unhex(value: str) -> bytes:
    """``value`` as hex digits (some servers send Content-MD5 so), else b''."""
    try:
        return bytes.fromhex(value)
    except ValueError:
        return b""


def _sync(file: BinaryIO) -> None:
    file.flush()
    os.fsync(file.fileno())


def _datasync(fd: int) -> None:
    """Write back what is written so far (background; the final fsync still comes)."""
    with contextlib.suppress(OSError):
        os.fdatasync(fd)
