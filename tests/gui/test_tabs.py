"""Stream tabs (issue 14.10): titles with method, host and path, the URL as tooltip, reopened
captures marked, a list of all tabs, middle-click and Ctrl+W close, Ctrl+Tab switches."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from gui.views.tab_strip import tab_title, tags
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_captures import open_and_wait
from tests.gui.test_window import send, wait_ended


def titles(window: MainWindow) -> list[str]:
    """The tabs' titles as shown (Qt shows a doubled ``&`` as one)."""
    return [window.tabs.tabText(i).replace("&&", "&") for i in range(window.tabs.count())]


def test_titles_tell_tabs_apart(window: MainWindow, qtbot: QtBot, demo_server: str,
                                tmp_path: Path) -> None:
    host = demo_server.split("://", 1)[1]
    a = send(window, qtbot, f"{demo_server}/events?interval=0&count=2", Mode.SSE)
    wait_ended(qtbot, a)
    assert titles(window)[-1] == f"GET {host}/events (2)"
    assert f"{demo_server}/events?interval=0&count=2" in window.tabs.tabToolTip(0)
    path = tmp_path / "a.sicap"
    assert window.save_capture(str(path))
    open_and_wait(window, qtbot, path)
    assert titles(window)[-1] == f"capture · GET {host}/events (2)"  # the reopened capture
    assert tab_title("GET", "http://user:pw@h:1/" + "p" * 80 + "?q=1").startswith("GET h:1/ppp")
    assert len(tab_title("GET", "http://h/" + "p" * 80)) < 50


def test_tab_list_middle_click_and_keys(window: MainWindow, qtbot: QtBot,
                                        demo_server: str) -> None:
    for n in (1, 2, 3):
        wait_ended(qtbot, send(window, qtbot, f"{demo_server}/events?interval=0&count={n}",
                               Mode.SSE))
    strip = window.tab_strip
    strip.fill_menu()
    listed = [a.text().replace("&&", "&") for a in strip.menu.actions()]  # (as shown)
    assert listed == titles(window) and len(listed) == 3
    strip.menu.actions()[0].trigger()
    assert window.tabs.currentIndex() == 0
    window.activateWindow()
    QTest.keyClick(window.editor.url, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 1
    QTest.keyClick(window.editor.url, Qt.Key.Key_Backtab,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.tabs.currentIndex() == 0
    bar = window.tabs.tabBar()
    QTest.mouseClick(bar, Qt.MouseButton.MiddleButton, pos=bar.tabRect(2).center())
    qtbot.waitUntil(lambda: window.tabs.count() == 2)
    QTest.keyClick(window.editor.url, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.tabs.count() == 1)


def test_closing_every_tab_brings_the_start_hint_back(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    """Issue 23.9: the lower half was blank grey once the last tab was closed."""
    assert window.tabs.widget(0) is window.placeholder
    for _ in range(2):
        wait_ended(qtbot, send(window, qtbot, f"{demo_server}/events?interval=0&count=1",
                               Mode.SSE))
    assert window.placeholder not in [window.tabs.widget(i) for i in range(window.tabs.count())]
    while window.current_tab() is not None:
        window.close_tab(window.tabs.currentIndex())
    assert window.tabs.count() == 1 and window.tabs.widget(0) is window.placeholder
    assert window.placeholder.isVisible() and "No stream yet" in window.placeholder.text()
    bar = window.tabs.tabBar()
    assert bar.tabButton(0, bar.ButtonPosition.RightSide) is None  # it cannot be closed
    wait_ended(qtbot, send(window, qtbot, f"{demo_server}/events?interval=0&count=1",
                           Mode.SSE))
    assert window.tabs.count() == 1 and window.current_tab() is not None  # replaced again


def test_tabs_of_the_same_title_are_told_apart(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    """Issue 23.17: 'GET 127.0.0.1:.../download' twice could not be told apart."""
    host = demo_server.split("://", 1)[1]
    base = f"GET {host}/events"
    a = send(window, qtbot, f"{demo_server}/events?interval=0&count=1", Mode.SSE)
    b = send(window, qtbot, f"{demo_server}/events?interval=0&count=2", Mode.SSE)
    c = send(window, qtbot, f"{demo_server}/events?interval=0&count=2", Mode.SSE)
    for controller in (a, b, c):
        wait_ended(qtbot, controller)
    assert titles(window) == [f"{base} ?interval=0&count=1 (1)", f"{base} #2 (2)",
                              f"{base} #3 (2)"]
    # A query's & shows as itself, not as a shortcut mark that hides it (newcomer, 23.17)
    assert "interval=0&&count=1" in window.tabs.tabText(0)
    window.close_tab(0)
    assert titles(window) == [f"{base} #1 (2)", f"{base} #2 (2)"]
    window.close_tab(0)
    assert titles(window) == [f"{base} (2)"]  # its title is its own again
    assert tags([("GET h/x", "http://h/x?q=" + "y" * 40), ("GET h/x", "http://h/x")]) == [
        "?q=" + "y" * 9 + "…" + "y" * 12, "#2"]
