"""A flooded tab gives its memory back when it closes (gc.freeze() is undone)."""

from __future__ import annotations

import gc
import weakref

from pytestqt.qtbot import QtBot

from gui.stream.controller import FREEZE_BATCH
from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode, RequestSpec


def test_a_closed_flood_tab_is_collected(window: MainWindow, qtbot: QtBot,
                                         demo_server: str) -> None:
    froze: list[int] = []
    original_freeze = gc.freeze

    def counting_freeze() -> None:
        froze.append(1)
        original_freeze()

    gc.freeze = counting_freeze  # see that the flood did freeze (drains >= FREEZE_BATCH)
    try:
        count = 20 * FREEZE_BATCH
        window.start(RequestSpec(f"{demo_server}/flood/sse?count={count}&size=16",
                                 mode=Mode.SSE))
        tab = window.current_tab()
        assert isinstance(tab, StreamTab)
        controller = tab.controller
        qtbot.waitUntil(lambda: controller.ended, timeout=60000)
        assert controller.stats.events == count
    finally:
        gc.freeze = original_freeze
    assert froze, "no drain was big enough to freeze: the test proves nothing"
    assert gc.get_freeze_count() == 0  # undone when the stream ended
    model = weakref.ref(controller.events)
    gone = weakref.ref(controller)
    window.close_tab(window.tabs.indexOf(tab))
    tab = controller = None  # type: ignore[assignment]  # drop this test's references
    qtbot.waitUntil(lambda: (gc.collect(), gone() is None and model() is None)[1],
                    timeout=10000)
