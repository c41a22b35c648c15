"""Built-in demo scenarios: drive the real window against the embedded server, then grab it.

Each scenario chooses an endpoint in the picker (as a user would), adjusts the query for a
quick run, sends, and waits on the controller's signals until its telling moment: the end of
a finite stream, N events into an endless one, a download part-way, a fault with its banner.
A safety timeout turns a hang into a non-zero exit instead of a stuck process.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from gui.app.demo_steps import TIMEOUT, Demo, save_screenshot, show_subtab, wait_for
from gui.views.subviews import SUBVIEWS
from stream_core.net.spec import Mode

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # the window imports these; `--list-demos` and argument checks need none
    from gui.stream.controller import StreamController
    from gui.views.stream_tab import StreamTab
    from gui.window.main_window import MainWindow

__all__ = ["DEMOS", "NAMES", "TIMEOUT", "VIEW_DEMOS", "Demo", "choose_endpoint", "condition",
           "run", "save_screenshot", "select_demo_row", "show_view", "wait_for"]

LLM_TOOL_BODY = json.dumps({
    "model": "demo", "stream": True, "reasoning_effort": "low",
    "messages": [{"role": "user", "content": "What will the weather be in Lisbon this week?"}],
    "tools": [{"type": "function", "function": {
        "name": "get_forecast", "description": "Daily forecast for a place",
        "parameters": {"type": "object", "required": ["location", "days", "units"],
                       "properties": {"location": {"type": "string"},
                                      "days": {"type": "integer", "minimum": 3, "maximum": 14},
                                      "units": {"type": "string",
                                                "enum": ["metric", "imperial"]}}}}}],
}, indent=2)
REASONING_BODY = json.dumps({
    "model": "demo", "stream": True, "max_tokens": 512,
    "thinking": {"type": "enabled", "budget_tokens": 1024},
    "messages": [{"role": "user", "content": "Tell me about streams"}],
}, indent=2)

EXPECTATIONS = ("status == 200", "header content-type ~ text/event-stream",
                "llm.ttft < 800ms", "gap.max < 1s", "every event.data is json",
                "llm.finish_reason == stop", 'last event.data == "[DONE]"', "complete")

DEMOS: dict[str, Demo] = {
    "logs": Demo("GET", "/logs_stream", "interval=0.05&count=40", Mode.LINES, select=-1),
    "events": Demo("GET", "/events", "interval=0.05", Mode.SSE, until="events:30", select=-3,
                   stop_after=True),
    "tour": Demo("GET", "/sse/tour", "interval=0", Mode.SSE, subtab="raw"),
    "llm": Demo("POST", "/v1/chat/completions", "delay=0.03", Mode.SSE, subtab="llm",
                body=LLM_TOOL_BODY),
    "reasoning": Demo("POST", "/v1/messages", "delay=0.02", Mode.SSE, subtab="llm",
                      body=REASONING_BODY),
    "ndjson": Demo("GET", "/ndjson", "interval=0.03&count=30&bad=true", Mode.NDJSON, select="error"),
    "download": Demo("GET", "/download", f"size={200 * 1024 * 1024}&rate={20 * 1024 * 1024}",
                     Mode.DOWNLOAD, until="progress:0.3", subtab="download", stop_after=True),
    "collections": Demo("POST", "", "", Mode.SSE, collection="chat", select=-1),
    "fault": Demo("GET", "/faults/disconnect", "after=8&interval=0.05", Mode.SSE, select=-2),
    # A chat stream that breaks one expectation of eight: the strip shows both kinds.
    "expect": Demo("POST", "/expect/chat", "fault=no-done&delay=0.02", Mode.SSE, select=-1,
                   expect=EXPECTATIONS),
    # A stream of one event every 10 ms while the window freezes for 1 s (on purpose): the
    # events keep their spacing, and Diagnostics names the window, not the server.
    "freeze": Demo("GET", "/timing", "interval=0.01&count=300", Mode.SSE, subtab="diagnostics",
                   freeze=1.0),
    # An app's two chat completions through the recording proxy (gui.app.proxy_demo).
    "proxy": Demo("POST", "/v1/chat/completions", "delay=0.02", Mode.SSE, subtab="llm"),
}
NAMES = tuple(DEMOS)
#: ``--view`` name -> the demo whose stream shows that sub-view best (``make screenshots``
#: renders one per view), from the sub-views' registry.
VIEW_DEMOS = {entry.name: entry.demo for entry in SUBVIEWS}


def show_view(window: MainWindow, view: str | None) -> None:
    """Bring the current tab's sub-view ``view`` (a ``--view`` name) to the front, shown
    even if it was hidden (such as LLM for a stream that is not a chat), up to date."""
    tab = window.current_tab()
    if tab is None or view is None:
        return
    tab.show_view(view)


def condition(demo: Demo, controller: StreamController) -> Callable[[], bool]:
    kind, _, arg = demo.until.partition(":")
    if kind == "events":
        n = int(arg)
        return lambda: controller.stats.events >= n or not controller.running
    if kind == "progress":
        frac = float(arg)

        def reached() -> bool:
            p = controller.progress
            return (not controller.running) or (
                p is not None and bool(p.total) and p.bytes >= frac * (p.total or 1))
        return reached
    return lambda: controller.ended


def select_demo_row(demo: Demo, tab: StreamTab) -> None:
    """Select the row the demo wants in view (events, or chunks for downloads)."""
    if demo.select is None:
        return
    if demo.subtab == "chunks":
        n = len(tab.controller.chunks)
        if n and isinstance(demo.select, int):
            tab.chunks.select_row(demo.select % n)
        return
    events = tab.controller.events
    n = len(events)
    if not n:
        return
    if demo.select == "error":
        rows = [i for i in range(n) if getattr(events.row(i), "error", None)]
        row = rows[0] if rows else n - 1
    else:
        row = int(demo.select) % n if int(demo.select) < 0 else min(int(demo.select), n - 1)
    tab.events.select_row(row)


def choose_endpoint(name: str, demo: Demo, window: MainWindow) -> bool:
    """Click the demo's endpoint in the picker and set its quick query."""
    item = window.picker.find_endpoint(demo.method, demo.path)
    if item is None:
        logger.error("demo %r: endpoint %s %s not offered by the server", name, demo.method,
                     demo.path)
        return False
    window.picker.choose(item)
    window.picker.tree.scrollToItem(item)
    base = window.editor.url.text().split("?", 1)[0]
    window.editor.url.setText(f"{base}?{demo.query}" if demo.query else base)
    return True


async def run(name: str, window: MainWindow, screenshot: str | None,
              view: str | None = None) -> int:
    """Run demo ``name`` in ``window``; save a screenshot when asked; return the exit status."""
    demo = DEMOS[name]
    if name == "proxy":
        from gui.app.proxy_demo import run_proxy_demo

        return await run_proxy_demo(demo, window, screenshot)
    if demo.collection is not None:  # the Collections tab, environment "local" selected
        if not window.collections.open_sample(demo.collection):
            logger.error("demo %r: no request %r in the sample collection", name,
                         demo.collection)
            return 1
    elif not choose_endpoint(name, demo, window):
        return 1
    if demo.mode is not None:
        window.editor.set_mode(demo.mode)
    if demo.body is not None:
        window.editor.body.setPlainText(demo.body)
    if demo.expect:
        window.editor.expect.set_lines(list(demo.expect))
    controller = window.send()
    if controller is None:
        logger.error("demo %r: request rejected: %s", name, window.editor.message.text())
        return 1
    tab = window.current_tab()
    assert tab is not None
    try:
        if demo.freeze:
            await wait_for(controller, lambda: controller.stats.events >= demo.freeze_at
                           or not controller.running)
            time.sleep(demo.freeze)  # the freeze itself: nothing of the window runs meanwhile
        await wait_for(controller, condition(demo, controller))
    except TimeoutError:
        logger.error("demo %r timed out after %.0f s (state %s, %d events)", name, TIMEOUT,
                     controller.state.value, controller.stats.events)
        return 1
    controller.drain()
    tab.refresh()
    show_subtab(tab, demo.subtab)
    select_demo_row(demo, tab)
    tab.refresh()
    show_view(window, view)
    status = await save_screenshot(window, screenshot) if screenshot else 0
    if demo.stop_after or screenshot:
        await controller.stop()
    if not screenshot:
        await window.wait_closed()
    return status
