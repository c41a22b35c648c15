"""The events table never shows a row twice (issue 23.10): a picture on screen is always one
scroll position of the table, also while its repaints are held under load."""

from __future__ import annotations

import json
import time

import pytest
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QTableView
from pytestqt.qtbot import QtBot

from gui.stream import tables
from gui.stream.controller import State
from gui.stream.models import EventsModel
from gui.views.events_panel import EventsPanel
from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import Event
from tests.gui.frame_check import RowStrips, on_screen


def event(i: int) -> Event:
    return Event(i, i * 0.001, "message", f"event number {i}", "", i, i)


def test_jumping_to_the_tail_while_rows_stream_paints_one_consistent_picture(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Jump to latest scrolls the pixels on screen and paints what the scroll exposed; rows
    arriving at once hold the repaints. The scroll position must not move under the held
    table (it did: follow-the-tail scrolled at once, and the exposed strip was then painted
    for another position than the pixels around it)."""
    monkeypatch.setattr(tables, "PAINT_GAP_S", 30.0)  # held until released below
    model = EventsModel(time.time())
    panel = EventsPanel(model)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    qtbot.waitExposed(panel)
    n = 0

    def add(k: int) -> None:
        nonlocal n
        model.append_batch([event(i) for i in range(n, n + k)])
        n += k

    add(200)
    panel.throttle.flush()
    table = panel.table
    bar = table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())
    panel.follower.set_following(False)
    table.scrollTo(model.index(table.rowAt(0) - 3, 0),  # reading a few older rows
                   QTableView.ScrollHint.PositionAtTop)
    panel.throttle._throttle._last = float("-inf")  # the last repaint is long past
    add(10)  # painted at once (not held)
    assert not panel.throttle.holding
    maximum = bar.maximum()
    qtbot.waitUntil(lambda: bar.maximum() > maximum)  # laid out (not following: not scrolled)
    QApplication.processEvents()
    panel.jump_to_latest()  # scrolls: the pixels move, the strip exposed is to be painted
    add(10)  # within the gap: held
    assert panel.throttle.holding
    # The table lays its new rows out (Qt's delayed layout, here before the window's next
    # paint, as it comes under load), then the window paints what was pending.
    table.doItemsLayout()
    QApplication.processEvents()
    picture = on_screen(table)

    panel.throttle.flush()
    panel.follower.set_following(False)
    strips = RowStrips(table, range(n))
    assert strips.shown(picture) is not None
    assert strips.consistent(picture), strips.shown(picture)


class FlushedFrames(QObject):
    """Every picture of ``table`` the window puts on screen: the window's repaint request is
    handled here, then the backing store is read."""

    def __init__(self, table: QTableView) -> None:
        super().__init__()
        self.table = table
        self.pictures: list[QImage] = []
        self.active = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.active or event.type() != QEvent.Type.UpdateRequest:
            return False
        watched.event(event)  # the window paints and flushes
        if self.table.model().rowCount() > 3 * self.table.viewport().height() // 22:
            self.pictures.append(on_screen(self.table))
        return True


def test_under_a_load_of_tabs_every_picture_of_the_table_is_consistent(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    """Several LLM tabs streaming at once (the load of issue 23.10) while the user scrolls up
    and jumps back to the tail in the one shown: every picture flushed is one position."""
    window.resize(1024, 640)
    prompt = " ".join(f"w{i}" for i in range(1200))
    body = json.dumps({"model": "demo", "stream": True,
                       "messages": [{"role": "user", "content": prompt}]}).encode()
    controllers = [window.start(RequestSpec(
        f"{demo_server}/v1/chat/completions?delay=0.001", method="POST", body=body,
        headers=[("Content-Type", "application/json")], mode=Mode.SSE)) for _ in range(4)]
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    table = tab.events.table
    qtbot.waitUntil(lambda: len(tab.controller.events) >= 100, timeout=20000)  # laid out
    frames = FlushedFrames(table)
    window.installEventFilter(frames)
    bar = table.verticalScrollBar()
    step = 0

    def act() -> None:  # up a few rows, then back to the tail, as a reader does
        nonlocal step
        step += 1
        if table.model().rowCount() > 100:
            if step % 2:
                tab.events.follower.set_following(False)
                bar.setValue(bar.value() - 66)  # some rows (or pixels) up
            else:
                tab.events.jump_to_latest()

    timer = QTimer()
    timer.timeout.connect(act)
    timer.start(40)
    try:
        for controller in controllers:
            qtbot.waitUntil(lambda c=controller: c.ended, timeout=60000)
    finally:
        timer.stop()
        frames.active = False
        window.removeEventFilter(frames)
    assert all(c.state == State.DONE for c in controllers)
    assert len(frames.pictures) >= 10
    tab.events.throttle.flush()
    tab.events.follower.set_following(False)
    strips = RowStrips(table, range(len(tab.controller.events)))
    torn = [strips.shown(p) for p in frames.pictures if not strips.consistent(p)]
    assert torn == []
