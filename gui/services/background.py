"""Heavy Qt-free work off the GUI thread, without the GUI thread waiting for it.

Why not plain ``asyncio.to_thread``: a worker thread shares the GIL with the GUI thread, and
two things let it hold the GUI thread for long (measured on the shared 2-core box, a worker
building a million records while the main thread ticked every millisecond):

- the cyclic garbage collector: a million new objects set off full collections, each a
  walk of the whole heap with the GIL held, in whichever thread allocates: the ticks were
  up to 1.0-1.8 s late (p99 0.7-1.4 s); paused during the job: 65 ms (p99 40 ms);
- the GIL's switch interval (5 ms): a busy worker made the ticks p99 33 ms / worst 60 ms
  late; with 1 ms, p99 9 ms / worst 22 ms.

So while any job runs, ``off_loop`` pauses the collector and shortens the switch interval,
and puts both back when the last job ends, after freezing what was allocated meanwhile out
of the collector's generations (``gc.freeze``: no later collection on the GUI thread walks a
job's million records). ``release`` drops big data in a worker, a slice at a time (freeing a
million objects in one statement holds the GIL for seconds).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QProgressBar, QWidget

from gui.services.steps import SHOW_AFTER_S

__all__ = ["SWITCH_INTERVAL_S", "BusyIndicator", "Jobs", "jobs", "off_loop", "release"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The GIL's switch interval while a job runs (Python's default is 5 ms).
SWITCH_INTERVAL_S = 0.001

class Jobs(QObject):
    """The jobs running off the loop, counted on the GUI thread (see the module).

    Signals:
        changed(int): how many run now (0: none).
    """

    changed = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.running = 0
        self.since = 0.0  # when the first of those running started (monotonic)
        self._saved: tuple[bool, float] = (True, 0.005)

    def begin(self) -> None:
        if self.running == 0:
            self._saved = (gc.isenabled(), sys.getswitchinterval())
            gc.disable()
            sys.setswitchinterval(min(self._saved[1], SWITCH_INTERVAL_S))
            self.since = time.monotonic()
        self.running += 1
        self.changed.emit(self.running)

    def end(self) -> None:
        self.running -= 1
        if self.running == 0:
            enabled, interval = self._saved
            sys.setswitchinterval(interval)
            # Everything allocated meanwhile is still in the youngest generation: the first
            # collection after ``enable`` would walk it all (2.3-2.7 s on the GUI thread after
            # reading two million records). Frozen, no collection walks it; records hold no
            # cycles, so they are still freed (by their reference counts) when let go.
            gc.freeze()
            if enabled:
                gc.enable()
        self.changed.emit(self.running)


_jobs: Jobs | None = None


def jobs() -> Jobs:
    """The window's one job counter (made on first use, on the GUI thread)."""
    global _jobs
    if _jobs is None:
        _jobs = Jobs()
    return _jobs


async def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a worker thread (see the module)."""
    counter = jobs()
    counter.begin()
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    finally:
        counter.end()


class BusyIndicator(QProgressBar):
    """A busy bar (no percentage: a thread's job does not say) shown while jobs run off the
    loop, once they have run for ``SHOW_AFTER_S``; for the status bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workProgress")
        self.setRange(0, 0)
        self.setMaximumWidth(120)
        self.setToolTip("Working in the background (saving, exporting, comparing)…")
        self.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._due)
        jobs().changed.connect(self._changed)

    def _changed(self, running: int) -> None:
        if not running:
            self._timer.stop()
            self.hide()
        elif self.isHidden() and not self._timer.isActive():
            self._timer.start(max(0, round(1000 * (SHOW_AFTER_S - (
                time.monotonic() - jobs().since)))))

    def _due(self) -> None:
        if jobs().running:
            self.show()


def _drop(items: list[Any], piece: int) -> None:
    while items:
        del items[-piece:]  # one statement per piece: the GIL can change hands between


async def release(*lists: list[Any], piece: int = 10_000) -> None:
    """Empty ``lists`` in a worker, ``piece`` items at a time (their objects freed there)."""
    for items in lists:
        await off_loop(_drop, items, piece)
