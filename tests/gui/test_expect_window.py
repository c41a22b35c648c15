"""Expectations in the window: edited in the request editor's *Expect* tab (checked as typed,
a mistake stops the send), shown passing and failing live in a strip of the stream's tab,
loaded from and saved into the collection's ``.http`` file as ``# @expect`` lines."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from gui.views.expect_strip import ExpectStrip
from gui.window.main_window import MainWindow
from tests.gui.conftest import Runner
from tests.gui.test_window import wait_ended

API = """\
### late
# @name late
# @expect status == 200
# @expect first_event < 300ms
GET {{demo}}/expect/late-first-event?delay=0.6&count=2

### other
GET {{demo}}/health
"""


def strip_of(window: MainWindow) -> ExpectStrip:
    tab = window.current_tab()
    assert tab is not None
    strip = tab.findChild(ExpectStrip)
    assert strip is not None
    return strip


def test_strip_shows_verdicts_live(window: MainWindow, qtbot: QtBot, demo_server: str,
                                   tmp_path: Path) -> None:
    window.editor.url.setText(f"{demo_server}/expect/late-first-event?delay=0.6&count=2")
    window.editor.expect.text.setPlainText("status == 200\nfirst_event < 300ms\n"
                                           "events == 2\ncomplete\n")
    controller = window.send()
    assert controller is not None
    strip = strip_of(window)
    # the late first event fails at its bound, while the stream still runs
    qtbot.waitUntil(lambda: any(v.failed for v in strip.live.verdicts), timeout=10000)
    assert controller.running
    qtbot.waitUntil(lambda: "✗ first_event &lt; 300ms" in strip.label.text(), timeout=5000)
    wait_ended(qtbot, controller)
    qtbot.waitUntil(lambda: len(strip.live.verdicts) == 4, timeout=5000)
    results = {v.expectation.text: v.result for v in strip.live.verdicts}
    assert results == {"status == 200": "pass", "first_event < 300ms": "fail",
                       "events == 2": "pass", "complete": "pass"}  # not stopped: keep going
    qtbot.waitUntil(lambda: "3/4 passed" in strip.label.text(), timeout=5000)
    assert "no event yet after" in strip.toolTip()
    window.resize(1024, 640)
    shot = os.environ.get("EXPECT_SCREENSHOT") or str(tmp_path / "strip.png")
    assert window.grab().save(shot)


def test_a_mistake_stops_the_send(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    window.editor.url.setText(f"{demo_server}/events?count=1")
    window.editor.expect.text.setPlainText("status == 200\n  first_evnt < 1s")
    assert "line 2, column 3: unknown name 'first_evnt'" in window.editor.expect.status.text()
    with qtbot.waitSignal(window.editor.validationFailed, timeout=1000) as blocker:
        assert window.send() is None
    assert blocker.args[0].startswith("expectation line 2, column 3: unknown name")
    assert window.editor.tabs.currentWidget() is window.editor.expect
    assert window.controllers == []


def test_no_expectations_no_strip(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    window.editor.url.setText(f"{demo_server}/events?count=1&interval=0")
    controller = window.send()
    assert controller is not None
    tab = window.current_tab()
    assert tab is not None and tab.findChild(ExpectStrip) is None
    wait_ended(qtbot, controller)


@pytest.fixture()
def collection(tmp_path: Path) -> Path:
    root = tmp_path / "api"
    root.mkdir()
    (root / "api.http").write_text(API)
    return root


def test_loaded_and_saved_with_the_request(window: MainWindow, arun: Runner[Any],
                                           collection: Path) -> None:
    panel = window.collections.panel
    assert panel.open_path(collection)
    assert panel.choose("late")
    assert window.editor.expect.lines() == ["status == 200", "first_event < 300ms"]
    window.editor.expect.text.setPlainText("status == 200\ngap.max < 2s")
    assert arun(window.collections.save())
    text = (collection / "api.http").read_text()
    assert text == API.replace("# @expect first_event < 300ms\n", "# @expect gap.max < 2s\n")
    assert panel.choose("other")
    assert window.editor.expect.lines() == []  # nothing of the previous request stays
    window.editor.expect.text.setPlainText("status == 200")
    assert arun(window.collections.save())
    assert "### other\n# @expect status == 200\nGET {{demo}}/health\n" in (
        collection / "api.http").read_text()
