"""Reading a file the user pointed at, safely: regular files only, never more than a limit.

Why: a ``.http`` body (``< ./body.json``), a curl ``--data-binary @file``, an
``http-client.env.json`` or a capture to replay can be a symlink to ``/dev/zero`` or a FIFO
in a repository just cloned. A plain ``read()`` then grows until memory runs out, or waits
forever for a writer. Here the file is opened without blocking (a FIFO opens at once), checked
to be a regular file by its open descriptor (no race with a swapped link), and read up to the
limit; anything else is a ``UserFileError`` that names the file and what is wrong with it.

Imports nothing of ours: every floor (requests, capture, the capture reader that replay uses)
reads user files through here.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

__all__ = ["MAX_USER_FILE", "MissingFile", "UserFileError", "open_user_file", "read_user_bytes",
           "read_user_text"]

#: A body, an environment or a capture read whole: 256 MiB at most unless the caller says less.
MAX_USER_FILE = 256 * 1024 * 1024


class UserFileError(ValueError):
    """A file that cannot be read as asked; the message names it and why."""


class MissingFile(UserFileError):
    """The file does not exist (some callers treat that as "none", not as an error)."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def _open_regular(path: str | os.PathLike[str], what: str) -> int:
    """A read-only descriptor of ``path`` once its open descriptor is a regular file."""
    shown = os.fspath(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        cls = MissingFile if exc.errno == errno.ENOENT else UserFileError
        raise cls(f"cannot read {what} {shown!r}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UserFileError(f"cannot read {what} {shown!r}: it is {_kind(mode)}; only"
                                " regular files are read")
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_user_file(path: str | os.PathLike[str], what: str = "file") -> BinaryIO:
    """``path`` opened for reading in binary, a regular file (links followed), for a reader
    that takes it in pieces (a capture, line by line: it may be larger than the memory).

    Only the kind of file is checked here: its length is the reader's to bound, per line.
    """
    fd = _open_regular(path, what)
    try:
        os.set_blocking(fd, True)  # (no effect on a regular file; a plain file object after)
        return os.fdopen(fd, "rb")
    except OSError as exc:
        os.close(fd)
        raise UserFileError(f"cannot read {what} {os.fspath(path)!r}: "
                            f"{exc.strerror or exc}") from None


def read_user_bytes(path: str | os.PathLike[str], what: str = "file",
                    limit: int = MAX_USER_FILE) -> bytes:
    """The bytes of ``path``, a regular file (links followed) of at most ``limit`` bytes."""
    shown = os.fspath(path)
    fd = _open_regular(path, what)
    try:
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                block = os.read(fd, min(1024 * 1024, limit + 1 - total))
            except BlockingIOError:  # a regular file never blocks; be safe anyway
                raise UserFileError(f"cannot read {what} {shown!r}: it would block") from None
            if not block:
                break
            chunks.append(block)
            total += len(block)
            if total > limit:
                raise UserFileError(f"{what} {shown!r} is larger than {_size(limit)}, the most"
                                    " that is read")
        return b"".join(chunks)
    except OSError as exc:
        raise UserFileError(f"cannot read {what} {shown!r}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_user_text(path: str | os.PathLike[str], what: str = "file",
                   limit: int = MAX_USER_FILE) -> str:
    """The text of ``path`` as UTF-8, one leading byte-order mark dropped (editors on Windows
    write one; every tool that reads these files accepts it)."""
    raw = read_user_bytes(path, what, limit)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise UserFileError(f"{what} {os.fspath(path)!r} is not UTF-8 text (line {line}, byte"
                            f" {exc.start})") from None
