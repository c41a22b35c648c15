"""History keeps no secret in the settings file, which is its owner's only (issue 25, item 2).

A request with ``Authorization: Bearer``, ``Cookie`` and ``?api_key=`` was stored unmasked in
``stream-inspector.ini``, mode 0644. Now: masked as captures mask them, the file 0600; this
run's entries resend exactly, an earlier run's say that their secrets must be typed again.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import shiboken6
from pytestqt.qtbot import QtBot

from gui.services.settings import HistoryEntry, Settings
from gui.window.history_panel import label
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import send, wait_ended

SECRETS = ("sk-authz-SECRET-1", "cookie-SECRET-2", "sk-query-SECRET-3")


def _entry(base: str = "http://127.0.0.1:1") -> HistoryEntry:
    return HistoryEntry(
        "POST", f"{base}/v1/x?api_key={SECRETS[2]}&b=2",
        [("Authorization", f"Bearer {SECRETS[0]}"), ("Cookie", f"sid={SECRETS[1]}"),
         ("Accept", "*/*")], f'{{"echo": "{SECRETS[0]}"}}', "sse", when=1.0e9)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_settings_file_holds_no_secret_and_is_the_owners_only(tmp_path: Path) -> None:
    path = tmp_path / "stream-inspector.ini"
    s = Settings.from_path(str(path))
    entry = _entry()
    s.add_history(entry)
    s.set_last_request(entry)
    s.sync()
    text = path.read_text()
    assert not [secret for secret in SECRETS if secret in text]
    assert _mode(path) == 0o600
    # This run resends exactly what was sent...
    assert s.history()[0] == entry and s.last_request() == entry
    assert not s.history()[0].masked
    # ...an earlier run's entry has *** where each secret was, and says so.
    again = Settings.from_path(str(path))
    (stored,) = again.history()
    assert stored.url == "http://127.0.0.1:1/v1/x?api_key=***&b=2"
    assert stored.headers == [("Authorization", "Bearer ***"), ("Cookie", "***"), ("Accept", "*/*")]
    assert stored.body == '{"echo": "***"}' and stored.masked
    assert "secrets not kept" in label(stored)
    assert again.last_request() == stored
    # Sending it again (secrets typed again) is one entry, not two.
    assert len(again.add_history(_entry())) == 1


def test_variables_stay_as_typed(tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    entry = HistoryEntry("GET", "http://h/x?api_key={{key}}", [
        ("Authorization", "Bearer {{token}}"), ("X-Api-Key", "{{key}}")], when=5.0)
    s = Settings.from_path(str(path))
    s.add_history(entry)
    s.sync()
    (stored,) = Settings.from_path(str(path)).history()
    assert stored == entry and not stored.masked


def test_an_existing_world_readable_settings_file_becomes_the_owners_only(
        tmp_path: Path) -> None:
    path = tmp_path / "s.ini"
    path.write_text("[request]\nmode=sse\n")
    os.chmod(path, 0o644)
    s = Settings.from_path(str(path))
    assert _mode(path) == 0o600 and s.last_mode() == "sse"
    s.set_last_mode("ndjson")
    s.sync()  # Qt replaces the file: the new one keeps the mode
    assert _mode(path) == 0o600 and "ndjson" in path.read_text()


def test_a_sent_request_with_secrets_is_masked_in_the_file_and_resent_exactly(
        window: MainWindow, qtbot: QtBot, demo_server: str, settings: Settings,
        clients: object) -> None:
    url = f"{demo_server}/ndjson?count=1&interval=0&api_key={SECRETS[2]}"
    window.editor.headers.set_headers([("Authorization", f"Bearer {SECRETS[0]}")])
    wait_ended(qtbot, send(window, qtbot, url, Mode.NDJSON))
    settings.sync()
    text = Path(settings.file_name).read_text()
    assert SECRETS[0] not in text and SECRETS[2] not in text
    window.editor.url.setText("http://127.0.0.1:1/other")
    history = window.picker.history
    with qtbot.waitSignal(window.picker.historyChosen, timeout=1000):
        history.itemClicked.emit(history.item(0))
    assert window.editor.url.text() == url  # this run's entry: as it was sent
    assert ("Authorization", f"Bearer {SECRETS[0]}") in window.editor.headers.headers()
    later = MainWindow(Settings.from_path(settings.file_name), clients, demo_server)
    try:  # the next run: *** to type again, and said in the list
        item = later.picker.history.item(0)
        assert "api_key=***" in item.text() and "secrets not kept" in item.text()
    finally:
        later.close()
        shiboken6.delete(later)
