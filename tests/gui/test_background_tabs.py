"""A tab behind another costs little: its drains are batched, its summary and title wait.

Twenty LLM tabs at 50 events/s drained every event one by one (1,000 drains a second) and
refreshed every hidden tab's labels: the GUI thread stalled for 100s of ms (make bench, many).
"""

from __future__ import annotations

from typing import Any

from pytestqt.qtbot import QtBot

from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode, RequestSpec

COUNT = 30


def test_a_hidden_tab_drains_in_batches_and_catches_up_when_shown(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    url = f"{demo_server}/events?interval=0.02&count={COUNT}"
    behind = window.start(RequestSpec(url, mode=Mode.SSE))
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    inserts: list[Any] = []
    behind.events.rowsInserted.connect(lambda *a: inserts.append(a))
    front = window.start(RequestSpec(url, mode=Mode.SSE))  # now in front of the first
    assert tab.isHidden()
    qtbot.waitUntil(lambda: behind.ended and front.ended, timeout=30000)
    assert behind.stats.events == COUNT
    # 30 events 20 ms apart: one drain each when shown, a drain per ~100 ms behind.
    assert len(inserts) <= COUNT // 2, len(inserts)
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.summary.values["events"].text() == f"{COUNT:,}")
    assert window.tabs.tabText(window.tabs.indexOf(tab)).endswith(f"({COUNT})")
