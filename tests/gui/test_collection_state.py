"""The Collections panel across a session (issue 23 items 4, 5; 25.19's window part): the
folder and environment come back after a restart, the "undefined variable" message follows
the environment, and a body read from a file is named and confirmed before it is sent."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from pytestqt.qtbot import QtBot

from gui.services.settings import Settings
from gui.window.main_window import MainWindow
from tests.gui.dialogs import answer, none_shown
from tests.gui.test_window import wait_ended

API = """\
### events
GET {{demo}}/events?count=2&interval=0
Authorization: Bearer {{token}}

### upload
POST {{demo}}/v1/chat/completions?delay=0
Content-Type: application/json

< ./body.json

### outside
POST {{demo}}/v1/chat/completions?delay=0
Content-Type: application/json

< ../outside.json
"""

BODY = '{"stream": true, "messages": [{"role": "user", "content": "hi"}]}'


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "requests"
    root.mkdir()
    (root / "api.http").write_text(API)
    (root / "body.json").write_text(BODY)
    (tmp_path / "outside.json").write_text(BODY)
    (root / "http-client.env.json").write_text(json.dumps({
        "local": {"token": "t-local"}, "broken": {}}))
    return root.resolve()


def not_sent(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Not sent"),
                    timeout=15000)
    window.statusBar().clearMessage()


def test_folder_and_environment_come_back_after_a_restart(
        window: MainWindow, folder: Path, settings: Settings, clients: Any,
        demo_server: str, arun: Any) -> None:
    panel = window.collections.panel
    assert panel.open_path(folder)
    assert panel.set_environment("local")
    window.collections.open_sample()  # a temporary folder: not remembered
    assert panel.root != folder
    window.close()
    again = MainWindow(settings, clients, demo_server)
    try:
        restored = again.collections.panel
        assert restored.root == folder and restored.environment == "local"
        assert restored.find_item("events") is not None
    finally:
        arun(again.shutdown())
        again.close()
        shiboken6.delete(again)


def test_undefined_variable_message_follows_the_environment(
        window: MainWindow, qtbot: QtBot, folder: Path) -> None:
    panel = window.collections.panel
    editor = window.editor
    panel.open_path(folder)
    panel.set_environment("broken")
    assert panel.choose("events")
    with qtbot.waitSignal(editor.validationFailed, timeout=1000) as blocker:
        window.send_action.trigger()
    assert "undefined variable {{token}}" in blocker.args[0] and "'broken'" in blocker.args[0]
    assert editor.message.isVisible()
    panel.set_environment("local")  # defined there: the message goes at once
    assert editor.message.isHidden()
    panel.set_environment("broken")
    window.send_action.trigger()
    assert editor.message.isVisible()
    (folder / "http-client.env.json").write_text(json.dumps({  # defined there, elsewhere
        "local": {"token": "t-local"}, "broken": {"token": "now"}}))
    qtbot.waitUntil(editor.message.isHidden, timeout=15000)
    assert window.controllers == []


def test_a_body_file_is_named_and_confirmed_before_it_is_sent(
        window: MainWindow, qtbot: QtBot, folder: Path) -> None:
    panel = window.collections.panel
    panel.open_path(folder)
    assert panel.choose("outside")
    outside = (folder.parent / "outside.json").resolve()
    assert str(outside) in panel.status.text()
    assert window.editor.body.toPlainText() == BODY
    assert window.send() is None  # asks first
    text = answer(qtbot, window, "Cancel")
    assert f"{outside} ({len(BODY)} bytes)  — outside the collection's folder" in text
    not_sent(qtbot, window)
    assert window.controllers == []
    with qtbot.waitSignal(window.streamStarted, timeout=15000) as started:
        window.send()
        answer(qtbot, window, "Send")
    wait_ended(qtbot, started.args[0])
    assert started.args[0].spec.body == BODY.encode()
    with qtbot.waitSignal(window.streamStarted, timeout=15000) as again:
        window.send()  # confirmed once for this folder
    wait_ended(qtbot, again.args[0])
    assert none_shown(window)

    panel.choose("upload")  # another file: asked for again
    window.send()
    assert str(folder / "body.json") in answer(qtbot, window, "Cancel")
    not_sent(qtbot, window)
    window.editor.body.setPlainText('{"typed": true}')  # no longer the file's content
    with qtbot.waitSignal(window.streamStarted, timeout=15000) as typed:
        window.send()
    wait_ended(qtbot, typed.args[0])

    panel.open_path(folder)  # opened again: asked again
    panel.choose("outside")
    window.send()
    answer(qtbot, window, "Cancel")
    not_sent(qtbot, window)


def test_a_body_file_that_is_not_a_regular_file_is_not_read(
        window: MainWindow, qtbot: QtBot, folder: Path) -> None:
    """A cloned repository can carry a FIFO or a link to /dev/zero (25.8): said, never
    waited for or read without bound."""
    os.mkfifo(folder / "body.json.fifo")
    (folder / "zero.json").symlink_to("/dev/zero")
    (folder / "api.http").write_text(API.replace("./body.json", "./body.json.fifo")
                                     .replace("../outside.json", "./zero.json"))
    panel = window.collections.panel
    panel.open_path(folder)
    messages: list[str] = []
    panel.message.connect(messages.append)
    assert panel.choose("upload")
    assert panel.choose("outside")
    assert [m for m in messages if "cannot read" in m] == [
        f"upload: cannot read body file '{folder}/body.json.fifo': it is a FIFO (named pipe);"
        " only regular files are read",
        "outside: cannot read body file '/dev/zero': it is a character device; only regular"
        " files are read"]  # (the file a link leads to is named)
    assert window.editor.body.toPlainText() == ""
