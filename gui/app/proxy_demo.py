"""The ``proxy`` demo: the recording proxy in front of the embedded server, an app (a client
in a thread of its own) talking to it, the window showing the exchanges as they go.

Why a thread for the client: it stands for another program; it must not run on the window's
loop, which the proxy never waits for either.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import TYPE_CHECKING

from gui.app.demo_steps import TIMEOUT, Demo, save_screenshot, show_subtab, wait_for

if TYPE_CHECKING:
    from gui.window.main_window import MainWindow

QUESTIONS = ("What is the weather in Oslo?", "How do streaming responses work?")


def _app(base_url: str, query: str, errors: list[str]) -> None:
    """The "app": two streamed chat completions, as an SDK would send them."""
    import httpx

    try:
        with httpx.Client(timeout=30, trust_env=False) as client:
            for question in QUESTIONS:
                body = {"model": "demo", "stream": True,
                        "messages": [{"role": "user", "content": question}]}
                with client.stream("POST", f"{base_url}/chat/completions?{query}", json=body,
                                   headers={"Authorization": "Bearer sk-demo-key"}) as r:
                    for _ in r.iter_raw():
                        pass
    except httpx.HTTPError as exc:
        errors.append(str(exc))


async def run_proxy_demo(demo: Demo, window: MainWindow, screenshot: str | None) -> int:
    if window.server_url is None:
        print("stream-inspector: demo 'proxy' needs the demo server", file=sys.stderr)
        return 1
    url = window.proxy.start(window.server_url + "/v1")
    if url is None:
        print(f"stream-inspector: demo 'proxy': {window.proxy.last_message}", file=sys.stderr)
        return 1
    errors: list[str] = []
    app = threading.Thread(target=_app, args=(url + "/v1", demo.query, errors),
                           name="proxy-demo-app")
    app.start()
    try:
        await asyncio.wait_for(asyncio.to_thread(app.join), TIMEOUT)
        rows = list(window.proxy.model.rows)
        last = rows[-1].controller if rows else None
        if errors or len(rows) != len(QUESTIONS) or last is None:
            print(f"stream-inspector: demo 'proxy' failed: {errors or rows}", file=sys.stderr)
            return 1
        await wait_for(last, lambda: last.ended)
        tab = window.current_tab()
        assert tab is not None
        tab.refresh()
        show_subtab(tab, demo.subtab)
        window.proxy.table.selectRow(len(rows) - 1)
        tab.refresh()
        status = await save_screenshot(window, screenshot) if screenshot else 0
    except TimeoutError:
        print("stream-inspector: demo 'proxy' timed out", file=sys.stderr)
        return 1
    finally:
        app.join(TIMEOUT)
    if screenshot:
        window.proxy.stop()
    else:
        await window.wait_closed()
    return status
