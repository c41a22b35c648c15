"""The events table's filter: the rows of an ``EventsModel`` that match a text, a regular
expression and a type, found in steps. SSE comments are rows only with ``show_comments`` or
when ``comment`` is the type asked for.

Why not ``QSortFilterProxyModel``: it decides every row in one go when the filter changes,
calling back into Python per row: a million events held the window for 20 s per keystroke.
Here the rows are scanned a slice at a time (``gui.services.steps.Stepper``), the loop
turning between slices, and the matches found so far are rows at once (appended in order,
one insert per slice); rows that arrive later are scanned as they come. A plain text is
searched a block of rows at a time (``EventsModel.rows_containing``); a regular expression
(``QRegularExpression``, as before) row by row.

Signals (besides the model's): ``progressed(int, int)`` and ``idle()`` of its ``stepper``.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractProxyModel,
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    Qt,
)
from PySide6.QtGui import QBrush

from gui.services.steps import Job, Stepper
from gui.stream.models import EventsModel

__all__ = ["EventFilterProxy", "ROWS_PER_PIECE"]

Index = QModelIndex | QPersistentModelIndex
#: Source rows decided per piece of the job (a plain text: ~1 ms for this many events).
ROWS_PER_PIECE = 4096
#: ... with a regular expression (one match per row).
REGEX_ROWS_PER_PIECE = 512


class EventFilterProxy(QAbstractProxyModel):
    """The matching rows of an ``EventsModel`` (see the module), in source order.

    While a filter is set, ``busy`` says rows are still being decided; ``rowCount`` is then
    what was found so far.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._regex: QRegularExpression | None = None
        self._kind = ""
        self._comments = False
        self._rows = array("I")  # matching source rows, ascending
        self._scanned = 0  # source rows decided
        self.stepper = Stepper(self)

    # -- the filter ------------------------------------------------------------------------
    def set_filter(self, text: str, regex: bool, kind: str,
                   show_comments: bool = False) -> str | None:
        """Apply a filter; returns an error message for an invalid regex (filter unchanged).
        The first slice of rows is decided before this returns (all of a small table)."""
        compiled = None
        if regex and text:
            compiled = QRegularExpression(
                text, QRegularExpression.PatternOption.CaseInsensitiveOption)
            if not compiled.isValid():
                return compiled.errorString()
        self._text, self._regex, self._kind = text.lower(), compiled, kind
        self._comments = show_comments
        self._restart()
        return None

    @property
    def active(self) -> bool:
        return bool(self._text or self._kind)

    @property
    def busy(self) -> bool:
        """Rows are still being decided (``rowCount`` is what was found so far)."""
        return self.stepper.busy

    def setSourceModel(self, model: QAbstractItemModel | None) -> None:
        old = self.sourceModel()
        if old is not None:
            old.rowsInserted.disconnect(self._inserted)
            for signal in (old.modelReset, old.rowsRemoved, old.layoutChanged):
                signal.disconnect(self._restart)
        self.stepper.cancel()
        super().setSourceModel(model)  # type: ignore[arg-type]  # Qt takes None
        if model is not None:
            model.rowsInserted.connect(self._inserted)
            for signal in (model.modelReset, model.rowsRemoved, model.layoutChanged):
                signal.connect(self._restart)
        self._restart()

    def _restart(self, *_args: object) -> None:
        self.stepper.cancel()
        self.beginResetModel()
        self._rows = array("I")
        self._scanned = 0
        self.endResetModel()
        if isinstance(self.sourceModel(), EventsModel):
            self.stepper.start(self._scan())

    def _inserted(self, _parent: Index, _first: int, _last: int) -> None:
        if not self.stepper.busy and isinstance(self.sourceModel(), EventsModel):
            self.stepper.start(self._scan())  # the new rows (a slice: a drain's worth)

    def _scan(self) -> Job:
        """Decide the source rows not decided yet, a piece at a time, until caught up."""
        model = self.sourceModel()
        assert isinstance(model, EventsModel)
        per_piece = REGEX_ROWS_PER_PIECE if self._regex is not None else ROWS_PER_PIECE
        while self._scanned < len(model):
            start = self._scanned
            stop = min(len(model), start + per_piece)
            self._add(self._matches(model, start, stop))
            self._scanned = stop
            yield stop, len(model)

    def _matches(self, model: EventsModel, start: int, stop: int) -> list[int] | range:
        rows: list[int] | range = range(start, stop)
        if self._kind:
            rows = model.rows_of_kind(start, stop, self._kind)
        elif not self._comments:
            hidden = model.comments_between(start, stop - 1)
            if hidden:
                skip = set(hidden)
                rows = [i for i in rows if i not in skip]
        if self._regex is not None:
            match = self._regex.match
            return [i for i in rows if match(model.search_text(i)).hasMatch()]
        if self._text:
            found = model.rows_containing(start, stop, self._text)
            if isinstance(rows, range):
                return found
            kept = set(rows)
            return [i for i in found if i in kept]
        return rows

    def _add(self, rows: list[int] | range) -> None:
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    # -- the proxy model -------------------------------------------------------------------
    def source_row(self, row: int) -> int:
        return self._rows[row]

    def mapToSource(self, index: Index) -> QModelIndex:
        model = self.sourceModel()
        if model is None or not index.isValid() or index.row() >= len(self._rows):
            return QModelIndex()
        return model.index(self._rows[index.row()], index.column())

    def mapFromSource(self, index: Index) -> QModelIndex:
        if not index.isValid():
            return QModelIndex()
        i = bisect_left(self._rows, index.row())
        if i < len(self._rows) and self._rows[i] == index.row():
            return self.index(i, index.column())
        return QModelIndex()

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if parent.isValid() or not (0 <= row < len(self._rows)) \
                or not (0 <= column < self.columnCount()):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, _index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        return QModelIndex()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        model = self.sourceModel()
        return 0 if parent.isValid() or model is None else model.columnCount()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        model = self.sourceModel()
        if model is None or not index.isValid() or index.row() >= len(self._rows):
            return None
        return model.data(model.index(self._rows[index.row()], index.column()), role)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        model = self.sourceModel()
        return None if model is None else model.headerData(section, orientation, role)

    # -- what ``gui.stream.cell_painter`` paints from --------------------------------------
    RIGHT_COLUMNS = EventsModel.RIGHT_COLUMNS

    def display_at(self, row: int, column: int) -> str:
        model = self.sourceModel()
        if not isinstance(model, EventsModel) or not 0 <= row < len(self._rows):
            return ""
        return model.display_at(self._rows[row], column)

    def background_at(self, row: int) -> QBrush | None:
        model = self.sourceModel()
        if not isinstance(model, EventsModel) or not 0 <= row < len(self._rows):
            return None
        return model.background_at(self._rows[row])
