"""The Timeline's four charts (pyqtgraph), drawn from ``stream_core.analysis.stats.Timeline`` buckets.

A module of its own because pyqtgraph and numpy take ~350 ms to import: the Timeline view
builds its charts when it is first shown, so a first Send does not wait for them (and a
worker imports this module when the first tab opens: ``timeline_view.preload``). Making a
plot takes 15-70 ms (its axes, labels and view box), so the charts are made a plot at a
time (``add_next``), the loop turning between (issue 22.2); the plots' context menus, which
were disabled anyway, are not built at all (``enableMenu=False``: a third of the cost).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from stream_core.analysis.stats import GAP_EDGES, RATE_WINDOW, Timeline

MAX_MARKERS = 50
MARKER_PENS = {"reconnect": pg.mkPen("#c05621", width=1, style=Qt.PenStyle.DashLine),
               "error": pg.mkPen("#c53030", width=2)}

#: Decade ticks of the gap histogram, whose x axis is log10(seconds).
GAP_TICKS = [(-5.0, "10 µs"), (-4.0, "100 µs"), (-3.0, "1 ms"), (-2.0, "10 ms"),
             (-1.0, "100 ms"), (0.0, "1 s"), (1.0, "10 s"), (2.0, "100 s"), (3.0, "1000 s")]


#: Short titles: a title's width is a plot's minimum, and at 1024x640 two plots side by side
#: have ~220 px each (longer ones pushed the right column out of the view).
GAPS_TITLE = "Gaps (count)"


class TimelineCharts(pg.GraphicsLayoutWidget):  # type: ignore[misc]  # pyqtgraph is untyped
    """Bytes/s, events/s, cumulative bytes and the gap histogram, with reconnect/error lines."""

    PLOTS = 4

    def __init__(self, parent: QWidget | None = None, *, now: bool = True) -> None:
        """``now``: every plot made before this returns; else one per ``add_next()``."""
        super().__init__(parent)
        self.setBackground("w")
        self.setMinimumWidth(300)
        self.plots_made = 0
        self.markers: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._marked = 0
        if now:
            while self.add_next():
                pass

    @property
    def complete(self) -> bool:
        """Every plot is made (``draw`` draws only then)."""
        return self.plots_made == self.PLOTS

    def add_next(self) -> bool:
        """Make the next plot (and its curve); False when they are all made."""
        made = self.plots_made
        if made == 0:
            # Rates over a sliding window: per-bucket counts of a slow stream read as 0 or 2x.
            self.rate_plot = self._plot(0, 0, f"Bytes/s ({RATE_WINDOW:g} s)", "B/s")
            self.rate_curve = self.rate_plot.plot(pen=pg.mkPen("#2b6cb0", width=2),
                                                  fillLevel=0, brush=(43, 108, 176, 60))
        elif made == 1:
            self.event_plot = self._plot(0, 1, f"Events/s ({RATE_WINDOW:g} s)", "")
            self.event_plot.setXLink(self.rate_plot)
            self.event_curve = self.event_plot.plot(pen=pg.mkPen("#2f855a", width=2),
                                                    fillLevel=0, brush=(47, 133, 90, 60))
        elif made == 2:
            self.cum_plot = self._plot(1, 0, "Cumulative bytes", "B")
            self.cum_plot.setXLink(self.rate_plot)
            self.cum_curve = self.cum_plot.plot(pen=pg.mkPen("#6b46c1", width=2))
        elif made == 3:
            self.gap_plot = self._plot(1, 1, GAPS_TITLE, "")
            self.gap_plot.setLabel("bottom", "gap (log scale)")
            self.gap_plot.getAxis("bottom").setTicks([GAP_TICKS])
            self.gap_bars = pg.BarGraphItem(x=[], height=[], width=0.05, brush="#b7791f")
            self.gap_plot.addItem(self.gap_bars)
        else:
            return False
        self.plots_made += 1
        return True

    def _plot(self, row: int, col: int, title: str, units: str) -> pg.PlotItem:
        plot = self.addPlot(row=row, col=col, title=title, enableMenu=False, size="9pt")
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        if units:
            plot.setLabel("left", units=units)
        if title != GAPS_TITLE:
            plot.setLabel("bottom", "time (s)")
        return plot

    def draw(self, tl: Timeline) -> None:
        """Redraw from the buckets (cost: number of buckets, not of events); nothing until
        every plot is made."""
        if not self.complete:
            return
        if tl.bytes_bins:
            t, bytes_rate, event_rate = tl.window_rates(RATE_WINDOW)
            x = np.asarray(t, dtype=float)
            self.rate_curve.setData(x, np.asarray(bytes_rate, dtype=float))
            self.event_curve.setData(x, np.asarray(event_rate, dtype=float))
            self.cum_curve.setData(x, np.cumsum(np.asarray(tl.bytes_bins, dtype=float)))
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
                self.markers.append((plot, line))
        self._marked = len(tl.markers)
        while len(self.markers) > 3 * MAX_MARKERS:  # the newest reconnects/errors only
            old_plot, old_line = self.markers.pop(0)
            old_plot.removeItem(old_line)
