"""Deeply nested JSON in the window: a capture to open, event data shown as a tree."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from gui.views.detail_views import PayloadView
from gui.window.main_window import MainWindow
from stream_core.analysis.llm import llm_delta
from tests.core.test_capture_file import write_sample
from tests.gui.test_captures import open_and_wait

DEEP = "[" * 100_000


def test_open_a_capture_with_deeply_nested_lines(window: MainWindow, qtbot: QtBot,
                                                  tmp_path: Path) -> None:
    path = tmp_path / "deep.sicap"
    write_sample(path)
    lines = path.read_bytes().split(b"\n")
    lines[3] = DEEP.encode()
    path.write_bytes(b"\n".join(lines))
    opened = open_and_wait(window, qtbot, path)
    assert "line 4 is corrupted (nested deeper than 256 levels)" in window.captures.last_message
    assert len(opened.events) == 3
    path.write_bytes(DEEP.encode() + b"\n")
    assert window.open_capture(str(path)) is None
    assert "not a Stream Inspector capture" in window.captures.last_message


def test_event_data_tree_of_deeply_nested_json(qtbot: QtBot) -> None:
    view = PayloadView()
    qtbot.addWidget(view)
    view.show_text("event 1", DEEP)
    assert view.stack.currentWidget() is view.text
    assert "not shown as a tree: nested deeper than 256 levels" in view.caption.text()
    view.show_text("event 2", "[" * 300 + "]" * 300)  # parses, but too deep for a tree
    assert view.stack.currentWidget() is view.text
    view.show_text("event 3", '{"a": [1, {"b": 2}]}')
    assert view.stack.currentWidget() is view.tree and view.caption.text() == "event 3"
    assert llm_delta('{"delta":' + DEEP) is None


def test_a_deep_body_or_setting_is_invalid_json_not_a_crash(tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    from gui.services.settings import Settings
    from gui.window.request_editor import json_status

    valid, message = json_status(DEEP)
    assert valid is False and "deeper" in message
    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    qs.setValue("request/options", DEEP)
    assert Settings(qs).options().read_timeout == 300.0  # the default
