"""One source per figure (issue 23.11): at rest (paused, stopped, done) the tab's title, the
summary strip and the Download view say the same; a title may only trail while running."""

from __future__ import annotations

import re
from pathlib import Path

from pytestqt.qtbot import QtBot

from gui.stream.controller import StreamController
from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.analysis.formatting import fmt_size
from stream_core.net.download import partial_size
from stream_core.net.spec import Mode, RequestSpec
from tests.gui.test_window import send

MiB = 1024 * 1024


def title_figure(window: MainWindow, tab: StreamTab) -> str:
    """The figure in brackets at the end of the tab's title."""
    text = window.tabs.tabText(window.tabs.indexOf(tab))
    found = re.search(r"\(([^()]*)\)$", text)
    assert found is not None, text
    return found.group(1)


def current(window: MainWindow, controller: StreamController) -> StreamTab:
    tab = window.current_tab()
    assert isinstance(tab, StreamTab) and tab.controller is controller
    return tab


def test_a_paused_download_says_one_size_everywhere(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Path) -> None:
    target = tmp_path / "paused.bin"
    controller = window.start(RequestSpec(f"{demo_server}/download?size={20 * MiB}"
                                          f"&rate={8 * MiB}", mode=Mode.DOWNLOAD,
                                          output=str(target)))
    tab = current(window, controller)
    qtbot.waitUntil(lambda: controller.stats.bytes > 2 * MiB, timeout=20000)
    tab.download.pause.click()
    qtbot.waitUntil(lambda: controller.ended, timeout=20000)
    assert tab.download.paused
    size = fmt_size(controller.stats.bytes)
    assert partial_size(str(target)) == controller.stats.bytes  # what the file holds
    assert tab.summary.values["bytes"].text() == size
    assert tab.download.values["received"].text() == f"{size} of {fmt_size(20 * MiB)}"
    assert title_figure(window, tab) == size
    assert f"{size} received" in tab.progress.format()


def test_a_stopped_stream_says_one_count_everywhere(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/events?interval=0.01", Mode.SSE)
    tab = current(window, controller)
    qtbot.waitUntil(lambda: controller.stats.events > 30, timeout=20000)
    window.stop_action.trigger()
    qtbot.waitUntil(lambda: controller.ended, timeout=20000)
    count = f"{controller.stats.events:,}"
    assert tab.summary.values["events"].text() == count
    assert title_figure(window, tab) == count
    assert sum(1 for i in range(len(controller.events))
               if controller.events.is_event(i)) == controller.stats.events
