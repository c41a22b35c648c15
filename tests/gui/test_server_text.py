"""Text a server chose (event names and ids, reason phrases, error messages, header values,
LLM model names and text) is shown as text, never rendered as HTML.

A QLabel or tooltip with Qt's default AutoText renders anything that looks like HTML: a
server's ``<b>`` would be bold and its ``<img src=...>`` an image loaded from a local path.
Every label and tooltip of the tab is checked for what it *renders*, after a real server
sent such payloads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from gui.stream.controller import StreamController
from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.core.rawserver import RawServer, reply
from tests.gui.test_window import send, wait_ended

BOLD = "<b>bold</b>"
IMG = "<img src=/nonexistent.png>"


def rendered(text: str, fmt: Qt.TextFormat) -> str:
    """What Qt shows for ``text`` in a label (or tooltip) with text format ``fmt``."""
    rich = fmt == Qt.TextFormat.RichText or (
        fmt == Qt.TextFormat.AutoText and QtGuiNamespace.mightBeRichText(text))
    if not rich:
        return text
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def shown_texts(root: QWidget) -> list[tuple[str, str]]:
    """(source text, what is shown) of every label under ``root`` and of its tables' tips."""
    out = [(label.text(), rendered(label.text(), label.textFormat()))
           for label in root.findChildren(QLabel)]
    for table in root.findChildren(QTableWidget):
        for r in range(table.rowCount()):
            for c in range(table.columnCount()):
                item = table.item(r, c)
                if item is not None and item.toolTip():
                    out.append((item.toolTip(), rendered(item.toolTip(), Qt.TextFormat.AutoText)))
    return out


def assert_shown_as_text(root: QWidget, *expected: str) -> None:
    texts = shown_texts(root)
    for source, shown in texts:  # a payload that reached a label is shown literally
        if "bold" in source:
            assert BOLD in shown, (source, shown)
        if "nonexistent" in source:
            assert IMG in shown, (source, shown)
    for want in expected:
        assert any(want in shown for _s, shown in texts), (want, texts)


def tab_of(window: MainWindow, controller: StreamController) -> StreamTab:
    tab = window.current_tab()
    assert tab is not None and tab.controller is controller
    return tab


@pytest.fixture
def sse_server() -> Iterator[RawServer]:
    chunk = {"id": "c1", "object": "chat.completion.chunk", "model": BOLD,
             "choices": [{"index": 0, "delta": {"content": IMG}, "finish_reason": None}]}
    last = {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": BOLD}]}
    body = (f"event: {BOLD}\nid: {IMG}\ndata: first\n\n"
            f"data: {json.dumps(chunk)}\n\ndata: {json.dumps(last)}\n\n").encode()
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n"
            b"Cache-Control: " + BOLD.encode() + b"\r\n\r\n")
    with RawServer(reply(head + body)) as srv:
        yield srv


def test_event_names_ids_llm_and_headers_are_text(window: MainWindow, qtbot: QtBot,
                                                  sse_server: RawServer) -> None:
    controller = send(window, qtbot, sse_server.url + "/chat", Mode.SSE)
    wait_ended(qtbot, controller)
    tab = tab_of(window, controller)
    assert controller.stats.events == 3
    tab.tabs.setCurrentWidget(tab.events)
    tab.events.select_row(0)  # the detail caption quotes the event's name and id
    qtbot.waitUntil(lambda: "bold" in tab.events.detail.caption.text())
    assert_shown_as_text(tab.events, BOLD, IMG)
    tip = controller.events.index(1, controller.events.COL_DATA).data(
        Qt.ItemDataRole.ToolTipRole)
    assert IMG in rendered(tip, Qt.TextFormat.AutoText)
    tab.tabs.setCurrentWidget(tab.llm)
    tab.refresh()
    assert_shown_as_text(tab.llm, f"({BOLD})", BOLD)  # model and finish reason
    assert tab.llm.merged_text() == IMG
    tab.tabs.setCurrentWidget(tab.headers)
    tab.refresh()
    assert BOLD in tab.headers.browser.toPlainText()
    tab.tabs.setCurrentWidget(tab.diagnostics)
    tab.diagnostics.refresh(final=True)
    row = [f.code for f in tab.diagnostics.findings].index("cache-control")
    tab.diagnostics.table.selectRow(row)  # the finding quotes the header's value
    assert_shown_as_text(tab.diagnostics, f"(it is '{BOLD}')")


def test_reason_phrase_and_error_message_are_text(window: MainWindow, qtbot: QtBot) -> None:
    head = f"HTTP/1.1 500 {BOLD}{IMG}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
    with RawServer(reply(head.encode() + b"\r\nno")) as srv:
        controller = send(window, qtbot, srv.url + "/fail", Mode.SSE)
        wait_ended(qtbot, controller)
    tab = tab_of(window, controller)
    assert controller.error is not None and BOLD in controller.error.message
    assert tab.banner.isVisibleTo(tab)
    assert_shown_as_text(tab, f"500 {BOLD}{IMG}", f"{BOLD}{IMG}")  # summary, banner


def test_an_openapi_documents_text_is_shown_as_text(window: MainWindow, qtbot: QtBot,
                                                   arun: Any) -> None:
    doc = {"openapi": "3.1.0", "info": {"title": BOLD},
           "paths": {"/x": {"get": {"summary": IMG, "description": BOLD, "tags": ["t"]}}}}
    body = json.dumps(doc).encode()
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    picker = window.picker
    with RawServer(reply(head + body)) as srv:
        assert arun(picker.load(srv.url + "/openapi.json"))
    assert_shown_as_text(picker, BOLD)  # the status names the document's title
    item = picker.find_endpoint("GET", "/x")
    assert item is not None
    assert BOLD in rendered(item.toolTip(2), Qt.TextFormat.AutoText)
    deep = b"[" * 100_000
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(deep)}\r\nConnection: close\r\n\r\n").encode()
    with RawServer(reply(head + deep)) as srv:
        assert not arun(picker.load(srv.url + "/openapi.json"))
    assert "Could not load" in picker.status.text()
