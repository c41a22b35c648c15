"""Quitting asks first while streams run or the recording proxy records (issue 23.18): a
non-modal question (the trigger returns while it is shown and the streams go on), Cancel
keeps everything, Quit closes; nothing running closes at once."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import send


def question() -> QMessageBox | None:
    boxes = [w for w in QApplication.topLevelWidgets() + [
        c for w in QApplication.topLevelWidgets() for c in w.findChildren(QMessageBox)]
        if isinstance(w, QMessageBox) and w.objectName() == "quitQuestion" and w.isVisible()]
    return boxes[0] if boxes else None


def answer(box: QMessageBox, text: str) -> None:
    button = next(b for b in box.buttons() if b.text().replace("&", "") == text)
    button.click()


def test_quitting_with_a_stream_and_the_proxy_running_asks_first(
        window: MainWindow, qtbot: QtBot, demo_server: str, arun: Any) -> None:
    controller = send(window, qtbot, f"{demo_server}/events?interval=0.05", Mode.SSE)
    assert window.proxy.start(demo_server) is not None
    quit_action = next(a for a in window.file_menu.actions() if a.text() == "&Quit")
    quit_action.trigger()  # returns at once: no nested event loop
    qtbot.waitUntil(lambda: question() is not None, timeout=5000)
    box = question()
    assert box is not None
    assert "1 stream is still running and the recording proxy is on" in box.text()
    assert window.isVisible() and not window.was_closed
    events = controller.stats.events
    qtbot.waitUntil(lambda: controller.stats.events > events + 3, timeout=10000)  # goes on
    answer(box, "Cancel")
    qtbot.waitUntil(lambda: question() is None, timeout=5000)
    assert window.isVisible() and controller.running and window.proxy.running

    window.close()  # the window's close button asks too
    qtbot.waitUntil(lambda: question() is not None, timeout=5000)
    box = question()
    assert box is not None
    answer(box, "Quit")
    qtbot.waitUntil(lambda: window.was_closed, timeout=5000)
    arun(window.shutdown())  # what run_app does once the window is closed
    assert not controller.running and not window.proxy.running


def test_nothing_running_quits_at_once(window: MainWindow, qtbot: QtBot, demo_server: str,
                                       arun: Any) -> None:
    controller = send(window, qtbot, f"{demo_server}/events?interval=0&count=2", Mode.SSE)
    qtbot.waitUntil(lambda: controller.ended, timeout=10000)
    window.close()
    assert window.was_closed and question() is None
