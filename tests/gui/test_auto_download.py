"""Auto recognises a download and handles it as one (issue 23.12): a file in the download
folder, Pause/Resume, SHA-256, a title with its size, and no copy of its body in the tab's
recording. Real demo server, real sockets, offscreen window."""

from __future__ import annotations

import os
from pathlib import Path

from pytestqt.qtbot import QtBot

from embedded_server.content import expected_sha256
from gui.stream.controller import State
from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.analysis.formatting import fmt_size
from stream_core.net.spec import Mode
from stream_core.records import Chunk
from tests.gui.test_window import send

MiB = 1024 * 1024


def spooled_bytes(window: MainWindow, controller: object) -> int:
    recorder = window.captures.recorders[controller]  # type: ignore[index]
    spool = recorder._spool
    assert spool is not None
    spool.flush()
    return os.path.getsize(spool.path)


def test_an_attachment_sent_in_auto_is_saved_as_a_download(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    size = 4 * MiB
    controller = send(window, qtbot, f"{demo_server}/download-large-file?size={size}",
                      Mode.AUTO)
    qtbot.waitUntil(lambda: controller.ended, timeout=60000)
    assert controller.state == State.DONE, controller.error
    end = controller.end
    assert end is not None and end.path is not None
    saved = Path(end.path)
    assert saved.parent == tmp_path and saved.name == "bigfile.zip"
    assert saved.stat().st_size == size and end.sha256 == expected_sha256(size)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    assert tab.tabs.currentWidget() is tab.download
    assert tab.download.values["sha256"].text() == expected_sha256(size)
    assert tab.download.values["path"].text() == end.path
    assert window.tabs.tabText(window.tabs.currentIndex()).endswith(f"({fmt_size(size)})")
    # the body went to the file once, not into the recording
    assert spooled_bytes(window, controller) < size / 10
    body = b"".join(r.data for r in window.captures.recorders[controller].records()
                    if isinstance(r, Chunk))
    assert body == saved.read_bytes()


def test_an_auto_download_pauses_and_resumes(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    size = 6 * MiB
    controller = send(window, qtbot, f"{demo_server}/download?size={size}&rate={4 * MiB}",
                      Mode.AUTO)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    qtbot.waitUntil(lambda: controller.progress is not None
                    and controller.progress.bytes >= MiB, timeout=10000)
    qtbot.waitUntil(tab.download.pause.isEnabled, timeout=5000)
    tab.download.pause.click()
    qtbot.waitUntil(lambda: controller.ended, timeout=10000)
    assert controller.state == State.STOPPED and tab.download.resume.isEnabled()
    with qtbot.waitSignal(controller.finished, timeout=30000):
        tab.download.resume.click()
    assert controller.state == State.DONE, controller.error
    assert controller.responses[-1].status == 206
    assert controller.end is not None and controller.end.sha256 == expected_sha256(size)


def test_a_stream_sent_in_auto_writes_no_file(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    def files() -> set[Path]:  # (History writes the settings file beside them)
        return {p for p in tmp_path.iterdir() if not p.name.startswith("settings.")}

    before = files()
    controller = send(window, qtbot, f"{demo_server}/events?interval=0&count=3", Mode.AUTO)
    qtbot.waitUntil(lambda: controller.ended, timeout=15000)
    assert controller.state == State.DONE and controller.stats.events == 3
    assert files() == before
    tab = window.current_tab()
    assert isinstance(tab, StreamTab) and not tab.download.applies()
