"""Following the tail (issue 14.12): selecting a row pauses following so the row stays in
view, and a "paused: N new — jump to latest" control resumes it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import send, wait_ended


def test_selecting_a_row_pauses_following_until_jump(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/events?interval=0.02&count=400", Mode.SSE)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    panel = tab.events
    qtbot.waitUntil(lambda: len(controller.events) >= 60, timeout=10000)
    assert panel.follower.following and panel.jump.isHidden()
    table = panel.table
    row = table.rowAt(table.viewport().height() // 2)
    assert row >= 0
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(table.model().index(row, 1)).center())
    assert panel.selected_row() == row
    assert not panel.follower.following and not panel.follow.isChecked()
    before = len(controller.events)
    qtbot.waitUntil(lambda: len(controller.events) >= before + 40, timeout=10000)

    def new_rows() -> int:  # "paused: N new — jump to latest" (refreshed ~10 times a second)
        words = panel.jump.text().split()
        return int(words[1].replace(",", "")) if len(words) > 2 and words[2] == "new" else 0

    qtbot.waitUntil(lambda: new_rows() >= 40, timeout=5000)
    assert panel.jump.isVisible() and panel.jump.text().startswith("paused: ")
    rect = table.visualRect(table.model().index(row, 0))
    assert table.viewport().rect().contains(rect.center())  # the selected row stays in view
    panel.jump.click()
    assert panel.follower.following and panel.jump.isHidden()
    bar = table.verticalScrollBar()
    assert bar.value() == bar.maximum()
    window.stop_action.trigger()
    wait_ended(qtbot, controller)
