"""The one rate limiter of the window: at most one call per interval, the last one never lost.

Why one utility: labels, findings, charts and table repaints must each cost the same at 10
or 100,000 records a second, and each had grown its own "is it time yet?" code with subtly
different rules (some dropped the last update of a burst). This is qutebrowser's
``misc/throttle.py`` idea: a call made when the last one is at least ``delay_s`` old runs at
once; a call made sooner is postponed to the end of the interval (a trailing call, however
many calls came meanwhile); ``cancel()`` drops a postponed call, ``flush()`` runs it now.
The clock is injectable so that tests can decide what "now" is.

A bound method is held weakly: its object usually owns the throttle (the throttle is its
child), and a strong reference back made each such pair a cycle that only the cyclic
collector could free; a closed tab waited for a full collection (~0.3 s of the GUI thread
with a big heap) to give its memory back.
"""

from __future__ import annotations

import inspect
import math
import time
import weakref
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

__all__ = ["Throttle"]


class Throttle(QObject):
    """Calls ``func`` at most once per ``delay_s`` seconds, with a trailing call."""

    def __init__(self, func: Callable[[], object], delay_s: float,
                 parent: QObject | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self._func: Callable[[], Callable[[], object] | None] = (
            weakref.WeakMethod(func) if inspect.ismethod(func) else lambda: func)
        self.delay_s = delay_s
        self._clock = clock
        self._last = -math.inf
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)

    @property
    def pending(self) -> bool:
        """A call is postponed to the end of the current interval."""
        return self._timer.isActive()

    def __call__(self) -> bool:
        """Call now if the last call is ``delay_s`` old (True), else once at the end of the
        interval (False: postponed, or already postponed)."""
        if self._timer.isActive():
            return False
        wait = self._last + self.delay_s - self._clock()
        if wait <= 0:
            self._fire()
            return True
        self._timer.start(math.ceil(wait * 1000))
        return False

    def call_now(self) -> None:
        """Call at once, whatever the interval (a postponed call is then not needed)."""
        self._timer.stop()
        self._fire()

    def flush(self) -> None:
        """Run a postponed call now (nothing when none is pending)."""
        if self._timer.isActive():
            self.call_now()

    def cancel(self) -> None:
        """Drop a postponed call."""
        self._timer.stop()

    def _fire(self) -> None:
        self._last = self._clock()
        func = self._func()
        if func is not None:  # (None: its object is gone)
            func()
