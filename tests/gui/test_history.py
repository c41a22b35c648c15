"""History (issue 14.4): demo-server entries survive the server's new port; each entry shows
method, URL, status and when; the list is searchable."""

from __future__ import annotations

import time
from typing import Any

import shiboken6
from pytestqt.qtbot import QtBot

from gui.services.settings import HistoryEntry, Settings
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import send, wait_ended


def test_sent_requests_are_stored_relative_to_the_demo_server_with_status_and_time(
        window: MainWindow, qtbot: QtBot, demo_server: str, settings: Settings) -> None:
    before = time.time()
    controller = send(window, qtbot, f"{demo_server}/ndjson?count=2&interval=0", Mode.NDJSON)
    wait_ended(qtbot, controller)
    stored = settings.history()[0]
    assert stored.demo and stored.url == "/ndjson?count=2&interval=0"
    assert stored.status == 200 and before <= stored.when <= time.time()
    text = window.picker.history.item(0).text()
    assert f"GET  {demo_server}/ndjson?count=2&interval=0" in text
    # The entry's own time, not the clock's now: the minute may turn during the test.
    assert "200" in text and time.strftime("%H:%M", time.localtime(stored.when)) in text


def test_history_from_an_earlier_run_points_at_todays_demo_server(
        settings: Settings, clients: Any, demo_server: str, qtbot: QtBot) -> None:
    settings.set_history([
        HistoryEntry("GET", "/events?count=1", mode="sse", status=200, when=1.0e9, demo=True),
        HistoryEntry("GET", "http://127.0.0.1:9/elsewhere", status=404, when=1.0e9),
    ])
    settings.set_last_request(HistoryEntry("POST", "/v1/chat/completions", body="{}",
                                           mode="sse", demo=True))
    window = MainWindow(settings, clients, demo_server)
    try:
        history = window.picker.history
        assert history.count() == 2
        assert f"GET  {demo_server}/events?count=1" in history.item(0).text()
        assert "http://127.0.0.1:9/elsewhere" in history.item(1).text()
        assert "404" in history.item(1).text()
        with qtbot.waitSignal(window.picker.historyChosen, timeout=1000):
            history.itemClicked.emit(history.item(0))
        assert window.editor.url.text() == f"{demo_server}/events?count=1"
        assert window.editor.mode_value() == Mode.SSE
    finally:
        window.close()
        shiboken6.delete(window)


def test_history_is_searchable(window: MainWindow, settings: Settings, demo_server: str) -> None:
    entries = [HistoryEntry("GET", "/ndjson", status=200, when=time.time(), demo=True),
               HistoryEntry("POST", "/v1/chat/completions", body='{"model": "m1"}',
                            status=200, when=time.time(), demo=True),
               HistoryEntry("GET", "/faults/status/503", status=503, when=time.time(),
                            demo=True)]
    window.picker.set_history(entries, demo_server)
    panel = window.picker.history_panel
    panel.search.setText("ndjson")
    assert [e.url for e in panel.visible_entries()] == [f"{demo_server}/ndjson"]
    panel.search.setText("503")
    assert [e.url for e in panel.visible_entries()] == [f"{demo_server}/faults/status/503"]
    panel.search.setText("post m1")  # every word, in the request line or the body
    assert [e.method for e in panel.visible_entries()] == ["POST"]
    panel.search.clear()
    assert len(panel.visible_entries()) == 3
