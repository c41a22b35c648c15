"""The events and chunks tables paint their cells with ``CellPainter``: same picture as Qt's
own delegate (text, elision, alignment, backgrounds, selection), and Qt's way for a proxy."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QSizeF, Qt
from PySide6.QtGui import QFont, QImage, QStaticText, QTransform
from PySide6.QtWidgets import QStyledItemDelegate, QTableView

from gui.stream import cell_painter
from gui.stream.event_filter import EventFilterProxy
from gui.stream.models import ChunksModel, EventsModel
from gui.stream.tables import apply_widths, make_table
from stream_core.records import Chunk, Error, Event, Reconnect

LONG = '{"choices": [{"delta": {"content": "' + "word " * 60 + '"}}]}'


def _events_model() -> EventsModel:
    model = EventsModel(start_wall=1_700_000_000.0)
    model.append_batch([Event(i, 0.05 * i, "message", LONG if i % 3 else f'{{"n": {i}}}',
                              str(i), first_chunk=i, last_chunk=i) for i in range(12)])
    model.append_batch([Reconnect(0.7, 1, 3000, "11"), Error(0.8, "protocol", "cut")])
    model.set_highlight(2, 3)
    return model


def _render(model: Any, *, ours: bool, select: int = -1) -> QImage:
    view = make_table(None, {0: "000000", 1: "00:00:00.000", 2: "+000.000 s"}, "t")
    view.setModel(model)
    apply_widths(view)
    if ours:
        cell_painter.install(view, model)
    else:
        view.setItemDelegate(QStyledItemDelegate(view))
    view.resize(700, 400)
    if select >= 0:
        view.selectionModel().select(
            model.index(select, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
    view.show()
    image = view.grab().toImage()
    view.deleteLater()
    return image


def _differing(a: QImage, b: QImage) -> float:
    """The share of pixels that differ between two same-sized images."""
    assert a.size() == b.size()
    a = a.convertToFormat(QImage.Format.Format_RGB32)
    b = b.convertToFormat(QImage.Format.Format_RGB32)
    ba, bb = bytes(a.constBits()), bytes(b.constBits())  # type: ignore[call-overload]
    return sum(1 for i in range(0, len(ba), 4) if ba[i:i + 4] != bb[i:i + 4]) / (len(ba) / 4)


@pytest.mark.parametrize("select", [-1, 5])
def test_events_table_looks_as_with_qts_delegate(qtbot: Any, select: int) -> None:
    model = _events_model()
    ours, qts = _render(model, ours=True, select=select), _render(model, ours=False,
                                                                 select=select)
    # Same backgrounds, selection, elided texts and alignment; some glyph edges differ
    # (1.7% of the pixels here). A missing row background differs by ~22%, a missing
    # selection by ~7%, a text one pixel off by ~9%.
    assert _differing(ours, qts) < 0.025


def test_chunks_table_looks_as_with_qts_delegate(qtbot: Any) -> None:
    model = ChunksModel(start_wall=1_700_000_000.0)
    model.append_batch([Chunk(i, 0.01 * i, i * 40, b"data: x\n\n" * 5) for i in range(10)])
    assert _differing(_render(model, ours=True), _render(model, ours=False)) < 0.025


def test_it_paints_from_the_model_and_from_the_filter_on_it(qtbot: Any) -> None:
    model = _events_model()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    painter = cell_painter.install(view, model)
    calls: list[int] = []
    real = model.display_at
    model.display_at = lambda row, col: calls.append(row) or real(row, col)  # type: ignore[method-assign]
    view.resize(600, 300)
    view.show()
    view.grab()
    assert calls  # the texts came from the model's strings
    assert painter._elided  # and were laid out once
    proxy = EventFilterProxy(view)
    proxy.setSourceModel(model)
    assert proxy.set_filter("", regex=False, kind="reconnect") is None
    view.setModel(proxy)
    calls.clear()
    assert not view.grab().isNull()
    # The filter's cells come from the model's strings too, of the rows it shows (the row
    # numbers of the table are not the model's: no text laid out for one is reused).
    shown = [proxy.source_row(i) for i in range(proxy.rowCount())]
    assert shown and shown != list(range(len(shown)))
    assert set(calls) == set(shown)
    assert {t[0].text() for t in painter._elided.values()} >= {
        model.display_at(shown[0], model.COL_TYPE)}
    model.beginResetModel()
    model.endResetModel()
    assert painter._elided == {}  # texts may change: forgotten
    view.setModel(model)
    view.grab()
    assert painter._elided
    old, font = view.font(), QFont(view.font())
    if font.pointSize() > 0:  # (a font may be sized in pixels)
        font.setPointSize(font.pointSize() + 6)
    else:
        font.setPixelSize(font.pixelSize() + 8)
    view.setFont(font)
    assert painter._elided == {}  # laid out in the old font: forgotten
    view.grab()
    static = next(iter(painter._elided.values()))[0]

    def laid_out(in_font: QFont) -> QSizeF:
        text = QStaticText(static.text())
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.prepare(QTransform(), in_font)
        return text.size()

    assert static.size() == laid_out(font) != laid_out(old)  # laid out in the new font


def test_right_aligned_numbers(qtbot: Any) -> None:
    model = _events_model()
    assert model.COL_SEQ in model.RIGHT_COLUMNS and model.COL_DATA not in model.RIGHT_COLUMNS
    assert model.index(0, model.COL_SIZE).data(Qt.ItemDataRole.TextAlignmentRole) == int(
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def test_the_painter_makes_no_cycle_with_its_view(qtbot: Any) -> None:
    """A closed table goes when its last reference does, not at a later garbage collection
    (which may run in another thread, where Qt cannot stop the view's timers)."""
    import gc
    import weakref

    model = _events_model()
    view = make_table(None, {0: "000000"}, "t")
    view.setModel(model)
    cell_painter.install(view, model)
    gone = weakref.ref(view)
    gc.disable()
    try:
        del view
        assert gone() is None
    finally:
        gc.enable()
