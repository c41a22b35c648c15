"""Failures are seen: logged with their traceback into the log file and shown in the window's
non-modal error dialog (``gui.services.logs``, ``gui.window.error_dialog``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from gui.services import logs
from gui.window.error_dialog import ErrorDialog
from gui.window.main_window import MainWindow
from stream_core.analysis.aggregate import StreamAggregate
from stream_core.net.spec import RequestSpec

# The offscreen platform cannot size or raise a dialog and says so; nothing else may be said.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")


@pytest.fixture
def hooked(aloop: asyncio.AbstractEventLoop, tmp_path: Path,
           window: MainWindow) -> Iterator[tuple[logs.FailureHooks, ErrorDialog, Path]]:
    """The window's logging and failure hooks as ``gui.app.lifetime`` installs them."""
    with contextlib.ExitStack() as stack:
        log_file = logs.configure(stack, "info", tmp_path / "state" / "app.log")
        assert log_file is not None
        hooks = logs.FailureHooks(aloop).install(stack)
        dialog = ErrorDialog(window, str(log_file))
        hooks.show = dialog.report
        yield hooks, dialog, log_file


@pytest.mark.qt_no_exception_capture  # the app's own sys.excepthook takes it here
def test_an_exception_in_a_drain_shows_the_dialog_and_is_logged(
        hooked: tuple[logs.FailureHooks, ErrorDialog, Path], window: MainWindow,
        demo_server: str, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    _, dialog, log_file = hooked
    feed = StreamAggregate.feed  # what the controller's drain hands each batch to
    failed = []

    def injected(self: StreamAggregate, *args: Any) -> Any:
        if not failed:  # once: the stream goes on and ends normally after it
            failed.append(True)
            raise RuntimeError("injected drain failure")
        return feed(self, *args)

    monkeypatch.setattr(StreamAggregate, "feed", injected)
    controller = window.start(RequestSpec(f"{demo_server}/events?count=3&interval=0.01"))
    qtbot.waitUntil(dialog.isVisible, timeout=10000)
    qtbot.waitUntil(lambda: controller.ended, timeout=10000)
    assert not dialog.isModal()
    assert "injected drain failure" in dialog.message.text()
    assert "Traceback" in dialog.details.toPlainText()
    assert "in drain" in dialog.details.toPlainText()
    dialog.copy_button.click()
    assert "injected drain failure" in QGuiApplication.clipboard().text()
    log = log_file.read_text()
    assert "RuntimeError: injected drain failure" in log and "Traceback" in log
    assert "in drain" in log
    assert str(log_file) in dialog.where.text()


def test_a_thread_failure_is_logged_and_shown_on_the_gui_thread(
        hooked: tuple[logs.FailureHooks, ErrorDialog, Path], qtbot: QtBot) -> None:
    _, dialog, log_file = hooked
    shown_on: list[threading.Thread] = []
    report = dialog.report
    dialog_report = lambda message, details: (shown_on.append(threading.current_thread()),  # noqa: E731
                                              report(message, details))
    hooked[0].show = dialog_report

    def fail() -> None:
        raise ValueError("failed in a worker")

    worker = threading.Thread(target=fail, name="worker-x")
    worker.start()
    worker.join()
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    assert shown_on == [threading.main_thread()]
    assert "in thread worker-x" in dialog.message.text()
    assert "ValueError: failed in a worker" in log_file.read_text()


def test_the_loop_exception_handler_logs_the_traceback(
        hooked: tuple[logs.FailureHooks, ErrorDialog, Path], aloop: asyncio.AbstractEventLoop,
        qtbot: QtBot) -> None:
    _, dialog, log_file = hooked
    try:
        raise KeyError("lost in a callback")
    except KeyError as exc:
        aloop.call_exception_handler({"message": "callback failed", "exception": exc})
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    log = log_file.read_text()
    assert "callback failed: KeyError: 'lost in a callback'" in log and "Traceback" in log


def test_logging_goes_to_a_rotating_file_under_the_xdg_state_home(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    with contextlib.ExitStack() as stack:
        path = logs.configure(stack, "debug")
        logging.getLogger("stream_core.net.session").debug("a debug line")
    assert path == tmp_path / "stream-inspector" / "stream-inspector.log"
    assert "DEBUG stream_core.net.session [MainThread] a debug line" in path.read_text()
    logging.getLogger("gui.x").warning("after the stack closed")
    assert "after the stack closed" not in path.read_text()
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")
    assert logs.state_dir() == Path.home() / ".local" / "state" / "stream-inspector"
