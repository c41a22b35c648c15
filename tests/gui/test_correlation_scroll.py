"""An event selected, then Chunks opened: the highlighted chunk is in view; a chunk selected,
then Events opened: the highlighted event is in view (issue 23.14)."""

from __future__ import annotations

from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import send, wait_ended


def in_view(table: QTableView, row: int) -> bool:
    rect = table.visualRect(table.model().index(row, 0))
    return rect.isValid() and table.viewport().rect().contains(rect.center())


def test_the_highlighted_rows_are_in_view_on_the_other_sub_tab(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    window.resize(1024, 640)
    controller = send(window, qtbot, f"{demo_server}/events?interval=0&count=400", Mode.SSE)
    wait_ended(qtbot, controller)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    tab.tabs.setCurrentWidget(tab.events)
    qtbot.waitUntil(tab.events.table.isVisible)
    chunks = controller.chunks
    assert len(chunks) > 100  # more chunks than a screen: the rows must be scrolled to

    tab.events.select_row(10)  # near the top; the Chunks table (never shown) follows the tail
    first = chunks.row_of_seq(controller.events.row(10).first_chunk)  # type: ignore[union-attr]
    assert chunks.highlighted(first)
    tab.tabs.setCurrentWidget(tab.chunks)
    qtbot.waitUntil(lambda: in_view(tab.chunks.table, first), timeout=3000)

    tab.chunks.table.scrollToBottom()
    tab.chunks.select_row(len(chunks) - 5)  # near the end; the Events table is at row 10
    seq = chunks.row(len(chunks) - 5).seq
    rows = controller.events.rows_for_chunk(seq)
    assert rows[0] >= 0 and controller.events.highlighted(rows[0])
    tab.tabs.setCurrentWidget(tab.events)
    qtbot.waitUntil(lambda: in_view(tab.events.table, rows[0]), timeout=3000)
