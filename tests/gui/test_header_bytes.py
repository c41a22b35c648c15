"""Response headers with bytes beyond ASCII (raw UTF-8, Latin-1) from a real server.

HTTP/1.1 lets a field value carry any byte from 0x80 up (obs-text), and servers do send
``X-Served-By: café-01`` as UTF-8 or a raw UTF-8 ``filename=``. The window must show the
stream as it came, the values decoded for people (UTF-8 when valid, else Latin-1), and keep
the exact bytes in captures and HAR.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from gui.stream.controller import State, StreamController
from gui.views.download_view import server_file_name
from gui.window.main_window import MainWindow
from stream_core.capture.reader import read_capture
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import header_bytes, header_text
from tests.core.rawserver import RawServer, reply
from tests.gui.test_window import send, wait_ended

BODY = b"data: one\n\ndata: two\n\n"
#: (name, raw value bytes, what the window must show)
SENT = [
    (b"X-Served-By", "café-01".encode(), "café-01"),  # raw UTF-8
    (b"X-Latin", b"caf\xe9", "café"),  # a Latin-1 byte: not UTF-8
    (b"Content-Disposition", 'inline; filename="résumé.txt"'.encode(),
     'inline; filename="résumé.txt"'),
    (b"Cache-Control", 'private, note="crème"'.encode(), 'private, note="crème"'),
]


@pytest.fixture
def server() -> Iterator[RawServer]:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n"
    head += b"".join(name + b": " + value + b"\r\n" for name, value, _ in SENT)
    with RawServer(reply(head + b"\r\n" + BODY)) as srv:
        yield srv


def test_header_text_and_bytes() -> None:
    assert header_text("café-01".encode().decode("latin-1")) == "café-01"
    assert header_text("caf\xe9") == "café"
    assert header_text("plain") == "plain"
    assert header_text("€ typed") == "€ typed"  # beyond Latin-1: shown as it is
    assert header_bytes("caf\xe9") == b"caf\xe9"
    assert header_bytes("€") == "€".encode()


def shown(controller: StreamController, window: MainWindow) -> dict[str, Any]:
    """What the tab shows: summary, Headers view text, diagnostics titles."""
    tab = window.current_tab()
    assert tab is not None and tab.controller is controller
    tab.tabs.setCurrentWidget(tab.headers)
    tab.refresh()
    return {
        "status": tab.summary.values["status"].text(),
        "state": controller.state,
        "events": controller.stats.events,
        "bytes": controller.stats.bytes,
        "headers": tab.headers.browser.toPlainText(),
        "findings": " | ".join(f"{f.title} {f.detail}" for f in tab.diagnostics.findings),
    }


def check(view: dict[str, Any]) -> None:
    assert view["status"] == "200 OK"
    assert view["state"] == State.DONE
    assert view["events"] == 2 and view["bytes"] == len(BODY)
    for _name, _raw, text in SENT:
        assert text in view["headers"]
    assert "Ã" not in view["headers"]
    assert 'note="crème"' in view["findings"]  # the Cache-Control finding quotes the value


def test_non_ascii_response_headers_live_saved_reopened(
        window: MainWindow, qtbot: QtBot, server: RawServer, tmp_path: Path,
        arun: Any) -> None:
    live = send(window, qtbot, server.url + "/stream", Mode.SSE)
    wait_ended(qtbot, live)
    view = shown(live, window)
    check(view)
    assert live.response is not None
    assert [(header_bytes(k), header_bytes(v)) for k, v in live.response.headers
            if k.lower().startswith(("x-", "content-d", "cache"))] == [
        (n, v) for n, v, _ in SENT]

    path = tmp_path / "headers.sicap"
    assert window.save_capture(str(path))
    for line in path.read_bytes().splitlines()[1:]:  # the file keeps the bytes
        obj = json.loads(line)
        if obj["type"] == "response":
            got = {header_bytes(k): header_bytes(v) for k, v in obj["headers"]}
            assert all(got[n] == v for n, v, _ in SENT)
    assert read_capture(path).response == live.response

    opened = arun(window.captures.open_capture_async(str(path)))
    assert opened is not None
    wait_ended(qtbot, opened, timeout=5000)  # at once, not after a timeout
    assert shown(opened, window) == view

    har_path = tmp_path / "headers.har"
    assert window.captures.export("har", str(har_path), live)
    har = json.loads(har_path.read_text(encoding="utf-8"))
    har_headers = {h["name"].lower(): h["value"]
                   for h in har["log"]["entries"][0]["response"]["headers"]}
    assert all(header_bytes(har_headers[n.decode().lower()]) == v for n, v, _ in SENT)


@pytest.mark.parametrize("disposition", [
    'attachment; filename="résumé €.bin"'.encode(),  # raw UTF-8 bytes
    b"attachment; filename=\"x.bin\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%82%AC.bin",
])
def test_download_with_a_utf8_file_name(window: MainWindow, qtbot: QtBot, tmp_path: Path,
                                        disposition: bytes) -> None:
    body = bytes(range(256)) * 64
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: %d\r\nContent-Disposition: %s\r\n\r\n" % (len(body), disposition))
    with RawServer(reply(head + body)) as srv:
        controller = window.start(RequestSpec(srv.url + "/file", mode=Mode.DOWNLOAD,
                                              output=str(tmp_path / "file.bin")))
        wait_ended(qtbot, controller)
    tab = window.current_tab()
    assert tab is not None and tab.controller is controller
    assert controller.state == State.DONE, controller.error
    assert tab.summary.values["status"].text() == "200 OK"
    assert controller.stats.bytes == len(body)
    assert (tmp_path / "file.bin").read_bytes() == body
    assert tab.download.values["server_name"].text() == "résumé €.bin"
    assert controller.response is not None
    assert server_file_name(controller.response.headers) == "résumé €.bin"
