"""The arrival queue and the drain timer: when queued records become rows."""

from __future__ import annotations

import time

from pytestqt.qtbot import QtBot

from gui.stream.tables import (
    DRAIN_STEP,
    FULL_BATCH,
    GAP_PER_RECORD_S,
    MAX_GAP_S,
    ArrivalQueue,
    DrainTimer,
)


def test_arrival_queue_reports_the_first_record_and_a_full_batch() -> None:
    seen: list[str] = []
    queue = ArrivalQueue(lambda: seen.append("first"), lambda: seen.append("full"))
    queue.append(1)
    assert seen == ["first"]
    for i in range(FULL_BATCH - 1):
        queue.append(i)
    assert seen == ["first"]  # FULL_BATCH records: not yet past full
    queue.append("one more")
    assert seen == ["first", "full"]
    queue.clear()
    assert queue.taken == FULL_BATCH + 1 and len(queue) == 0
    queue.append(2)  # empty again: "first" once more
    assert seen == ["first", "full", "first"]
    queue.clear()
    assert queue.taken == FULL_BATCH + 2  # counts until the timer resets it


class Drains:
    """Drains a DrainTimer's queue like the controller does, noting when."""

    def __init__(self, timer: DrainTimer) -> None:
        self.timer = timer
        self.times: list[float] = []
        self.sizes: list[int] = []
        timer.timeout.connect(self._drain)

    def _drain(self) -> None:
        self.times.append(time.monotonic())
        self.sizes.append(len(self.timer.queue))
        self.timer.queue.clear()


def test_a_record_after_a_quiet_spell_is_drained_at_once(qtbot: QtBot) -> None:
    timer = DrainTimer(10_000)  # idle ticks far apart: only arrivals drain
    drains = Drains(timer)
    timer.start()
    qtbot.waitUntil(lambda: timer.isActive())
    sent = time.monotonic()
    timer.queue.append("event")
    qtbot.waitUntil(lambda: drains.sizes == [1], timeout=2000)
    # No idle tick could have done it (10 s away): the arrival armed the timer.
    assert drains.times[0] - sent < 5
    timer.stop()


def test_a_big_drain_stretches_the_gap_before_the_next(qtbot: QtBot) -> None:
    timer = DrainTimer(10_000)
    drains = Drains(timer)
    timer.start()
    for i in range(2000):  # one drain of 2000 records: the next waits ~0.15 s
        timer.queue.append(i)
    qtbot.waitUntil(lambda: drains.sizes == [2000], timeout=2000)
    first = drains.times[0]
    timer.queue.append("late")
    qtbot.waitUntil(lambda: len(drains.sizes) == 2, timeout=5000)
    gap = drains.times[1] - first
    assert gap >= min(MAX_GAP_S, 2000 * GAP_PER_RECORD_S) * 0.9, gap
    timer.stop()


def test_a_full_queue_is_drained_without_waiting_for_the_gap(qtbot: QtBot) -> None:
    timer = DrainTimer(10_000)
    drains = Drains(timer)
    timer.start()
    for i in range(2000):
        timer.queue.append(i)
    qtbot.waitUntil(lambda: drains.sizes == [2000], timeout=2000)
    earliest_paced = drains.times[0] + MAX_GAP_S  # what a 2000-record drain asks to wait
    for i in range(FULL_BATCH + 1):  # past full: the next turn of the loop drains it
        timer.queue.append(i)
    qtbot.waitUntil(lambda: len(drains.sizes) == 2, timeout=5000)
    assert drains.sizes[1] == FULL_BATCH + 1
    assert drains.times[1] < earliest_paced, drains.times[1] - drains.times[0]
    timer.stop()


def test_idle_ticks_come_while_nothing_arrives_and_stop_ends_them(qtbot: QtBot) -> None:
    timer = DrainTimer(20)
    drains = Drains(timer)
    timer.start()
    qtbot.waitUntil(lambda: len(drains.sizes) >= 3, timeout=5000)
    assert set(drains.sizes) == {0}  # ticks for the statistics, nothing to move
    timer.stop()
    assert not timer.isActive()
    count = len(drains.sizes)
    timer.queue.append("after stop")  # a stopped timer is not re-armed by arrivals
    assert not timer._timer.isActive()
    assert len(drains.sizes) == count


def test_a_long_queue_is_drained_a_step_per_turn_of_the_loop(qtbot: QtBot) -> None:
    """A queue filled faster than the loop turns (a capture replayed) is drained
    ``DRAIN_STEP`` records at a time, at consecutive turns of the loop: drains of 16k
    records held the window 100-400 ms each (issue 22.2)."""
    from PySide6.QtCore import QTimer

    timer = DrainTimer(10_000)
    sizes: list[tuple[int, int]] = []  # (records taken, loop turns so far)
    turns = [0]
    ticker = QTimer()
    ticker.setInterval(0)
    ticker.timeout.connect(lambda: turns.__setitem__(0, turns[0] + 1))
    ticker.start()
    timer.timeout.connect(lambda: sizes.append((len(timer.queue.take(DRAIN_STEP)), turns[0])))
    timer.start()
    for i in range(3 * DRAIN_STEP + 5):
        timer.queue.append(i)
    qtbot.waitUntil(lambda: not timer.queue, timeout=5000)
    ticker.stop()
    timer.stop()
    assert [n for n, _t in sizes] == [DRAIN_STEP] * 3 + [5]
    assert [t for _n, t in sizes] == sorted({t for _n, t in sizes})  # a turn between each
    assert sizes[-1][1] - sizes[0][1] < 50  # and no gap waited: the next turns
