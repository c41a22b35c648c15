"""The Diagnostics sub-tab against the real demo server: faults are found, clean streams are
not blamed, a finding selects what it points at, and a fix resends the request."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from gui.stream.controller import StreamController
from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode, RequestSpec


def run(window: MainWindow, qtbot: QtBot, url: str, mode: Mode = Mode.SSE,
        **spec: object) -> StreamTab:
    controller = window.start(RequestSpec(url, mode=mode, **spec))  # type: ignore[arg-type]
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    qtbot.waitUntil(lambda: controller.ended, timeout=20000)
    tab.tabs.setCurrentWidget(tab.diagnostics)
    tab.diagnostics.refresh(final=True)
    return tab


@pytest.mark.parametrize("path, mode, code", [
    ("/faults/gzip-sse?count=3&interval=0", Mode.SSE, "content-encoding"),
    ("/faults/no-blank-line", Mode.SSE, "unfinished-event"),
    ("/faults/crlf-mixed?interval=0", Mode.SSE, "line-endings"),
    ("/faults/invalid-utf8?interval=0", Mode.SSE, "invalid-utf8"),
    ("/faults/slow-first-byte?delay=1.2", Mode.SSE, "slow-headers"),
    ("/download-large-file?size=2000", Mode.SSE, "content-type"),
    ("/events?interval=0.01&count=3", Mode.LINES, "looks-like-sse"),
])
def test_faulty_endpoints_are_diagnosed(window: MainWindow, qtbot: QtBot, demo_server: str,
                                        path: str, mode: Mode, code: str) -> None:
    tab = run(window, qtbot, demo_server + path, mode)
    found = {f.code: f for f in tab.diagnostics.findings}
    assert code in found, found
    assert found[code].severity == "warning"
    assert tab.diagnostics.table.rowCount() == len(found)


@pytest.mark.parametrize("path, mode, extra", [
    ("/events?interval=0.02&count=5", Mode.SSE, {}),
    ("/sse/tour?interval=0", Mode.SSE, {}),
    ("/logs_stream?interval=0.01&count=3", Mode.LINES, {}),
    ("/ndjson?interval=0.01&count=5", Mode.NDJSON, {}),
    ("/faults/resume?drop_every=3&count=7&interval=0&retry=0", Mode.SSE, {"reconnect": True}),
])
def test_clean_endpoints_get_no_warning(window: MainWindow, qtbot: QtBot, demo_server: str,
                                        path: str, mode: Mode, extra: dict[str, object]) -> None:
    tab = run(window, qtbot, demo_server + path, mode, **extra)
    warnings = [f for f in tab.diagnostics.findings if f.severity != "info"]
    assert warnings == []
    if path.startswith("/events"):
        # (a loaded machine may block the window meanwhile: said, but not about the stream)
        assert [f for f in tab.diagnostics.findings if f.code != "window-busy"] == []
        if not tab.diagnostics.findings:
            assert "Nothing suspicious" in tab.diagnostics.empty.text()


def test_clean_llm_stream_gets_no_finding(window: MainWindow, qtbot: QtBot,
                                          demo_server: str) -> None:
    body = b'{"model":"demo","stream":true,"messages":[{"role":"user","content":"hi"}]}'
    tab = run(window, qtbot, demo_server + "/v1/chat/completions?delay=0", Mode.SSE,
              method="POST", body=body, headers=[("Content-Type", "application/json")])
    assert tab.diagnostics.findings == []


def test_a_finding_selects_its_chunk_and_its_fix_resends(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    tab = run(window, qtbot, demo_server + "/faults/crlf-mixed?interval=0.02")
    row = [f.code for f in tab.diagnostics.findings].index("line-endings")
    finding = tab.diagnostics.findings[row]
    assert finding.chunk is not None
    tab.diagnostics.table.cellClicked.emit(row, 1)
    assert tab.tabs.currentWidget() is tab.chunks
    assert tab.chunks.selected_row() == tab.controller.chunks.row_of_seq(finding.chunk)

    tab = run(window, qtbot, demo_server + "/faults/gzip-sse?count=2&interval=0")
    row = [f.code for f in tab.diagnostics.findings].index("content-encoding")
    tab.diagnostics.table.selectRow(row)
    assert tab.diagnostics.fix.isVisibleTo(tab.diagnostics)
    with qtbot.waitSignal(window.streamStarted, timeout=2000) as blocker:
        tab.diagnostics.fix.click()
    resent: StreamController = blocker.args[0]
    qtbot.waitUntil(lambda: resent.ended, timeout=10000)
    assert resent.request is not None
    assert ("Accept-Encoding", "identity") in resent.request.headers


def test_event_pointer_selects_the_event(window: MainWindow, qtbot: QtBot,
                                         demo_server: str) -> None:
    tab = run(window, qtbot, demo_server + "/events?interval=0.01&count=4")
    tab.show_pointer("event", 2)
    assert tab.tabs.currentWidget() is tab.events
    assert tab.events.selected_row() == 2
