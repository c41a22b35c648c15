"""The user's files on disk (issue 23 items 2, 3; 25.8 for the reads): bounded reads of
regular files only, writes that keep the mode and a link, never replace a file changed or
created meanwhile, and leave no temporary file behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from stream_core.requests import files
from stream_core.requests.files import FileError, Snapshot, StaleFile, read_text, write_text
from stream_core.userfiles import UserFileError


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def no_temp(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_read_regular_files_only_and_bounded(tmp_path: Path) -> None:
    assert read_text(tmp_path / "missing.http") == Snapshot(tmp_path / "missing.http")
    fifo = tmp_path / "fifo.http"
    os.mkfifo(fifo)
    with pytest.raises(UserFileError, match="it is a FIFO"):  # and it does not hang
        read_text(fifo)
    (tmp_path / "zero.http").symlink_to("/dev/zero")
    with pytest.raises(UserFileError, match="zero.http': it is a character device"):
        read_text(tmp_path / "zero.http")
    with pytest.raises(UserFileError, match="it is a folder"):
        read_text(tmp_path)
    (tmp_path / "latin1.http").write_bytes(b"GET http://x/\xe9\n")
    with pytest.raises(FileError, match=r"not UTF-8 text \(line 1, byte 13\)"):
        read_text(tmp_path / "latin1.http")
    big = tmp_path / "big.http"
    big.write_text("x" * 101)
    with pytest.raises(UserFileError, match="larger than 100 bytes"):
        read_text(big, limit=100)
    snap = read_text(big)
    assert snap.exists and snap.size == 101 and snap.text == "x" * 101


@pytest.mark.parametrize("bits", [0o644, 0o640, 0o600, 0o664])
def test_a_rewritten_file_keeps_its_mode(tmp_path: Path, bits: int) -> None:
    path = tmp_path / "api.http"
    path.write_text("GET http://127.0.0.1/a\n")
    path.chmod(bits)
    new = write_text(path, "GET http://127.0.0.1/b\n", read_text(path))
    assert path.read_text() == "GET http://127.0.0.1/b\n" and mode(path) == bits
    assert new == read_text(path) and no_temp(tmp_path)


def test_new_files_umask_or_asked_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.http", "x\n", Snapshot(tmp_path / "a.http"))
        write_text(tmp_path / "p.json", "{}\n", Snapshot(tmp_path / "p.json"), new_mode=0o600)
    finally:
        os.umask(old)
    assert mode(tmp_path / "a.http") == 0o644 and mode(tmp_path / "p.json") == 0o600


def test_a_link_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "api.http"
    real.parent.mkdir()
    real.write_text("GET http://127.0.0.1/a\n")
    link = tmp_path / "api.http"
    link.symlink_to(real)
    write_text(link, "GET http://127.0.0.1/b\n", read_text(link))
    assert link.is_symlink() and real.read_text() == "GET http://127.0.0.1/b\n"
    assert no_temp(real.parent)


def test_never_over_a_file_changed_or_created_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "api.http"
    path.write_text("GET http://127.0.0.1/a\n")
    read = read_text(path)
    path.write_text("GET http://127.0.0.1/theirs\n")  # same size, maybe the same mtime
    with pytest.raises(StaleFile) as caught:
        write_text(path, "GET http://127.0.0.1/mine\n", read)
    assert path.read_text() == "GET http://127.0.0.1/theirs\n"
    assert caught.value.now.text == "GET http://127.0.0.1/theirs\n" and no_temp(tmp_path)

    path.unlink()  # deleted meanwhile: not recreated from the stale copy
    with pytest.raises(StaleFile):
        write_text(path, "GET http://127.0.0.1/mine\n", read)
    assert not path.exists()

    new = tmp_path / "new.http"  # created meanwhile: a new file never replaces it
    absent = read_text(new)
    new.write_text("theirs\n")
    with pytest.raises(StaleFile):
        write_text(new, "mine\n", absent)
    assert new.read_text() == "theirs\n" and no_temp(tmp_path)


def test_a_failed_write_leaves_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "api.http"
    path.write_text("GET http://127.0.0.1/a\n")

    def refuse(*_a: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", refuse)
    with pytest.raises(OSError, match="No space left"):
        write_text(path, "GET http://127.0.0.1/b\n", read_text(path))
    assert path.read_text() == "GET http://127.0.0.1/a\n" and no_temp(tmp_path)
