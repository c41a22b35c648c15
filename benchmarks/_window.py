"""The window side of the window scenarios: Qt app + qasync loop, the stream's tab, a probe.

``open_tab`` uses the app's real ``MainWindow`` when ``gui.window.main_window`` provides it, and
otherwise (while the window is being built) a ``QMainWindow`` holding the real
``EventsPanel`` over a real ``StreamController``: the same models, views and drain timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop as QtEventLoop
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from benchmarks._common import percentile

PROBE_MS = 5


class LatenessProbe:
    """A 5 ms repeating timer; how late each tick fires says how long the GUI thread was busy."""

    def __init__(self, interval_ms: int = PROBE_MS) -> None:
        self.interval = interval_ms / 1000
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.late: list[float] = []
        self.at: list[float] = []  # when each tick fired (perf_counter)

    def start(self) -> None:
        self.late.clear()
        self.at.clear()
        self.last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.late.append(max(0.0, now - self.last - self.interval))
        self.at.append(now)
        self.last = now

    def summary(self, start: float = float("-inf"), end: float = float("inf")
                ) -> dict[str, float]:
        """Tick lateness percentiles, of the ticks between ``start`` and ``end`` if given."""
        late = [x for x, t in zip(self.late, self.at, strict=True) if start <= t <= end]
        return {"ticks": len(late), "p50_ms": percentile(late, 50) * 1e3,
                "p99_ms": percentile(late, 99) * 1e3,
                "worst_ms": max(late, default=float("nan")) * 1e3}


def configure_like_the_app(app: QApplication) -> None:
    """What ``gui.app.lifetime.main`` does to its QApplication before the window: the style sheet
    matters (without it the Fusion style animates progress bars and paints differently)."""
    try:
        from gui.services import resources
    except ImportError:
        return
    app.setApplicationName("Stream Inspector")
    app.setStyleSheet(resources.stylesheet())


def preload() -> None:
    """Import the window's modules before any probe starts: an import is startup, not a stall.

    The app imports the engine, the plots and the capture tools only when the first stream tab
    opens (so that the window shows sooner); here they are imported up front, so that neither
    a scenario's time nor its memory growth counts them.
    """
    try:
        import gui.window.main_window
    except ImportError:
        import gui.stream.controller
        import gui.views.events_panel  # noqa: F401
    for name in ("gui.views.stream_tab", "gui.views.timeline_view", "gui.window.capture_actions",
                 "gui.views.compare_view", "stream_core.net.session"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def run_qt(main: Callable[[QApplication], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    """Run ``main(app)`` on a qasync loop over a fresh QApplication; its result."""
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    configure_like_the_app(app)
    preload()
    try:  # the app's loop (a checkout without it: qasync's own)
        from gui.services.qtloop import EventLoop
    except ImportError:
        from qasync import QEventLoop as EventLoop
    loop = EventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(main(app))
    finally:
        loop.close()
        asyncio.set_event_loop(None)


def process_events() -> None:
    QApplication.processEvents(QtEventLoop.ProcessEventsFlag.AllEvents, 50)


class Tab:
    """What a window scenario needs of a stream tab: its controller, models and window."""

    def __init__(self, window: Any, controller: Any, owns_clients: Any = None) -> None:
        self.window = window
        self.controller = controller
        self.clients = owns_clients
        self.started_at = time.perf_counter()  # set again just before the stream starts

    @property
    def events(self) -> Any:
        return self.controller.events

    async def close(self) -> None:
        await self.controller.stop()
        if self.clients is not None:
            await self.clients.aclose()
        self.window.close()


def _shown(on_shown: Callable[[], None] | None) -> None:
    if on_shown is not None:
        process_events()  # the window painted: its own memory is not the stream's
        on_shown()


def _fallback_tab(spec: Any, on_shown: Callable[[], None] | None) -> Tab:
    from PySide6.QtWidgets import QMainWindow, QProgressBar, QTabWidget

    from gui.stream.controller import StreamController
    from gui.views.events_panel import EventsPanel
    from stream_core.net.session import Clients

    clients = Clients()
    controller = StreamController(clients, spec)
    window = QMainWindow()
    window.setWindowTitle("Stream Inspector (bench)")
    tabs = QTabWidget(window)
    tabs.addTab(EventsPanel(controller.events, tabs), "Events")
    bar = QProgressBar(window)
    window.statusBar().addPermanentWidget(bar)

    def show_progress() -> None:  # what the window's tab does with Progress records
        p = controller.progress
        if p is not None and p.total:
            bar.setMaximum(1000)
            bar.setValue(int(p.bytes * 1000 / p.total))

    controller.updated.connect(show_progress)
    window.setCentralWidget(tabs)
    window.resize(1200, 800)
    window.show()
    _shown(on_shown)
    started_at = time.perf_counter()
    controller.start()
    tab = Tab(window, controller, clients)
    tab.started_at = started_at
    return tab


def main_window(server_url: str | None = None) -> tuple[Any, Any]:
    """The app's ``MainWindow`` (shown, settings in a temporary folder) and its clients."""
    import tempfile

    from gui.services.settings import Settings
    from gui.window.main_window import MainWindow
    from stream_core.net.session import Clients

    clients = Clients()
    folder = tempfile.mkdtemp(prefix="si-bench-settings-")  # never the user's settings
    settings = Settings.from_path(os.path.join(folder, "settings.ini"))
    window = MainWindow(settings, clients, server_url, download_dir=folder)
    window.show()
    return window, clients


def _main_window_tab(spec: Any, server_url: str | None,
                     on_shown: Callable[[], None] | None = None) -> Tab:
    window, clients = main_window(server_url)
    _shown(on_shown)
    started_at = time.perf_counter()
    controller = window.start(spec)
    tab = Tab(window, controller, clients)
    tab.started_at = started_at
    return tab


def open_tab(spec: Any, server_url: str | None = None,
             on_shown: Callable[[], None] | None = None) -> Tab:
    """Show the app's main window streaming ``spec`` in a new tab (the stream is started).

    ``on_shown`` is called once the window is shown and painted, before the stream's tab
    opens (the memory scenario measures from there)."""
    try:
        import gui.window.main_window  # noqa: F401
    except ImportError:
        return _fallback_tab(spec, on_shown)
    return _main_window_tab(spec, server_url, on_shown)
