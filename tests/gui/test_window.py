"""The window against the real embedded server over real sockets, offscreen.

Every wait is on a signal or a condition (``waitSignal`` / ``waitUntil``), never a sleep.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import httpx
import httpx_sse
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from embedded_server.endpoints.sse_tour import TOUR_EVENTS
from gui.stream.controller import State, StreamController
from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.analysis.llm import llm_delta
from stream_core.net.spec import Mode
from stream_core.records import Event, Reconnect, Record

# The offscreen platform plugin cannot pass size hints to a (non-existent) window manager and
# says so when a top-level window gets a minimum size; nothing the app can change.


def pick(window: MainWindow, method: str, path: str) -> None:
    item = window.picker.find_endpoint(method, path)
    assert item is not None, f"{method} {path} not listed"
    window.picker.choose(item)


def send(window: MainWindow, qtbot: QtBot, url: str, mode: Mode = Mode.AUTO) -> StreamController:
    window.editor.url.setText(url)
    window.editor.set_mode(mode)
    with qtbot.waitSignal(window.streamStarted, timeout=2000) as blocker:
        window.send_action.trigger()
    controller = blocker.args[0]
    assert isinstance(controller, StreamController)
    return controller


def wait_ended(qtbot: QtBot, controller: StreamController, timeout: int = 15000) -> None:
    if not controller.ended:
        with qtbot.waitSignal(controller.finished, timeout=timeout):
            pass
    assert controller.ended


def test_picker_fills_the_editor(window: MainWindow, demo_server: str) -> None:
    groups = [window.picker.tree.topLevelItem(i).text(0)
              for i in range(window.picker.tree.topLevelItemCount())]
    assert {"seed", "sse", "llm", "ndjson", "downloads", "faults"} <= set(groups)
    pick(window, "POST", "/v1/chat/completions")
    editor = window.editor
    assert editor.method.currentText() == "POST"
    assert editor.url.text().startswith(demo_server + "/v1/chat/completions")
    body = json.loads(editor.body.toPlainText())
    assert body["stream"] is True
    assert editor.mode_value() == Mode.SSE
    assert editor.json_label.text().startswith("✔")
    pick(window, "GET", "/download")
    assert editor.method.currentText() == "GET"
    assert editor.mode_value() == Mode.DOWNLOAD
    assert "size=" in editor.url.text()


def test_finite_sse_stream_matches_what_the_server_sent(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    url = f"{demo_server}/sse/tour?interval=0"
    controller = send(window, qtbot, url, Mode.SSE)
    wait_ended(qtbot, controller)
    assert controller.state == State.DONE
    # What the server documents it sends (WHATWG dispatch of its hand-written frames).
    expected = list(TOUR_EVENTS)
    model = controller.events
    got = [(r.event, r.data, r.id) for r in (model.row(i) for i in range(len(model)))
           if isinstance(r, Event)]
    assert got == expected
    assert controller.stats.events == len(expected)
    # The table shows them: type, id and data preview columns.
    last = len(model) - 1
    assert model.index(last, model.COL_ID).data() == expected[-1][2]
    assert model.index(last, model.COL_TYPE).data() == expected[-1][0]
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    assert tab.summary.values["state"].text() == "done"
    assert tab.summary.values["status"].text() == "200 OK"
    assert tab.summary.values["events"].text() == str(len(expected))
    assert window.tabs.tabText(window.tabs.currentIndex()).endswith(f"({len(expected)})")
    # Every chunk was recorded and the bytes add up.
    assert sum(controller.chunks.row(i).size for i in range(len(controller.chunks))) \
        == controller.stats.bytes == controller.raw.total


def test_events_counted_and_filtered(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/events?interval=0&count=25", Mode.SSE)
    wait_ended(qtbot, controller)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    ids = [controller.events.row(i).id for i in range(len(controller.events))]
    assert ids == [str(n) for n in range(1, 26)]
    for i in range(25):
        assert json.loads(controller.events.row(i).data)["message"] == "Hello, world!"
    # The same as an independent client (httpx-sse) reads from that endpoint.
    with httpx.Client() as client, httpx_sse.connect_sse(
            client, "GET", f"{demo_server}/events?interval=0&count=25") as source:
        theirs = [(s.event, s.id) for s in source.iter_sse()]
    ours = [(e.event, e.id) for e in (controller.events.row(i) for i in range(25))]
    assert ours == theirs
    panel = tab.events
    panel.filter_text.setText("Hello")
    assert panel.visible_rows() == 25
    panel.filter_text.setText("no such text")
    assert panel.visible_rows() == 0
    panel.filter_text.clear()
    panel.regex.setChecked(True)
    panel.filter_text.setText(r"^message\n1[0-9]\n")  # ids 10..19 (kind, id, data per row)
    assert panel.visible_rows() == 10
    panel.filter_text.setText("([")
    assert panel.filter_message.text().startswith("bad regex")
    panel.filter_text.clear()
    panel.kind.setCurrentIndex(panel.kind.findData("message"))
    assert panel.visible_rows() == 25
    assert panel.table.model() is panel.proxy
    panel.kind.setCurrentIndex(0)
    assert panel.table.model() is controller.events


def test_selecting_an_event_highlights_its_chunks(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/events?interval=0.01&count=5", Mode.SSE)
    wait_ended(qtbot, controller)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    tab.events.select_row(2)
    event = controller.events.row(2)
    first = controller.chunks.row_of_seq(event.first_chunk)
    assert first >= 0
    assert controller.chunks.highlighted(first)
    assert "Hello, world!" in tab.events.detail.tree.topLevelItem(0).child(0).text(1)
    tab.tabs.setCurrentWidget(tab.chunks)
    tab.chunks.select_row(first)
    assert controller.events.highlighted(2)
    assert "Chunk #" in tab.chunks.caption.text()


def test_ndjson_records(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/ndjson?interval=0&count=12", Mode.NDJSON)
    wait_ended(qtbot, controller)
    rows = [controller.events.row(i) for i in range(len(controller.events))]
    records = [r for r in rows if isinstance(r, Record)]
    assert len(records) == 12
    assert all(r.parsed for r in records)
    assert controller.events.index(0, controller.events.COL_TYPE).data() == "json"


def test_stop_mid_stream_keeps_rows(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/events?interval=0.02", Mode.SSE)
    qtbot.waitUntil(lambda: len(controller.events) >= 5, timeout=10000)
    with qtbot.waitSignal(controller.finished, timeout=3000):
        QTest.keyClick(window, Qt.Key.Key_Escape)
    assert controller.state == State.STOPPED
    kept = len(controller.events)
    assert kept >= 5
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    assert tab.banner.isHidden()  # a stop is not an error
    assert tab.summary.values["state"].text() == "stopped"


def test_disconnect_fault_shows_banner_and_keeps_rows(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/faults/disconnect?after=4&interval=0",
                      Mode.SSE)
    wait_ended(qtbot, controller)
    assert controller.state == State.FAILED
    events = [controller.events.row(i) for i in range(len(controller.events))]
    assert [e.id for e in events if isinstance(e, Event)] == ["1", "2", "3", "4"]
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    assert tab.banner.isVisible()
    assert "Failed (protocol)" in tab.banner.label.text()
    assert tab.events.visible_rows() == 5  # 4 events and the error row


def test_http_404_and_refused_port(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/no/such/path", Mode.AUTO)
    wait_ended(qtbot, controller)
    assert controller.state == State.FAILED
    assert controller.error is not None and controller.error.kind == "http"
    assert controller.response is not None and controller.response.status == 404
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = send(window, qtbot, f"http://127.0.0.1:{port}/", Mode.SSE)
    wait_ended(qtbot, controller)
    assert controller.state == State.FAILED
    assert controller.error is not None and controller.error.kind == "connect"
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    assert "Failed (connect)" in tab.banner.label.text()


def test_two_tabs_stream_at_once(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    a = send(window, qtbot, f"{demo_server}/events?interval=0.02", Mode.SSE)
    b = send(window, qtbot, f"{demo_server}/ndjson?interval=0.02", Mode.NDJSON)
    assert window.tabs.count() == 2
    qtbot.waitUntil(lambda: len(a.events) >= 5 and len(b.events) >= 5, timeout=10000)
    assert a.running and b.running
    assert a.state == State.STREAMING and b.state == State.STREAMING
    window.close_tab(window.tabs.indexOf(window.current_tab()))
    qtbot.waitUntil(lambda: not b.running, timeout=3000)
    assert a.running
    assert window.tabs.count() == 1


def test_invalid_url_rejected_with_message(window: MainWindow, qtbot: QtBot) -> None:
    for url, words in (("", "enter a URL"), ("example.com/x", "needs a scheme"),
                       ("ftp://127.0.0.1/x", "only http")):
        window.editor.url.setText(url)
        with qtbot.waitSignal(window.editor.validationFailed, timeout=1000) as blocker:
            window.send_action.trigger()
        assert words in blocker.args[0]
        assert window.editor.message.isVisible()
        assert words in window.editor.message.text()
    assert window.controllers == []


def test_secret_headers_masked_and_history_persists(
        window: MainWindow, qtbot: QtBot, demo_server: str, settings: Any) -> None:
    editor = window.editor
    editor.headers.set_headers([("Authorization", "Bearer sk-secret"), ("X-Api-Key", "abc123"),
                                ("Accept", "text/event-stream")])
    assert editor.headers.displayed_value(0) == "Bearer ••••••••"
    assert editor.headers.displayed_value(1) == "••••••••"
    assert editor.headers.displayed_value(2) == "text/event-stream"
    editor.headers.show_secrets.setChecked(True)
    assert editor.headers.displayed_value(0) == "Bearer sk-secret"
    controller = send(window, qtbot, f"{demo_server}/events?interval=0&count=2", Mode.SSE)
    wait_ended(qtbot, controller)
    assert controller.spec.header("Authorization") == "Bearer sk-secret"
    history = settings.history()
    assert history[0].rebased(demo_server).url == f"{demo_server}/events?interval=0&count=2"
    assert window.picker.history.count() == len(history)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    tab.tabs.setCurrentWidget(tab.headers)
    html = tab.headers.browser.toPlainText()
    assert "sk-secret" not in html and "Authorization" in html
    assert "200 OK" in html


def test_raw_view_shows_sse_framing(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/sse/tour?interval=0", Mode.SSE)
    wait_ended(qtbot, controller)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    tab.tabs.setCurrentWidget(tab.raw)
    text = tab.raw.text.toPlainText()
    assert "⏎ dispatch" in text and "data:" in text and text.lstrip().startswith(":")
    tab.raw.hex.setChecked(True)
    assert tab.raw.text.toPlainText().startswith("00000000  ")


def test_reconnect_rows_and_state(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    window.editor.reconnect.setChecked(True)
    controller = send(window, qtbot,
                      f"{demo_server}/faults/resume?drop_every=3&count=7&interval=0", Mode.SSE)
    states: list[str] = []
    controller.stateChanged.connect(states.append)
    wait_ended(qtbot, controller, timeout=30000)
    rows = [controller.events.row(i) for i in range(len(controller.events))]
    ids = [r.id for r in rows if isinstance(r, Event)]
    assert ids == [str(n) for n in range(1, 8)]  # resumed from Last-Event-ID: none lost
    reconnects = [r for r in rows if isinstance(r, Reconnect)]
    assert reconnects and reconnects[0].last_event_id == "3"
    assert controller.events.index(rows.index(reconnects[0]), 3).data() == "reconnect"
    assert "reconnecting" in states
    assert len(controller.requests) == len(reconnects) + 1


def test_picker_loads_by_url_and_reports_failures(
        window: MainWindow, qtbot: QtBot, arun: Any, demo_server: str) -> None:
    picker = window.picker
    with qtbot.waitSignal(picker.loadFailed, timeout=5000) as blocker:
        picker.source.setText(f"{demo_server}/no-such-openapi.json")
        picker.load_button.click()
    assert "404" in blocker.args[0]
    assert picker.tree.topLevelItemCount() > 0  # the previous list stays
    assert arun(picker.load(demo_server))  # a base URL is completed with /openapi.json
    assert picker.source.text() == demo_server + "/openapi.json"
    assert not arun(picker.load("not a url"))


def test_close_saves_geometry_and_options(window: MainWindow, settings: Any) -> None:
    window.editor.read_timeout.setValue(77.0)
    window.resize(1200, 800)
    window.close()
    assert settings.geometry() is not None
    assert settings.splitter("main") is not None
    assert settings.options().read_timeout == 77.0


def test_flood_loses_nothing_and_stop_reacts(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    n = 50_000
    controller = send(window, qtbot, f"{demo_server}/flood/sse?count={n}&size=32", Mode.SSE)
    wait_ended(qtbot, controller, timeout=60000)
    assert controller.state == State.DONE
    model = controller.events
    assert len(model) == n
    assert [model.row(i).seq for i in (0, n // 2, n - 1)] == [0, n // 2, n - 1]
    # An endless-sized flood: Stop must end it promptly, keeping every row that arrived.
    controller = send(window, qtbot, f"{demo_server}/flood/sse?count=1000000&size=32",
                      Mode.SSE)
    qtbot.waitUntil(lambda: len(controller.events) >= 10_000, timeout=30000)
    with qtbot.waitSignal(controller.finished, timeout=2000):
        window.stop_action.trigger()
    assert controller.state == State.STOPPED
    kept = len(controller.events)
    assert model is not controller.events and kept >= 10_000
    assert controller.events.row(kept - 1).seq == kept - 1  # contiguous: none dropped


def test_follow_tail_pauses_when_scrolled_up(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/events?interval=0.005", Mode.SSE)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    bar = tab.events.table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 5, timeout=10000)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=2000)  # following
    assert tab.events.follow.isChecked()
    bar.setValue(0)  # the user scrolls up to read
    assert not tab.events.follow.isChecked()
    rows = len(controller.events)
    qtbot.waitUntil(lambda: len(controller.events) > rows + 10, timeout=10000)
    assert bar.value() == 0  # the view stayed where the user put it
    tab.events.follow.setChecked(True)  # resume
    assert bar.value() == bar.maximum()
    with qtbot.waitSignal(controller.finished, timeout=3000):
        window.stop_action.trigger()


def test_copy_event_data(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/sse/tour?interval=0", Mode.SSE)
    wait_ended(qtbot, controller)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    row = next(i for i in range(len(controller.events))
               if controller.events.kind(controller.events.row(i)) == "poem")
    tab.events.select_row(row)
    tab.events.copy_data()
    assert QGuiApplication.clipboard().text() == "first line\nsecond line\nthird line"
    tab.events.copy_record()
    assert json.loads(QGuiApplication.clipboard().text())["event"] == "poem"


def test_llm_chat_completion(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    pick(window, "POST", "/v1/chat/completions")
    base = window.editor.url.text().split("?")[0]
    controller = send(window, qtbot, f"{base}?delay=0", Mode.SSE)
    wait_ended(qtbot, controller)
    assert controller.state == State.DONE
    assert controller.request is not None and controller.request.method == "POST"
    events = [controller.events.row(i) for i in range(len(controller.events))]
    assert events[-1].data == "[DONE]"
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    last = max(i for i, e in enumerate(events) if llm_delta(e.data) is not None)
    text = tab.events.assembled_text(last)
    assert text and len(text.split()) > 5
    assert tab.events.assembled_text(len(events) - 1) is None  # [DONE] is not a delta


def test_stop_while_connecting(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/faults/slow-first-byte?delay=10", Mode.SSE)
    assert controller.state == State.CONNECTING
    with qtbot.waitSignal(controller.finished, timeout=2000):
        window.editor.stop_button.click()
    assert controller.state == State.STOPPED
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    assert tab.banner.isHidden()


def test_history_click_refills_the_editor(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    window.editor.body.setPlainText('{"a": 1}')
    window.editor.method.setCurrentText("POST")
    controller = send(window, qtbot, f"{demo_server}/v1/chat/completions?delay=0", Mode.SSE)
    wait_ended(qtbot, controller)
    window.editor.url.setText("http://127.0.0.1:1/other")
    window.editor.body.clear()
    item = window.picker.history.item(0)
    with qtbot.waitSignal(window.picker.historyChosen, timeout=1000):
        window.picker.history.itemClicked.emit(item)
    assert window.editor.url.text() == f"{demo_server}/v1/chat/completions?delay=0"
    assert window.editor.method.currentText() == "POST"
    assert window.editor.body.toPlainText() == '{"a": 1}'
    assert window.editor.mode_value() == Mode.SSE


def test_download_saves_the_file_and_fills_the_bar(
        window: MainWindow, qtbot: QtBot, demo_server: str, tmp_path: Any) -> None:
    size = 3 * 1024 * 1024
    controller = send(window, qtbot, f"{demo_server}/download?size={size}", Mode.DOWNLOAD)
    wait_ended(qtbot, controller)
    assert controller.state == State.DONE
    assert controller.end is not None and controller.end.complete
    assert controller.end.path is not None
    saved = Path(controller.end.path)
    assert saved.parent == tmp_path and saved.stat().st_size == size
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    assert tab.progress.isVisible()
    assert tab.progress.value() == tab.progress.maximum()
    assert "complete" in tab.progress.format()
    assert tab.raw.hex.isChecked()
    assert window.tabs.tabText(window.tabs.currentIndex()).endswith("(3.0 MiB)")


def test_keyboard_send_from_body_and_stop_from_url(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    window.editor.url.setText(f"{demo_server}/events?interval=0.02")
    window.editor.set_mode(Mode.SSE)
    window.editor.body.setFocus()
    with qtbot.waitSignal(window.streamStarted, timeout=2000) as blocker:
        QTest.keyClick(window.editor.body, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    controller = blocker.args[0]
    assert window.editor.body.toPlainText() == ""  # the shortcut did not type a newline
    qtbot.waitUntil(lambda: len(controller.events) >= 2, timeout=10000)
    with qtbot.waitSignal(controller.finished, timeout=2000):
        QTest.keyClick(window.editor.url, Qt.Key.Key_Escape)
    assert controller.state == State.STOPPED


def test_downloads_never_overwrite(tmp_path: Path) -> None:
    from stream_core.net.filenames import download_name, free_path

    assert download_name("http://127.0.0.1:1/files/a%20b.zip?x=1") == "a b.zip"
    assert download_name("http://127.0.0.1:1/%2e%2e%2f") == "download"
    assert download_name("http://127.0.0.1:1/", None, "application/octet-stream") == "download.bin"
    (tmp_path / "f.bin").write_bytes(b"x")
    (tmp_path / "f (2).bin.part").write_bytes(b"x")
    assert free_path(tmp_path / "f.bin") == tmp_path / "f (3).bin"
    assert free_path(tmp_path / "g.bin") == tmp_path / "g.bin"
