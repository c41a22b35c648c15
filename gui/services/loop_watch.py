"""The window watches its own loop: when it was blocked, for how long, at what time.

Why: a window busy painting or building a view delays everything on its loop. Arrival times
no longer suffer from that (``stream_core.net.arrival``), but a user looking at a gap wants to
know whether the window was busy then, and Diagnostics must never blame the server for the
window's own block. A timer every ``TICK_MS`` measures how late it fires (one subtraction per
tick, nothing per record); a tick later than ``BLOCK_S`` records a block in the app's
``BlockLog`` (``stream_core.analysis.stalls``), which the Diagnostics view reads.

One watch per application: ``watch()`` starts it (the window's lifetime does, at startup;
any view that reads ``blocks()`` may too) and returns it.
"""

from __future__ import annotations

import time

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer

from stream_core.analysis.stalls import BLOCK_S, BlockLog

__all__ = ["TICK_MS", "LoopWatch", "blocks", "watch"]

TICK_MS = 50

_log = BlockLog()
_watch: LoopWatch | None = None


class LoopWatch(QObject):
    """A repeating timer whose lateness says how long the loop could not turn."""

    def __init__(self, log: BlockLog, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log = log
        self.interval = TICK_MS / 1000
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self._last = time.monotonic()

    def start(self) -> None:
        self._last = time.monotonic()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.monotonic()
        late = now - self._last - self.interval
        self._last = now
        if late > BLOCK_S:
            self.log.add(time.time() - late, late)


def blocks() -> BlockLog:
    """The application's log of window blocks (empty while no watch runs)."""
    return _log


def watch() -> LoopWatch | None:
    """The application's loop watch, started on first call (None without a QApplication)."""
    global _watch
    app = QCoreApplication.instance()
    if app is None:
        return None
    if _watch is None or not shiboken6.isValid(_watch) or _watch.parent() is not app:
        _watch = LoopWatch(_log, app)
        _watch.start()
    return _watch
