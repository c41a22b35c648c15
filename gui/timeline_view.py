"""The Timeline sub-tab: live charts (pyqtgraph) and the figures of a stream.

Why it costs the same at 10 or 50,000 events a second: the numbers come from
``stream_core.stats.Timeline`` (fixed time buckets and a fixed gap histogram, filled in the
controller's drain), and the charts are redrawn by a 250 ms timer, only while the tab is
visible, from arrays whose length is the number of buckets, never the number of events.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from gui.controller import StreamController
from gui.models import fmt_size
from stream_core.stats import GAP_EDGES, Figures

REDRAW_MS = 250
STALL_S = 5
MAX_MARKERS = 50
MARKER_PENS = {"reconnect": pg.mkPen("#c05621", width=1, style=Qt.PenStyle.DashLine),
               "error": pg.mkPen("#c53030", width=2)}


#: Decade ticks of the gap histogram, whose x axis is log10(seconds).
GAP_TICKS = [(-5.0, "10 µs"), (-4.0, "100 µs"), (-3.0, "1 ms"), (-2.0, "10 ms"),
             (-1.0, "100 ms"), (0.0, "1 s"), (1.0, "10 s"), (2.0, "100 s"), (3.0, "1000 s")]


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 10:
        return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"
    return f"{seconds:.1f} s"


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
        self.plots = pg.GraphicsLayoutWidget(self)
        self.plots.setBackground("w")
        self.plots.setMinimumWidth(300)
        self.rate_plot = self._plot(0, 0, "Bytes/s", "B/s")
        self.event_plot = self._plot(0, 1, "Events/s", "")
        self.cum_plot = self._plot(1, 0, "Cumulative bytes", "B")
        self.gap_plot = self._plot(1, 1, "Gaps between events (count)", "")
        self.gap_plot.setLabel("bottom", "gap (log scale)")
        self.gap_plot.getAxis("bottom").setTicks([GAP_TICKS])
        self.event_plot.setXLink(self.rate_plot)
        self.cum_plot.setXLink(self.rate_plot)
        self.rate_curve = self.rate_plot.plot(pen=pg.mkPen("#2b6cb0", width=2),
                                              fillLevel=0, brush=(43, 108, 176, 60))
        self.event_curve = self.event_plot.plot(pen=pg.mkPen("#2f855a", width=2),
                                                fillLevel=0, brush=(47, 133, 90, 60))
        self.cum_curve = self.cum_plot.plot(pen=pg.mkPen("#6b46c1", width=2))
        self.gap_bars = pg.BarGraphItem(x=[], height=[], width=0.05, brush="#b7791f")
        self.gap_plot.addItem(self.gap_bars)
        self._markers: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._marked = 0

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
        side.setFixedWidth(230)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(side)
        layout.addWidget(self.plots, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self.redraw)
        controller.finished.connect(self.redraw)

    def _plot(self, row: int, col: int, title: str, units: str) -> pg.PlotItem:
        plot = self.plots.addPlot(row=row, col=col, title=title)
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        if units:
            plot.setLabel("left", units=units)
        if title != "Gaps between events (count)":
            plot.setLabel("bottom", "time (s)")
        return plot

    # -- redraw at a fixed rate, only while visible --------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.redraw()
        if self.controller.running:
            self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._timer.stop()

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
        if not c.running:
            self._timer.stop()
        elif self.isVisible() and not self._timer.isActive():
            self._timer.start()
        self.redraws += 1
        self.refresh_figures()
        tl = c.stats.timeline
        n = len(tl.bytes_bins)
        if n:
            x = np.arange(n, dtype=float) * tl.bin_s
            b = np.asarray(tl.bytes_bins, dtype=float)
            e = np.asarray(tl.event_bins, dtype=float)
            self.rate_curve.setData(x, b / tl.bin_s, stepMode=None)
            self.event_curve.setData(x, e / tl.bin_s)
            self.cum_curve.setData(x + tl.bin_s, np.cumsum(b))
        counts = np.asarray(tl.gap_counts, dtype=float)
        if counts.any():
            edges = np.log10(np.asarray((GAP_EDGES[0] / 10, *GAP_EDGES), dtype=float))
            nz = counts > 0
            x = edges[nz] + 0.025  # bar centres (edges are lower bounds)
            self.gap_bars.setOpts(x=x, height=counts[nz], width=0.045)
            low, high = float(x.min()), float(x.max())
            self.gap_plot.setXRange(min(low, (low + high) / 2 - 1), max(high, (low + high) / 2 + 1))
        for marker in tl.markers[self._marked:][-MAX_MARKERS:]:
            for plot in (self.rate_plot, self.event_plot, self.cum_plot):
                line = pg.InfiniteLine(pos=marker.t, angle=90, pen=MARKER_PENS.get(
                    marker.kind, MARKER_PENS["error"]), label=marker.label if plot is
                    self.rate_plot else None, labelOpts={"position": 0.9, "color": "#742a2a"})
                plot.addItem(line)
                self._markers.append((plot, line))
        self._marked = len(tl.markers)
        while len(self._markers) > 3 * MAX_MARKERS:  # the newest reconnects/errors only
            old_plot, old_line = self._markers.pop(0)
            old_plot.removeItem(old_line)
