"""PaintThrottle: rows reach the model at once, the table repaints at most every PAINT_GAP_S."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QStandardItem, QStandardItemModel
from pytestqt.qtbot import QtBot

from gui.stream import tables
from gui.stream.tables import PaintThrottle, make_table


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def test_rows_in_quick_succession_are_held_then_painted_once(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "PAINT_GAP_S", 1.0)  # a slow machine stays within the gap
    model = QStandardItemModel(0, 1)
    table = make_table(None, {}, "t")  # type: ignore[arg-type]
    qtbot.addWidget(table)
    table.setModel(model)
    throttle = PaintThrottle(table, model)
    table.resize(300, 200)
    table.show()
    qtbot.waitExposed(table)
    viewport = table.viewport()
    counter = PaintCounter()
    viewport.installEventFilter(counter)

    model.appendRow(QStandardItem("first"))  # long after the last repaint: not held
    assert viewport.updatesEnabled() and not throttle.holding
    qtbot.waitUntil(lambda: counter.paints > 0)

    model.appendRow(QStandardItem("second"))  # within the gap: held
    model.appendRow(QStandardItem("third"))
    assert model.rowCount() == 3  # the model has every row at once
    assert throttle.holding and not viewport.updatesEnabled()
    assert not table.verticalScrollBar().updatesEnabled()  # its range changes with each insert
    held_at = counter.paints

    qtbot.waitUntil(lambda: viewport.updatesEnabled())
    qtbot.waitUntil(lambda: counter.paints > held_at)
    assert not throttle.holding


def test_flush_paints_what_is_held_at_once(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before a grab: a held viewport would render black."""
    monkeypatch.setattr(tables, "PAINT_GAP_S", 1.0)
    model = QStandardItemModel(0, 1)
    table = make_table(None, {}, "t")  # type: ignore[arg-type]
    qtbot.addWidget(table)
    table.setModel(model)
    throttle = PaintThrottle(table, model)
    table.show()
    qtbot.waitExposed(table)
    model.appendRow(QStandardItem("first"))
    model.appendRow(QStandardItem("held"))
    assert throttle.holding
    throttle.flush()
    assert not throttle.holding and table.viewport().updatesEnabled()
    throttle.flush()  # nothing held: nothing happens
    assert table.viewport().updatesEnabled()
