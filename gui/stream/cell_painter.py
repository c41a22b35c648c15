"""Painting the events and chunks tables' cells straight from their models' strings.

Why: a table repaint is the window's biggest cost while streams run (a growing table is
repainted whole, up to ~16 times a second: ``PaintThrottle``). Qt's own delegate asks the
model for seven roles per cell, each a call from C++ into Python, and lays every text out
twice (once to place it, once to draw it): ~130 µs a cell, 24 ms for a 560x510 table of
LLM deltas on this machine. This delegate takes the cell's text, background and alignment
from the model in plain Python calls, and elides and lays out each text once
(``QStaticText``, kept while the row stays in view): 10.5 ms for the same table.

It paints what Qt's delegate painted for these tables: the row's background (the
correlation highlight, errors, reconnects), the selection, the text elided on the right,
numbers right-aligned, from the model or from a proxy on it that has the same methods (the
events filter). Anything else goes to Qt's delegate.
"""

from __future__ import annotations

import weakref
from typing import Protocol

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import (
    QBrush,
    QFont,
    QFontMetrics,
    QPainter,
    QPalette,
    QPen,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

__all__ = ["CellPainter", "CellSource", "install"]

#: Room left and right of a cell's text, as the platform styles leave it.
TEXT_MARGIN = 3
#: Laid-out texts kept: screenfuls of rows at a few widths; cleared when full.
CACHE_ENTRIES = 4096

_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_MARGINS = 2 * TEXT_MARGIN
_ELIDE = Qt.TextElideMode.ElideRight
_RESTYLE = frozenset((QEvent.Type.PaletteChange, QEvent.Type.EnabledChange,
                      QEvent.Type.ActivationChange, QEvent.Type.StyleChange))
_ACTIVE = QPalette.ColorGroup.Active
_INACTIVE = QPalette.ColorGroup.Inactive
_DISABLED = QPalette.ColorGroup.Disabled


class CellSource(Protocol):
    """What the painter needs of a model (``gui.stream.models``' table models)."""

    RIGHT_COLUMNS: frozenset[int]

    def display_at(self, row: int, column: int) -> str: ...

    def background_at(self, row: int) -> QBrush | None: ...


class CellPainter(QStyledItemDelegate):
    """The delegate for a view on ``model`` (see the module's docstring)."""

    def __init__(self, model: CellSource, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._model = model
        # Not a strong reference: the view owns this delegate, and a cycle between the two
        # would leave a closed tab's table (and its timers) to the garbage collector, which
        # may run in another thread.
        self._view_ref = weakref.ref(view)
        self._elided: dict[tuple[int, int, int, int], tuple[QStaticText, int, int]] = {}
        self._pen_cache: tuple[QPen, QBrush, QPen] | None = None
        self._font_cache: tuple[QFont, QFontMetrics] | None = None
        view.installEventFilter(self)
        self._painting: CellSource | None = None  # the model the cached texts are from
        self._watched: weakref.WeakSet[QAbstractItemModel] = weakref.WeakSet()
        self._paint_from(model)

    def _paint_from(self, model: CellSource) -> None:
        """Texts are laid out from ``model`` now (the model, or the filter on it: row N of
        one is not row N of the other, so the texts kept are forgotten)."""
        self._elided.clear()
        self._painting = model
        if isinstance(model, QAbstractItemModel) and model not in self._watched:
            self._watched.add(model)  # rows removed or reset: texts change
            for signal in (model.modelReset, model.rowsRemoved, model.layoutChanged):
                signal.connect(self._forget)

    def _forget(self, *_args: object) -> None:
        self._elided.clear()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        # Every call below is one crossing into Qt (enums and flags are the dear ones:
        # ``option.state`` makes a Python flag object): kept to what a cell needs.
        model = self._model
        shown = index.model()
        if shown is not model:  # type: ignore[comparison-overlap]
            if not hasattr(shown, "display_at"):  # a proxy that is no CellSource: Qt's way
                super().paint(painter, option, index)
                return
            model = shown  # type: ignore[assignment]  # the events filter (a CellSource)
        if model is not self._painting:
            self._paint_from(model)
        row, column = index.row(), index.column()
        rect = option.rect
        view = self._view
        if view is None:
            return
        if view.selectionModel().isSelected(index):
            pens = self._pens()
            painter.fillRect(rect, pens[1])
            painter.setPen(pens[2])
        else:
            background = model.background_at(row)
            if background is not None:
                painter.fillRect(rect, background)
            painter.setPen(self._pens()[0])
        width = rect.width() - _MARGINS
        key = (row, column, width, rect.height())
        cached = self._elided.get(key)
        if cached is None:
            if len(self._elided) >= CACHE_ENTRIES:
                self._elided.clear()
            font, metrics = self._font()
            text = metrics.elidedText(model.display_at(row, column), _ELIDE, width)
            static = QStaticText(text)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(QTransform(), font)
            shift = width - metrics.horizontalAdvance(text) if column in model.RIGHT_COLUMNS \
                else 0
            cached = self._elided[key] = (static, TEXT_MARGIN + shift,
                                          (rect.height() - metrics.height()) // 2)
        static, dx, dy = cached
        # In the font it was laid out in (the view's, as Qt's delegate draws): the painter
        # has the viewport's, which a style sheet can keep from following the view's, and a
        # QStaticText drawn in another font is laid out again at every paint.
        painter.setFont(self._font()[0])
        painter.drawStaticText(rect.x() + dx, rect.y() + dy, static)

    @property
    def _view(self) -> QAbstractItemView | None:
        return self._view_ref()

    def _pens(self) -> tuple[QPen, QBrush, QPen]:
        """Text pen, selection brush and selected text pen for the view's palette and
        state; made again after the view's palette, enabled state or window activation
        changed (``eventFilter``)."""
        if self._pen_cache is None:
            view = self._view
            assert view is not None  # (asked while painting it)
            group = (_DISABLED if not view.isEnabled()
                     else _ACTIVE if view.isActiveWindow() else _INACTIVE)
            palette = view.palette()
            self._pen_cache = (QPen(palette.color(group, QPalette.ColorRole.Text)),
                               palette.brush(group, QPalette.ColorRole.Highlight),
                               QPen(palette.color(group, QPalette.ColorRole.HighlightedText)))
        return self._pen_cache

    def _font(self) -> tuple[QFont, QFontMetrics]:
        """The view's font and its metrics, taken once (``eventFilter`` drops them, and the
        texts laid out in them, when the font changes)."""
        if self._font_cache is None:
            view = self._view
            assert view is not None  # (asked while painting it)
            font = view.font()
            self._font_cache = (font, QFontMetrics(font))
        return self._font_cache

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """(On the view, not its viewport: a few events, never a paint.)"""
        kind = event.type()
        if kind in _RESTYLE:
            self._pen_cache = None
        elif kind == QEvent.Type.FontChange:
            self._font_cache = None
            self._elided.clear()
        return False


def install(view: QAbstractItemView, model: CellSource) -> CellPainter:
    """Paint ``view``'s cells from ``model`` (also when a proxy on it is shown: Qt's way)."""
    painter = CellPainter(model, view)
    view.setItemDelegate(painter)
    return painter
