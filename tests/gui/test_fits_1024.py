"""Nothing raises the window's minimum above 1024x640 (issue 23.7): every view of every demo,
and the streams that did (an Ollama chat, a long failure, an LLM's long usage line), shown
in a 1024x640 window; the window keeps its size and its minimum stays within it."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui.app import demos
from gui.app.launch import VIEWS
from gui.window.main_window import MainWindow
from tests.gui.test_window import pick, wait_ended

SIZE = QSize(1024, 640)


def check_every_view(window: MainWindow, what: str) -> None:
    for view in VIEWS:
        demos.show_view(window, view)
        QApplication.processEvents()
        hint = window.minimumSizeHint()
        assert hint.width() <= SIZE.width() and hint.height() <= SIZE.height(), (what, view,
                                                                                   hint)
        assert window.minimumSize().width() <= SIZE.width(), (what, view)
        assert window.minimumSize().height() <= SIZE.height(), (what, view)
        assert window.size() == SIZE, (what, view, window.size())
        tab = window.current_tab()
        if view == "timeline" and tab is not None and tab.timeline.isVisible():
            charts = tab.timeline.build_charts()  # every plot made (they come in steps)
            QApplication.processEvents()
            least = charts.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).width()
            assert least <= charts.viewport().width(), (what, "charts cut at the right", least,
                                                        charts.viewport().width())


@pytest.mark.parametrize("name", demos.NAMES)
def test_every_view_of_every_demo_fits(name: str, window: MainWindow, qtbot: QtBot,
                                       arun: Any, tmp_path: Any) -> None:
    window.resize(SIZE)
    qtbot.waitUntil(lambda: window.size() == SIZE)
    status = arun(demos.run(name, window, str(tmp_path / "shot.png")), timeout=60000)
    assert status == 0
    check_every_view(window, name)


#: Streams that raised the minimum (issue 23.7), by the endpoint the picker fills in.
STREAMS = [("POST", "/api/chat", ""), ("POST", "/api/generate", ""),
           ("POST", "/v1/responses", ""), ("POST", "/v1/messages", ""),
           ("GET", "/faults/status/{code}", "code=503")]


@pytest.mark.parametrize(("method", "path", "query"), STREAMS)
def test_the_streams_that_raised_the_minimum_fit(
        method: str, path: str, query: str, window: MainWindow, qtbot: QtBot) -> None:
    window.resize(SIZE)
    qtbot.waitUntil(lambda: window.size() == SIZE)
    pick(window, method, path)
    if query:
        window.editor.url.setText(window.editor.url.text().replace("{code}", "503"))
    with qtbot.waitSignal(window.streamStarted, timeout=5000) as started:
        window.send_action.trigger()
    wait_ended(qtbot, started.args[0])
    check_every_view(window, path)


def test_a_long_failure_and_a_long_usage_line_fit(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    """A failure whose message is a paragraph (a refused port with a long URL), then an LLM
    reply whose usage line is longer than the window: both elide or wrap."""
    window.resize(SIZE)
    qtbot.waitUntil(lambda: window.size() == SIZE)
    long_path = "/" + "/".join(f"segment-number-{i}" for i in range(40))
    window.editor.url.setText(f"http://127.0.0.1:9{long_path}?" + "q=x&" * 60)
    with qtbot.waitSignal(window.streamStarted, timeout=5000) as started:
        window.send_action.trigger()
    wait_ended(qtbot, started.args[0])
    tab = window.current_tab()
    assert tab is not None and tab.banner.isVisible()
    check_every_view(window, "refused")
    usage = ", ".join(f"provider_specific_counter_{i} {i:,}" for i in range(30))
    tab.llm.timing.values["usage"].setText(usage)
    check_every_view(window, "usage")
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: window.width() == 1400)
    demos.show_view(window, "llm")
    QApplication.processEvents()
    histogram = tab.llm.timing.histogram
    assert histogram.width() >= histogram.minimumSizeHint().width() >= 300  # labels apart
    assert tab.llm.timing.values["usage"].text() == usage  # whole, in its tooltip too
