"""Strips under a stream tab's summary (``StreamTab.add_strip``): the expectations' strip
takes its place there, the ``expect`` demo shows one passing and failing, and ``comment.every``
is checked end to end on the demo server's keep-alives (issue 27.5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
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


@pytest.mark.parametrize(("query", "result"), [
    ("ping=0.5&pings=6", "pass"),  # 3 s of keep-alives, none more than 0.5 s apart
    ("ping=0.5&pings=2&quiet=3", "fail"),  # then 3 s without one
])
def test_comment_every_on_the_keepalive_endpoint(window: MainWindow, qtbot: QtBot,
                                                 demo_server: str, query: str,
                                                 result: str) -> None:
    """``comment.every < 2s`` against ``/expect/keepalive``: it passes only if the comments
    are seen (the passing stream lasts 3 s), and fails on the quiet spell."""
    window.editor.url.setText(f"{demo_server}/expect/keepalive?{query}")
    window.editor.expect.set_lines(["comment.every < 2s"])
    controller = window.send()
    assert controller is not None
    tab = window.current_tab()
    strip = tab.findChild(ExpectStrip) if tab is not None else None
    assert strip is not None
    wait_ended(qtbot, controller)
    qtbot.waitUntil(lambda: len(strip.live.verdicts) == 1, timeout=5000)
    verdict = strip.live.verdicts[0]
    assert verdict.result == result, verdict.message
    if result == "fail":
        assert verdict.message.startswith("comment.every: no comment for")
