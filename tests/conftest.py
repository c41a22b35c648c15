"""Shared fixtures: the embedded demo server over a real socket, and guards: no thread left
running, no exception that nobody retrieved, no write to the user's XDG homes."""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: What Python or asyncio say about a failure that nobody handled (they would print it on
#: stderr, where no test looks): a test during which either is said fails.
UNHANDLED = ("Task exception was never retrieved", "Exception ignored")


@pytest.fixture(scope="session", autouse=True)
def _xdg_homes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The window's log file and --install-desktop write under the session's tmp, also in
    the subprocesses tests start, never under the user's ~/.local."""
    patch = pytest.MonkeyPatch()
    for name in ("XDG_STATE_HOME", "XDG_DATA_HOME"):
        patch.setenv(name, str(tmp_path_factory.mktemp(name.lower())))
    yield
    patch.undo()


class _Unhandled(logging.Handler):
    """Collects log records that report an unhandled failure, from any logger: asyncio's
    default exception handler logs "Task exception was never retrieved" on ``asyncio``, the
    window's handler (``gui.services.logs``) on its own logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if any(phrase in text for phrase in UNHANDLED):
            self.seen.append(f"{record.name}: {text}")


@pytest.fixture(scope="session", autouse=True)
def _no_unhandled_exceptions_at_exit() -> Iterator[None]:
    """The same over the whole session, after a last garbage collection: a task in a reference
    cycle says "never retrieved" only when the collector frees it, maybe after its test."""
    watch = _Unhandled()
    logging.getLogger().addHandler(watch)
    yield
    gc.collect()
    logging.getLogger().removeHandler(watch)
    assert not watch.seen, "unhandled failures in the session:\n" + "\n".join(watch.seen)


@pytest.fixture(autouse=True)
def _no_unhandled_exceptions() -> Iterator[None]:
    """Fail a test during which a task's exception was never retrieved or Python ignored one.

    Both come through hooks rather than stderr: the asyncio loop's exception handler (the
    default one logs, the window's logs too: a handler on the root logger sees either) and
    ``sys.unraisablehook`` (wrapped here; pytest's own hook still runs after ours).
    """
    watch = _Unhandled()
    root = logging.getLogger()
    root.addHandler(watch)
    previous = sys.unraisablehook

    def unraisable(info: Any) -> None:
        watch.seen.append(f"Exception ignored in {info.object!r}: {info.exc_value!r}")
        previous(info)

    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        sys.unraisablehook = previous
        root.removeHandler(watch)
    assert not watch.seen, "unhandled failures during the test:\n" + "\n".join(watch.seen)


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The window records tabs under ``$XDG_CACHE_HOME``: a folder of the test session's own,
    not the user's cache."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture(scope="session")
def demo_server() -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT``) of one embedded server shared by the session."""
    from embedded_server.runner import ServerThread

    server = ServerThread(host="127.0.0.1", port=0)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After a Qt test, collect its garbage here, on the GUI thread.

    Why: what a Qt test leaves in reference cycles (always its qasync loop, whose timer
    object still has timers registered; often a ``QSettings``, helpers' timers) is freed by
    whichever thread's allocation triggers the next collection. When that is the demo
    server's thread, Qt warns "QObject::~QObject: Timers cannot be stopped from another
    thread", which fails whatever test runs then, and the timers stay registered for an
    object that is gone. Here, after the protocol, pytest has dropped the test's fixture
    values (``item.funcargs``): nothing of the test is left for another thread to free.
    """
    result = yield
    if "qapp" in getattr(item, "fixturenames", ()):
        gc.collect()
    return result


@pytest.fixture(autouse=True)
def _no_leftover_threads() -> Iterator[None]:
    """Fail a test that leaves a non-daemon thread (a server, a worker) running."""
    before = set(threading.enumerate())
    yield
    leftover = [t for t in threading.enumerate()
                if t not in before and t.is_alive() and not t.daemon]
    for t in leftover:
        t.join(timeout=2.0)
    still = [t.name for t in leftover if t.is_alive()]
    assert not still, f"test left threads running: {still}"
