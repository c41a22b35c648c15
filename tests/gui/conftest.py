"""GUI fixtures: a qasync loop per test that pytest-qt's waits drive, and a window on it.

Why ``already_running=True``: the test body is synchronous and waits with ``qtbot.waitSignal``
/ ``waitUntil``, which spin Qt's event loop; qasync's timers run asyncio callbacks from there,
so the loop must count as running the whole time (``asyncio.get_running_loop()`` works inside
tasks and ``asyncSlot``s). Coroutines are driven with ``arun`` (a task plus ``waitUntil``).
Teardown fails a test that leaves an asyncio task running.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
import shiboken6
from pytestqt.qtbot import QtBot

from gui.services.qtloop import EventLoop
from gui.services.settings import Settings
from gui.window.main_window import MainWindow
from stream_core.net.session import Clients

T = TypeVar("T")
Runner = Callable[[Awaitable[T]], T]


@pytest.fixture
def aloop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    loop = EventLoop(qapp, already_running=True)  # the app's (gui.services.qtloop)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            qapp.processEvents()
            QtBot(qapp).waitUntil(lambda: all(t.done() for t in pending), timeout=5000)
        try:
            qapp.aboutToQuit.disconnect(loop._after_run_forever)
        except (RuntimeError, TypeError):
            pass
        # Not ``loop.stop()``: it calls ``QApplication.exit()``, and with no ``exec()`` running
        # Qt keeps a quit-now flag that makes every later nested ``QEventLoop.exec()`` (pytest-qt's
        # waits) return at once. Clear qasync's own running flag instead.
        loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)
        loop.close()
        assert not pending, f"test left asyncio tasks running: {pending}"


@pytest.fixture
def arun(aloop: asyncio.AbstractEventLoop, qtbot: QtBot) -> Runner[Any]:
    """Run a coroutine to completion while Qt (and so qasync) processes events."""
    def run(aw: Awaitable[T], timeout: int = 15000) -> T:
        task = asyncio.ensure_future(aw)
        qtbot.waitUntil(task.done, timeout=timeout)
        return task.result()
    return run


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings.from_path(str(tmp_path / "settings.ini"))


@pytest.fixture
def clients(arun: Runner[Any]) -> Iterator[Clients]:
    c = Clients()
    yield c
    arun(c.aclose())


@pytest.fixture
def window(qtbot: QtBot, arun: Runner[Any], settings: Settings, clients: Clients,
           demo_server: str, tmp_path: Any) -> Iterator[MainWindow]:
    """The main window with the demo server's endpoints loaded."""
    win = MainWindow(settings, clients, demo_server, download_dir=str(tmp_path))
    win.show()
    arun(win.finish_startup())  # as gui.app.lifetime does once the window shows
    assert arun(win.picker.load(demo_server + "/openapi.json"))
    yield win
    arun(win.shutdown())
    # Delete the window (and its controllers' timers) here, on the GUI thread: left to the
    # garbage collector it could be destroyed in whatever thread collects next (the server's).
    win.close()
    shiboken6.delete(win)
    gc.collect()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that opens the main window is a ``window`` test (``make check`` leaves those
    out: the loop stays under two minutes; ``make test`` runs them)."""
    for item in items:
        if "window" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.window)
