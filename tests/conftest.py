"""Shared fixtures: the embedded demo server over a real socket, and a leak guard."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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
