"""The user's own files (``.http`` collections, environment files): read bounded, written
safely.

Why so careful: these files are the user's, usually in git and often open in an editor at
the same time. A write here

- never acts on a stale copy: right before the file is replaced, what is on disk is read again
  and compared with what the edit was made from (size and SHA-256; the mtime is kept too, for
  a quick look, but a same-second edit leaves it unchanged, so it never decides alone);
- never leaves half a file: a temporary file in the same folder, fsync, ``os.replace``, then
  the folder synced;
- keeps the file's mode (a 0644 file stays 0644) and a symbolic link (its target is written);
- never replaces a file that appeared meanwhile when it creates one (``link(2)`` refuses a
  name that exists).

A read takes regular files only, up to a size limit, and never blocks (``userfiles``): a cloned
repository can carry a link to ``/dev/zero`` or a FIFO where a ``.http`` file is expected.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from stream_core.userfiles import MissingFile, UserFileError, read_user_bytes

__all__ = ["MAX_FILE", "FileError", "Snapshot", "StaleFile", "read_text", "write_text"]

log = logging.getLogger(__name__)

#: The largest request or environment file read (a body file shown in the editor too).
MAX_FILE = 16 * 1024 * 1024


class FileError(UserFileError):
    """A file that is not UTF-8 text (the message names it and where)."""


class StaleFile(OSError):
    """The file on disk is no longer the one the edit was made from (``now`` is it)."""

    def __init__(self, now: Snapshot) -> None:
        super().__init__(f"{now.path} changed on disk")
        self.now = now


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A file's text as read, and what identifies that version of it."""

    path: Path
    text: str = ""
    exists: bool = False
    size: int = 0
    mtime_ns: int = 0
    digest: str = ""

    def same_file(self, other: Snapshot) -> bool:
        """Whether ``other`` is this very version (the mtime aside: see the module)."""
        return (self.exists, self.size, self.digest) == (other.exists, other.size, other.digest)


def read_text(path: str | os.PathLike[str], limit: int = MAX_FILE,
              what: str = "file") -> Snapshot:
    """The UTF-8 text of the regular file ``path`` (a missing file: ``exists`` False), read
    through ``userfiles`` (regular files only, never blocking, at most ``limit`` bytes).

    Raises UserFileError (FileError for text that is not UTF-8) naming ``what`` and the file.
    """
    path = Path(path)
    try:
        data = read_user_bytes(path, what, limit)
    except MissingFile:
        return Snapshot(path)
    try:
        text = data.decode("utf-8")  # a byte-order mark stays: the parser skips it, and a
    except UnicodeDecodeError as exc:  # write keeps it
        line = data[:exc.start].count(b"\n") + 1
        raise FileError(f"{what} {str(path)!r} is not UTF-8 text (line {line}, byte"
                        f" {exc.start})") from None
    try:
        mtime = os.stat(path).st_mtime_ns  # for a quick look only: the hash decides
    except OSError:
        mtime = 0
    return Snapshot(path, text, True, len(data), mtime, hashlib.sha256(data).hexdigest())


def write_text(path: str | os.PathLike[str], text: str, expected: Snapshot, *,
               new_mode: int | None = None) -> Snapshot:
    """Replace ``path`` with ``text`` if the file on disk is still ``expected``, or create it
    if ``expected`` says it did not exist; the new snapshot.

    StaleFile (``path`` untouched) when it is not; OSError when the system refuses. A new file
    gets ``new_mode`` (0600 for secrets) or the umask's default.
    """
    path = Path(path)
    real = Path(os.path.realpath(path))
    data = text.encode("utf-8")
    owner: tuple[int, int] | None = None
    mode: int | None
    if expected.exists:
        try:
            info = os.stat(real)
        except FileNotFoundError:
            raise StaleFile(read_text(path)) from None
        mode, owner, create_mode = stat.S_IMODE(info.st_mode), (info.st_uid, info.st_gid), 0o600
    else:  # the kernel applies the umask to 0o666, as ``open(path, "w")`` would
        mode = new_mode
        create_mode = 0o666 if new_mode is None else new_mode
    temp = _create_temp(real, create_mode)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CLOEXEC)
        with os.fdopen(fd, "wb") as f:
            if owner is not None and owner != (os.getuid(), os.getgid()):
                with contextlib.suppress(OSError):  # a shared group's file keeps its group
                    os.fchown(fd, *owner)
            if mode is not None:
                os.fchmod(fd, mode)
            f.write(data)
            f.flush()
            os.fsync(fd)
        now = read_text(path)
        if not now.same_file(expected):  # changed since the caller read it: leave it be
            raise StaleFile(now)
        if expected.exists:
            os.replace(temp, real)
        else:
            _link_new(temp, real, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    _sync_folder(real.parent)
    info = os.stat(real)
    return Snapshot(path, text, True, len(data), info.st_mtime_ns,
                    hashlib.sha256(data).hexdigest())


def _create_temp(real: Path, mode: int) -> Path:
    """An empty new file ``.NAME.XXXXXXXX.tmp`` beside ``real`` (a dot file: editors and
    the folder watch skip it)."""
    for _ in range(100):
        temp = real.with_name(f".{real.name[:200]}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode))
        except FileExistsError:
            continue
        return temp
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(real.parent))


def _link_new(temp: Path, real: Path, path: Path) -> None:
    """Give ``temp`` the name ``real`` only if no file has it (``link`` is atomic about it)."""
    try:
        os.link(temp, real)
    except FileExistsError:
        raise StaleFile(read_text(path)) from None
    except OSError as exc:  # a file system without hard links: reserve the name, then replace
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK):
            raise
        try:
            os.close(os.open(real, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
        except FileExistsError:
            raise StaleFile(read_text(path)) from None
        os.replace(temp, real)


def _sync_folder(folder: Path) -> None:
    """The rename itself survives a crash (best effort: not every file system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
