"""Requests do not bleed into each other (issue 14.3): a picked endpoint is a fresh request,
a URL of another host drops an endpoint's mode, and the last request comes back whole."""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from gui.services.settings import Settings
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import pick, wait_ended


def test_picking_an_endpoint_gives_a_fresh_request(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    pick(window, "POST", "/v1/chat/completions")
    window.editor.headers.add_row("X-Mine", "1")
    pick(window, "GET", "/ndjson")
    editor = window.editor
    assert editor.method.currentText() == "GET"
    assert editor.body.toPlainText() == ""
    assert editor.headers.headers() == []
    assert editor.mode_value() == Mode.NDJSON
    with qtbot.waitSignal(window.streamStarted, timeout=2000) as blocker:
        window.send_action.trigger()
    controller = blocker.args[0]
    wait_ended(qtbot, controller)
    assert controller.request is not None
    sent = {k.lower() for k, _ in controller.request.headers}
    assert "content-type" not in sent and "x-mine" not in sent
    assert window.history_entries()[0].headers == []


def type_url(window: MainWindow, text: str) -> None:
    """Type ``text`` over the URL, then leave the field (as a click on Send does)."""
    window.editor.url.setFocus()
    window.editor.url.selectAll()
    QTest.keyClicks(window.editor.url, text)
    window.editor.url.clearFocus()


def test_editing_the_url_keeps_the_mode_and_another_host_drops_it(
        window: MainWindow, demo_server: str) -> None:
    """Issue 23.12: editing an endpoint's URL (its query, its path) keeps its mode; a URL of
    another host gives the mode back to Auto."""
    pick(window, "GET", "/download")
    assert window.editor.mode_value() == Mode.DOWNLOAD
    # editing the endpoint's own query keeps its mode
    window.editor.url.setFocus()
    window.editor.url.end(False)
    QTest.keyClicks(window.editor.url, "0")
    window.editor.url.clearFocus()
    assert window.editor.mode_value() == Mode.DOWNLOAD
    type_url(window, f"{demo_server}/download-large-file?size=1000")
    assert window.editor.mode_value() == Mode.DOWNLOAD
    type_url(window, "http://localhost:9/elsewhere")
    assert window.editor.mode_value() == Mode.AUTO
    # a mode the user chose is kept whatever URL is typed
    window.editor.mode.setCurrentIndex(window.editor.mode.findData(Mode.LINES.value))
    window.editor.mode.activated.emit(window.editor.mode.currentIndex())
    type_url(window, f"{demo_server}/logs_stream")
    assert window.editor.mode_value() == Mode.LINES


def test_the_last_request_comes_back_whole_after_a_restart(
        window: MainWindow, settings: Settings, clients: Any, demo_server: str,
        qtbot: QtBot) -> None:
    pick(window, "POST", "/v1/chat/completions")
    window.editor.headers.add_row("X-Trace", "abc")
    before = window.editor.history_entry()
    assert before.method == "POST" and before.body and before.mode == "sse"
    window.save_settings()
    again = MainWindow(settings, clients, demo_server)
    try:
        assert again.editor.history_entry() == before
        assert again.editor.url.text() == before.url
    finally:
        again.close()
        shiboken6.delete(again)



def test_a_url_of_another_host_starts_as_get_without_the_old_body(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    """Issue 23.13: a chat request's method and body do not go to a URL typed by hand for
    another host; Ctrl+Z brings the body back; the user's own edits stay."""
    pick(window, "POST", "/v1/chat/completions")
    body = window.editor.body.toPlainText()
    assert body and window.editor.method.currentText() == "POST"
    other = demo_server.replace("127.0.0.1", "localhost")  # another origin, same server
    type_url(window, f"{other}/events?count=2&interval=0")
    editor = window.editor
    assert editor.method.currentText() == "GET" and editor.body.toPlainText() == ""
    assert editor.mode_value() == Mode.AUTO
    with qtbot.waitSignal(window.streamStarted, timeout=2000) as blocker:
        window.send_action.trigger()
    controller = blocker.args[0]
    wait_ended(qtbot, controller)
    assert controller.request is not None and controller.request.method == "GET"
    assert controller.spec.body is None and controller.stats.events == 2
    editor.body.undo()
    assert editor.body.toPlainText() == body

    # a body the user typed is theirs: kept (with its method), and a GET with it is said
    pick(window, "POST", "/v1/chat/completions")
    editor.body.setFocus()
    QTest.keyClicks(editor.body, " ")
    type_url(window, f"{other}/events?count=1&interval=0")
    assert editor.method.currentText() == "POST" and editor.body.toPlainText().strip()
    editor.method.setCurrentText("GET")
    with qtbot.waitSignal(window.streamStarted, timeout=2000) as blocker:
        window.send_action.trigger()
    qtbot.waitUntil(lambda: "body" in window.statusBar().currentMessage(), timeout=2000)
    assert "GET with a" in window.statusBar().currentMessage()
    wait_ended(qtbot, blocker.args[0])
