"""The Collections panel in the window: open a folder of ``.http`` files, pick an environment,
load, send with ``{{variables}}``, save back in place, rename, delete; hover; pasted curl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QGuiApplication, QHelpEvent
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from gui.window import collections_hookup
from gui.window.collections_hookup import hover_text
from gui.window.main_window import MainWindow
from stream_core.requests.environments import Variables
from stream_core.requests.httpfile import parse
from tests.gui.test_window import wait_ended

API = """\
# Requests against the embedded demo server; they open in an IDE's HTTP client too.
@count = 3

### events
GET {{demo}}/events?count={{count}}&interval=0
Accept: text/event-stream
Authorization: Bearer {{token}}

### chat
POST {{demo}}/v1/chat/completions?delay=0
Content-Type: application/json

{"model": "{{model}}", "stream": true, "messages": [{"role": "user", "content": "hi"}]}

> {% client.global.set("done", "yes"); %}
"""


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "requests"
    root.mkdir()
    (root / "api.http").write_text(API)
    (root / "other.http").write_text("GET {{demo}}/health\n")
    (root / "http-client.env.json").write_text(json.dumps({
        "local": {"model": "demo-model", "token": "placeholder"}, "bare": {}}))
    (root / "http-client.private.env.json").write_text(json.dumps(
        {"local": {"token": "sk-private-15"}}))
    return root


def test_open_choose_send_with_environment(window: MainWindow, qtbot: QtBot, folder: Path,
                                           demo_server: str, settings: Any) -> None:
    panel = window.collections.panel
    assert window.picker.tabs.tabText(window.picker.tabs.count() - 1) == "Collections"
    assert panel.open_path(folder)
    top = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
    assert top == ["api.http", "other.http"]
    assert [panel.env_combo.itemText(i) for i in range(panel.env_combo.count())] == [
        "No environment", "bare", "local"]
    assert panel.choose("events")
    assert window.editor.url.text() == "{{demo}}/events?count={{count}}&interval=0"
    assert window.editor.headers.headers()[1] == ("Authorization", "Bearer {{token}}")

    # No environment: {{token}} is undefined, nothing is sent, the message names it.
    with qtbot.waitSignal(window.editor.validationFailed, timeout=1000) as blocker:
        window.send_action.trigger()
    assert blocker.args[0] == ("undefined variable {{token}} in header 'Authorization'"
                               " (no environment selected)")
    assert window.controllers == []

    assert panel.set_environment("local")
    assert window.collections.panel.env_toolbar.isVisible()
    with qtbot.waitSignal(window.streamStarted, timeout=2000) as started:
        window.send_action.trigger()
    controller = started.args[0]
    wait_ended(qtbot, controller)
    assert controller.spec.url == f"{demo_server}/events?count=3&interval=0"
    assert controller.spec.header("Authorization") == "Bearer sk-private-15"
    assert controller.stats.events == 3
    # History keeps the request as sent, masked: no environment secret in the settings file.
    entry = settings.history()[0].rebased(demo_server)  # stored relative to the demo server
    assert entry.url == f"{demo_server}/events?count=3&interval=0"
    assert ("Authorization", "Bearer ***") in entry.headers
    assert "sk-private-15" not in Path(settings._s.fileName()).read_text()


def test_save_in_place_rename_delete_keep_the_rest(window: MainWindow, folder: Path,
                                                   arun: Any) -> None:
    panel = window.collections.panel
    edits = window.collections.edits
    panel.open_path(folder)
    path = (folder / "api.http").resolve()
    assert panel.choose("chat")
    old = parse(API).find("chat")
    window.editor.url.setText("{{demo}}/v1/chat/completions?delay=0.01")
    assert arun(window.collections.save())
    text = path.read_text()
    assert text[:old.span[0]] == API[:old.span[0]]
    assert text.endswith('"content": "hi"}]}\n\n> {% client.global.set("done", "yes"); %}\n')
    assert parse(text).find("chat").url == "{{demo}}/v1/chat/completions?delay=0.01"
    assert parse(text).find("events") == parse(API).find("events")

    window.editor.url.setText("{{demo}}/health")
    window.editor.body.setPlainText("")
    window.editor.headers.set_headers([])
    assert arun(window.collections.save("health"))  # a new request, appended
    assert path.read_text().startswith(text)
    assert panel.find_item("health", path) is not None

    assert arun(edits.rename(path, "events", "stream"))
    assert "### stream\n" in path.read_text() and panel.find_item("stream") is not None
    assert arun(edits.delete(path, "health"))
    assert path.read_text() == text.replace("### events\n", "### stream\n")
    assert not list(folder.glob(".*.tmp"))  # written through a temporary file, replaced


def test_hover_shows_values_masked(window: MainWindow, folder: Path, demo_server: str,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    panel = window.collections.panel
    panel.open_path(folder)
    panel.set_environment("local")
    panel.choose("events")
    variables = panel.variables()
    assert hover_text("Bearer {{token}}", 9, variables) == (
        "{{token}} = ••••••••   (environment 'local')")
    assert hover_text("{{demo}}/x?n={{count}}", None, variables) == (
        f"{{{{demo}}}} = {demo_server}   (the demo server)\n"
        "{{count}} = 3   (file variable)")
    assert hover_text("no variables", 0, variables) is None
    assert hover_text("{{nope}}", 3, Variables()) == "{{nope}} is undefined (no environment)"
    # through the URL field's tooltip event
    url = window.editor.url
    pos = QPoint(url.cursorRect().left() + 2, url.height() // 2)
    url.setCursorPosition(0)
    tip = window.collections.hover.tip_for(url, QPoint(4, pos.y()))
    assert tip is not None and tip.startswith("{{demo}} = ")
    shown: list[str] = []

    class Tip:  # the offscreen platform warns when a real tooltip is raised
        @staticmethod
        def showText(_pos: QPoint, text: str, _widget: object) -> None:
            shown.append(text)

    monkeypatch.setattr(collections_hookup, "QToolTip", Tip)
    event = QHelpEvent(QEvent.Type.ToolTip, QPoint(4, pos.y()), url.mapToGlobal(QPoint(4, 4)))
    assert window.collections.hover.eventFilter(url, event)
    assert shown == [tip]


def test_curl_pasted_into_the_url_field(window: MainWindow, qtbot: QtBot) -> None:
    editor = window.editor
    command = ("curl 'http://127.0.0.1:9/v1/chat/completions' \\\n  -H 'content-type: "
               "application/json' \\\n  -H 'authorization: Bearer sk-x' \\\n  --data-raw "
               "$'{\"q\":\"it\\'s\"}' -k --compressed")
    QGuiApplication.clipboard().setText(command)
    editor.url.setFocus()
    QTest.keyClick(editor.url, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert editor.url.text() == "http://127.0.0.1:9/v1/chat/completions"
    assert editor.method.currentText() == "POST"
    assert editor.headers.headers() == [("content-type", "application/json"),
                                        ("authorization", "Bearer sk-x")]
    assert editor.body.toPlainText() == '{"q":"it\'s"}'
    assert not editor.verify_tls.isChecked()
    # typed on one line, and an unsupported option named, never dropped
    editor.url.setText("curl -G -d a=1 http://127.0.0.1:9/s")
    assert editor.url.text() == "http://127.0.0.1:9/s?a=1" and editor.method.currentText() == "GET"
    with qtbot.waitSignal(editor.validationFailed, timeout=1000) as blocker:
        editor.url.setText("curl --proxy http://p:1 http://127.0.0.1:9/")
    assert "unsupported curl option --proxy" in blocker.args[0]
    assert editor.message.isVisible()


def test_file_menu_has_the_collection_actions(window: MainWindow) -> None:
    texts = [a.text() for a in window.file_menu.actions()]
    first = texts.index("Open &collection…")  # after the capture actions, as in the app
    assert texts[first:first + 5] == [
        "Open &collection…", "Open sa&mple collection", "Import c&url…",
        "Import &HAR or Postman collection…", "Save request to co&llection"]
    assert texts.index("&Open capture…") < first


def test_collections_demo(window: MainWindow, arun: Any, tmp_path: Path) -> None:
    """``--demo collections``: the sample collection, environment 'local', its chat request."""
    from PySide6.QtGui import QImage

    from gui.app import demos

    out = tmp_path / "collections.png"
    assert arun(demos.run("collections", window, str(out)), timeout=30000) == 0
    panel = window.collections.panel
    assert panel.environment == "local" and panel.loaded is not None
    assert window.picker.tabs.currentWidget() is panel
    spec = window.controllers[-1].spec
    assert spec.header("Authorization") == "Bearer sk-local-demo"
    assert b'"model": "demo-model"' in (spec.body or b"")
    assert QImage(str(out)).width() > 0
    sample = panel.root
    assert sample is not None and (sample / "demo.http").is_file()
    window.close()
    assert not sample.exists(), "the sample's temporary folder goes with the window"


def test_auth_tab_masked_applied_at_send_never_in_history(
        window: MainWindow, qtbot: QtBot, folder: Path, demo_server: str, settings: Any,
        arun: Any) -> None:
    from PySide6.QtWidgets import QLineEdit

    from stream_core.requests.auth import Auth

    panel = window.collections.panel
    panel.open_path(folder)
    panel.set_environment("local")
    auth = window.editor.auth
    editor = window.editor
    assert "Auth" in [editor.tabs.tabText(i) for i in range(editor.tabs.count())]
    auth.set_auth(Auth("apikey", key_name="api_key", key_value="{{token}}", in_query=True))
    assert auth.key_value.echoMode() == QLineEdit.EchoMode.Password
    auth.show_values.setChecked(True)
    assert auth.key_value.echoMode() == QLineEdit.EchoMode.Normal
    editor.url.setText(f"{demo_server}/events?count=1&interval=0")
    with qtbot.waitSignal(window.streamStarted, timeout=2000) as started:
        window.send_action.trigger()
    wait_ended(qtbot, started.args[0])
    assert started.args[0].spec.url.endswith("&api_key=sk-private-15")
    assert settings.history()[0].rebased(demo_server).url \
        == f"{demo_server}/events?count=1&interval=0"
    assert "sk-private-15" not in Path(settings._s.fileName()).read_text()

    auth.set_auth(Auth("bearer"))  # empty: not sent, said why
    with qtbot.waitSignal(editor.validationFailed, timeout=1000) as blocker:
        window.send_action.trigger()
    assert "Bearer token is empty" in blocker.args[0]

    auth.set_auth(Auth("bearer", token="{{token}}"))  # saved as the header, variable kept
    assert arun(window.collections.save("with-auth"))
    saved = parse((folder / "api.http").read_text()).find("with-auth")
    assert ("Authorization", "Bearer {{token}}") in saved.headers
    panel.choose("events")
    assert auth.auth().kind == "none"


def test_import_postman_into_the_panel(window: MainWindow, tmp_path: Path) -> None:
    from tests.core.test_import_collections import POSTMAN

    source = tmp_path / "llm.postman_collection.json"
    source.write_text(json.dumps(POSTMAN))
    target = tmp_path / "out" / "llm.http"
    target.parent.mkdir()
    report = window.collections.import_collection(source, target)
    assert report is not None and "upload: auth type 'oauth2' not carried over" in report
    panel = window.collections.panel
    assert panel.find_item("Chat / stream chat") is not None
    assert "not carried over" in panel.status.text()
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert window.collections.import_collection(bad, tmp_path / "bad.http") is None
    assert not (tmp_path / "bad.http").exists()


def test_network_tab_applies_and_is_remembered(window: MainWindow, qtbot: QtBot,
                                               settings: Any) -> None:
    from gui.window.network_panel import NetworkOptions
    from tests.core.rawserver import RawServer, reply
    from tests.core.test_network_options import UNREACHABLE, WIRE

    network = window.editor.network
    editor = window.editor
    assert [editor.tabs.tabText(i) for i in range(editor.tabs.count())][-2:] == ["Auth",
                                                                                   "Network"]
    assert network.trust_env.isChecked()  # the environment's proxies: on by default
    network.set_values(NetworkOptions(ca_bundle="/nonexistent/ca.pem"))
    editor.url.setText(UNREACHABLE)
    with qtbot.waitSignal(editor.validationFailed, timeout=1000) as blocker:
        window.send_action.trigger()
    assert "the CA bundle '/nonexistent/ca.pem' is not a readable file" in blocker.args[0]
    with RawServer(reply(WIRE)) as proxy:
        network.set_values(NetworkOptions(proxy=proxy.url, trust_env=False, http2=True))
        with qtbot.waitSignal(window.streamStarted, timeout=2000) as started:
            window.send_action.trigger()
        controller = started.args[0]
        wait_ended(qtbot, controller)
    assert controller.stats.events == 1 and proxy.requests[0].startswith(b"GET http://127.0.0.1:1/")
    assert (controller.spec.proxy, controller.spec.trust_env, controller.spec.http2) == (
        proxy.url, False, True)
    window.close()
    assert NetworkOptions.from_json(settings.network()) == NetworkOptions(
        proxy=proxy.url, trust_env=False, http2=True)
