"""Throttle: leading call, one trailing call per interval, cancel and flush, on a fake clock."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from gui.services.throttle import Throttle


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_first_call_runs_at_once_and_calls_within_the_interval_wait(qtbot: QtBot) -> None:
    clock = FakeClock()
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(clock.now), 10.0, clock=clock)
    assert throttle() is True
    assert calls == [100.0]
    clock.now = 101.0
    assert throttle() is False  # within the interval: postponed
    assert throttle() is False  # already postponed: still one trailing call
    assert throttle.pending and calls == [100.0]
    clock.now = 111.0  # the interval is over
    throttle.flush()
    assert calls == [100.0, 111.0]
    assert not throttle.pending
    throttle.flush()  # nothing pending: nothing runs
    assert calls == [100.0, 111.0]


def test_the_trailing_call_fires_by_itself_at_the_end_of_the_interval(qtbot: QtBot) -> None:
    clock = FakeClock()
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(clock.now), 0.05, clock=clock)
    throttle()
    clock.now += 0.01
    throttle()
    assert calls == [100.0]
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=5000)
    assert not throttle.pending


def test_a_call_after_a_quiet_interval_runs_at_once(qtbot: QtBot) -> None:
    clock = FakeClock()
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(clock.now), 1.0, clock=clock)
    throttle()
    clock.now += 1.0
    assert throttle() is True
    assert calls == [100.0, 101.0]


def test_cancel_drops_the_postponed_call_and_call_now_ignores_the_interval(
        qtbot: QtBot) -> None:
    clock = FakeClock()
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(clock.now), 0.05, clock=clock)
    throttle()
    throttle()
    throttle.cancel()
    assert not throttle.pending  # its timer is stopped: it cannot fire later
    assert calls == [100.0]
    throttle.call_now()
    assert calls == [100.0, 100.0]
    # call_now counts as the last call: the next one within the interval waits.
    assert throttle() is False
