"""SSE comments (``: ping`` keep-alives) are rows of the Events table: hidden by default,
shown with *Comments* or by picking the ``comment`` type, counted, and kept out of a text
filter's results unless shown."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from stream_core.records import Comment
from tests.gui.test_window import send, wait_ended


def visible_kinds(tab: StreamTab) -> list[str]:
    """The Type column of the rows the table shows (hidden rows left out)."""
    table = tab.events.table
    model = table.model()
    return [model.index(r, 3).data() for r in range(model.rowCount())
            if not table.isRowHidden(r)]


def test_comments_are_hidden_rows_until_asked_for(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/sse/tour?interval=0.05", Mode.SSE)
    wait_ended(qtbot, controller)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    panel, model = tab.events, controller.events
    comments = [model.row(r) for r in model.comment_rows]
    assert comments[0] == Comment(comments[0].t, "welcome to the Stream Inspector SSE tour"
                                  " (this line is a comment)", 0)
    assert [c.text for c in comments[1:]] == ["ping"] * (len(comments) - 1) and len(comments) > 3
    qtbot.waitUntil(lambda: panel.comments.isVisible())
    assert panel.comments.text() == f"Comments ({len(comments)})"
    assert not panel.comments.isChecked()
    assert "comment" not in visible_kinds(tab)
    assert len(visible_kinds(tab)) == len(model) - len(comments)

    panel.comments.setChecked(True)
    assert visible_kinds(tab).count("comment") == len(comments)
    panel.comments.setChecked(False)
    assert "comment" not in visible_kinds(tab)

    panel.filter_text.setText("ping")  # a filter: the proxy applies the same rule
    assert visible_kinds(tab) == []
    panel.comments.setChecked(True)
    assert visible_kinds(tab) == ["comment"] * (len(comments) - 1)
    panel.comments.setChecked(False)
    panel.filter_text.clear()
    panel.refresh_kinds()
    panel.kind.setCurrentIndex(panel.kind.findData("comment"))
    assert visible_kinds(tab) == ["comment"] * len(comments)
    panel.kind.setCurrentIndex(0)
    assert "comment" not in visible_kinds(tab) and len(visible_kinds(tab)) == len(model) - len(
        comments)


def test_comment_rows_arriving_while_streaming_are_hidden(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = send(window, qtbot, f"{demo_server}/sse/tour?interval=0.2", Mode.SSE)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    qtbot.waitUntil(lambda: len(controller.events.comment_rows) >= 3, timeout=10000)
    table = tab.events.table
    assert all(table.isRowHidden(r) for r in controller.events.comment_rows)
    window.stop_action.trigger()
    wait_ended(qtbot, controller)
