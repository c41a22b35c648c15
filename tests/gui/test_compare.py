"""Compare two streams: headers, framing, events side by side and timing, from real streams."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.views.compare_view import DIFFERS, ONLY_A, SAME, CompareView, header_diff
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from stream_core.records import Response
from tests.gui.test_window import send, wait_ended


def two_tabs(window: MainWindow, qtbot: QtBot, url_a: str, url_b: str) -> CompareView:
    a = send(window, qtbot, url_a, Mode.SSE)
    wait_ended(qtbot, a)
    b = send(window, qtbot, url_b, Mode.SSE)
    wait_ended(qtbot, b)
    task = window.captures.compare_previous()
    assert task is not None, window.captures.last_message
    return finished(qtbot, task)


def finished(qtbot: QtBot, task: asyncio.Task[CompareView | None]) -> CompareView:
    """The Compare window the task gave (it compares in a worker thread)."""
    qtbot.waitUntil(task.done, timeout=30_000)
    view = task.result()
    assert view is not None
    qtbot.addWidget(view)
    return view


def rows_by_name(rows: list[tuple[str, str, str, str]]) -> dict[str, tuple[str, str, str]]:
    return {name.lower(): (a, b, status) for name, a, b, status in rows}


def test_sse_starlette_vs_hand_written_sse(window: MainWindow, qtbot: QtBot,
                                           demo_server: str, tmp_path: Path) -> None:
    view = two_tabs(window, qtbot, f"{demo_server}/events?count=5&interval=0",
                    f"{demo_server}/sse/tour?interval=0")
    headers = rows_by_name(view.header_rows)
    assert headers["cache-control"] == ("no-store", "no-cache", DIFFERS)
    assert headers["connection"][2] == ONLY_A
    assert headers["content-type"][2] == SAME and headers[":status"][2] == SAME
    framing = rows_by_name(view.framing_rows)
    assert framing["line endings"] == ("CRLF", "LF", DIFFERS)
    assert framing["comment lines (pings)"][0] == "0" and framing["comment lines (pings)"][1] != "0"
    assert framing["events / records"][2] == DIFFERS
    # events side by side: every row differs (different payloads), the extra ones are "only B"
    model = view.aligned
    assert model.rowCount() == max(5, int(framing["events / records"][1]))
    assert all(r.differs for r in model.rows)
    assert model.index(0, model.COL_A_KIND).data() == "message"
    assert model.index(6, model.COL_A_TEXT).data() == ""
    assert model.index(6, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    # timings overlaid: one curve per stream
    xs, ys = view.curves[0].getData()
    assert xs is not None and len(xs) == 5 and list(ys) == [1, 2, 3, 4, 5]
    assert "differences" in view.tabs.tabText(0)
    view.resize(1100, 600)
    for i in range(view.tabs.count()):
        view.tabs.setCurrentIndex(i)
        assert not view.grab().isNull()


def test_seed_question_same_events_two_servers(window: MainWindow, qtbot: QtBot,
                                               demo_server: str) -> None:
    """The same events through sse-starlette and through a pre-framed StreamingResponse."""
    view = two_tabs(window, qtbot, f"{demo_server}/flood/starlette?count=20&size=16",
                    f"{demo_server}/flood/sse?count=20&size=16")
    assert view.aligned.rowCount() == 20
    assert not any(r.differs for r in view.aligned.rows)  # the payload is the same
    headers = rows_by_name(view.header_rows)
    assert headers["cache-control"][2] == DIFFERS and headers["connection"][2] == ONLY_A
    framing = rows_by_name(view.framing_rows)
    assert framing["bytes"][2] == SAME and framing["line endings"] == ("LF", "LF", SAME)


def test_compare_a_capture_file_with_the_current_tab(window: MainWindow, qtbot: QtBot,
                                                     demo_server: str, tmp_path: Path) -> None:
    first = send(window, qtbot, f"{demo_server}/events?count=3&interval=0", Mode.SSE)
    wait_ended(qtbot, first)
    path = tmp_path / "before.sicap"
    assert window.save_capture(str(path))
    second = send(window, qtbot, f"{demo_server}/events?count=4&interval=0", Mode.SSE)
    wait_ended(qtbot, second)
    task = window.captures.compare_with_file(str(path))
    assert task is not None
    view = finished(qtbot, task)
    assert view.aligned.rowCount() == 4 and view.aligned.rows[3].a is None
    assert "before.sicap" in view.windowTitle()
    missing = window.captures.compare_with_file(str(tmp_path / "missing.sicap"))
    assert missing is not None
    qtbot.waitUntil(missing.done)
    assert missing.result() is None
    assert "Cannot compare" in window.captures.last_message


def test_header_diff_without_a_response() -> None:
    b = Response(0.1, 200, "OK", "HTTP/1.1", [("X-A", "1"), ("x-a", "2")], "sse")
    rows = header_diff(None, b)
    assert ("X-A", "", "1, 2", "only B") in rows and rows[0][0] == ":status"
    a = Response(0.1, 200, "OK", "HTTP/1.1", [("Date", "Mon"), ("X-A", "1, 2")], "sse")
    b.headers.append(("date", "Tue"))
    assert {r[0]: r[3] for r in header_diff(a, b)} == {
        ":status": SAME, ":version": SAME, ":mode": SAME, "Date": SAME, "X-A": SAME}


def test_framing_counts_a_window_at_a_time_as_one_search_would(monkeypatch: Any) -> None:
    """Counted in windows (so that a worker lets the GUI thread run between them), the
    framing figures are those of one regular expression over the whole body, also where
    a line end or a field name falls across two windows."""
    import random
    import re

    from stream_core.analysis import compare as compare_view

    rng = random.Random(7)
    parts = [b"\n", b"\r\n", b"\r", b":", b"retry:", b"id", b"data: x", b"i", b"d", b"ping"]
    body = b"".join(rng.choice(parts) for _ in range(20_000))
    for window in (1, 2, 3, 7, 64, 1 << 22):
        monkeypatch.setattr(compare_view, "COUNT_WINDOW", window)
        for sub in (b"\r\n", b"\n", b"\r"):
            assert compare_view._count(body, sub) == body.count(sub), (window, sub)
        for prefix in (b":", b"retry:", b"id"):
            want = len(re.findall(rb"(?m)^" + re.escape(prefix), body))
            assert compare_view._line_starts(body, prefix) == want, (window, prefix)
