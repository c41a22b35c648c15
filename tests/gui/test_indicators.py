"""Indicators that tell the truth (issue 14.5): paused, failed and incomplete each look and
read as themselves; Stop is enabled only while something runs; a clear hint for htp:/bad."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from gui.stream.controller import State
from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode, RequestSpec
from tests.core.test_capture_file import write_sample
from tests.gui.test_captures import open_and_wait
from tests.gui.test_window import send, wait_ended


def tab_of(window: MainWindow) -> StreamTab:
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    return tab


def tab_tip(window: MainWindow) -> str:
    return window.tabs.tabToolTip(window.tabs.currentIndex())


def test_a_failed_download_stops_the_busy_bar(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/faults/status/500", Mode.DOWNLOAD)
    wait_ended(qtbot, controller)
    assert controller.state == State.FAILED
    tab = tab_of(window)
    assert tab.progress.maximum() > 0  # not the busy animation
    assert tab.progress.format().startswith("failed")
    assert tab.summary.values["state"].text() == "failed"
    assert "state: failed" in tab_tip(window)


def test_a_paused_download_says_paused(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    controller = window.start(RequestSpec(
        f"{demo_server}/download?size={20 * 1024 * 1024}&rate={2 * 1024 * 1024}",
        mode=Mode.DOWNLOAD, output=str(tmp_path / "f.bin")))
    qtbot.waitUntil(lambda: controller.progress is not None and controller.progress.bytes > 0,
                    timeout=10000)
    tab = tab_of(window)
    tab.download.pause.click()
    wait_ended(qtbot, controller)
    qtbot.waitUntil(lambda: tab.download.resume.isEnabled(), timeout=5000)
    assert controller.state == State.STOPPED
    assert tab.summary.values["state"].text() == "paused"
    assert "paused" in tab_tip(window)
    assert tab.progress.format().startswith("paused")
    assert not window.editor.stop_button.isEnabled()
    tab.download.resume.click()
    qtbot.waitUntil(lambda: tab.summary.values["state"].text() in ("connecting", "streaming"),
                    timeout=5000)
    assert window.editor.stop_button.isEnabled()
    window.stop_action.trigger()
    wait_ended(qtbot, controller)


def test_a_reopened_incomplete_capture_says_incomplete(
        window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "cut.sicap"
    write_sample(path)
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b'{"type":"event","t":0.04') + 20])
    controller = open_and_wait(window, qtbot, path)
    assert controller.end is not None and not controller.end.complete
    assert tab_of(window).summary.values["state"].text() == "incomplete"
    assert "incomplete" in tab_tip(window)


def test_stop_is_enabled_only_while_the_current_tab_runs(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    assert not window.stop_action.isEnabled() and not window.editor.stop_button.isEnabled()
    running = send(window, qtbot, f"{demo_server}/events?interval=0.05", Mode.SSE)
    qtbot.waitUntil(lambda: running.state == State.STREAMING, timeout=5000)
    assert window.editor.stop_button.isEnabled() and window.stop_action.isEnabled()
    done = send(window, qtbot, f"{demo_server}/events?interval=0&count=2", Mode.SSE)
    wait_ended(qtbot, done)
    assert not window.editor.stop_button.isEnabled()  # the current tab has ended
    window.tabs.setCurrentIndex(window.tabs.indexOf(tab_of(window)) - 1)
    assert window.editor.stop_button.isEnabled()  # the running one is current again
    window.editor.stop_button.click()
    wait_ended(qtbot, running)
    assert not window.editor.stop_button.isEnabled()


@pytest.mark.parametrize(("url", "hint"), [
    ("htp:/bad", "write it as http://bad or https://bad"),
    ("http:/127.0.0.1/x", "write it as http://127.0.0.1/x"),
    ("127.0.0.1:8000/x", "it needs a scheme, like http://127.0.0.1:8000/x"),
])
def test_url_hints_say_what_to_write(window: MainWindow, url: str, hint: str) -> None:
    window.editor.url.setText(url)
    assert window.send() is None
    assert hint in window.editor.message.text()
    assert "http://htp:/bad" not in window.editor.message.text()
