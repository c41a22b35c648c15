"""Screenshots of any view (issue 14.13): ``--screenshot`` takes ``--view NAME`` (and
``--window-size WxH``) for a URL, a capture or a demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from gui.app.demos import VIEW_DEMOS, show_view
from gui.app.launch import VIEWS
from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode
from tests.gui.test_open_capture_cli import _run
from tests.gui.test_window import send, wait_ended

pytestmark = pytest.mark.window  # left out of `make check`


def test_every_view_can_be_brought_to_the_front(window: MainWindow, qtbot: QtBot,
                                                demo_server: str) -> None:
    assert set(VIEW_DEMOS) == set(VIEWS)
    wait_ended(qtbot, send(window, qtbot, f"{demo_server}/sse/tour?interval=0", Mode.SSE))
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    for view in VIEWS:  # Download and LLM too, although this stream is neither
        show_view(window, view)
        assert tab.tabs.tabText(tab.tabs.currentIndex()).lower().startswith(view)
    show_view(window, "headers")
    assert "200 OK" in tab.headers.browser.toPlainText()


def test_the_command_line_renders_the_view_asked_for(demo_server: str, tmp_path: Path) -> None:
    saved = tmp_path / "tour.sicap"
    assert _run("capture", f"{demo_server}/sse/tour?interval=0", "--save",
                str(saved)).returncode == 0
    images = {}
    for view in ("raw", "headers"):
        shot = tmp_path / f"{view}.png"
        proc = _run(str(saved), "--no-server", "--screenshot", str(shot), "--view", view,
                    "--window-size", "1024x640")
        assert proc.returncode == 0, proc.stderr
        image = QImage(str(shot))
        assert (image.width(), image.height()) == (1024, 640)
        images[view] = image
    assert images["raw"] != images["headers"]
    shot = tmp_path / "url.png"
    proc = _run(f"{demo_server}/events?interval=0&count=3", "--no-server", "--screenshot",
                str(shot), "--view", "timeline")
    assert proc.returncode == 0, proc.stderr
    assert not QImage(str(shot)).isNull()


def test_bad_view_arguments(tmp_path: Path) -> None:
    proc = _run("--demo", "tour", "--view", "nope", "--screenshot", str(tmp_path / "x.png"))
    assert proc.returncode == 2 and b"invalid choice" in proc.stderr
    proc = _run("--no-server", "--view", "raw")
    assert proc.returncode == 2 and b"go with --screenshot" in proc.stderr
