"""Downloads: .part until complete, atomic rename, SHA-256, progress, resume, faults."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from embedded_server import content
from embedded_server.content import expected_sha256
from stream_core.net import download as dl
from stream_core.net.session import Clients, run
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import AnyRecord, Chunk, Progress
from tests.core.conftest import Capture, collect

MiB = 1024 * 1024


def spec(url: str, out: Path, **kw: Any) -> RequestSpec:
    return RequestSpec(url, mode=Mode.DOWNLOAD, output=str(out), **kw)


@pytest.mark.parametrize("length", ["true", "false"])
def test_download_complete(demo_server: str, tmp_path: Path, length: str) -> None:
    size = 3 * MiB + 123
    out = tmp_path / "file.bin"
    cap = collect(spec(f"{demo_server}/download?size={size}&length={length}", out))
    assert cap.errors == [] and cap.end.complete
    assert cap.of("response")[0].mode == "download"
    assert out.stat().st_size == size
    assert hashlib.sha256(out.read_bytes()).hexdigest() == expected_sha256(size)
    assert cap.end.path == str(out) and cap.end.sha256 == expected_sha256(size)
    assert not Path(dl.part_path(str(out))).exists()
    assert not Path(dl.meta_path(str(out))).exists()
    last = cap.of("progress")[-1]
    assert last.bytes == size and last.total == (size if length == "true" else None)
    sent = dict((k.lower(), v) for k, v in cap.of("request")[0].headers)
    assert sent["accept-encoding"] == "identity"


def test_progress_is_throttled(demo_server: str, tmp_path: Path) -> None:
    size = 2 * MiB
    cap = collect(spec(f"{demo_server}/download?size={size}&rate={4 * MiB}",
                       tmp_path / "f"))
    progress = cap.of("progress")
    ts = [p.t for p in progress]
    # about 0.5 s of transfer: at most ~10 per second plus the final one
    assert 2 <= len(progress) <= 10 * (ts[-1] - ts[0]) + 2
    assert [p.bytes for p in progress] == sorted(p.bytes for p in progress)


def test_pause_and_resume_gives_the_same_file(demo_server: str, tmp_path: Path) -> None:
    size = 3 * MiB
    out = tmp_path / "big.bin"
    url = f"{demo_server}/download?size={size}&rate={6 * MiB}"

    async def start_then_pause() -> Capture:
        records: list[AnyRecord] = []
        part_way = asyncio.Event()

        def observer(rec: AnyRecord) -> None:
            records.append(rec)
            if isinstance(rec, Chunk) and rec.offset >= MiB + 1:  # between two Progress
                part_way.set()

        clients = Clients()
        task = asyncio.create_task(run(clients, spec(url, out), observer))
        await part_way.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await clients.aclose()
        return Capture(records)

    first = asyncio.run(start_then_pause())
    assert first.errors[-1] == ("cancelled", "stopped") and not first.end.complete
    assert not out.exists()
    kept = dl.partial_size(str(out))
    assert MiB < kept < size
    # its last Progress says what it got, as the End does (issue 23.11)
    assert first.of("progress")[-1].bytes == kept == first.end.bytes
    assert first.types.index("error") > first.types.index("progress")

    second = collect(spec(url, out, resume=True))
    assert second.errors == [] and second.end.complete
    sent = dict((k.lower(), v) for k, v in second.of("request")[0].headers)
    assert sent["range"] == f"bytes={kept}-" and sent["if-range"].startswith('"')
    assert second.of("response")[0].status == 206
    assert second.end.bytes == size - kept  # only the rest crossed the wire
    assert second.end.sha256 == expected_sha256(size)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == expected_sha256(size)


def test_resume_restarts_when_the_file_changed(demo_server: str, tmp_path: Path) -> None:
    size = MiB
    out = tmp_path / "f.bin"
    Path(dl.part_path(str(out))).write_bytes(b"stale bytes of another version")
    Path(dl.meta_path(str(out))).write_text(json.dumps({"etag": '"old-version"'}))
    cap = collect(spec(f"{demo_server}/download?size={size}", out, resume=True))
    assert cap.of("response")[0].status == 200  # If-Range did not match: the whole file
    assert cap.end.sha256 == expected_sha256(size)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == expected_sha256(size)


def test_resume_of_a_complete_part_finishes(demo_server: str, tmp_path: Path) -> None:
    size = 100_000
    out = tmp_path / "f.bin"
    first = collect(spec(f"{demo_server}/download?size={size}", out))
    Path(out).rename(dl.part_path(str(out)))  # as if stopped right before the rename
    cap = collect(spec(f"{demo_server}/download?size={size}", out, resume=True))
    assert cap.of("response")[0].status == 416
    assert cap.errors == [] and cap.end.complete
    assert cap.end.sha256 == first.end.sha256 == expected_sha256(size)


def test_cut_off_download_leaves_no_final_file(demo_server: str, tmp_path: Path) -> None:
    out = tmp_path / "cut.bin"
    cap = collect(spec(f"{demo_server}/faults/truncated-download?size={MiB}&sent={MiB // 2}",
                       out))
    [(kind, message)] = cap.errors
    assert kind == "protocol" and f"Content-Length said {MiB}" in message
    assert not out.exists()
    assert dl.partial_size(str(out)) == MiB // 2  # kept for resume
    assert cap.end.path is None and not cap.end.complete


def test_unwritable_output_sends_no_request(demo_server: str, tmp_path: Path) -> None:
    cap = collect(spec(f"{demo_server}/download?size=10", tmp_path / "missing" / "f.bin"))
    assert cap.types == ["error", "end"]
    assert cap.errors == [("io", f"cannot write {tmp_path / 'missing' / 'f.bin'}: "
                                 "the folder does not exist")]
    cap = collect(spec(f"{demo_server}/download?size=10", tmp_path))
    assert cap.errors[0][0] == "io" and "is a folder" in cap.errors[0][1]


class _FullDisk:
    """A file whose writes fail with ENOSPC once ``room`` bytes are written."""

    def __init__(self, real: Any, room: int) -> None:
        self._real, self._room = real, room

    def write(self, data: bytes) -> int:
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= len(data)
        return int(self._real.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_background_datasync_and_blocks_in_flight(
        demo_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many blocks in flight and an fdatasync every 2 MiB: the file is still whole and right."""
    synced: list[int] = []
    real = dl.os.fdatasync

    def datasync(fd: int) -> None:
        synced.append(fd)
        real(fd)

    monkeypatch.setattr(dl, "SYNC_EVERY", 2 * MiB)
    monkeypatch.setattr(dl.os, "fdatasync", datasync)
    size = 9 * MiB + 7
    out = tmp_path / "synced.bin"
    cap = collect(spec(f"{demo_server}/download?size={size}", out))
    assert cap.errors == [] and cap.end.complete
    assert cap.end.sha256 == expected_sha256(size)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == expected_sha256(size)
    assert synced, "the writer started background fdatasyncs"


def test_full_disk(demo_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = dl._fileobj
    monkeypatch.setattr(dl, "_fileobj", lambda fd: _FullDisk(real(fd), 2 * MiB))
    out = tmp_path / "f.bin"
    cap = collect(spec(f"{demo_server}/download?size={8 * MiB}", out))
    part = dl.part_path(str(out))
    assert cap.errors == [("io", f"disk full writing {part}")]
    assert not out.exists()
    kept = Path(part).read_bytes()
    assert 0 < len(kept) <= 2 * MiB
    assert kept == content.block(8 * MiB, 0, len(kept)), "the .part is a true prefix"


def test_auto_download_without_a_file_reports_progress(demo_server: str) -> None:
    size = 300_000
    cap = collect(RequestSpec(f"{demo_server}/download-large-file?size={size}"))
    assert cap.of("response")[0].mode == "download"
    last = cap.of("progress")[-1]
    assert last.bytes == size and last.total == size
    assert cap.end.path is None and cap.end.complete


def test_stop_twice_leaves_nothing_running(demo_server: str, tmp_path: Path) -> None:
    """A second Stop while the first is being handled must not leak the writer thread."""
    out = tmp_path / "twice.bin"

    async def scenario() -> Capture:
        records: list[AnyRecord] = []
        started = asyncio.Event()

        def observer(rec: AnyRecord) -> None:
            records.append(rec)
            if isinstance(rec, Progress):
                started.set()

        clients = Clients()
        task = asyncio.create_task(run(clients, spec(f"{demo_server}/download?size={4 * MiB}"
                                                     f"&rate={4 * MiB}", out), observer))
        await started.wait()
        task.cancel()
        await asyncio.sleep(0)  # let the first cancellation start unwinding
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await clients.aclose()
        return Capture(records)

    cap = asyncio.run(scenario())
    cap.check_shape()
    assert cap.errors[-1] == ("cancelled", "stopped")
    assert not out.exists() and dl.partial_size(str(out)) > 0


@pytest.mark.parametrize(("status", "headers", "start"), [
    (200, [("Content-Length", "10")], 0),
    (206, [("Content-Range", "bytes 4096-9999/10000")], 4096),
    (200, [("Content-Encoding", "gzip")], 0),  # the file holds the bytes as sent
    (206, [("Content-Range", "garbage")], None),
    (404, [], None),
    (204, [], None),
])
def test_body_start(status: int, headers: list[tuple[str, str]], start: int | None) -> None:
    assert dl.body_start(status, headers) == start


def test_auto_with_an_output_writes_only_a_download(demo_server: str, tmp_path: Path) -> None:
    """Issue 23.12: the window's Auto gives every request an output; a download (here
    ``Content-Disposition: attachment``) is written there, anything else is not."""
    size = MiB + 7
    out = tmp_path / "auto.bin"
    request = RequestSpec(f"{demo_server}/download-large-file?size={size}", output=str(out))
    cap = collect(request)
    assert cap.errors == [] and cap.end.complete
    assert cap.of("response")[0].mode == "download"
    assert cap.end.path is not None and Path(cap.end.path).stat().st_size == size
    assert cap.end.sha256 == hashlib.sha256(Path(cap.end.path).read_bytes()).hexdigest()
    assert request.mode is Mode.DOWNLOAD  # a resume asks for the rest of this file

    events = tmp_path / "events.bin"
    request = RequestSpec(f"{demo_server}/events?interval=0&count=3", output=str(events))
    cap = collect(request)
    assert cap.errors == [] and len(cap.of("event")) == 3 and cap.end.path is None
    assert request.mode is Mode.AUTO
    assert not events.exists() and not Path(dl.part_path(str(events))).exists()
