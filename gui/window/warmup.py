"""The window's startup work that its first frame need not wait for, done once it shows.

Why: a bare PySide6 window shows in ~0.4 s; importing httpx, the engine, the views and the
capture machinery takes as long again. The window shows first (endpoint list, request
editor, menus); then ``finish`` builds what is left step by step, returning to the event
loop between steps so that a click or a key is handled within one step (each step is one
module's import or one piece of the window, a few to ~60 ms). Whatever a user reaches
before it is ready is built on demand instead (``MainWindow.collections``, ``captures``,
the first tab's imports), so the order here only makes a first Send faster. It reaches the
window through ``WarmupHost`` and never imports it.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from gui.views.subviews import SUBVIEWS

if TYPE_CHECKING:
    from gui.window.shortcuts import Shortcuts
    from stream_core.net.clients import ClientSource

__all__ = ["HTTP", "SEND_PATH", "WarmupHost", "finish"]

logger = logging.getLogger(__name__)

#: What a request needs first: httpx (anyio's backend is imported at the first connect).
HTTP = ("h11", "httpcore", "httpx", "anyio._backends._asyncio")
#: What a Send and its tab import, leaves first, so that each step stays short: the engine,
#: the controller, each sub-view's module (``SUBVIEWS``), the tab, the capture machinery.
SEND_PATH = (
    *HTTP, "stream_core.decode.sse", "stream_core.net.netstream", "stream_core.net.session",
    "stream_core.analysis.diagnostics", "stream_core.analysis.aggregate",
    "gui.stream.models", "gui.stream.controller",
    *(entry.module for entry in SUBVIEWS), "gui.views.stream_tab",
    "gui.stream.capture_spool", "gui.window.capture_actions",
)


class WarmupHost(Protocol):
    """What the warm-up builds or touches in the window (the main window has all of it)."""

    @property
    def was_closed(self) -> bool: ...
    @property
    def clients(self) -> ClientSource: ...
    @property
    def collections(self) -> object: ...  # built on first use
    @property
    def captures(self) -> object: ...  # built on first use
    @property
    def shortcuts(self) -> Shortcuts: ...


async def finish(window: WarmupHost) -> None:
    """Build the rest of ``window`` in short steps (see the module's docstring)."""
    from stream_core.net.spec import RequestSpec

    modules = [(name, lambda name=name: importlib.import_module(name)) for name in SEND_PATH]
    steps: list[tuple[str, Callable[[], object]]] = [
        ("collections", lambda: window.collections),
        *modules[:len(HTTP)],
        # The shared client for plain requests: its TLS context loads the CA bundle (~30 ms).
        ("http client", lambda: window.clients.for_spec(RequestSpec(url="http://localhost/"))),
        *modules[len(HTTP):],
        ("capture menus", lambda: window.captures),
        ("shortcut list", window.shortcuts.fill),
    ]
    longest, longest_step, start = 0.0, "", time.perf_counter()
    for name, step in steps:
        if window.was_closed:
            return
        t0 = time.perf_counter()
        step()
        took = time.perf_counter() - t0
        if took > longest:
            longest, longest_step = took, name
        await asyncio.sleep(0)  # input and paint get their turn
    logger.debug("startup finished in %.0f ms; longest step %s, %.0f ms",
                 1000 * (time.perf_counter() - start), longest_step, 1000 * longest)
