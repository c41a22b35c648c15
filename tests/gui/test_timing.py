"""The window's times while the window itself is busy: arrival times keep the server's
spacing through a freeze of the GUI thread, and Diagnostics says the window was busy (when,
for how long) without blaming the server for it."""

from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from gui.services import loop_watch
from gui.views.diagnostics_view import findings_of
from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import Event

FREEZE_S = 0.6


def freeze_after(controller: object, events: int, qtbot: QtBot, seconds: float) -> None:
    """Block the GUI thread for ``seconds`` once ``events`` events are in (as a heavy view
    would: ``time.sleep`` holds the thread, not the GIL)."""
    qtbot.waitUntil(lambda: controller.stats.events >= events, timeout=20000)  # type: ignore[attr-defined]
    QTimer.singleShot(0, lambda: time.sleep(seconds))


def test_a_window_freeze_is_named_and_the_times_keep_their_spacing(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = window.start(RequestSpec(f"{demo_server}/timing?interval=0.01&count=150",
                                          mode=Mode.SSE))
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    freeze_after(controller, 10, qtbot, FREEZE_S)
    qtbot.waitUntil(lambda: controller.ended, timeout=30000)
    events = [r for r in map(controller.events.row, range(len(controller.events)))
              if isinstance(r, Event)]
    assert len(events) == 150
    assert controller.response is not None and controller.response.clock == "arrival"
    # The events that arrived while the window was frozen kept their own times: no gap as
    # long as the freeze, and no pile of events stamped together when it ended.
    gaps = [b.t - a.t for a, b in zip(events, events[1:], strict=False)]
    sent = [json.loads(e.data)["sent_ns"] / 1e9 for e in events]
    assert max(gaps) < FREEZE_S / 2
    together = sum(1 for g, s0, s1 in zip(gaps, sent, sent[1:], strict=False)
                   if g < 0.001 and s1 - s0 > 0.005)
    assert together <= 3
    # The freeze is the window's, said as such; no stall is put on the server.
    blocks = loop_watch.blocks().between(controller.start_wall,
                                         controller.start_wall + controller.elapsed())
    assert max(b.seconds for b in blocks) >= FREEZE_S * 0.8
    tab.tabs.setCurrentWidget(tab.diagnostics)
    tab.diagnostics.refresh(final=True)
    by_code = {f.code: f for f in tab.diagnostics.findings}
    busy = by_code["window-busy"]
    assert busy.title.startswith("The window was busy for ")
    assert busy.title.endswith("arrival times are unaffected")
    assert "server-stall" not in by_code and "read-times" not in by_code
    assert findings_of(controller) == tab.diagnostics.findings
    assert "arrival times" in tab.summary.toolTip()


def test_the_freeze_demo_freezes_the_window_mid_stream(tmp_path: Path) -> None:
    """``--demo freeze`` (make screenshots: docs/screenshots/freeze.png) freezes the window
    for a second mid-stream and shows Diagnostics: the app's block log holds that block
    (what the test above shows Diagnostics turn into "the window was busy")."""
    from gui.app import demos
    from gui.app.lifetime import main

    assert demos.DEMOS["freeze"].freeze >= 1.0 and demos.DEMOS["freeze"].subtab == "diagnostics"
    before = len(loop_watch.blocks().blocks)
    out = tmp_path / "freeze.png"
    assert main(["--demo", "freeze", "--settings", str(tmp_path / "s.ini"),
                 "--screenshot", str(out)]) == 0
    assert out.stat().st_size > 0
    new = list(loop_watch.blocks().blocks)[before:]
    assert any(b.seconds >= 0.9 for b in new), new
