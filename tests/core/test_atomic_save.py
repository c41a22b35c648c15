"""Save and Export never truncate the target first: a failure half-way leaves the user's
previous file as it was, and no temporary file behind (issue 13, item 4)."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from stream_core.capture import records_file
from stream_core.capture.reader import read_capture
from stream_core.capture.records_file import AtomicFile, CaptureWriter, atomic_write
from stream_core.records import Chunk, End, Event, Request, Response

OLD = b"the file the user had\n"


@contextmanager
def disk_full() -> Iterator[None]:
    """Files that ``AtomicFile`` opens write to /dev/full: every flush fails with ENOSPC."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    real = os.fdopen

    def full(fd: int, mode: str = "r", *args: Any, **kw: Any) -> Any:
        os.close(fd)
        return open("/dev/full", mode)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "fdopen", full)
        try:
            yield
        finally:
            mp.setattr(os, "fdopen", real)


def previous(tmp_path: Path, name: str = "old.sicap") -> Path:
    path = tmp_path / name
    path.write_bytes(OLD)
    path.chmod(0o640)
    return path


def untouched(path: Path) -> None:
    assert path.read_bytes() == OLD
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary file


def test_atomic_write_replaces_only_a_complete_file(tmp_path: Path) -> None:
    path = previous(tmp_path, "x.har")
    with pytest.raises(RuntimeError), atomic_write(path) as out:
        out.write(b"half of the new")
        raise RuntimeError("an error half-way")
    untouched(path)
    with atomic_write(path) as out:
        out.write(b"new")
    assert path.read_bytes() == b"new" and (path.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["x.har"]


def test_atomic_write_on_a_full_disk(tmp_path: Path) -> None:
    path = previous(tmp_path, "x.ndjson")
    with pytest.raises(OSError) as info:
        with disk_full(), atomic_write(path) as out:
            out.write(b"x" * 100_000)
    assert info.value.errno == errno.ENOSPC
    untouched(path)


def _records() -> list[Any]:
    out: list[Any] = [Request(0.0, "GET", "http://127.0.0.1/x", []),
                      Response(0.01, 200, "OK", "HTTP/1.1", [], "sse")]
    for i in range(50):
        out += [Chunk(i, 0.02, i * 10, b"data: %d\n\n\n" % i), Event(i, 0.02, "message", "x", "")]
    return [*out, End(0.05, 500, 50, 50, 0.05, True)]


def test_a_save_that_fails_half_way_keeps_the_previous_capture(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = previous(tmp_path)
    calls = 0
    real = records_file.record_line

    def failing(record: Any, **kw: Any) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 40:
            raise ValueError("a record that cannot be serialised")
        return real(record, **kw)
    monkeypatch.setattr(records_file, "record_line", failing)
    with pytest.raises(ValueError), CaptureWriter(path, live=False) as writer:
        writer.extend(_records())
    untouched(path)
    monkeypatch.setattr(records_file, "record_line", real)
    with CaptureWriter(path, live=False) as writer:
        writer.extend(_records())
    assert len(read_capture(path).records) == 103


def test_a_save_on_a_full_disk_keeps_the_previous_capture(tmp_path: Path) -> None:
    path = previous(tmp_path)
    with disk_full(), pytest.raises(OSError):
        CaptureWriter(path, live=False)
    untouched(path)


def test_a_live_capture_is_there_from_its_header_on(tmp_path: Path) -> None:
    """A stream being recorded (capture --save) shows under its name at once and grows."""
    path = previous(tmp_path)
    writer = CaptureWriter(path)
    assert read_capture(path).records == []
    writer.extend(_records()[:2])
    writer.flush()
    assert len(read_capture(path).records) == 2
    writer.close()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_atomic_file_commit_failure_leaves_no_temporary(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = previous(tmp_path, "b.bin")

    def fsync_fails(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")
    out = AtomicFile(path)
    out.file.write(b"new")
    monkeypatch.setattr(os, "fsync", fsync_fails)
    with pytest.raises(OSError):
        out.commit()
    out.close()
    untouched(path)


def test_a_new_file_gets_the_usual_mode(tmp_path: Path) -> None:
    """Not mkstemp's private 0600: the mode ``open(path, "wb")`` gave before."""
    old = os.umask(0o027)
    try:
        with atomic_write(tmp_path / "new.har") as out:
            out.write(b"{}")
    finally:
        os.umask(old)
    assert ((tmp_path / "new.har").stat().st_mode & 0o777) == 0o640
