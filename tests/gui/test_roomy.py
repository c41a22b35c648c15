"""Room where it is read (issue 23.15): the Events Data column, the body and headers editors,
the Auth tab's Show box, and the proxy dialog's target (wide, the demo server filled in)."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_window import send, wait_ended


def settle(qtbot: QtBot, window: MainWindow, width: int, height: int) -> None:
    window.resize(width, height)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (width, height))
    QApplication.processEvents()


def test_the_data_column_and_the_editors_have_room(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    settle(qtbot, window, 1400, 900)
    editor = window.editor
    lines = editor.body.viewport().height() // editor.body.fontMetrics().lineSpacing()
    assert lines >= 10, lines  # 5 before
    editor.tabs.setCurrentWidget(editor.headers)
    table = editor.headers.table
    qtbot.waitUntil(table.isVisible)
    assert table.viewport().height() // table.verticalHeader().defaultSectionSize() >= 6
    controller = send(window, qtbot, f"{demo_server}/sse/tour?interval=0", Mode.SSE)
    wait_ended(qtbot, controller)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    events = tab.events.table
    qtbot.waitUntil(events.isVisible)
    QApplication.processEvents()
    data = controller.events.COL_DATA
    assert events.columnWidth(data) >= 350, events.columnWidth(data)  # ~90 px before
    assert events.columnViewportPosition(data) + 350 <= events.viewport().width()


def test_the_auth_show_box_is_in_sight_at_1024_by_640(window: MainWindow, qtbot: QtBot) -> None:
    settle(qtbot, window, 1024, 640)
    editor = window.editor
    auth = editor.auth
    editor.tabs.setCurrentIndex(editor.tabs.indexOf(auth.parentWidget().parentWidget()))
    auth.kind.setCurrentIndex(auth.kind.findData("apikey"))  # the tallest page
    qtbot.waitUntil(auth.show_values.isVisible)
    QApplication.processEvents()
    viewport = auth.parentWidget()
    box = auth.show_values
    corner = box.mapTo(viewport, QPoint(box.width() - 1, box.height() - 1))
    assert viewport.rect().contains(box.mapTo(viewport, QPoint(0, 0)))
    assert viewport.rect().contains(corner)  # whole, without scrolling


def test_the_proxy_dialog_offers_the_demo_server_in_a_wide_field(
        window: MainWindow, demo_server: str) -> None:
    dialog = window.proxy.start_dialog()
    try:
        assert dialog.target.text() == demo_server
        metrics = dialog.target.fontMetrics()
        assert dialog.target.width() >= metrics.horizontalAdvance(demo_server + "/v1/chat")
    finally:
        dialog.reject()
