"""A capture with a time out of range (issue 25.12: ``t = 1e308`` raised an OverflowError in
the drain and left the tab "connecting" with 0 events and no message) opens with the line
named and the rest shown."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from gui.stream.controller import State
from gui.window.main_window import MainWindow
from tests.core.test_capture_file import write_sample
from tests.gui.test_window import wait_ended


def test_a_time_out_of_range_is_named_and_the_rest_shown(
        window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "big-t.sicap"
    write_sample(path)
    lines = path.read_bytes().split(b"\n")
    lines[5] = lines[5].replace(b'"t":0.03', b'"t":1e308')  # the second chunk
    lines[6] = lines[6].replace(b'"t":0.03', b'"t":1e308')  # its event
    path.write_bytes(b"\n".join(lines))
    controller = window.open_capture(str(path))
    assert controller is not None
    wait_ended(qtbot, controller)
    assert controller.state is State.DONE
    assert len(controller.events) == 2 and len(controller.chunks) == 2
    message = window.statusBar().currentMessage()
    assert message.startswith("Opened big-t.sicap with warnings: line 6 is corrupted ('t' is"
                              " 1e+308: not a time from 0 to 1e+09 seconds); skipped; line 7")
