"""The window's Options tab carries the engine's limits: the longest line or event and the
decompression guard (issue 13.9, the window's half)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from stream_core.records import Error, Event
from tests.gui.test_window import wait_ended


def test_an_event_over_the_window_limit_is_a_decode_error_and_the_stream_goes_on(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    editor = window.editor
    editor.url.setText(f"{demo_server}/faults/big-event?size={1024 * 1024}")
    editor.set_mode(Mode.SSE)
    editor.max_line.setValue(0.25)  # MiB: the 1 MiB event is too long
    editor.decode_guard.setChecked(False)
    spec = editor.build_spec()
    assert spec is not None
    assert spec.max_line == 256 * 1024 and spec.decode_guard.enabled is False
    editor.decode_guard.setChecked(True)
    with qtbot.waitSignal(window.streamStarted, timeout=2000) as blocker:
        window.send_action.trigger()
    controller = blocker.args[0]
    wait_ended(qtbot, controller)
    rows = [controller.events.row(i) for i in range(len(controller.events))]
    errors = [r for r in rows if isinstance(r, Error)]
    assert [e.kind for e in errors] == ["decode"], errors
    # the small event after the big one still arrives
    assert [r.id for r in rows if isinstance(r, Event)] == ["2"]
    assert editor.options().max_line_mib == 0.25  # saved with the other options on close
