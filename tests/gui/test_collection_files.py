"""The user's ``.http`` files in the window (issue 23 items 1-3), against real files on disk
edited from outside: Save writes over the loaded request only while the editor shows it, a
secret typed in the editor goes to the private environment file, never in clear into the
``.http`` file; edits made elsewhere are seen and kept by every kind of write; modes stay."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from gui.services.settings import HistoryEntry
from gui.window.main_window import MainWindow
from gui.window.request_editor import EndpointFill
from stream_core.requests.environments import PRIVATE_ENV_FILE
from stream_core.requests.httpfile import parse
from tests.gui.dialogs import answer, none_shown, shown

API = """\
# Our API: the IDE opens this file too.
@host = {{demo}}

### records
GET {{host}}/ndjson?count=3

### chat
POST {{host}}/v1/chat/completions
Content-Type: application/json

{"stream": true, "messages": [{"role": "user", "content": "hi"}]}
"""

CURL = ("curl 'http://127.0.0.1:9/v1/chat/completions' -H 'Authorization: Bearer sk-test'"
        " -H 'content-type: application/json' --data-raw '{\"stream\": true}'")


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "api"
    root.mkdir()
    (root / "api.http").write_text(API)
    (root / "api.http").chmod(0o644)
    (root / "http-client.env.json").write_text(json.dumps({"local": {"model": "m"}}))
    return root.resolve()


def opened(window: MainWindow, folder: Path) -> Path:
    assert window.collections.panel.open_path(folder)
    return folder / "api.http"


def replace_on_disk(path: Path, old: str, new: str) -> None:
    """What an IDE does on save: write a new file, rename it over the old one."""
    text = path.read_text()
    assert old in text
    temp = path.with_name("ide-save.tmp")
    temp.write_text(text.replace(old, new))
    os.replace(temp, path)


def save_as(qtbot: QtBot, window: MainWindow, name: str) -> None:
    dialog = shown(qtbot, window, "saveRequestDialog")
    dialog.findChild(QLineEdit, "requestName").setText(name)
    dialog.accept()


def keep_secrets(qtbot: QtBot, window: MainWindow, environment: str = "local") -> str:
    dialog = shown(qtbot, window, "secretsDialog")
    dialog.findChild(QComboBox, "secretsEnvironment").setCurrentText(environment)
    listed = dialog.findChild(QLabel, "secretsList").text()
    dialog.accept()
    return str(listed)


def test_save_after_a_pasted_curl_is_save_as_new_and_keeps_the_secret_out(
        window: MainWindow, qtbot: QtBot, folder: Path) -> None:
    """The issue's steps: click ``records``, paste a curl command, Ctrl+Shift+S."""
    path = opened(window, folder)
    assert window.collections.panel.choose("records")
    QGuiApplication.clipboard().setText(CURL)
    window.editor.url.setFocus()
    QTest.keyClick(window.editor.url, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert window.editor.method.currentText() == "POST"
    task = window.collections.save()  # what Ctrl+Shift+S does
    save_as(qtbot, window, "from-curl")
    listed = keep_secrets(qtbot, window)
    assert listed == "header 'Authorization'  →  {{token}}"
    qtbot.waitUntil(task.done, timeout=15000)
    assert task.result()
    text = path.read_text()
    assert text.startswith(API) and "sk-test" not in text
    saved = parse(text).find("from-curl")
    assert ("Authorization", "Bearer {{token}}") in saved.headers
    assert parse(text).find("records") == parse(API).find("records")
    private = folder / PRIVATE_ENV_FILE
    assert json.loads(private.read_text()) == {"local": {"token": "sk-test"}}
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert window.collections.panel.environment == "local"


@pytest.mark.parametrize("source", ["endpoint", "history"])
def test_a_demo_endpoint_or_history_entry_is_never_saved_over_the_loaded_request(
        window: MainWindow, qtbot: QtBot, folder: Path, source: str, demo_server: str) -> None:
    path = opened(window, folder)
    assert window.collections.panel.choose("chat")
    if source == "endpoint":
        window.picker.endpointChosen.emit(EndpointFill("GET", f"{demo_server}/events?interval=0.2"))
    else:
        window.picker.historyChosen.emit(HistoryEntry("GET", f"{demo_server}/health"))
    task = window.collections.save()
    dialog = shown(qtbot, window, "saveRequestDialog")
    dialog.reject()  # the user gives up: nothing written
    qtbot.waitUntil(task.done, timeout=15000)
    assert not task.result() and path.read_text() == API


def test_a_secret_goes_into_an_existing_private_file_in_place(
        window: MainWindow, qtbot: QtBot, folder: Path, arun: Any) -> None:
    private = folder / PRIVATE_ENV_FILE
    mine = '{\n    "local": {\n        "other": "kept"\n    },\n    "prod": {"x": "1"}\n}\n'
    private.write_text(mine)
    private.chmod(0o640)
    path = opened(window, folder)
    assert window.collections.panel.choose("chat")
    window.editor.url.setText("{{host}}/v1/chat/completions?api_key=k-42")
    task = window.collections.save()  # over the loaded request: it still shows it
    assert keep_secrets(qtbot, window) == "query parameter 'api_key'  →  {{api_key}}"
    qtbot.waitUntil(task.done, timeout=15000)
    assert task.result()
    assert parse(path.read_text()).find("chat").url == (
        "{{host}}/v1/chat/completions?api_key={{api_key}}")
    assert private.read_text() == mine.replace('"kept"\n', '"kept",\n        "api_key": "k-42"\n')
    assert stat.S_IMODE(private.stat().st_mode) == 0o640
    # Cancelled: nothing written anywhere
    window.editor.url.setText("{{host}}/v1/chat/completions?token=t-1")
    before = path.read_text(), private.read_text()
    task = window.collections.save()
    shown(qtbot, window, "secretsDialog").reject()
    qtbot.waitUntil(task.done, timeout=15000)
    assert not task.result() and (path.read_text(), private.read_text()) == before


def test_watch_reloads_edits_made_elsewhere_even_after_atomic_replaces(
        window: MainWindow, qtbot: QtBot, folder: Path) -> None:
    path = opened(window, folder)
    panel = window.collections.panel
    for n in range(1, 3):  # twice: an atomic replace takes the file out of the watch
        replace_on_disk(path, "### records" if n == 1 else "### records-1",
                        f"### records-{n}")
        qtbot.waitUntil(lambda n=n: panel.find_item(f"records-{n}") is not None, timeout=15000)
    (folder / "more.http").write_text("### more\nGET {{demo}}/health\n")
    qtbot.waitUntil(lambda: panel.find_item("more") is not None, timeout=15000)
    (folder / "more.http").unlink()
    qtbot.waitUntil(lambda: panel.find_item("more") is None, timeout=15000)


def test_rename_after_an_edit_elsewhere_keeps_that_edit(window: MainWindow, folder: Path,
                                                        arun: Any) -> None:
    """The issue's steps: edit api.http elsewhere, Rename in the app (before the watch has
    even reported the edit)."""
    path = opened(window, folder)
    replace_on_disk(path, "# Our API", "# Our API, edited in the IDE")
    assert arun(window.collections.edits.rename(path, "records", "all-records"))
    text = path.read_text()
    assert text == API.replace("# Our API", "# Our API, edited in the IDE").replace(
        "### records", "### all-records")


def test_save_in_place_keeps_an_edit_elsewhere_and_asks_about_the_same_request(
        window: MainWindow, qtbot: QtBot, folder: Path, arun: Any) -> None:
    path = opened(window, folder)
    panel = window.collections.panel
    assert panel.choose("chat")
    replace_on_disk(path, "count=3", "count=30")  # another request: kept
    window.editor.url.setText("{{host}}/v1/chat/completions?delay=0")
    assert arun(window.collections.save())
    assert parse(path.read_text()).find("records").url.endswith("count=30")
    assert parse(path.read_text()).find("chat").url.endswith("?delay=0")

    replace_on_disk(path, '"content": "hi"', '"content": "theirs"')  # the same request
    qtbot.waitUntil(lambda: '"theirs"' in (panel.files[path].find("chat").body or ""),
                    timeout=15000)
    window.editor.url.setText("{{host}}/v1/chat/completions?delay=1")
    task = window.collections.save()
    question = answer(qtbot, window, "Cancel")
    assert "'chat' was changed in api.http since it was read" in question
    qtbot.waitUntil(task.done, timeout=15000)
    assert not task.result() and '"theirs"' in path.read_text()
    task = window.collections.save()
    answer(qtbot, window, "Overwrite their change")
    qtbot.waitUntil(task.done, timeout=15000)
    assert task.result() and '"theirs"' not in path.read_text()
    assert parse(path.read_text()).find("chat").url.endswith("?delay=1")


def test_save_as_new_and_delete_with_edits_elsewhere(window: MainWindow, qtbot: QtBot,
                                                     folder: Path, arun: Any) -> None:
    path = opened(window, folder)
    replace_on_disk(path, "# Our API", "# Theirs")
    window.editor.fill(EndpointFill("GET", "{{host}}/health"))
    task = window.collections.save()
    save_as(qtbot, window, "health")
    qtbot.waitUntil(task.done, timeout=15000)
    assert task.result()
    assert path.read_text().startswith(API.replace("# Our API", "# Theirs"))
    assert parse(path.read_text()).find("health").url == "{{host}}/health"

    replace_on_disk(path, "count=3", "count=4")  # the request to delete changed there
    task = window.collections.edits.spawn(window.collections.edits.delete(path, "records"))
    assert "deleting it would lose that change" in answer(qtbot, window, "Cancel")
    qtbot.waitUntil(task.done, timeout=15000)
    assert "count=4" in path.read_text()
    replace_on_disk(path, "# Theirs", "# Theirs again")
    assert arun(window.collections.edits.delete(path, "health"))
    assert path.read_text() == API.replace("# Our API", "# Theirs again").replace(
        "count=3", "count=4")


def test_a_new_file_never_replaces_one_created_meanwhile(window: MainWindow, qtbot: QtBot,
                                                         folder: Path) -> None:
    opened(window, folder)
    window.editor.fill(EndpointFill("GET", "{{demo}}/health"))
    task = window.collections.save()
    dialog = shown(qtbot, window, "saveRequestDialog")
    files = dialog.findChild(QComboBox, "requestFile")
    files.setCurrentIndex(files.count() - 1)  # New file…
    save_as(qtbot, window, "health")
    chooser = shown(qtbot, window, "newHttpFile", QFileDialog)
    target = folder / "new.http"
    chooser.findChild(QLineEdit).setText(target.name)  # the user types a name that is free...
    target.write_text("### theirs\nGET {{demo}}/events\n")  # ...the IDE creates that file
    chooser.accept()
    qtbot.waitUntil(task.done, timeout=15000)
    assert task.result()
    assert [r.name for r in parse(target.read_text()).requests] == ["theirs", "health"]
    assert target.read_text().startswith("### theirs\nGET {{demo}}/events\n")
    assert none_shown(window)


def test_nothing_open_save_makes_a_file_and_its_private_environment(
        window: MainWindow, qtbot: QtBot, tmp_path: Path, demo_server: str) -> None:
    """Save with no collection open: a new file (the dialog offers nothing else), the secret in
    that folder's private file, the folder opened with that environment: Send works."""
    window.editor.url.setText(
        f"curl '{demo_server}/v1/chat/completions?delay=0' -H 'Authorization: Bearer sk-9'"
        " -H 'Content-Type: application/json' --data-raw '{\"stream\": true, \"messages\":"
        " [{\"role\": \"user\", \"content\": \"hi\"}]}'")
    task = window.collections.save()
    assert window.collections.save() is task  # a second Ctrl+Shift+S: the same dialog
    dialog = shown(qtbot, window, "saveRequestDialog")
    assert dialog.findChild(QComboBox, "requestFile").currentText() == "New file…"
    save_as(qtbot, window, "chat")
    chooser = shown(qtbot, window, "newHttpFile", QFileDialog)
    target = tmp_path / "mine" / "llm.http"
    target.parent.mkdir()
    chooser.setDirectory(str(target.parent))
    chooser.findChild(QLineEdit).setText(target.name)
    chooser.accept()
    assert keep_secrets(qtbot, window, "dev") == "header 'Authorization'  →  {{token}}"
    qtbot.waitUntil(task.done, timeout=15000)
    assert task.result() and "sk-9" not in target.read_text()
    private = target.parent / PRIVATE_ENV_FILE
    assert json.loads(private.read_text()) == {"dev": {"token": "sk-9"}}
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    panel = window.collections.panel
    assert panel.root == target.parent.resolve() and panel.environment == "dev"
    with qtbot.waitSignal(window.streamStarted, timeout=15000) as started:
        window.send()
    assert started.args[0].spec.header("Authorization") == "Bearer sk-9"
    qtbot.waitUntil(lambda: started.args[0].ended, timeout=15000)


def test_delete_from_the_list_asks_first(window: MainWindow, qtbot: QtBot,
                                         folder: Path) -> None:
    """A newcomer's Delete took the request out of the file at once, with no undo: the
    list's Delete now asks, and Cancel leaves the file as it was."""
    path = opened(window, folder)
    panel = window.collections.panel
    assert panel.choose("records", path)
    before = path.read_bytes()
    panel.delete_action.trigger()
    assert "Delete request records" in answer(qtbot, window, "Cancel")
    qtbot.waitUntil(lambda: none_shown(window), timeout=5000)
    assert path.read_bytes() == before
    panel.delete_action.trigger()
    answer(qtbot, window, "Delete")
    qtbot.waitUntil(lambda: "records" not in [r.name for r in parse(path.read_text()).requests],
                    timeout=15000)
