"""The events filter decides its rows in steps, the loop turning between them (issue 22.2)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from gui.services import steps
from gui.services.steps import Stepper, WorkProgress
from gui.stream.event_filter import ROWS_PER_PIECE, EventFilterProxy
from gui.stream.models import EventsModel
from stream_core.records import Error, Event, Record

N = 5 * ROWS_PER_PIECE + 123


def _model(n: int = N) -> EventsModel:
    model = EventsModel()
    model.append_batch([Event(i, i * 0.001, "tick" if i % 7 == 0 else "",
                              f'{{"n": {i}, "text": "Row{i % 100:02d} é" }}' if i % 1000 == 999
                              else f'{{"n": {i}, "text": "Row{i % 100:02d}"}}', str(i))
                        for i in range(n)])
    return model


def _expected(model: EventsModel, text: str = "", kind: str = "") -> list[int]:
    """What a filter must show: the rows whose type, ID and data (lowercased) hold ``text``."""
    return [i for i in range(len(model)) if text.lower() in model.search_text(i).lower()
            and (not kind or model.kind_at(i) == kind)]


def _rows(proxy: EventFilterProxy) -> list[int]:
    return [proxy.source_row(i) for i in range(proxy.rowCount())]


class Turns:
    """Counts turns of the loop: a zero-interval timer that fires whenever the loop runs."""

    def __init__(self) -> None:
        self.count = 0
        self.timer = QTimer()
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.count += 1


@pytest.mark.parametrize(("text", "regex", "kind"), [
    ("row42", False, ""), ("ROW0", False, "tick"), ("é", False, ""), ('9"}', False, ""),
    ("", False, "tick"), (r"^tick\n\d*7\n", True, ""), (r"row1\d", True, "tick")])
def test_a_filter_over_many_rows_runs_in_loop_turns_and_finds_every_row(
        qtbot: QtBot, text: str, regex: bool, kind: str) -> None:
    model = _model()
    proxy = EventFilterProxy()
    proxy.setSourceModel(model)
    proxy.stepper.budget = 0.0  # one piece of rows per slice: the steps can be counted
    turns = Turns()
    seen: list[tuple[int, int]] = []  # (loop turns so far, rows decided) at each slice
    proxy.stepper.progressed.connect(lambda done, _total: seen.append((turns.count, done)))
    assert proxy.set_filter(text, regex, kind) is None
    assert proxy.busy  # the first slice only: the rest comes with the loop running
    qtbot.waitUntil(lambda: not proxy.busy)
    turns.timer.stop()
    expected = _expected(model, text, kind) if not regex else [
        i for i in range(len(model)) if proxy._regex is not None
        and proxy._regex.match(model.search_text(i)).hasMatch()
        and (not kind or model.kind_at(i) == kind)]
    assert _rows(proxy) == expected
    assert expected  # (each case finds something)
    per_piece = 512 if regex else ROWS_PER_PIECE
    assert len(seen) >= N // per_piece  # several slices ...
    assert [t for t, _done in seen] == sorted({t for t, _done in seen})  # ... a turn between each
    assert [done for _t, done in seen] == sorted(done for _t, done in seen)


def test_plain_text_search_matches_row_by_row_search() -> None:
    """The block search finds what a row-by-row search finds: hits across two rows' strings
    are none, non-ASCII rows and case are handled, rows that are not events too."""
    model = EventsModel()
    texts = ["abc", "ABCabc", "xa", "bc", "", "ÀBC", "İx", "a\u0307bc", "zzab", "c", "abc"]
    model.append_batch([Event(i, 0.0, "", t, "ab" if i == 4 else "") for i, t in
                        enumerate(texts)])
    model.append_batch([Record(20, 1.0, '{"k": "abc"}', {"k": "abc"}, None, True),
                        Error(2.0, "protocol", "abc went wrong")])
    model.append_batch([Event(30, 3.0, "", "no", "")])
    for needle in ("abc", "ab", "bc", "a", "c", "à", "i̇", "x", "zzabc", "\nab", "abcab"):
        for start, stop in ((0, len(model)), (0, 5), (2, 4), (1, 9), (3, 4), (5, 5)):
            want = [i for i in range(start, stop) if needle in model.search_text(i).lower()]
            assert model.rows_containing(start, stop, needle) == want, (needle, start, stop)


def test_rows_arriving_later_are_filtered_as_they_come(qtbot: QtBot) -> None:
    model = _model(100)
    proxy = EventFilterProxy()
    proxy.setSourceModel(model)
    assert proxy.set_filter("row4", False, "") is None
    assert not proxy.busy and _rows(proxy) == _expected(model, "row4")
    inserted: list[tuple[int, int]] = []
    proxy.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.append_batch([Event(i, 1.0, "", f"Row{i % 100}", str(i)) for i in range(100, 250)])
    qtbot.waitUntil(lambda: not proxy.busy)
    assert _rows(proxy) == _expected(model, "row4")
    assert inserted and inserted[0][0] == len(_expected(_model(100), "row4"))  # appended


def test_progress_shows_for_a_long_filter_and_hides_when_done(
        qtbot: QtBot, monkeypatch: Any) -> None:
    monkeypatch.setattr(steps, "SHOW_AFTER_S", 0.0)  # (half a second in the window)
    model = _model()
    proxy = EventFilterProxy()
    proxy.setSourceModel(model)
    proxy.stepper.budget = 0.0
    bar = WorkProgress(proxy.stepper)
    qtbot.addWidget(bar)
    values: list[int] = []
    proxy.stepper.progressed.connect(lambda *_a: values.append(bar.value()))
    proxy.set_filter("row", False, "")
    assert bar.isVisibleTo(None) or not bar.isHidden()
    qtbot.waitUntil(lambda: not proxy.busy)
    assert bar.isHidden()
    assert values == sorted(values) and 0 < values[0] < 1000


def test_a_new_filter_drops_the_one_under_way(qtbot: QtBot) -> None:
    model = _model()
    proxy = EventFilterProxy()
    proxy.setSourceModel(model)
    proxy.stepper.budget = 0.0
    proxy.set_filter("row1", False, "")
    assert proxy.busy
    proxy.set_filter("row2", False, "")
    qtbot.waitUntil(lambda: not proxy.busy)
    assert _rows(proxy) == _expected(model, "row2")


def test_stepper_runs_a_job_in_slices_and_can_finish_it_at_once(qtbot: QtBot) -> None:
    stepper = Stepper(budget=0.0)
    pieces: list[int] = []

    def job() -> steps.Job:
        for i in range(5):
            pieces.append(i)
            yield i + 1, 5

    finished: list[bool] = []
    stepper.finished.connect(lambda: finished.append(True))
    stepper.start(job())
    assert pieces == [0] and stepper.busy
    stepper.run_now()
    assert pieces == [0, 1, 2, 3, 4] and not stepper.busy and finished == [True]
    stepper.start(job(), now=False)
    assert not finished[1:] and stepper.busy
    stepper.cancel()
    assert not stepper.busy
