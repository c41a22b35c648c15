"""Compare two streams: headers and framing side by side, events aligned, timings overlaid.

Why: the same payload through two servers (FastAPI's ``StreamingResponse`` and sse-starlette's
``EventSourceResponse``, a proxy and no proxy, yesterday and today) differs in ways that are
hard to see one tab at a time: a header, the line endings, pings, how events are split into
writes, and when they arrive. The comparison is computed from records (plain functions, no
Qt) and shown in a window of its own.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
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

from gui.services.tooltips import plain_tip
from gui.stream.models import RowListModel
from stream_core.records import AnyRecord, Chunk, End, Event, Record, Response, header_text

Index = QModelIndex | QPersistentModelIndex
SAME, DIFFERS, ONLY_A, ONLY_B = "same", "differs", "only A", "only B"
DIFF_COLORS = {DIFFERS: "#fefcbf", ONLY_A: "#fed7d7", ONLY_B: "#c6f6d5"}
PENS = ("#2b6cb0", "#dd6b20")
#: Headers whose values differ between any two responses: not a difference worth marking.
VOLATILE = {"date", "expires", "last-modified", "x-request-id", "request-id"}


# -- the comparison, without Qt ------------------------------------------------------------

def _joined(headers: Sequence[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """lower name -> (name as sent, values joined by ', ' and decoded for people), in order."""
    out: dict[str, tuple[str, str]] = {}
    for name, raw in headers:
        low, value = name.lower(), header_text(raw)
        out[low] = (out[low][0], f"{out[low][1]}, {value}") if low in out else (name, value)
    return out


def header_diff(a: Response | None, b: Response | None) -> list[tuple[str, str, str, str]]:
    """``(name, value A, value B, status)`` rows: status line first, then every header."""
    def line(r: Response | None) -> dict[str, tuple[str, str]]:
        if r is None:
            return {}
        return {":status": (":status", f"{r.status} {r.reason}".strip()),
                ":version": (":version", r.http_version), ":mode": (":mode", r.mode),
                **_joined(r.headers)}
    ha, hb = line(a), line(b)
    rows = []
    for low in [*ha, *(k for k in hb if k not in ha)]:
        name = (ha.get(low) or hb[low])[0]
        va, vb = ha.get(low, ("", None))[1], hb.get(low, ("", None))[1]
        status = (ONLY_B if va is None else ONLY_A if vb is None
                  else SAME if va == vb or low in VOLATILE else DIFFERS)
        rows.append((name, va or "", vb or "", status))
    return rows


def framing(records: Sequence[AnyRecord]) -> dict[str, str]:
    """How the body was framed and paced: what a reader of two streams compares first."""
    chunks = [r for r in records if isinstance(r, Chunk)]
    items = [r for r in records if isinstance(r, Event | Record)]
    body = b"".join(c.data for c in chunks)
    response = next((r for r in records if isinstance(r, Response)), None)
    end = next((r for r in records if isinstance(r, End)), None)
    headers = {k.lower(): header_text(v) for k, v in response.headers} if response else {}
    crlf, lf, cr = body.count(b"\r\n"), body.count(b"\n"), body.count(b"\r")
    endings = [name for name, n in (("CRLF", crlf), ("LF", lf - crlf), ("CR", cr - crlf)) if n]
    gaps = [b.t - a.t for a, b in zip(items, items[1:], strict=False)]
    per_chunk = f"{len(items) / len(chunks):.2f}" if chunks else "—"
    return {
        "Transfer": ("chunked" if "chunked" in headers.get("transfer-encoding", "") else
                     f"Content-Length {headers['content-length']}"
                     if "content-length" in headers else "until close") if response else "—",
        "Content-Type": headers.get("content-type", "—"),
        "Chunks (reads)": f"{len(chunks):,}",
        "Bytes": f"{len(body):,}",
        "Events / records": f"{len(items):,}",
        "Events per read": per_chunk,
        "Comment lines (pings)": f"{len(re.findall(rb'(?m)^:', body)):,}",
        "Line endings": " + ".join(endings) or "—",
        "retry: fields": f"{len(re.findall(rb'(?m)^retry:', body)):,}",
        "id: fields": f"{len(re.findall(rb'(?m)^id', body)):,}",
        "First byte": _ms(chunks[0].t if chunks else None),
        "First event": _ms(items[0].t if items else None),
        "Mean gap between events": _ms(sum(gaps) / len(gaps) if gaps else None),
        "Duration": _ms(end.duration if end else None),
    }


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.1f} ms"


def framing_diff(a: Sequence[AnyRecord],
                 b: Sequence[AnyRecord]) -> list[tuple[str, str, str, str]]:
    fa, fb = framing(a), framing(b)
    timing = {"First byte", "First event", "Mean gap between events", "Duration"}
    return [(k, fa[k], fb[k], SAME if fa[k] == fb[k] or k in timing else DIFFERS) for k in fa]


@dataclass(slots=True)
class Aligned:
    """One row of the event alignment: the n-th event of each side."""

    seq: int
    a: Event | Record | None
    b: Event | Record | None

    @property
    def differs(self) -> bool:
        return describe(self.a)[:2] != describe(self.b)[:2]


def describe(item: Event | Record | None) -> tuple[str, str, float | None]:
    """(kind, text, t) of an event or record, as the comparison sees it."""
    if item is None:
        return ("", "", None)
    if isinstance(item, Event):
        return (item.event, item.data, item.t)
    text = json.dumps(item.value, sort_keys=True) if item.parsed else item.text
    return ("record", text, item.t)


def align(a: Sequence[AnyRecord], b: Sequence[AnyRecord]) -> list[Aligned]:
    ea = [r for r in a if isinstance(r, Event | Record)]
    eb = [r for r in b if isinstance(r, Event | Record)]
    return [Aligned(i, ea[i] if i < len(ea) else None, eb[i] if i < len(eb) else None)
            for i in range(max(len(ea), len(eb)))]


def arrivals(records: Sequence[AnyRecord]) -> tuple[list[float], list[int]]:
    """x = arrival time, y = events so far (chunks when the stream has no events)."""
    items: Sequence[AnyRecord] = [r for r in records if isinstance(r, Event | Record)]
    if not items:
        items = [r for r in records if isinstance(r, Chunk)]
    return [r.t for r in items], list(range(1, len(items) + 1))


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

    def __init__(self, a: list[AnyRecord], b: list[AnyRecord], a_name: str, b_name: str,
                 parent: QWidget | None = None) -> None:
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

        fa = next((r for r in a if isinstance(r, Response)), None)
        fb = next((r for r in b if isinstance(r, Response)), None)
        self.header_rows = header_diff(fa, fb)
        self.framing_rows = framing_diff(a, b)
        split = QSplitter(Qt.Orientation.Vertical, self)
        self.headers_table = self._table(self.header_rows, ("Header", "A", "B", ""))
        self.framing_table = self._table(self.framing_rows, ("Framing and timing", "A", "B", ""))
        split.addWidget(self.headers_table)
        split.addWidget(self.framing_table)
        differ = sum(r[3] != SAME for r in self.header_rows)
        self.tabs.addTab(split, f"Headers && framing ({differ} header differences)")

        self.aligned = AlignedModel(align(a, b), self)
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
        n_diff = sum(r.differs for r in self.aligned.rows)
        self.tabs.addTab(self.events_table,
                         f"Events ({len(self.aligned.rows)} rows, {n_diff} differ)")

        self.plot = pg.PlotWidget(self, background="w")
        self.plot.setLabel("bottom", "arrival", units="s")
        self.plot.setLabel("left", "events (or chunks) so far")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.addLegend(offset=(10, 10))
        self.curves = []
        for label, records, color in (("A", a, PENS[0]), ("B", b, PENS[1])):
            xs, ys = arrivals(records)
            self.curves.append(self.plot.plot(
                xs, ys, name=label, stepMode=None, pen=pg.mkPen(color, width=2),
                symbol="o", symbolSize=5, symbolBrush=color, symbolPen=None))
        self.tabs.addTab(self.plot, "Timing")

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
