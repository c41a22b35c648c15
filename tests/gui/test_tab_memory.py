"""A flooded tab gives its memory back when it closes (gc.freeze() is undone)."""

from __future__ import annotations

import gc
import platform
import sys
import weakref
from typing import Any

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


def test_closing_a_tab_gives_its_memory_back(window: MainWindow, qtbot: QtBot,
                                            demo_server: str, monkeypatch: Any) -> None:
    """glibc keeps freed pages: after a close the window collects and trims (give_back)."""
    import gui.services.memory

    calls: list[int] = []
    real = gui.services.memory.give_back
    monkeypatch.setattr(gui.services.memory, "give_back", lambda: (calls.append(1), real()))
    controller = window.start(RequestSpec(f"{demo_server}/flood/sse?count=50&size=16",
                                          mode=Mode.SSE))
    qtbot.waitUntil(lambda: controller.ended, timeout=20000)
    window.close_tab(window.tabs.indexOf(window.current_tab()))
    qtbot.waitUntil(lambda: bool(calls), timeout=5000)


def test_give_back_trims_the_allocator_where_it_can() -> None:
    from gui.services import memory

    memory.give_back()  # never fails, wherever it runs
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert memory._malloc_trim() is not None
