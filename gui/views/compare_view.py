"""Compare two streams in a window: headers and framing side by side, events aligned,
timings overlaid.

The comparison itself is ``stream_core.analysis.compare`` (no Qt), the same that
``stream-inspector compare`` prints; this module only shows it.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QCloseEvent, QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.services.background import release
from gui.services.tooltips import plain_tip
from gui.stream.models import RowListModel
from stream_core.analysis.compare import (
    DIFFERS,
    ONLY_A,
    ONLY_B,
    SAME,
    Aligned,
    align,
    arrivals,
    describe,
    first_response,
    framing_diff,
    header_diff,
)
from stream_core.records import AnyRecord

Index = QModelIndex | QPersistentModelIndex
DIFF_COLORS = {DIFFERS: "#fefcbf", ONLY_A: "#fed7d7", ONLY_B: "#c6f6d5"}
PENS = ("#2b6cb0", "#dd6b20")
#: Releases of closed windows' rows under way (referenced until they end).
_releasing: set[asyncio.Future[None]] = set()
#: Most points drawn per curve of the Timing chart (a million events drawn with symbols held
#: the window for 38 s); a rising curve thinned to this many looks the same.
MAX_POINTS = 4000
#: Curves with at most this many points show a symbol per point.
SYMBOLS_UP_TO = 2000


def thinned(xs: list[float], ys: list[int], most: int = MAX_POINTS
            ) -> tuple[list[float], list[int]]:
    """At most ``most`` points of a curve: every k-th, and always the last."""
    if len(xs) <= most:
        return xs, ys
    k = -(-len(xs) // (most - 1))
    return xs[::k] + xs[-1:], ys[::k] + ys[-1:]


@dataclass(slots=True)
class Comparison:
    """Everything a Compare window shows, computed without Qt (``comparison``)."""

    header_rows: list[tuple[str, str, str, str]]
    framing_rows: list[tuple[str, str, str, str]]
    aligned: list[Aligned]
    differing: int  # aligned rows that differ
    curves: tuple[tuple[list[float], list[int]], tuple[list[float], list[int]]]


def comparison(a: list[AnyRecord], b: list[AnyRecord]) -> Comparison:
    """Compare two streams' records (``stream_core.analysis.compare``), with what the
    window draws (seconds for a million events: run it off the GUI thread,
    ``gui.services.background.off_loop``)."""
    aligned = align(a, b)
    return Comparison(header_diff(first_response(a), first_response(b)), framing_diff(a, b),
                      aligned, sum(r.differs for r in aligned),
                      (thinned(*arrivals(a)), thinned(*arrivals(b))))


# -- the window ------------------------------------------------------------------------------

class AlignedModel(RowListModel):
    """Events side by side; rows that differ are tinted."""

    COL_SEQ, COL_A_T, COL_A_KIND, COL_A_TEXT, COL_B_T, COL_B_KIND, COL_B_TEXT = range(7)
    HEADERS = ("#", "A time", "A event", "A data", "B time", "B event", "B data")

    def __init__(self, rows: list[Aligned], parent: Any = None) -> None:
        super().__init__(rows, parent)
        self.rows: list[Aligned] = rows

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.a is None or row.b is None:
                return QBrush(QColor(DIFF_COLORS[ONLY_A if row.b is None else ONLY_B]))
            return QBrush(QColor(DIFF_COLORS[DIFFERS])) if row.differs else None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        col = index.column()
        if col == self.COL_SEQ:
            return str(row.seq)
        kind, text, t = describe(row.a if col < self.COL_B_T else row.b)
        which = (col - 1) % 3
        if which == 0:
            return "" if t is None else f"{t * 1000:.1f} ms"
        if which == 1:
            return kind
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tip(text[:2000])
        return text if len(text) <= 200 else text[:199] + "…"


class CompareView(QWidget):
    """A window: Headers & framing | Events | Timing, for streams A and B."""

    def __init__(self, data: Comparison, a_name: str, b_name: str,
                 parent: QWidget | None = None) -> None:
        """``data``: ``comparison(records A, records B)``."""
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setObjectName("compareView")
        self.setWindowTitle(f"Compare: {a_name}  ↔  {b_name}")
        self.resize(1200, 760)
        layout = QVBoxLayout(self)
        names = QLabel(f"<b style='color:{PENS[0]}'>A</b> {html.escape(a_name)}<br>"
                       f"<b style='color:{PENS[1]}'>B</b> {html.escape(b_name)}", self)
        names.setTextFormat(Qt.TextFormat.RichText)
        names.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(names)
        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs)

        self.header_rows = data.header_rows
        self.framing_rows = data.framing_rows
        split = QSplitter(Qt.Orientation.Vertical, self)
        self.headers_table = self._table(self.header_rows, ("Header", "A", "B", ""))
        self.framing_table = self._table(self.framing_rows, ("Framing and timing", "A", "B", ""))
        split.addWidget(self.headers_table)
        split.addWidget(self.framing_table)
        differ = sum(r[3] != SAME for r in self.header_rows)
        self.tabs.addTab(split, f"Headers && framing ({differ} header differences)")

        self.aligned = AlignedModel(data.aligned, self)
        self.events_table = QTableView(self)
        self.events_table.setModel(self.aligned)
        self.events_table.verticalHeader().hide()
        self.events_table.verticalHeader().setDefaultSectionSize(
            self.events_table.fontMetrics().height() + 8)
        self.events_table.setWordWrap(False)
        hv = self.events_table.horizontalHeader()
        hv.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((50, 80, 90, 330, 80, 90, 330)):
            self.events_table.setColumnWidth(col, width)
        self.tabs.addTab(self.events_table,
                         f"Events ({len(self.aligned.rows):,} rows, {data.differing:,} differ)")

        self.plot = pg.PlotWidget(self, background="w")
        self.plot.setLabel("bottom", "arrival", units="s")
        self.plot.setLabel("left", "events (or chunks) so far")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.addLegend(offset=(10, 10))
        self.curves = []
        for label, (xs, ys), color in zip("AB", data.curves, PENS, strict=True):
            symbols = {"symbol": "o", "symbolSize": 5, "symbolBrush": color,
                       "symbolPen": None} if len(xs) <= SYMBOLS_UP_TO else {}
            self.curves.append(self.plot.plot(
                xs, ys, name=label, stepMode=None, pen=pg.mkPen(color, width=2), **symbols))
        self.tabs.addTab(self.plot, "Timing")

    def closeEvent(self, event: QCloseEvent) -> None:
        """The aligned events (a million objects for two big streams) are freed by a
        worker, a slice at a time, not by the GUI thread in one go."""
        rows = self.aligned.rows
        self.aligned.beginResetModel()
        self.aligned.rows = []
        self.aligned.endResetModel()
        task = asyncio.ensure_future(release(rows))
        _releasing.add(task)
        task.add_done_callback(_releasing.discard)
        super().closeEvent(event)

    def _table(self, rows: list[tuple[str, str, str, str]], titles: Sequence[str]) -> QTableWidget:
        """A small fixed table (tens of rows): a QTableWidget is enough here."""
        table = QTableWidget(len(rows), 4, self)
        table.setHorizontalHeaderLabels(list(titles))
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, row in enumerate(rows):
            color = DIFF_COLORS.get(row[3])
            for j, text in enumerate(row):
                item = QTableWidgetItem("" if j == 3 and text == SAME else text)
                item.setToolTip(plain_tip(text))
                if color:
                    item.setBackground(QBrush(QColor(color)))
                table.setItem(i, j, item)
        hv = table.horizontalHeader()
        hv.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        hv.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        hv.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        hv.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        return table
