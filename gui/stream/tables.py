"""Table view set-up shared by the Events and Chunks panels, and the pace of their growth.

Fixed row heights and interactive (not content-sized) columns keep a 100k-row table cheap:
Qt never measures every row. ``DrainTimer`` decides when queued records become rows: at once
when they trickle in (latency), a few times a second under a flood. ``PaintThrottle`` keeps
the tables from repainting on every such batch: rows are in the model at once, on screen at
most ``PAINT_GAP_S`` later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QSplitter, QTableView, QWidget

from gui.services.throttle import Throttle

#: Room around a cell's text (margins, the sort indicator's place).
CELL_PADDING = 18


class GrowingTable(QTableView):
    """A table that a stream keeps adding rows to: a scroll repaints all it shows.

    Why: Qt scrolls by moving the pixels already painted and painting only the strip the
    scroll exposed, later. With rows arriving and repaints held (``PaintThrottle``), the
    view could scroll again before that strip was painted, and the picture on screen was put
    together from two positions: rows shown twice or skipped (issue 23.10). Painting the
    whole view after a scroll costs what a held repaint costs anyway (~16 a second at most).
    """

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        if dy:
            self.viewport().update()


def make_table(parent: QWidget, widths: dict[int, str], name: str) -> QTableView:
    """A table view for a growing model; ``widths`` gives, per column, the widest text it
    shows (the last column, the payload, stretches instead)."""
    view = GrowingTable(parent)
    view.setObjectName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)  # Tab moves on to the next widget, not the next cell
    view.setAlternatingRowColors(True)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    # Per pixel down too: per item, a view at the end is aligned to its last row and moves
    # by part of a row when rows are added (without scrolling: no repaint), so a strip
    # painted meanwhile did not meet the pixels around it (issue 23.10, ``PaintThrottle``).
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(22)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    header.setHighlightSections(False)
    view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    view._column_widths = widths  # type: ignore[attr-defined]  # kept on the view for apply_widths
    return view


def apply_widths(view: QTableView) -> None:
    """Size the columns given to ``make_table`` to their widest text and header (after a
    model is set): measured once, not per row, so a flood costs nothing more."""
    metrics = view.fontMetrics()
    header = view.horizontalHeader()
    header_metrics = header.fontMetrics()
    model = view.model()
    for col, sample in getattr(view, "_column_widths", {}).items():
        title = str(model.headerData(col, Qt.Orientation.Horizontal) or "") if model else ""
        view.setColumnWidth(col, max(metrics.horizontalAdvance(sample),
                                     header_metrics.horizontalAdvance(title))
                            + CELL_PADDING)


class ArrivalQueue(list[Any]):
    """The controller's record queue; tells ``DrainTimer`` when a record arrives into an
    empty queue or the queue reaches ``FULL_BATCH``, and how many records the last drain took
    (``clear()``)."""

    __slots__ = ("_on_first", "_on_full", "taken")

    def __init__(self, on_first: Callable[[], None], on_full: Callable[[], None]) -> None:
        super().__init__()
        self._on_first = on_first
        self._on_full = on_full
        self.taken = 0

    def append(self, item: Any) -> None:
        if not self:
            self._on_first()
        elif len(self) == FULL_BATCH:
            self._on_full()
        list.append(self, item)

    def clear(self) -> None:
        self.taken += len(self)
        list.clear(self)

    def take(self, most: int) -> list[Any]:
        """The first ``most`` records (all when fewer), removed from the queue."""
        if len(self) <= most:
            batch = self[:]
            self.clear()
            return batch
        batch = self[:most]
        del self[:most]
        self.taken += most
        return batch


#: A queue this long is drained at the next turn of the event loop, whatever the gap: one drain
#: of it blocks the GUI thread for ~20 ms (an engine reading a backlog makes ~1M records/s).
FULL_BATCH = 16_384
#: Most records one timed drain moves; what is left is drained at the next turn of the loop
#: (a replayed capture fills the queue as fast as the loop turns: drains of 16k records held
#: the window 100-400 ms each on the shared box).
DRAIN_STEP = 4096
#: Shortest gap between two drains, and the longest (a flood: one drain moves ~15k rows in a
#: few ms). A drain of a few rows costs well under a millisecond now that it does not repaint
#: (``PaintThrottle``), so events that trickle in reach the model within ~1 ms.
MIN_GAP_S = 0.002
MAX_GAP_S = 0.150
#: Shortest gap for a stream whose tab is behind another (``DrainTimer.background``): nobody
#: reads its rows as they come, and twenty LLM tabs at 50 events/s each drained every event
#: one by one (1,000 drains a second).
BACKGROUND_GAP_S = 0.100
#: Gap per record moved by the previous drain: small batches drain at once, big ones stretch.
GAP_PER_RECORD_S = 0.000_15
#: But a drain should not block the GUI thread longer than this (the gap shrinks when the
#: records come faster than that allows).
DRAIN_BUDGET_S = 0.025


class DrainTimer(QObject):
    """When to drain the record queue into the models: adaptive, not a fixed tick.

    Why: a fixed 30 ms tick adds up to 30 ms of latency to a lone event, and under a flood
    each tick repaints the tables, so painting ate most of the GUI thread. Here a record
    arriving into an empty queue is drained at once when the last drain is at least
    ``MIN_GAP_S`` old; after a drain that moved many records the next one waits up to
    ``MAX_GAP_S``. While nothing arrives it still ticks every ``interval_ms`` (statistics).
    Has ``start``/``stop``/``isActive`` like the ``QTimer`` it replaces.

    Signals:
        timeout(): time to drain (``queue`` holds what arrived).
    """

    timeout = Signal()

    def __init__(self, interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.queue = ArrivalQueue(self._arrived, self._full)
        self._idle_s = interval_ms / 1000
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._fire)
        self._active = False
        self._next = 0.0  # monotonic time of the earliest next drain
        self._due = 0.0  # when the armed timer fires
        self._last_fire = 0.0
        self.min_gap = MIN_GAP_S

    @property
    def background(self) -> bool:
        return self.min_gap > MIN_GAP_S

    @background.setter
    def background(self, value: bool) -> None:
        """Drain at most every ``BACKGROUND_GAP_S`` (the stream's tab is not shown) or not."""
        self.min_gap = BACKGROUND_GAP_S if value else MIN_GAP_S
        if not value and self._active and self.queue:
            self._next = time.monotonic()
            self._arm(0.0)

    def start(self) -> None:
        self._active = True
        self._arm(0.0 if self.queue else self._idle_s)

    def stop(self) -> None:
        self._active = False
        self._timer.stop()

    def isActive(self) -> bool:
        return self._active

    def _arm(self, delay: float) -> None:
        self._due = time.monotonic() + delay
        self._timer.start(max(0, round(delay * 1000)))

    def _arrived(self) -> None:
        if self._active:
            delay = max(0.0, self._next - time.monotonic())
            if time.monotonic() + delay < self._due - 0.001:
                self._arm(delay)

    def _full(self) -> None:
        if self._active:
            self._arm(0.0)

    def _fire(self) -> None:
        start = time.monotonic()
        self.queue.taken = 0
        self.timeout.emit()
        if not self._active:
            return
        now = time.monotonic()
        took, period = now - start, start - self._last_fire
        self._last_fire = start
        if self.queue and self.queue.taken >= DRAIN_STEP:  # a capped drain: the rest next
            self._next = now
            self._arm(0.0)
            return
        low = self.min_gap
        gap = min(max(MAX_GAP_S, low), max(low, self.queue.taken * GAP_PER_RECORD_S))
        if took > 0.002 and period > took:
            # Records arrive while the drain does not run: the next drain takes about
            # ``took * gap / (period - took)``; keep it within the budget (GUI stalls).
            gap = max(low, min(gap, DRAIN_BUDGET_S * (period - took) / took))
        self._next = now + gap
        self._arm(gap if self.queue else max(gap, self._idle_s))


#: Shortest gap between two repaints of a growing table (~16 a second, below what reads as
#: a delay): a repaint of a full table costs 10-15 ms here, so repainting after every drain
#: (up to 60 a second when events trickle in) kept the GUI thread busy most of the time and
#: late for the next event. Against 40 ms: latency p99 ~19.8 -> ~16.5 ms, 15% less CPU.
PAINT_GAP_S = 0.060


class PaintThrottle(QObject):
    """Holds a table's repaints while rows arrive faster than ``PAINT_GAP_S`` apart.

    When rows are about to be inserted into ``model`` less than ``PAINT_GAP_S`` after the
    last repaint, the view's updates are switched off until the gap is over; switching them
    back on repaints the view once, with every row that came meanwhile. The whole view, not
    just its viewport: the scroll bar changes with every insert too, and a scroll bar's
    repaint repaints the window's widgets behind it (the style sheet makes them
    non-opaque): at 200 events a second, 200 repaints of the window's frames a second.
    Rows come in one batch per drain, so this costs one call per batch, not per row.

    The view must not scroll while held (issue 23.10: rows shown twice or skipped): a scroll
    moves the pixels on screen and leaves the strip it exposed to be painted, and Qt paints
    that strip even while updates are off, for wherever the view has scrolled by then. So
    follow-the-tail waits for ``released`` (``TailFollower``), and any other scroll (the
    user's, a row brought into view) releases the view at once: one whole repaint.

    Signals:
        released(): the held repaints were let go (the view is painted whole); also after a
            batch that was not held.
    """

    released = Signal()

    def __init__(self, view: QAbstractItemView, model: QAbstractItemModel) -> None:
        super().__init__(view)
        self._view = view
        # The throttled call is the release: at once (a no-op) when the last repaint is old
        # enough, else at the end of the gap, with every row that came meanwhile.
        self._throttle = Throttle(self._release, PAINT_GAP_S, self)
        model.rowsAboutToBeInserted.connect(self._rows_coming)
        view.verticalScrollBar().valueChanged.connect(self._scrolled)

    @property
    def holding(self) -> bool:
        return self._throttle.pending

    def _rows_coming(self, *_args: Any) -> None:
        if not self._throttle.pending and not self._throttle():
            self._view.setUpdatesEnabled(False)

    def flush(self) -> None:
        """Stop holding now (before a grab: a held view renders black)."""
        self._throttle.flush()

    def _scrolled(self, _value: int) -> None:
        """Scrolled while held (by the user, or to show a row): painted whole at once, at the
        new position. Not ``released``: where the user scrolled to is where the view stays."""
        if self.holding:
            self._throttle.cancel()
            self._view.setUpdatesEnabled(True)

    def _release(self) -> None:
        if not self._view.updatesEnabled():
            self._view.setUpdatesEnabled(True)
        self.released.emit()


class ResponsiveSplitter(QSplitter):
    """A table | detail splitter that puts the detail below the table when it is narrow.

    Why: side by side, the table's fixed columns (number, time, gap, type, id, size: ~450 px)
    left its payload column a sliver (~90 px in a 1400 px window: issue 23.15); below, the
    table keeps the whole width. Side by side, the detail takes a quarter (at least 300 px).
    """

    #: Narrower than this, the panes are stacked.
    STACK_BELOW = 1100

    def resizeEvent(self, event: QResizeEvent) -> None:
        wanted = (Qt.Orientation.Vertical if event.size().width() < self.STACK_BELOW
                  else Qt.Orientation.Horizontal)
        if wanted != self.orientation():
            self.setOrientation(wanted)
            if wanted == Qt.Orientation.Vertical:
                total = event.size().height()
                first = total * 2 // 3
            else:
                total = event.size().width()
                first = total - max(300, total // 4)
            self.setSizes([first, total - first])
        super().resizeEvent(event)
