"""The keyboard (issue 14.11): focus starts in the URL, Tab leaves tables, Ctrl+L, Ctrl+F
finds in the Events and Raw views, and the Help menu lists the shortcuts."""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from gui.services.settings import Settings
from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import send, wait_ended


def test_focus_starts_in_the_url(settings: Settings, clients: Any, demo_server: str,
                                 qtbot: QtBot) -> None:
    window = MainWindow(settings, clients, demo_server)
    try:
        window.show()
        window.activateWindow()
        qtbot.waitUntil(lambda: window.focusWidget() is window.editor.url)
    finally:
        window.close()
        shiboken6.delete(window)


def test_tab_leaves_tables_and_ctrl_l_goes_to_the_url(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    wait_ended(qtbot, send(window, qtbot, f"{demo_server}/sse/tour?interval=0", Mode.SSE))
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    window.activateWindow()
    table = tab.events.table
    table.setFocus()
    qtbot.waitUntil(table.hasFocus)
    QTest.keyClick(table, Qt.Key.Key_Tab)
    assert not table.hasFocus()  # Tab moved on instead of walking the cells
    QTest.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.url.hasFocus() and window.editor.url.selectedText() == \
        window.editor.url.text()


def test_ctrl_f_finds_in_events_and_raw(window: MainWindow, qtbot: QtBot,
                                        demo_server: str) -> None:
    wait_ended(qtbot, send(window, qtbot, f"{demo_server}/sse/tour?interval=0", Mode.SSE))
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    window.activateWindow()
    tab.tabs.setCurrentWidget(tab.events)
    QTest.keyClick(window.editor.url, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert tab.events.filter_text.hasFocus()
    QTest.keyClicks(tab.events.filter_text, "poem")
    assert 0 < tab.events.visible_rows() < len(tab.controller.events)
    tab.tabs.setCurrentWidget(tab.raw)
    QTest.keyClick(window.editor.url, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    bar = tab.raw.find_bar
    assert bar.isVisible() and bar.line.hasFocus()
    QTest.keyClicks(bar.line, "retry")
    assert tab.raw.text.textCursor().selectedText() == "retry"
    with qtbot.assertNotEmitted(tab.controller.stateChanged):
        QTest.keyClick(bar.line, Qt.Key.Key_Escape)  # closes the bar, stops nothing
    assert not bar.isVisible()


def test_the_help_menu_lists_the_shortcuts(window: MainWindow) -> None:
    window.captures  # noqa: B018 (built as the app builds it once the window shows)
    window.shortcuts_menu.aboutToShow.emit()
    listed = [a.text() for a in window.shortcuts_menu.actions()]
    for needle in ("Send\tCtrl+Return", "Go to the URL\tCtrl+L", "Find in the view\tCtrl+F",
                   "Close tab\tCtrl+W", "Next tab\tCtrl+Tab", "Save capture\tCtrl+S"):
        assert any(item.startswith(needle) for item in listed), (needle, listed)
