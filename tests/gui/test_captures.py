"""Captures in the window: save, open (menu and drop), bad files, exports, copy as, replay."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication
from pytestqt.qtbot import QtBot

from gui.stream.controller import State, StreamController
from gui.window.main_window import MainWindow
from stream_core.capture.reader import read_capture
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import End, Event
from tests.core.test_capture_file import write_sample
from tests.gui.test_window import send, wait_ended


def rows(controller: StreamController) -> list[tuple[str, ...]]:
    """What the events and chunks tables show (every column but clock times)."""
    ev, ch = controller.events, controller.chunks
    skip_ev, skip_ch = {ev.COL_TIME}, {ch.COL_TIME}
    return ([tuple(str(ev.index(r, c).data()) for c in range(ev.columnCount()) if c not in skip_ev)
             for r in range(ev.rowCount())]
            + [tuple(str(ch.index(r, c).data()) for c in range(ch.columnCount())
                     if c not in skip_ch) for r in range(ch.rowCount())])


def open_and_wait(window: MainWindow, qtbot: QtBot, path: Path) -> StreamController:
    controller = window.open_capture(str(path))
    assert controller is not None, window.captures.last_message
    wait_ended(qtbot, controller)
    return controller


def test_save_finished_stream_and_open_it(window: MainWindow, qtbot: QtBot, demo_server: str,
                                          tmp_path: Path) -> None:
    live = send(window, qtbot, f"{demo_server}/sse/tour?interval=0", Mode.SSE)
    wait_ended(qtbot, live)
    path = tmp_path / "tour.sicap"
    assert window.save_capture(str(path))
    assert "Saved" in window.captures.last_message
    cap = read_capture(path)
    assert cap.warnings == [] and isinstance(cap.records[-1], End)

    tabs_before = window.tabs.count()
    opened = open_and_wait(window, qtbot, path)
    assert window.tabs.count() == tabs_before + 1
    assert window.current_tab() is not None and window.current_tab().controller is opened
    assert opened.state == State.DONE
    assert rows(opened) == rows(live)  # the same events and chunks, timings included
    assert opened.stats.events == live.stats.events and opened.stats.bytes == live.stats.bytes
    assert opened.stats.ttfb == pytest.approx(live.stats.ttfb, abs=1e-5)
    assert opened.response is not None and live.response is not None
    assert opened.response.headers == live.response.headers
    assert opened.raw.total == live.raw.total
    assert opened.start_wall == pytest.approx(live.start_wall, abs=1e-3)
    # an opened capture saves again, and the same bytes come out
    again = tmp_path / "again.sicap"
    assert window.save_capture(str(again))
    assert read_capture(again).body == cap.body


def test_save_running_stream_keeps_appending(window: MainWindow, qtbot: QtBot,
                                             demo_server: str, tmp_path: Path) -> None:
    controller = send(window, qtbot, f"{demo_server}/events?count=8&interval=0.1", Mode.SSE)
    qtbot.waitUntil(lambda: len(controller.events) >= 2, timeout=10000)
    path = tmp_path / "running.sicap"
    assert window.save_capture(str(path))
    assert "more as they arrive" in window.captures.last_message
    early = read_capture(path)
    assert early.end is None and sum(isinstance(r, Event) for r in early.records) >= 2
    wait_ended(qtbot, controller)
    qtbot.waitUntil(lambda: "stream ended" in window.captures.last_message, timeout=3000)
    cap = read_capture(path)
    assert cap.warnings == []
    assert sum(isinstance(r, Event) for r in cap.records) == 8
    assert isinstance(cap.records[-1], End) and cap.records[-1].complete


def test_unwritable_save_path_keeps_the_tab(window: MainWindow, qtbot: QtBot,
                                            demo_server: str, tmp_path: Path) -> None:
    controller = send(window, qtbot, f"{demo_server}/events?count=3&interval=0", Mode.SSE)
    wait_ended(qtbot, controller)
    readonly = tmp_path / "ro"
    readonly.mkdir()
    readonly.chmod(0o500)
    try:
        target = readonly / "x.sicap" if os.geteuid() != 0 else tmp_path / "no-dir" / "x.sicap"
        assert not window.save_capture(str(target))
    finally:
        readonly.chmod(0o700)
    message = window.captures.last_message
    assert "Could not save" in message and "stays in its tab" in message
    assert window.statusBar().currentMessage() == message
    assert window.current_tab() is not None and window.current_tab().controller is controller
    assert len(controller.events) == 3
    assert window.save_capture(str(tmp_path / "ok.sicap"))  # and it can still be saved


def test_truncated_capture_opens_intact_part(window: MainWindow, qtbot: QtBot,
                                             tmp_path: Path) -> None:
    path = tmp_path / "cut.sicap"
    write_sample(path)
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b'{"type":"event","t":0.04') + 20])
    controller = open_and_wait(window, qtbot, path)
    assert len(controller.events) == 2 and len(controller.chunks) == 3
    assert "truncated" in window.captures.last_message
    assert controller.end is not None and not controller.end.complete


@pytest.mark.parametrize("content, needle", [
    (b"\x89PNG\r\n\x1a\n", "not a Stream Inspector capture"),
    (b'{"format":"stream-inspector-capture","version":"3.1"}\n', "version 3.1"),
    (b"", "empty"),
])
def test_bad_files_give_a_message_not_a_crash(window: MainWindow, tmp_path: Path,
                                              content: bytes, needle: str) -> None:
    path = tmp_path / "bad.sicap"
    path.write_bytes(content)
    count = window.tabs.count()
    assert window.open_capture(str(path)) is None
    assert needle in window.captures.last_message
    assert window.tabs.count() == count
    assert window.open_capture(str(tmp_path / "missing.sicap")) is None
    assert "No such file" in window.captures.last_message


def test_drop_a_capture_file(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "dropped.sicap"
    write_sample(path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.streamStarted, timeout=2000) as blocker:
        window.dropEvent(event)
    controller = blocker.args[0]
    wait_ended(qtbot, controller)
    assert len(controller.events) == 3 and controller.spec.url == "http://127.0.0.1/x"


def test_exports_and_copy_as(window: MainWindow, qtbot: QtBot, demo_server: str,
                             tmp_path: Path) -> None:
    body = json.dumps({"model": "demo", "stream": True,
                       "messages": [{"role": "user", "content": "hi"}]})
    window.editor.method.setCurrentText("POST")
    window.editor.body.setPlainText(body)
    window.editor.headers.set_headers([("Content-Type", "application/json"),
                                             ("Authorization", "Bearer sk-secret")])
    controller = send(window, qtbot, f"{demo_server}/v1/chat/completions")
    wait_ended(qtbot, controller)
    har_path = tmp_path / "x.har"
    assert window.captures.export("har", str(har_path))
    har = json.loads(har_path.read_text())
    entry = har["log"]["entries"][0]
    assert har["log"]["version"] == "1.2" and entry["request"]["method"] == "POST"
    assert json.loads(entry["request"]["postData"]["text"])["model"] == "demo"
    assert "sk-secret" not in har_path.read_text()
    assert entry["response"]["content"]["text"].rstrip().endswith("data: [DONE]")
    assert window.captures.export("events", str(tmp_path / "e.ndjson"))
    lines = (tmp_path / "e.ndjson").read_text().splitlines()
    assert len(lines) == controller.stats.events and json.loads(lines[-1])["data"] == "[DONE]"
    assert window.captures.export("body", str(tmp_path / "b.bin"))
    assert (tmp_path / "b.bin").stat().st_size == controller.stats.bytes
    assert not window.captures.export("body", str(tmp_path / "nope" / "b.bin"))
    assert "Could not export" in window.captures.last_message

    curl = window.captures.copy_as("curl")
    assert curl is not None and QGuiApplication.clipboard().text() == curl
    argv = shlex.split(curl)
    assert argv[:2] == ["curl", "-N"] and argv[-1].endswith("/v1/chat/completions")
    assert json.loads(argv[argv.index("--data-binary") + 1]) == json.loads(body)
    code = window.captures.copy_as("httpx")
    assert code is not None and QGuiApplication.clipboard().text() == code
    assert "aiter_lines" in code and "client.stream('POST'" in code


def test_replay_current_tab_on_the_demo_server(window: MainWindow, qtbot: QtBot,
                                               arun: Any, demo_server: str) -> None:
    live = send(window, qtbot, f"{demo_server}/events?count=4&interval=0.05", Mode.SSE)
    wait_ended(qtbot, live)
    url = arun(window.captures.replay(live))
    assert url is not None and "/replay/events-" in url
    path = url.removeprefix(demo_server)
    assert window.picker.find_endpoint("GET", path) is not None
    assert window.editor.url.text().startswith(url)
    replayed = send(window, qtbot, url + "?speed=0", Mode.SSE)
    wait_ended(qtbot, replayed)
    assert replayed.state == State.DONE
    def events(c: StreamController) -> list[tuple[str, ...]]:
        return [r[:1] + r[2:] for r in rows(c)[:4]]  # at speed=0 only the deltas differ
    assert events(replayed) == events(live)
    assert replayed.stats.bytes == live.stats.bytes


def test_reconnecting_stream_reopens_with_every_row(window: MainWindow, qtbot: QtBot,
                                                    demo_server: str, tmp_path: Path) -> None:
    """Retry and reconnect rows, several requests and responses: all come back."""
    live = window.start(RequestSpec(f"{demo_server}/faults/resume?count=6&drop_every=3&retry=10",
                                    mode=Mode.SSE, reconnect=True))
    wait_ended(qtbot, live)
    assert len(live.requests) >= 2
    path = tmp_path / "resume.sicap"
    assert window.save_capture(str(path))
    opened = open_and_wait(window, qtbot, path)
    assert rows(opened) == rows(live)
    assert len(opened.requests) == len(live.requests)
    assert len(opened.responses) == len(live.responses)
    assert opened.state == live.state


def test_save_and_open_in_the_background(window: MainWindow, qtbot: QtBot, demo_server: str,
                                         tmp_path: Path, arun: Any) -> None:
    """The window's Save/Open/drop path (worker thread) writes and shows what the direct one
    does; failures give the same messages."""
    live = send(window, qtbot, f"{demo_server}/sse/tour?interval=0", Mode.SSE)
    wait_ended(qtbot, live)
    direct, background = tmp_path / "direct.sicap", tmp_path / "background.sicap"
    assert window.save_capture(str(direct))
    assert arun(window.captures.save_capture_async(str(background), live))
    assert window.captures.last_message.startswith(f"Saved {background}")
    assert read_capture(background).records == read_capture(direct).records

    opened = arun(window.captures.open_capture_async(str(background)))
    assert opened is not None
    wait_ended(qtbot, opened)
    assert rows(opened) == rows(open_and_wait(window, qtbot, direct)) == rows(live)

    assert not arun(window.captures.save_capture_async(str(tmp_path / "no" / "x.sicap"), live))
    assert "Could not save" in window.captures.last_message
    (tmp_path / "bad.sicap").write_text("not a capture\n")
    assert arun(window.captures.open_capture_async(str(tmp_path / "bad.sicap"))) is None
    assert window.captures.last_message.startswith("Cannot open bad.sicap")


def test_failed_save_and_exports_keep_the_previous_files(
        window: MainWindow, qtbot: QtBot, arun: Any, demo_server: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """They truncated the target first (``open(path, "wb")``, ``write_bytes``): a failure
    half-way destroyed the file the user had (issue 13, item 4)."""
    import errno

    from stream_core.capture import records_file

    controller = send(window, qtbot, f"{demo_server}/sse/tour?interval=0", Mode.SSE)
    wait_ended(qtbot, controller)
    old = b"the file the user had\n"
    targets = {kind: tmp_path / f"old.{kind}" for kind in ("sicap", "har", "events", "body")}
    for path in targets.values():
        path.write_bytes(old)

    real = records_file.record_line
    calls = 0

    def failing(record: Any, **kw: Any) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 5:  # the header and a few records are written by then
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(record, **kw)
    monkeypatch.setattr(records_file, "record_line", failing)
    # the window's Save of a finished tab (written by a worker thread)
    assert not arun(window.captures.save_capture_async(str(targets["sicap"]), controller))
    assert "No space left on device" in window.captures.last_message
    monkeypatch.setattr(records_file, "record_line", real)

    def fsync_fails(fd: int) -> None:  # a full disk seen when the data reaches it
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", fsync_fails)
    for kind in ("har", "events", "body"):
        assert not window.captures.export(kind, str(targets[kind]), controller)
        assert "Could not export" in window.captures.last_message
    monkeypatch.undo()
    for path in targets.values():
        assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("old.")) == sorted(
        p.name for p in targets.values())  # no temporary file left
    assert arun(window.captures.save_capture_async(str(targets["sicap"]), controller))
    assert read_capture(targets["sicap"]).end is not None


def test_window_artifacts_hold_no_planted_secret(window: MainWindow, qtbot: QtBot, arun: Any,
                                                 demo_server: str, tmp_path: Path) -> None:
    """The window's Save, HAR and events exports and Copy as ... without secrets, for a
    stream that reconnects and one that fails with its URL in the message (issue 13, item 7)."""
    from tests.core.rawserver import RawServer, head, reply
    from tests.core.test_secrets_masked import (
        ERROR_TOKEN,
        HEADERS,
        REDIRECT_TOKEN,
        SECRETS,
        USER_PASSWORD,
        USER_TOKEN,
        query,
    )

    headers = [(name, prefix + value) for name, (prefix, value) in HEADERS.items()]
    host = demo_server.split("://", 1)[1]
    location = f"Location: ftp://127.0.0.1/next?access_token={REDIRECT_TOKEN}"
    texts: list[str] = []
    with RawServer(reply(head("302 Found", location, "Content-Length: 0"))) as raw:
        for i, spec in enumerate([
            RequestSpec(f"http://someone:{USER_PASSWORD}@{host}/faults/resume?count=4"
                        f"&drop_every=2&retry=10&tag=win-secrets&{query()}",
                        headers=headers, mode=Mode.SSE, reconnect=True),
            RequestSpec(f"http://{USER_TOKEN}@127.0.0.1:{raw.port}/x?access_token={ERROR_TOKEN}",
                        headers=headers),
        ]):
            controller = window.start(spec)
            wait_ended(qtbot, controller)
            assert arun(window.captures.save_capture_async(str(tmp_path / f"{i}.sicap"),
                                                           controller))
            for kind in ("har", "events"):
                assert window.captures.export(kind, str(tmp_path / f"{i}.{kind}"), controller)
            for kind in ("curl", "httpx"):
                code = window.captures.copy_as(kind, secrets=False)
                assert code is not None
                texts.append(code)
            texts += [p.read_text() for p in tmp_path.glob(f"{i}.*")]
            if i == 1:
                assert "cannot request http://***@" in texts[-1] + texts[-2] + texts[-3]
    assert [s for s in SECRETS if any(s in t for t in texts)] == []
    assert window.captures.copy_as("curl") is not None  # with secrets: as it was sent
    assert ERROR_TOKEN in QGuiApplication.clipboard().text()


def test_exports_blank_secrets_in_the_request_body(window: MainWindow, qtbot: QtBot,
                                                   demo_server: str, tmp_path: Path) -> None:
    """A secret value the request sent never appears in a masked export, its own body
    included (issue 25.20): HAR postData, the events and the raw body blank it, size kept."""
    secret = "sk-planted-in-body-0042"
    body = json.dumps({"model": "demo", "stream": True,
                       "messages": [{"role": "user", "content": f"my key is {secret}"}]})
    window.editor.method.setCurrentText("POST")
    window.editor.body.setPlainText(body)
    window.editor.headers.set_headers([("Content-Type", "application/json"),
                                       ("Authorization", f"Bearer {secret}")])
    controller = send(window, qtbot, f"{demo_server}/v1/chat/completions")
    wait_ended(qtbot, controller)
    for kind in ("har", "events", "body"):
        assert window.captures.export(kind, str(tmp_path / kind))
        assert secret not in (tmp_path / kind).read_text(), kind
    entry = json.loads((tmp_path / "har").read_text())["log"]["entries"][0]
    assert entry["request"]["postData"]["text"] == body.replace(secret, "*" * len(secret))
    window.captures.secrets_action.setChecked(True)  # kept when the user asks
    try:
        assert window.captures.export("har", str(tmp_path / "kept"))
        assert secret in (tmp_path / "kept").read_text()
    finally:
        window.captures.secrets_action.setChecked(False)
