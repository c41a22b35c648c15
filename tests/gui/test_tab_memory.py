"""A flooded tab gives its memory back when it closes (gc.freeze() is undone)."""

from __future__ import annotations

import gc
import platform
import sys
import weakref
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent
from pytestqt.qtbot import QtBot

from gui.stream.controller import FREEZE_BATCH
from gui.views.stream_tab import StreamTab
from gui.views.subviews import NAMES
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


def test_a_closed_tab_is_freed_without_the_cyclic_collector(
        window: MainWindow, qtbot: QtBot, demo_server: str, monkeypatch: Any) -> None:
    """No cycle keeps a closed tab alive (a throttle's bound method, the recorder's cap
    callback): its memory comes back by reference counting as Qt deletes it, without the
    full collection that held the GUI thread ~0.3 s per close (issue 22.2)."""
    import gui.services.memory

    monkeypatch.setattr(gui.services.memory, "give_back", lambda: None)
    controller = window.start(RequestSpec(f"{demo_server}/flood/sse?count=500&size=16",
                                          mode=Mode.SSE))
    qtbot.waitUntil(lambda: controller.ended, timeout=20000)
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    for name in NAMES:  # every sub-view built and shown once (charts, LLM view...)
        tab.show_view(name)
    gone, model = weakref.ref(controller), weakref.ref(controller.events)
    gc.collect()
    gc.disable()
    try:
        window.close_tab(window.tabs.indexOf(tab))
        tab = controller = None  # type: ignore[assignment]  # drop this test's references

        def freed() -> bool:
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            return gone() is None and model() is None

        qtbot.waitUntil(freed, timeout=10000)
    finally:
        gc.enable()
