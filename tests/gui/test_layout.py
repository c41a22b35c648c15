"""The layout fits (issue 14.9): usable at 1024x640, a collapsible left pane that is never
squeezed unreadable, columns sized to their content with the payload stretching, and a saved
geometry that never shrinks the window from one run to the next."""

from __future__ import annotations

from typing import Any

import shiboken6
from pytestqt.qtbot import QtBot

from gui.services.settings import Settings
from gui.views.stream_tab import StreamTab
from gui.window.endpoint_picker import MIN_WIDTH, PATH_WIDTH
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import send, wait_ended


def test_usable_at_1024_by_640(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    done = send(window, qtbot, f"{demo_server}/sse/tour?interval=0", Mode.SSE)
    wait_ended(qtbot, done)
    dl = send(window, qtbot, f"{demo_server}/download?size=1000", Mode.DOWNLOAD)
    wait_ended(qtbot, dl)
    failed = send(window, qtbot, f"{demo_server}/faults/status/503", Mode.AUTO)  # long status
    wait_ended(qtbot, failed)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 640, hint
    window.resize(1024, 640)
    qtbot.waitUntil(lambda: window.width() == 1024)
    pane, right = window.main_split.sizes()
    assert pane == 0 or pane >= MIN_WIDTH  # collapsed or readable, never "/lo"
    assert right >= 700
    window.tabs.setCurrentIndex(0)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    tab.tabs.setCurrentWidget(tab.events)
    qtbot.waitUntil(lambda: tab.events.table.isVisible())
    table = tab.events.table
    data = tab.controller.events.COL_DATA
    assert table.columnViewportPosition(data) + 120 <= table.viewport().width()  # Data shows


def test_the_left_pane_collapses_and_comes_back(window: MainWindow) -> None:
    window.pane_action.trigger()
    assert window.main_split.sizes()[0] == 0 and not window.pane_action.isChecked()
    window.pane_action.trigger()
    assert window.main_split.sizes()[0] >= MIN_WIDTH and window.pane_action.isChecked()
    assert window.pane_action.shortcut().toString() == "Ctrl+B"


def test_columns_fit_their_content_and_data_stretches(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    window.resize(1400, 900)
    controller = send(window, qtbot, f"{demo_server}/sse/tour?interval=0", Mode.SSE)
    wait_ended(qtbot, controller)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    for table, model in ((tab.events.table, controller.events),
                         (tab.chunks.table, controller.chunks)):
        tab.tabs.setCurrentWidget(table.parentWidget().parentWidget())
        qtbot.waitUntil(table.isVisible)
        last = model.columnCount() - 1
        for col in range(last):
            assert table.columnWidth(col) >= table.sizeHintForColumn(col), (model, col)
            assert table.columnWidth(col) >= table.horizontalHeader().sectionSizeHint(col)
        assert table.horizontalHeader().stretchLastSection()
    tree = window.picker.tree
    assert tree.columnWidth(0) >= tree.sizeHintForColumn(0)
    # Paths fit up to PATH_WIDTH; a longer one (Gemini's) is elided, whole in its tooltip,
    # so that the summaries stay in sight.
    assert tree.columnWidth(1) >= min(tree.sizeHintForColumn(1), PATH_WIDTH)
    assert tree.columnWidth(1) <= PATH_WIDTH


def test_the_saved_geometry_never_shrinks_the_window(
        settings: Settings, clients: Any, demo_server: str, qtbot: QtBot) -> None:
    seen = []
    for run in range(3):
        window = MainWindow(settings, clients, demo_server)
        window.show()
        if run == 0:
            window.resize(1200, 800)
        qtbot.waitUntil(lambda w=window: w.isVisible())
        seen.append((window.width(), window.height()))
        window.close()
        shiboken6.delete(window)
    assert seen == [(1200, 800)] * 3

