"""The Diagnostics sub-tab: "why is this buffered?" findings, their explanation and fixes.

The findings come from ``stream_core.analysis.diagnostics`` (the controller feeds it in the drain)
and, about the stream's times, from ``stream_core.analysis.stalls``: where its times come from,
when the window itself was blocked (``gui.services.loop_watch``) and whose its long gaps
were. This view lists them, explains the selected one, offers its one-click fix, and reports
a click so that the tab can select the chunk or event the finding is about. A handful of rows
at most, rebuilt only when the list changes (checked at most twice a second).

Signals:
    pointerActivated(str, int): "chunk" or "event" and its seq, when a finding is clicked.
    fixRequested(object): the ``Fix`` of the selected finding, when its button is pressed.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.services import loop_watch
from gui.services.throttle import Throttle
from gui.services.tooltips import plain_tip
from gui.stream.controller import StreamController
from stream_core.analysis.diagnostics import SEVERITY_ORDER, Finding
from stream_core.analysis.stalls import StreamTimes, clock_text, timing_findings

if TYPE_CHECKING:
    from gui.views.subviews import TabContext

REFRESH_S = 0.5
SEVERITY_COLORS = {"error": QColor("#c53030"), "warning": QColor("#b7791f"),
                   "info": QColor("#2b6cb0")}
SEVERITY_ICONS = {"error": "✖ error", "warning": "▲ warning", "info": "ℹ info"}
CLOCK_WORDS = {"arrival": "arrival (when the bytes reached this machine)",
               "read": "read by the window (see the finding)"}
#: What a finding that points at no chunk or event is about, by code ("headers" otherwise).
ABOUT = {"window-busy": "the window", "read-times": "times", "times-held": "times"}


def stream_times(controller: StreamController) -> StreamTimes:
    """Where a stream's times come from, as its ``response`` and ``end`` records say."""
    end, response = controller.end, controller.response
    clock = (end.clock if end is not None else "") or (
        response.clock if response is not None else "")
    return StreamTimes(clock, end.clock_reason if end is not None else "",
                       end.held_ms if end is not None else 0.0)


def findings_of(controller: StreamController) -> list[Finding]:
    """The stream's findings, those about its times included, most severe first."""
    c = controller
    blocks = loop_watch.blocks().blocks if c.live else ()
    out = c.diagnostics.findings() + timing_findings(
        stream_times(c), c.stats.timeline, list(blocks), c.start_wall, c.elapsed())
    out.sort(key=lambda f: SEVERITY_ORDER[f.severity])
    return out


class DiagnosticsView(QWidget):
    """Findings table above the selected finding's explanation and fix button."""

    pointerActivated = Signal(str, int)
    fixRequested = Signal(object)

    def __init__(self, controller: StreamController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.findings: list[Finding] = []
        self._throttle = Throttle(self._refresh_now, REFRESH_S, self)
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("findings")
        self.table.setHorizontalHeaderLabels(["Severity", "Finding", "Where"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel("No findings yet.", self)
        self.empty.setObjectName("diagnosticsEmpty")
        self.detail = QLabel(self)
        self.detail.setObjectName("findingDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.fix = QPushButton(self)
        self.fix.setObjectName("findingFix")
        self.fix.hide()
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(8, 4, 8, 4)
        lower_layout.addWidget(self.detail, 1)
        row = QHBoxLayout()
        row.addWidget(self.fix)
        row.addStretch(1)
        lower_layout.addLayout(row)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        # room for a finding's explanation (a few lines) however short the window
        lower.setMinimumHeight(self.fontMetrics().lineSpacing() * 5 + 16)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(split, 1)
        self.table.itemSelectionChanged.connect(self._selected)
        self.table.cellClicked.connect(lambda r, _c: self._activate(r))
        self.fix.clicked.connect(self._fix_clicked)
        controller.finished.connect(lambda: self.refresh(final=True))
        loop_watch.watch()  # the window's blocks, from now on (started once per app)

    @classmethod
    def for_tab(cls, controller: StreamController, _context: TabContext,
                parent: QWidget) -> DiagnosticsView:
        return cls(controller, parent)

    def title(self) -> str:
        """"Diagnostics", with the count of warnings and errors when there are any."""
        serious = sum(f.severity != "info" for f in self.findings)
        return f"Diagnostics ({serious})" if serious else "Diagnostics"

    def applies(self) -> bool:
        return True

    def refresh(self, final: bool = False) -> None:
        """Recompute the findings (at most every 0.5 s while the stream runs; at once when
        ``final``); rebuild the list if they changed."""
        if final:
            self._throttle.call_now()
        else:
            self._throttle()

    def _refresh_now(self) -> None:
        findings = findings_of(self.controller)
        ended = self.controller.ended
        clock = stream_times(self.controller).clock
        head = (f"{len(findings)} finding(s)" + ("" if ended else " so far")
                + ": click one to select the chunk or event it is about." if findings else
                "Nothing suspicious found." if ended else "No findings yet.")
        self.empty.setText(head + (f" Times: {CLOCK_WORDS[clock]}." if clock in CLOCK_WORDS
                                   else ""))
        self.empty.setToolTip(clock_text(stream_times(self.controller)))
        if findings == self.findings:
            return
        selected = self.current()
        self.findings = findings
        self.table.setRowCount(len(findings))
        for r, f in enumerate(findings):
            where = ", ".join(p for p in (
                f"event #{f.event}" if f.event is not None else "",
                f"chunk #{f.chunk}" if f.chunk is not None else "") if p) or ABOUT.get(
                    f.code, "headers")
            for c, text in enumerate((SEVERITY_ICONS[f.severity], f.title, where)):
                item = QTableWidgetItem(text)
                if c == 0:
                    item.setForeground(QBrush(SEVERITY_COLORS[f.severity]))
                item.setToolTip(plain_tip(f.detail))
                self.table.setItem(r, c, item)
        if selected is not None and selected in findings:
            self.table.selectRow(findings.index(selected))
        elif findings and not self.table.selectedItems():
            self.table.selectRow(0)
        self._selected()  # the row kept its place, but its finding may have new words

    def current(self) -> Finding | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.findings):
            return None
        return self.findings[rows[0].row()]

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def _selected(self) -> None:
        f = self.current()
        if f is None:
            self.detail.clear()
            self.fix.hide()
            return
        self.detail.setText(f"<b>{html.escape(f.title)}</b><br>{html.escape(f.detail)}")
        if f.fix is not None:
            self.fix.setText(f.fix.label)
            self.fix.show()
        else:
            self.fix.hide()

    def _activate(self, row: int) -> None:
        if row >= len(self.findings):
            return
        f = self.findings[row]
        if f.event is not None:
            self.pointerActivated.emit("event", f.event)
        elif f.chunk is not None:
            self.pointerActivated.emit("chunk", f.chunk)

    def _fix_clicked(self) -> None:
        f = self.current()
        if f is not None and f.fix is not None:
            self.fixRequested.emit(f.fix)
