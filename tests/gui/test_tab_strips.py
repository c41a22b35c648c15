"""Strips under a stream tab's summary (``StreamTab.add_strip``): the expectations' strip
takes its place there, and the ``expect`` demo shows one passing and failing (issue 27.5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from gui.app import demos, screenshots
from gui.views.expect_strip import ExpectStrip
from gui.window.main_window import MainWindow
from tests.gui.test_window import wait_ended


def test_the_expect_demo_passes_and_fails(window: MainWindow, arun: Any,
                                          tmp_path: Path) -> None:
    out = tmp_path / "expect.png"
    assert "expect" in demos.NAMES and "expect" in screenshots.ALL  # make screenshots
    assert arun(demos.run("expect", window, str(out)), timeout=30000) == 0
    tab = window.current_tab()
    assert tab is not None
    strips = [s for s in tab.strips if isinstance(s, ExpectStrip)]
    assert len(strips) == 1
    strip = strips[0]
    results = {v.expectation.text: v.result for v in strip.live.verdicts}
    assert results == {text: "fail" if "[DONE]" in text else "pass"
                       for text in demos.EXPECTATIONS}
    assert "7/8 passed" in strip.label.text() and "1 failed" in strip.label.text()
    # under the summary, above the error banner and the sub-tabs
    assert tab.summary.geometry().bottom() < strip.geometry().top()
    assert strip.geometry().bottom() < tab.tabs.geometry().top()
    assert QImage(str(out)).width() > 0


def test_strips_refresh_with_their_tab(window: MainWindow, qtbot: QtBot,
                                       demo_server: str) -> None:
    """A strip needs no signal of its own: the tab refreshes it, last when the stream ends."""
    window.editor.url.setText(f"{demo_server}/events?count=3&interval=0.01")
    window.editor.expect.set_lines(["events == 3", "complete"])
    controller = window.send()
    assert controller is not None
    tab = window.current_tab()
    assert tab is not None
    calls: list[bool] = []

    class Counting:
        def refresh(self, final: bool = False) -> None:
            calls.append(final)

    tab.strips.append(Counting())  # (not a widget: only its refreshes are looked at)
    wait_ended(qtbot, controller)
    qtbot.waitUntil(lambda: True in calls, timeout=5000)
    strip = tab.findChild(ExpectStrip)
    assert strip is not None and "2/2 passed" in strip.label.text()
