"""What every demo scenario does: wait on a stream's signals, grab the window, and the
``Demo`` that describes a scenario.

Why a module of its own: the demo list (``gui.app.demos``) and the recording proxy's demo
(``gui.app.proxy_demo``) both use these, and neither imports the other's module for them
(no circle between the two).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:  # the window imports these; `--list-demos` and argument checks need none
    from PySide6.QtWidgets import QWidget

    from gui.stream.controller import StreamController
    from gui.views.stream_tab import StreamTab
    from stream_core.net.spec import Mode

logger = logging.getLogger(__name__)

TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Demo:
    method: str
    path: str  # endpoint path as listed by the picker
    query: str  # query to send (quick parameters)
    mode: Mode | None = None
    until: str = "finished"  # "finished" | "events:N" | "progress:F"
    subtab: str = "events"  # the sub-view shown (a ``--view`` name)
    select: int | str | None = None  # row to select (negative: from the end; "error": first bad)
    stop_after: bool = False
    collection: str | None = None  # a request of the sample collection instead of an endpoint
    body: str | None = None  # request body instead of the endpoint's example
    expect: tuple[str, ...] = ()  # expectations (the editor's Expect tab), checked live
    #: Block the window's thread this long (s) once ``freeze_at`` events are in: a window
    #: freeze on purpose, which Diagnostics must name as the window's (not the server's).
    freeze: float = 0.0
    freeze_at: int = 30


async def wait_for(controller: StreamController, done: Callable[[], bool],
                   timeout: float = TIMEOUT) -> None:
    """Wait until ``done()`` holds, re-checking on the controller's signals (no polling)."""
    if done():
        return
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def check(*_args: object) -> None:
        if not future.done() and done():
            future.set_result(None)

    controller.updated.connect(check)
    controller.stateChanged.connect(check)
    controller.finished.connect(check)
    try:
        await asyncio.wait_for(future, timeout)
    finally:
        controller.updated.disconnect(check)
        controller.stateChanged.disconnect(check)
        controller.finished.disconnect(check)


def show_subtab(tab: StreamTab, name: str) -> None:
    """Bring ``tab``'s sub-view ``name`` (a ``--view`` name) to the front."""
    view = cast("QWidget | None", tab.views.get(name))
    if view is not None and tab.tabs.isTabVisible(tab.tabs.indexOf(view)):
        tab.tabs.setCurrentWidget(view)


async def save_screenshot(window: QWidget, path: str) -> int:
    """Render the window into ``path`` (PNG); 0 on success, 1 when it could not be written."""
    from gui.services.steps import Stepper
    from gui.stream.tables import PaintThrottle

    for stepper in window.findChildren(Stepper):
        stepper.run_now()  # views drawn in steps (Raw, the Timeline's charts) are drawn whole
    for _ in range(5):  # yield to Qt so pending layout events land (never processEvents here)
        await asyncio.sleep(0)
    for throttle in window.findChildren(PaintThrottle):
        throttle.flush()  # rows that came in the last few ms are painted too
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    ok = window.grab().save(path, "PNG")
    if not ok:
        logger.error("could not write %s", path)
    return 0 if ok else 1


__all__ = ["TIMEOUT", "Demo", "save_screenshot", "show_subtab", "wait_for"]
