"""A curl command longer than the URL field's 32,767 characters (issue 25.13): every way a
paste reaches the field hands the whole command to the importer; one that still arrives cut
is said to be cut (it was reported as "No closing quotation")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import (
    QClipboard,
    QContextMenuEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QMouseEvent,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot

from gui.window import curl_paste
from gui.window.main_window import MainWindow

CONTENT = "x" * 100_000
BODY = json.dumps({"messages": [{"role": "user", "content": CONTENT}]})
COMMAND = ("curl 'http://127.0.0.1:9/v1/chat/completions' \\\n  -H 'content-type:"
           f" application/json' \\\n  --data-raw '{BODY}'")


def imported(window: MainWindow) -> bool:
    editor = window.editor
    return (editor.url.text() == "http://127.0.0.1:9/v1/chat/completions"
            and editor.method.currentText() == "POST"
            and editor.body.toPlainText() == BODY and editor.message.isHidden())


def shown_menu(url: QWidget) -> QMenu | None:
    return next((m for m in url.findChildren(QMenu) if m.isVisible()), None)


def test_the_command_is_long() -> None:
    assert len(COMMAND) > 100_000 > 32_767


@pytest.mark.parametrize("key", [(Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier),
                                 (Qt.Key.Key_Insert, Qt.KeyboardModifier.ShiftModifier)])
def test_paste_keys(window: MainWindow, key: tuple[Qt.Key, Qt.KeyboardModifier]) -> None:
    QGuiApplication.clipboard().setText(COMMAND)
    window.editor.url.setFocus()
    QTest.keyClick(window.editor.url, *key)
    assert imported(window)


@pytest.mark.qt_log_ignore(r"This plugin does not support (raise|grabbing the keyboard)")
def test_context_menu_paste(window: MainWindow, qtbot: QtBot) -> None:
    QGuiApplication.clipboard().setText(COMMAND)
    url = window.editor.url
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(5, 5),
                              url.mapToGlobal(QPoint(5, 5)))
    QApplication.sendEvent(url, event)
    qtbot.waitUntil(lambda: shown_menu(url) is not None, timeout=5000)
    menu = shown_menu(url)
    assert menu is not None
    paste = [a for a in menu.actions() if a.objectName() == "edit-paste"]
    assert len(paste) == 1 and paste[0].isEnabled()
    paste[0].trigger()
    menu.close()
    assert imported(window)
    # Not a command: the menu's Paste pastes as ever.
    QGuiApplication.clipboard().setText("/events?count=1")
    url.setText("http://127.0.0.1:9")
    url.end(False)
    menu = window.collections.paste._menu(url.mapToGlobal(QPoint(5, 5)))
    [a for a in menu.actions() if a.objectName() == "edit-paste"][0].trigger()
    menu.close()
    assert url.text() == "http://127.0.0.1:9/events?count=1"


def test_drop(window: MainWindow) -> None:
    data = QMimeData()
    data.setText(COMMAND)
    url = window.editor.url
    args = (Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    assert QApplication.sendEvent(url, QDragEnterEvent(QPoint(5, 5), *args))
    assert QApplication.sendEvent(url, QDropEvent(QPointF(5, 5), *args))
    assert imported(window)


def test_middle_click_pastes_the_selection(window: MainWindow,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """X11's selection (the offscreen platform has none: a stand-in clipboard has one)."""

    class Selection:
        @staticmethod
        def supportsSelection() -> bool:
            return True

        @staticmethod
        def text(mode: QClipboard.Mode = QClipboard.Mode.Clipboard) -> str:
            return COMMAND if mode == QClipboard.Mode.Selection else ""

    class Gui:
        @staticmethod
        def clipboard() -> Any:
            return Selection

    monkeypatch.setattr(curl_paste, "QGuiApplication", Gui)
    url = window.editor.url
    release = QMouseEvent(QEvent.Type.MouseButtonRelease, QPointF(5, 5),
                          url.mapToGlobal(QPointF(5, 5)), Qt.MouseButton.MiddleButton,
                          Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(url, release)
    assert imported(window)


def test_a_command_cut_by_the_field_is_said_to_be_cut(window: MainWindow,
                                                      qtbot: QtBot) -> None:
    with qtbot.waitSignal(window.editor.validationFailed, timeout=1000) as blocker:
        window.editor.url.insert(COMMAND)  # (what an input method could do)
    assert blocker.args[0] == (
        "curl command not imported: the URL field cut it at 32,767 characters; paste it with"
        " Ctrl+V or the field's menu, or use File > Import curl…")
