"""A reopened capture renders exactly as its live tab did, for every demo's mode (issue 14.1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.app.demos import DEMOS
from gui.stream.models import ChunksModel, EventsModel
from gui.window.main_window import MainWindow
from tests.gui.test_captures import open_and_wait
from tests.gui.test_window import pick, wait_ended

#: Quick, finite queries for the demos (the endless and throttled ones are bounded here).
QUICK = {
    "events": "interval=0&count=12",
    "llm": "delay=0",
    "download": f"size={300 * 1024}",
}


def cells(m: EventsModel | ChunksModel) -> list[tuple[object, ...]]:
    """Every cell of every row, tooltips included (the wall-clock column skipped)."""
    out = []
    for r in range(m.rowCount()):
        row = []
        for c in range(m.columnCount()):
            if c == m.COL_TIME:
                continue
            index = m.index(r, c)
            row.append(index.data())
            row.append(index.data(Qt.ItemDataRole.ToolTipRole))
        out.append(tuple(row))
    return out


@pytest.mark.parametrize("name", sorted(n for n, d in DEMOS.items()
                                         if d.collection is None and n != "proxy"))
def test_reopened_capture_renders_like_the_live_tab(
        name: str, window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    demo = DEMOS[name]
    pick(window, demo.method, demo.path)
    base = window.editor.url.text().split("?", 1)[0]
    window.editor.url.setText(f"{base}?{QUICK.get(name, demo.query)}")
    if demo.mode is not None:
        window.editor.set_mode(demo.mode)
    with qtbot.waitSignal(window.streamStarted, timeout=2000) as blocker:
        window.send_action.trigger()
    live = blocker.args[0]
    wait_ended(qtbot, live)
    assert len(live.events) or len(live.chunks)
    path = tmp_path / f"{name}.sicap"
    assert window.save_capture(str(path)), window.captures.last_message
    opened = open_and_wait(window, qtbot, path)
    for a, b in ((live.events, opened.events), (live.chunks, opened.chunks)):
        live_cells, opened_cells = cells(a), cells(b)
        assert len(opened_cells) == len(live_cells)
        for i, (x, y) in enumerate(zip(live_cells, opened_cells, strict=True)):
            assert x == y, f"row {i}"
    for i in range(len(live.events)):  # what a click shows: the row rebuilt, equal
        assert opened.events.row(i) == live.events.row(i)
    assert opened.stats.events == live.stats.events


def test_a_parsed_record_without_its_line_still_renders(qapp: object) -> None:
    """A record read from a capture with no chunks to give its line back (its value only)."""
    from stream_core.records import Record

    model = EventsModel()
    model.append_batch([Record(0, 0.0, "", {"a": 1}, None, True)])
    assert model.index(0, model.COL_DATA).data() == '{"a": 1}'
    assert model.row(0).value == {"a": 1}
