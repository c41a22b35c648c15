"""Work in steps on the GUI loop, and the progress bar that shows it when it takes a while.

Why: a user action on a big tab (filtering a million events, drawing a long body) must not
hold the window's loop for more than ~50 ms (issue 22.2): the work is cut into small pieces
(a generator that yields after each), and ``Stepper`` runs pieces for at most ``BUDGET_S``
at a time, then lets the loop turn (input, painting, the streams' reads) before the next
slice. ``WorkProgress`` shows the job's progress once it has run for ``SHOW_AFTER_S``.

Signals of ``Stepper``:
    progressed(int, int): done and total after a slice (in the job's own units).
    finished(): the job ran to its end (not after ``cancel``).
    idle(): no job any more (it finished or was dropped).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QProgressBar, QWidget

__all__ = ["BUDGET_S", "SHOW_AFTER_S", "Job", "Stepper", "WorkProgress"]

#: Longest slice of a job between two turns of the loop.
BUDGET_S = 0.008
#: A job running longer than this shows its progress.
SHOW_AFTER_S = 0.5

#: A job: yields ``(done, total)`` after each small piece of work (a few ms at most).
Job = Iterator[tuple[int, int]]


class Stepper(QObject):
    """Runs one job at a time in slices of at most ``budget`` seconds (see the module)."""

    progressed = Signal(int, int)
    finished = Signal()
    idle = Signal()

    def __init__(self, parent: QObject | None = None, budget: float = BUDGET_S) -> None:
        super().__init__(parent)
        self.budget = budget
        self._job: Job | None = None
        self.started_at = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._slice)

    @property
    def busy(self) -> bool:
        """A job is under way."""
        return self._job is not None

    def start(self, job: Job, *, now: bool = True) -> None:
        """Run ``job`` (a job under way is dropped); ``now``: its first slice before this
        returns (a small job is then done at once, as if it were not stepped at all)."""
        self.cancel()
        self._job = job
        self.started_at = time.monotonic()
        if now:
            self._slice()
        else:
            self._timer.start()

    def cancel(self) -> None:
        """Drop the job under way (its ``finished`` is not emitted)."""
        self._timer.stop()
        job, self._job = self._job, None
        if job is not None:
            if hasattr(job, "close"):
                job.close()
            self.idle.emit()

    def run_now(self) -> None:
        """Finish the job under way before returning (when its result is needed at once)."""
        while self._job is not None:
            self._slice(budget=float("inf"))

    def _slice(self, budget: float | None = None) -> None:
        job = self._job
        if job is None:
            return
        deadline = time.perf_counter() + (self.budget if budget is None else budget)
        done = total = 0
        try:
            while True:
                done, total = next(job)
                if time.perf_counter() >= deadline:
                    break
        except StopIteration:
            self._job = None
            self.finished.emit()
            self.idle.emit()
            return
        self.progressed.emit(done, total)
        if self._job is job:  # (a slot of ``progressed`` may have started another)
            self._timer.start()


class WorkProgress(QProgressBar):
    """A small progress bar for a ``Stepper``'s job, shown only once the job has run for
    ``SHOW_AFTER_S`` (a quick job shows nothing) and hidden when it ends."""

    def __init__(self, stepper: Stepper, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workProgress")
        self.setMaximumWidth(160)
        self.setTextVisible(True)
        self.setRange(0, 1000)
        self.hide()
        self._stepper = stepper
        stepper.progressed.connect(self._progressed)
        stepper.idle.connect(self.hide)

    def _progressed(self, done: int, total: int) -> None:
        stepper = self._stepper
        if not stepper.busy:
            self.hide()
            return
        self.setValue(int(1000 * done / total) if total > 0 else 0)
        if self.isHidden() and time.monotonic() - stepper.started_at >= SHOW_AFTER_S:
            self.show()
