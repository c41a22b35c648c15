"""The keyboard (issue 14.11): focus starts in the URL, Tab leaves tables, Ctrl+L, Ctrl+F
finds in the Events and Raw views, and the Help menu lists the shortcuts."""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
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
    window.shortcuts.menu.aboutToShow.emit()
    listed = [a.text() for a in window.shortcuts.menu.actions()]
    for needle in ("Send\tCtrl+Return", "Go to the URL\tCtrl+L", "Find in the view\tCtrl+F",
                   "Close tab\tCtrl+W", "Next tab\tCtrl+Tab", "Save capture\tCtrl+S"):
        assert any(item.startswith(needle) for item in listed), (needle, listed)


def _normalised(key: QKeySequence) -> tuple[tuple[int, int], ...]:
    """``key`` as (modifiers, key) per stroke, Backtab written as Shift+Tab (what it is)."""
    out = []
    for i in range(key.count()):
        combo = key[i]
        mods, k = combo.keyboardModifiers(), combo.key()
        if k == Qt.Key.Key_Backtab:
            mods, k = mods | Qt.KeyboardModifier.ShiftModifier, Qt.Key.Key_Tab
        out.append((mods.value, k.value))
    return tuple(out)


def test_no_two_actions_share_a_key(window: MainWindow) -> None:
    """Issue 23.6: Ctrl+Shift+Tab did nothing, "Ambiguous shortcut overload: Ctrl+Shift+Tab /
    Ctrl+Backtab" (one action bound to both, which are one key). Every window action, the
    lazily built ones included, has keys of its own."""
    window.captures  # noqa: B018 (built as the app builds them once the window shows)
    window.collections  # noqa: B018
    owner: dict[tuple[tuple[int, int], ...], str] = {}
    clashes = []
    for action in window.findChildren(QAction):
        if action.shortcutContext() in (Qt.ShortcutContext.WidgetShortcut,
                                        Qt.ShortcutContext.WidgetWithChildrenShortcut):
            continue  # only while its widget has the focus (a table's Ctrl+C)
        for key in action.shortcuts():
            if key.isEmpty():
                continue
            name = f"{action.text()} ({key.toString()})"
            other = owner.setdefault(_normalised(key), name)
            if other != name:
                clashes.append((other, name))
    assert len(owner) > 10  # (the actions were found)
    assert clashes == []  # (checked with xdotool under Xvfb: Ctrl+Shift+Tab now steps back)

