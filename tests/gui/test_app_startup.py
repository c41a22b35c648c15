"""Startup: the window path imports little before it shows, and the embedded server it
starts (a child process) serves the window and stops with it, however ``main`` ends."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

import gui.app.lifetime
from gui.app.launch import EmbeddedServer, early_server
from gui.app.lifetime import main
from gui.window.main_window import MainWindow

pytestmark = pytest.mark.window  # left out of `make check`

HEAVY = ("httpx", "httpcore", "pyqtgraph", "numpy", "fastapi", "pydantic", "uvicorn")


def _refused(url: str) -> bool:
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as sock:
        sock.settimeout(2.0)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _stopped(server: EmbeddedServer) -> bool:
    running = getattr(server, "running", None)
    return (running is None or not running()) and _refused(server.url)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[EmbeddedServer]:
    """The servers ``main`` starts itself."""
    servers: list[EmbeddedServer] = []
    real = gui.app.lifetime.start_server

    def start() -> EmbeddedServer:
        servers.append(real())
        return servers[-1]

    monkeypatch.setattr(gui.app.lifetime, "start_server", start)
    return servers


def test_window_modules_import_nothing_heavy() -> None:
    """What the entry point and the bench import before the window shows stays light."""
    probe = ("import sys, gui.app.lifetime, gui.window.main_window, gui.app.demos, gui.app.launch\n"
             f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}\n"
             "             and sys.modules[m] is not None))")  # (None: httpx's CLI, blocked)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip() == "[]"


def test_the_window_never_imports_httpx_cli_or_jsonschema_up_front() -> None:
    """httpx's command line client (click, rich, pygments) and jsonschema cost 100-300 ms each
    at the first tab; the window imports neither until it needs it (jsonschema: a tool call
    checked against its declared schema)."""
    probe = ("import sys, gui.app.lifetime\n"
             "import httpx, gui.stream.controller, gui.window.capture_actions\n"
             "print(sorted({m.split('.')[0] for m in sys.modules if sys.modules[m] is not None}"
             " & {'click', 'rich', 'pygments', 'jsonschema'}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip() == "[]"


def test_a_first_stream_tab_does_not_wait_for_the_plots() -> None:
    """A first Send builds a stream tab; the Timeline's charts (pyqtgraph, numpy: ~350 ms)
    are built when that tab is first shown, not before."""
    probe = ("import os, sys\n"
             "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
             "from PySide6.QtWidgets import QApplication\n"
             "app = QApplication([])\n"
             "from gui.stream.controller import StreamController\n"
             "from gui.views.stream_tab import StreamTab\n"
             "from gui.services.lazy_clients import LazyClients\n"
             "from stream_core.net.spec import RequestSpec\n"
             "tab = StreamTab(StreamController(LazyClients(), RequestSpec('http://127.0.0.1:1/')))\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyqtgraph', 'numpy')))\n"
             "tab.tabs.setCurrentWidget(tab.timeline)\n"
             "tab.show()\n"
             "print(tab.timeline.charts is not None, 'pyqtgraph' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, check=True).stdout.splitlines()
    assert out == ["[]", "True True"]


def test_demo_runs_on_the_process_server_and_stops_it(
        tmp_path: Path, started: list[EmbeddedServer]) -> None:
    out = tmp_path / "tour.png"
    assert main(["--demo", "tour", "--screenshot", str(out)]) == 0
    assert QImage(str(out)).width() == 1400
    assert len(started) == 1
    server = started[0]
    if sys.platform != "win32":
        from embedded_server.process import ServerProcess

        assert isinstance(server, ServerProcess)
    assert _stopped(server)


def test_window_learns_the_url_and_quitting_stops_the_server(
        qapp: QApplication, tmp_path: Path, started: list[EmbeddedServer]) -> None:
    seen: dict[str, Any] = {}

    def close_when_loaded() -> None:
        for w in qapp.topLevelWidgets():
            if isinstance(w, MainWindow) and w.isVisible() and w.picker.endpoints:
                # The list comes from the snapshot, before the server serves.
                seen.setdefault("listed_while", w.server_label.text())
            if isinstance(w, MainWindow) and w.picker.endpoints and w._captures is not None \
                    and not w.server_label.text().endswith("(starting…)"):
                seen["url"] = w.server_url
                seen["label"] = w.server_label.text()
                seen["menus"] = w._captures is not None
                timer.stop()
                w.close()

    timer = QTimer()
    timer.timeout.connect(close_when_loaded)
    timer.start(10)
    try:
        assert main(["--settings", str(tmp_path / "s.ini")]) == 0
    finally:
        timer.stop()
    server = started[0]
    assert seen["url"] == server.url
    assert seen["label"] == f"Demo server: {server.url}"
    assert seen["listed_while"] in (f"Demo server: {server.url} (starting…)", seen["label"])
    assert seen["menus"]  # the capture menus were built once the window showed
    assert _stopped(server)


def test_early_server_is_used_and_stopped() -> None:
    """``stream-inspector`` starts the server before Qt and hands it to the window."""
    server = early_server(["--demo", "events"])
    assert server is not None
    assert main(["--demo", "nope"], server=server) == 2  # bad arguments: stopped all the same
    assert _stopped(server)


@pytest.mark.parametrize("argv", [["--no-server"], ["--list-demos"], ["--help"],
                                  ["--mode", "nope"]])
def test_no_early_server_when_the_window_needs_none(argv: list[str]) -> None:
    assert early_server(argv) is None


def test_the_entry_point_starts_the_server_before_asyncio_or_qt() -> None:
    """``gui.app.launch`` (what runs before the server child is started) imports neither
    asyncio nor Qt: the server's start is the longest leg of a first Send."""
    probe = ("import sys, gui.app.launch\n"
             "print(sorted(m for m in ('asyncio', 'PySide6', 'httpx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip() == "[]"


def test_finish_startup_builds_the_rest_and_lets_the_loop_run(
        qtbot: Any, arun: Any, settings: Any, clients: Any, tmp_path: Path) -> None:
    """What the first frame does not wait for is built once the window shows, in steps with
    the event loop running between them (a click is handled within a step)."""
    from gui.window import warmup

    window = MainWindow(settings, clients, None, download_dir=str(tmp_path))
    qtbot.addWidget(window)
    assert window._collections is None and window._captures is None  # not before it shows
    window.show()
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(0)
    try:
        arun(window.finish_startup())
    finally:
        timer.stop()
    assert window._collections is not None and window._captures is not None
    assert window.picker.tabs.tabText(window.picker.tabs.count() - 1) == "Collections"
    assert window.collections.panel.env_toolbar.isVisible()  # built after show, yet shown
    assert all(name in sys.modules for name in warmup.SEND_PATH)
    assert window.shortcuts.menu.actions()  # the Help menu's list is filled
    assert len(ticks) >= len(warmup.SEND_PATH) // 2  # the loop ran between the steps
