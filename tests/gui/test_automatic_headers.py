"""A JSON body gets ``Content-Type: application/json`` automatically, shown as such, and the
user can override or remove it (issue 14.7)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import wait_ended


def sent_content_types(window: MainWindow, qtbot: QtBot) -> list[str]:
    with qtbot.waitSignal(window.streamStarted, timeout=2000) as blocker:
        window.send_action.trigger()
    controller = blocker.args[0]
    wait_ended(qtbot, controller)
    assert controller.request is not None
    return [v for k, v in controller.request.headers if k.lower() == "content-type"]


def test_a_json_body_typed_by_hand_is_sent_as_json(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    editor = window.editor
    editor.method.setCurrentText("POST")
    editor.url.setText(f"{demo_server}/v1/chat/completions?delay=0")
    editor.set_mode(Mode.SSE)
    editor.body.setPlainText('{"model": "demo", "stream": true,'
                             ' "messages": [{"role": "user", "content": "hi"}]}')
    auto = editor.headers.automatic
    assert not auto.isHidden() and auto.text() == "Automatic: Content-Type: application/json"
    assert editor.headers.headers() == []  # not one of the user's rows
    assert editor.tabs.tabText(editor.tabs.indexOf(editor.headers)) == "Headers +auto"
    assert sent_content_types(window, qtbot) == ["application/json"]
    # the user's own Content-Type overrides it
    editor.headers.add_row("Content-Type", "application/vnd.api+json")
    assert auto.isHidden()
    assert sent_content_types(window, qtbot) == ["application/vnd.api+json"]
    # and the automatic one can be left out
    editor.headers.set_headers([])
    assert not auto.isHidden()
    auto.setChecked(False)
    assert sent_content_types(window, qtbot) == []


def test_no_automatic_header_for_a_body_that_is_not_json(window: MainWindow) -> None:
    window.editor.body.setPlainText("plain words")
    assert window.editor.headers.automatic.isHidden()
    window.editor.body.setPlainText('{"broken": ')
    assert window.editor.headers.automatic.isHidden()
    window.editor.url.setText("http://127.0.0.1:1/x")
    spec = window.editor.build_spec()
    assert spec is not None and spec.header("Content-Type") is None
