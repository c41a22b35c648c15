"""The Timeline sub-tab: live charts (pyqtgraph) and the figures of a stream.

Why it costs the same at 10 or 50,000 events a second: the numbers come from
``stream_core.analysis.stats.Timeline`` (fixed time buckets and a fixed gap histogram, filled in the
controller's drain), and the charts are redrawn by a 250 ms timer, only while the tab is
visible, from arrays whose length is the number of buckets, never the number of events. The
charts (``gui.views.timeline_charts``, pyqtgraph) are built when the tab is first shown, a
plot per turn of the loop (each takes 15-70 ms); their module is imported by a worker when
the first Timeline view is made (``preload``: pyqtgraph and numpy, 0.35-2 s).
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSpinBox,
    QWidget,
)

from gui.services.steps import Job, Stepper
from gui.services.throttle import Throttle
from gui.stream.controller import StreamController
from stream_core.analysis.formatting import fmt_s, fmt_size
from stream_core.analysis.stats import Figures

if TYPE_CHECKING:
    from gui.views.subviews import TabContext
    from gui.views.timeline_charts import TimelineCharts

log = logging.getLogger(__name__)

REDRAW_MS = 250
STALL_S = 5

_preloaded = False


#: How long after the first Timeline view is made its charts' module is imported: not
#: while the first Send that made it starts its stream.
PRELOAD_AFTER_MS = 3000


def preload() -> None:
    """Import the charts' module (pyqtgraph, numpy) in a worker thread, once, a while after
    the first Timeline view is made (its loop running): the first Timeline a user opens then
    finds it imported instead of waiting 0.35-2 s with the window held. (A daemon thread:
    an import, nothing to wait for or to stop; when it fails the module is imported again,
    and the failure seen, when the charts are built.)"""
    global _preloaded
    if _preloaded or "gui.views.timeline_charts" in sys.modules:
        return
    _preloaded = True
    QTimer.singleShot(PRELOAD_AFTER_MS, _start_import)


def _start_import() -> None:
    if "gui.views.timeline_charts" not in sys.modules:
        threading.Thread(target=_import_charts, name="timeline-charts-import",
                         daemon=True).start()


def _import_charts() -> None:
    try:
        importlib.import_module("gui.views.timeline_charts")
    except Exception:  # imported again (and failing there) when the charts are built
        log.warning("could not import the Timeline's charts ahead", exc_info=True)


class TimelineView(QWidget):
    """Four charts (bytes/s, events/s, cumulative bytes, gap histogram) and a figures column."""

    FIGURES = (("ttfb", "First byte"), ("first_event", "First event"),
               ("first_token", "First token"), ("total", "Total"),
               ("gap_p50", "Gap p50"), ("gap_p95", "Gap p95"), ("gap_max", "Gap max"),
               ("avg_rate", "Average"), ("peak_rate", "Peak"),
               ("longest_stall", "Longest stall"))

    def __init__(self, controller: StreamController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.redraws = 0
        self.charts: TimelineCharts | None = None  # built when first shown

        self.values: dict[str, QLabel] = {}
        side = QFrame(self)
        side.setObjectName("timelineFigures")
        form = QFormLayout(side)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for key, title in self.FIGURES:
            value = QLabel("—", side)
            value.setObjectName(f"figure_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(title + ":", value)
            self.values[key] = value
        self.stall_after = QSpinBox(side)
        self.stall_after.setRange(1, 3600)
        self.stall_after.setValue(STALL_S)
        self.stall_after.setSuffix(" s")
        self.stall_after.setToolTip("Show a stall when nothing arrived for this long")
        form.addRow("Stall after:", self.stall_after)
        self.stall = QLabel(side)
        self.stall.setObjectName("stallIndicator")
        self.stall.setWordWrap(True)
        self.stall.setStyleSheet("color: #c05621; font-weight: 600;")
        form.addRow(self.stall)
        scroll = QScrollArea(self)  # the figures scroll in a short window (1024x640)
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(250)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.addWidget(scroll)
        self._layout.addStretch(1)  # the charts' place until they are built

        # Redrawn on the controller's updates (~10/s while it runs, also when nothing
        # arrives: the stall label), at most every REDRAW_MS, only while shown.
        self._redraws = Throttle(self.redraw, REDRAW_MS / 1000, self)
        controller.updated.connect(self._updated)
        controller.finished.connect(self._redraws.call_now)
        self._building = Stepper(self)  # the charts, a plot per turn of the loop
        self._building.finished.connect(self.redraw)
        preload()

    @classmethod
    def for_tab(cls, controller: StreamController, _context: TabContext,
                parent: QWidget) -> TimelineView:
        return cls(controller, parent)

    def title(self) -> str:
        return "Timeline"

    def applies(self) -> bool:
        return True

    def refresh(self, final: bool = False) -> None:
        """Once the stream has ended: the charts (built in steps if need be) and figures.
        While it runs they redraw themselves, at most every ``REDRAW_MS``, while shown."""
        if final:
            self._build_in_steps()
            self.redraw()

    def build_charts(self) -> TimelineCharts:
        """The charts, built (and pyqtgraph imported) on the first call, all of them before
        this returns (what is left of a build in steps is done now)."""
        self._build_in_steps()
        self._building.run_now()
        assert self.charts is not None
        return self.charts

    def _build_in_steps(self) -> None:
        """Start building the charts (their first plot now, the others at the next turns
        of the loop), unless they are built or being built."""
        if self.charts is not None:
            return
        from gui.views.timeline_charts import TimelineCharts

        self.charts = TimelineCharts(self, now=False)
        self._layout.takeAt(1)  # the stretch that kept its place
        self._layout.addWidget(self.charts, 1)
        self._building.start(self._plots(self.charts))

    @staticmethod
    def _plots(charts: TimelineCharts) -> Job:
        while charts.add_next():
            yield charts.plots_made, charts.PLOTS

    # -- redraw at a bounded rate, only while visible ------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._build_in_steps()
        self._redraws.call_now()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._redraws.cancel()

    def _updated(self) -> None:
        if self.isVisible():
            self._redraws()

    def stalled_for(self) -> float:
        """Seconds since anything arrived, while running (0 when not stalled)."""
        c = self.controller
        return c.stats.figures(c.elapsed(), c.running).stalled_for

    def refresh_figures(self) -> Figures:
        c = self.controller
        f = c.stats.figures(c.elapsed(), c.running)
        v = self.values
        v["ttfb"].setText(fmt_s(f.ttfb))
        v["first_event"].setText(fmt_s(f.first_event))
        v["first_token"].setText(fmt_s(f.first_token))
        v["total"].setText(fmt_s(f.total))
        v["gap_p50"].setText(fmt_s(f.gap_p50))
        v["gap_p95"].setText(fmt_s(f.gap_p95))
        v["gap_max"].setText(fmt_s(f.gap_max))
        v["avg_rate"].setText(f"{fmt_size(int(f.avg_bytes_rate))}/s, {f.avg_event_rate:,.1f} ev/s")
        v["peak_rate"].setText(f"{fmt_size(int(f.peak_bytes_rate))}/s, "
                               f"{f.peak_event_rate:,.0f} ev/s")
        v["longest_stall"].setText(fmt_s(f.longest_stall))
        threshold = self.stall_after.value()
        self.stall.setText(f"Stalled: nothing for {f.stalled_for:.0f} s"
                           if c.running and f.stalled_for >= threshold else "")
        return f

    def redraw(self) -> None:
        """Redraw charts and figures from the buckets (cost: number of buckets)."""
        c = self.controller
        self.redraws += 1
        self.refresh_figures()
        if self.charts is not None:
            self.charts.draw(c.stats.timeline)
