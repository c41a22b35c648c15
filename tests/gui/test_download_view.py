"""The Download sub-tab against the real demo server: progress, SHA-256, pause/resume, cancel.

Every wait is on a signal or a condition; the throttled downloads (``rate=``) make a pause
land part-way without any sleep.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from embedded_server.content import expected_sha256
from gui.stream.controller import State, StreamController
from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.capture.reader import read_capture
from stream_core.net import download
from stream_core.net.download import part_path
from stream_core.net.session import Clients
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import Chunk

MiB = 1024 * 1024


class _Full:
    """A file whose every write fails as on a full disk."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def start(window: MainWindow, url: str, path: Path) -> tuple[StreamController, StreamTab]:
    controller = window.start(RequestSpec(url, mode=Mode.DOWNLOAD, output=str(path)))
    tab = window.current_tab()
    assert isinstance(tab, StreamTab) and tab.controller is controller
    assert tab.tabs.currentWidget() is tab.download  # downloads open on their own view
    return controller, tab


def wait_ended(qtbot: QtBot, controller: StreamController, timeout: int = 60000) -> None:
    qtbot.waitUntil(lambda: controller.ended, timeout=timeout)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(MiB):
            digest.update(block)
    return digest.hexdigest()


def test_large_download_bar_rises_and_sha256_matches(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    size = 300 * MiB
    target = tmp_path / "big.bin"
    controller, tab = start(window, f"{demo_server}/download?size={size}", target)
    values: list[tuple[int, int]] = []
    controller.updated.connect(lambda: values.append((tab.progress.value(),
                                                      tab.progress.maximum())))
    wait_ended(qtbot, controller, timeout=90000)
    assert controller.state == State.DONE, controller.error
    assert controller.end is not None and controller.end.sha256 == expected_sha256(size)
    assert target.stat().st_size == size and not Path(part_path(str(target))).exists()
    partial = [v for v, m in values if m == size // 1024 and 0 < v < m]
    assert len(partial) >= 2 and partial == sorted(partial) and partial[0] < partial[-1]
    assert tab.download.values["sha256"].text() == expected_sha256(size)
    assert "complete" in tab.progress.format()
    # ~10 refreshes a second at most, however many chunks arrived
    assert len(values) <= controller.elapsed() * 12 + 5 < controller.stats.chunks


def test_pause_and_resume_give_the_same_file(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    size = 6 * MiB
    target = tmp_path / "paused.bin"
    controller, tab = start(window, f"{demo_server}/download?size={size}&rate={4 * MiB}", target)
    qtbot.waitUntil(lambda: controller.progress is not None
                    and controller.progress.bytes >= MiB, timeout=10000)
    assert tab.download.pause.isEnabled() and not tab.download.resume.isEnabled()
    tab.download.pause.click()
    wait_ended(qtbot, controller)
    assert controller.state == State.STOPPED
    kept = Path(part_path(str(target))).stat().st_size
    assert MiB <= kept < size and not target.exists()
    assert "Paused" in tab.download.status.text()
    assert tab.download.resume.isEnabled()

    with qtbot.waitSignal(controller.finished, timeout=30000):
        tab.download.resume.click()
    assert controller.state == State.DONE, controller.error
    assert controller.runs == 2
    assert ("Range", f"bytes={kept}-") in controller.requests[-1].headers
    assert controller.responses[-1].status == 206
    assert "206" in tab.download.status.text()
    assert sha256_of(target) == expected_sha256(size) == controller.end.sha256  # type: ignore[union-attr]
    assert tab.progress.value() == tab.progress.maximum()
    # the resumed run continues the first run's chunk numbers and offsets
    seqs = [controller.chunks.row(i).seq for i in range(len(controller.chunks))]
    assert seqs == list(range(len(seqs)))
    # the recording keeps references into the file, and a save reads the body back from it
    assert recorded_body(window, controller) == target.read_bytes()


def recorded_body(window: MainWindow, controller: StreamController) -> bytes:
    """The body as the tab's recording gives it to Save, checking its spool holds no copy."""
    recorder = window.captures.recorders[controller]
    spool = recorder._spool
    assert spool is not None
    spool.flush()
    assert os.path.getsize(spool.path) < controller.stats.bytes / 10
    return b"".join(r.data for r in recorder.records() if isinstance(r, Chunk))


def test_saving_a_download_reads_its_body_from_the_file(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    size = 3 * MiB
    target = tmp_path / "saved.bin"
    controller, _tab = start(window, f"{demo_server}/download?size={size}", target)
    wait_ended(qtbot, controller)
    assert controller.state == State.DONE, controller.error
    assert recorded_body(window, controller) == target.read_bytes()
    capture = tmp_path / "download.sicap"
    assert window.save_capture(str(capture))
    assert read_capture(capture).body == target.read_bytes()

    target.unlink()  # the body is gone: Save says so and writes nothing
    assert not window.save_capture(str(tmp_path / "again.sicap"))
    assert "no longer at" in window.captures.last_message
    assert not (tmp_path / "again.sicap").exists()


def test_cut_off_download_keeps_only_the_part_and_resumes(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    size, sent = 4 * MiB, MiB
    target = tmp_path / "cut.bin"
    controller, tab = start(
        window, f"{demo_server}/faults/truncated-download?size={size}&sent={sent}", target)
    wait_ended(qtbot, controller)
    assert controller.state == State.FAILED
    assert not target.exists()
    kept = Path(part_path(str(target))).stat().st_size
    assert 0 < kept <= sent  # what arrived before the reset (the kernel may drop the rest)
    assert "kept" in tab.download.status.text() and tab.banner.isVisible()
    assert tab.download.resume.isEnabled()
    # the same bytes (same ETag) from an endpoint that honours Range
    controller.spec.url = f"{demo_server}/download?size={size}"
    with qtbot.waitSignal(controller.finished, timeout=30000):
        tab.download.resume.click()
    assert controller.state == State.DONE, controller.error
    assert controller.responses[-1].status == 206
    assert ("Range", f"bytes={kept}-") in controller.requests[-1].headers
    assert sha256_of(target) == expected_sha256(size)
    assert not tab.banner.isVisible()


def test_no_length_shows_the_busy_indicator_and_cancel_deletes_the_part(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    target = tmp_path / "nolength.bin"
    controller, tab = start(
        window, f"{demo_server}/download?size={32 * MiB}&rate={4 * MiB}&length=false", target)
    qtbot.waitUntil(lambda: controller.progress is not None
                    and controller.progress.bytes > 0, timeout=10000)
    tab.refresh()
    assert tab.progress.maximum() == 0  # busy indicator: no Content-Length
    assert "size unknown" in tab.download.values["received"].text()
    tab.download.cancel_delete.click()
    wait_ended(qtbot, controller)
    qtbot.waitUntil(lambda: "deleted" in tab.download.status.text(), timeout=5000)
    assert not Path(part_path(str(target))).exists() and not target.exists()
    assert not tab.download.resume.isEnabled()


def test_cancel_keeping_the_part(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    target = tmp_path / "keep.bin"
    controller, tab = start(window, f"{demo_server}/download?size={32 * MiB}&rate={4 * MiB}",
                            target)
    qtbot.waitUntil(lambda: controller.progress is not None
                    and controller.progress.bytes > 0, timeout=10000)
    tab.download.cancel_keep.click()
    wait_ended(qtbot, controller)
    qtbot.waitUntil(lambda: "kept" in tab.download.status.text(), timeout=5000)
    assert Path(part_path(str(target))).exists() and not target.exists()


def test_unwritable_destination_is_a_clear_message(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Any) -> None:
    target = tmp_path / "missing-folder" / "x.bin"
    controller, tab = start(window, f"{demo_server}/download?size=1000", target)
    wait_ended(qtbot, controller)
    assert controller.state == State.FAILED
    assert "folder does not exist" in tab.download.status.text()


def test_two_downloads_at_once_each_with_its_bar(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    sizes = (6 * MiB, 8 * MiB)
    started = [start(window, f"{demo_server}/download?size={n}&rate={4 * MiB}",
                     tmp_path / f"d{n}.bin") for n in sizes]
    qtbot.waitUntil(lambda: all(c.progress is not None and c.progress.bytes > 0
                                for c, _t in started), timeout=10000)
    assert all(c.running for c, _t in started)  # both in flight together
    for (c, tab), n in zip(started, sizes, strict=True):
        wait_ended(qtbot, c)
        assert c.end is not None and c.end.sha256 == expected_sha256(n)
        assert tab.progress.value() == tab.progress.maximum() == 1
    assert started[0][1].progress is not started[1][1].progress


def test_disk_full_is_a_clear_message(window: MainWindow, qtbot: QtBot, demo_server: str,
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "full.bin"
    # Every write of the .part: ENOSPC. (A .part linked to /dev/full is refused now: the
    # .part is never written through a link.)
    real = download._fileobj
    monkeypatch.setattr(download, "_fileobj", lambda fd: _Full(real(fd)))
    # Several write blocks (1 MiB each): the write fails mid-body, while httpx's body iterator
    # is paused at a read; the response must still be closed on the loop (qasync finalizes no
    # abandoned async generator: a leftover is reported as an unraisable GeneratorExit).
    controller, tab = start(window, f"{demo_server}/download?size={4 * MiB}", target)
    wait_ended(qtbot, controller)
    assert controller.state == State.FAILED and controller.error is not None
    assert controller.error.kind == "io"
    assert "disk full" in tab.download.status.text()
    assert tab.banner.isVisible() and not target.exists()


def test_closing_the_window_while_the_disk_lags_closes_the_response(
        window: MainWindow, qtbot: QtBot, arun: Any, clients: Clients, demo_server: str,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Closing the window (or Ctrl-C, which closes it) while a download waits for the disk:
    the stream stops, its response is closed on the loop and its connection released. (The
    cancellation lands in the write, while httpx's body iterator is paused at a read.)"""
    writing: list[bytes] = []

    async def stuck_disk(self: download.Download, data: bytes) -> None:
        writing.append(data)
        await asyncio.Event().wait()  # a disk slower than any network

    monkeypatch.setattr(download.Download, "write", stuck_disk)
    controller, _tab = start(window, f"{demo_server}/download?size={8 * MiB}",
                             tmp_path / "lagging.bin")
    qtbot.waitUntil(lambda: bool(writing), timeout=10000)
    window.quit_guard.quit_now()  # Ctrl-C, or Quit answered to the window's question
    arun(window.shutdown())  # what run_app does once the window is closed
    assert controller.state == State.STOPPED
    pool = clients.for_spec(controller.spec)._transport._pool
    assert [c for c in pool.connections if not (c.is_idle() or c.is_closed())] == []
    gc.collect()  # nothing left for the collector (the autouse guard fails on what it finds)


def test_cancel_and_delete_after_pause_is_no_longer_paused(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    """A newcomer paused a download, then chose Cancel & delete .part: the bar said stopped,
    but the tab's summary and icon still said paused."""
    target = tmp_path / "paused.bin"
    controller, tab = start(window, f"{demo_server}/download?size={32 * MiB}&rate={4 * MiB}",
                            target)
    qtbot.waitUntil(lambda: controller.progress is not None
                    and controller.progress.bytes > 0, timeout=10000)
    tab.download.pause.click()
    wait_ended(qtbot, controller)
    qtbot.waitUntil(lambda: tab.shown_state().word == "paused", timeout=5000)
    tab.download.cancel_delete.click()
    qtbot.waitUntil(lambda: "deleted" in tab.download.status.text(), timeout=5000)
    assert tab.shown_state().word == "stopped"
    qtbot.waitUntil(lambda: tab.summary.values["state"].text() == "stopped", timeout=5000)
