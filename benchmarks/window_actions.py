"""Child process: user actions on big and busy tabs in one real window; the longest loop block
of each, as JSON.

``python -m benchmarks.window_actions --base URL --events N --llm-words W --busy T``:

- *big*: a tab floods N events (``/flood/sse``), then, through the window's own widgets and
  menus: each sub-tab opened in turn, the Raw view as hex, filtering and regex-searching the
  events, Save (the file dialog answered), HAR export, opening the saved capture (a second
  tab of N events), switching between the two, Compare with the previous tab, and closing
  both big tabs;
- *llm*: a tab of one LLM reply of W deltas (unpaced): its LLM view, raw and rendered;
- *busy*: T tabs of LLM replies at 50 events/s; switching between them, each sub-tab of the
  one shown, and a filter, with the same stretch of doing nothing measured beside them.

Each action is timed from the moment it is done (a click, a key, a menu item) until the
window shows its result (the view built, the filter applied, the file saved: each action's
``done`` condition) plus ``SETTLE_S`` (what a view schedules for later counts); the figure is
the longest lateness of a 5 ms repeating timer in that stretch (the GUI loop's longest block,
to within 5 ms), and how long the action took to finish.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from benchmarks._common import emit, rss_bytes
from benchmarks._window import LatenessProbe, main_window, process_events, run_qt
from benchmarks.scenarios import _llm_body

#: After an action's result shows: what the view scheduled for later (throttled redraws,
#: deferred deletes) still counts.
SETTLE_S = 0.4
#: An action that takes longer than this to finish counts as failed (its row says so).
ACTION_TIMEOUT_S = 120.0


async def until(condition: Callable[[], bool], timeout: float = ACTION_TIMEOUT_S) -> bool:
    """Turn the loop until ``condition()`` holds; False when ``timeout`` passed first."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


def working(window: Any) -> bool:
    """Whether the window shows work in progress (a progress bar of a stepwise job)."""
    from PySide6.QtWidgets import QApplication, QProgressBar

    for top in QApplication.topLevelWidgets():
        for bar in top.findChildren(QProgressBar, "workProgress"):
            if bar.isVisible():
                return True
    return False


class Actions:
    """Runs actions one after another and keeps each one's figures."""

    def __init__(self, window: Any, probe: LatenessProbe) -> None:
        self.window = window
        self.probe = probe
        self.rows: list[dict[str, Any]] = []

    async def run(self, phase: str, name: str, act: Callable[[], Any],
                  done: Callable[[], bool] | None = None) -> None:
        await asyncio.sleep(0.3)  # the previous action's aftermath is not this one's
        t0 = time.perf_counter()
        result = act()
        if asyncio.iscoroutine(result):
            await result
        returned = time.perf_counter()
        ok = await until(lambda: (done is None or done()) and not working(self.window))
        finished = time.perf_counter()
        await asyncio.sleep(SETTLE_S)
        s = self.probe.summary(t0, time.perf_counter())
        row = {"phase": phase, "action": name, "block_ms": s["worst_ms"],
               "p99_ms": s["p99_ms"], "returned_s": returned - t0, "took_s": finished - t0,
               "ok": ok}
        self.rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)

    async def idle(self, phase: str, seconds: float) -> None:
        """The same kind of stretch with no action: what the load alone blocks."""
        t0 = time.perf_counter()
        await asyncio.sleep(seconds)
        s = self.probe.summary(t0, time.perf_counter())
        self.rows.append({"phase": phase, "action": "(nothing, for comparison)",
                          "block_ms": s["worst_ms"], "p99_ms": s["p99_ms"],
                          "returned_s": 0.0, "took_s": seconds, "ok": True})


def _dialog(window: Any) -> bool:
    """A file dialog of the window is open."""
    from PySide6.QtWidgets import QFileDialog

    return any(d.isVisible() for d in window.findChildren(QFileDialog))


def _dialog_answer(window: Any, path: str) -> None:
    """Answer the file dialog the last action opened with ``path`` (as a user would)."""
    from PySide6.QtWidgets import QFileDialog

    dialogs = [d for d in window.findChildren(QFileDialog) if d.isVisible()]
    if not dialogs:
        raise RuntimeError("no file dialog open")
    from PySide6.QtWidgets import QLineEdit

    dialog = dialogs[-1]
    edit = dialog.findChild(QLineEdit, "fileNameEdit")  # Qt's own dialog: type the path
    if edit is None:
        raise RuntimeError("not Qt's file dialog: cannot type a file name into it")
    edit.setText(path)
    dialog.accept()


def _spec(url: str, body: str | None = None) -> Any:
    from stream_core.net.spec import Mode, RequestSpec, Timeouts

    return RequestSpec(url, method="POST" if body else "GET",
                       body=body.encode() if body else None, mode=Mode.SSE,
                       headers=[("Content-Type", "application/json")] if body else [],
                       timeouts=Timeouts(connect=10.0, read=120.0, total=900.0))


async def _views(a: Actions, phase: str, tab: Any, names: tuple[str, ...]) -> None:
    for name in names:
        view = tab.views[name]
        index = tab.tabs.indexOf(view)
        tab.tabs.setTabVisible(index, True)
        await a.run(phase, f"open {name.capitalize()}", lambda i=index: tab.tabs.setCurrentIndex(i))


async def _filters(a: Actions, phase: str, tab: Any, text: str, regex: str) -> None:
    panel = tab.events

    def filtered() -> bool:  # every row decided (a filter that works in steps says so)
        return not getattr(panel.proxy, "busy", False)

    await a.run(phase, "open Events", lambda: tab.tabs.setCurrentWidget(panel))
    await a.run(phase, f"filter '{text}'", lambda: panel.filter_text.setText(text), filtered)
    await a.run(phase, "filter cleared", lambda: panel.filter_text.clear(), filtered)
    panel.regex.setChecked(True)
    await a.run(phase, f"regex '{regex}'", lambda: panel.filter_text.setText(regex), filtered)
    await a.run(phase, "regex cleared", lambda: panel.filter_text.clear(), filtered)
    panel.regex.setChecked(False)


async def big(a: Actions, args: argparse.Namespace, tmp: str) -> dict[str, Any]:
    w = a.window
    controller = w.start(_spec(f"{args.base}/flood/sse?count={args.events}&size=86"))
    await controller.wait()
    controller.drain()
    tab = w.current_tab()
    info: dict[str, Any] = {"events": controller.stats.events, "rss_held": rss_bytes()}
    await a.idle("big", 3.0)  # what the box alone does to the loop in these minutes
    await _views(a, "big", tab, ("chunks", "raw", "headers", "timeline", "diagnostics", "llm"))
    raw = tab.raw
    await a.run("big", "open Raw", lambda: tab.tabs.setCurrentWidget(raw))
    await a.run("big", "Raw as hex", lambda: raw.hex.setChecked(True))
    await a.run("big", "Raw as text", lambda: raw.hex.setChecked(False))
    await _filters(a, "big", tab, "99999", r"\n\d*7{4}\n")
    captures = w.captures
    saved = os.path.join(tmp, "big.sicap")
    await a.run("big", "Save: its dialog", captures.save_action.trigger, lambda: _dialog(w))
    await a.run("big", "Save", lambda: _dialog_answer(w, saved),
                lambda: captures.last_message.startswith(("Saved", "Could not")))
    info["save_message"] = captures.last_message
    har = os.path.join(tmp, "big.har")
    export = captures.export_menu.actions()[0]
    await a.run("big", "Export HAR: its dialog", export.trigger, lambda: _dialog(w))
    await a.run("big", "Export HAR", lambda: _dialog_answer(w, har),
                lambda: captures.last_message.startswith(("Exported", "Could not")))
    info["har_message"] = captures.last_message
    tabs_before = w.tabs.count()

    def opened() -> bool:
        return w.tabs.count() > tabs_before and w.current_tab().controller.ended

    await a.run("big", "Open: its dialog", captures.open_action.trigger, lambda: _dialog(w))
    await a.run("big", "Open the saved capture", lambda: _dialog_answer(w, saved), opened)
    info["open_message"] = captures.last_message
    first = w.tabs.indexOf(tab)
    second = w.tabs.currentIndex()
    await a.run("big", "switch tab", lambda: w.tabs.setCurrentIndex(first))
    await a.run("big", "switch tab back", lambda: w.tabs.setCurrentIndex(second))

    def compare_shown() -> bool:
        from PySide6.QtWidgets import QApplication

        return any(x.objectName() == "compareView" and x.isVisible()
                   for x in QApplication.topLevelWidgets())

    compare = captures.compare_menu.actions()[0]
    await a.run("big", "Compare with the previous tab", compare.trigger, compare_shown)
    from PySide6.QtWidgets import QApplication

    for view in [x for x in QApplication.topLevelWidgets() if x.objectName() == "compareView"]:
        for i in range(1, view.tabs.count()):
            await a.run("big", f"Compare: {view.tabs.tabText(i).split(' (')[0]}",
                        lambda i=i, v=view: v.tabs.setCurrentIndex(i))
        await a.run("big", "Compare closed", view.close)
    for label in ("close a big tab", "close the other big tab"):
        # Gone from the tabs (the last one closed, the Start hint takes its place: no fewer)
        shown = w.tabs.currentWidget()
        await a.run("big", label, lambda: w.tabs.tabCloseRequested.emit(w.tabs.currentIndex()),
                    lambda s=shown: w.tabs.indexOf(s) < 0)
    await asyncio.sleep(0.5)
    info["rss_after_close"] = rss_bytes()
    return info


async def llm(a: Actions, args: argparse.Namespace) -> dict[str, Any]:
    w = a.window
    body = _llm_body(args.llm_words)
    controller = w.start(_spec(f"{args.base}/v1/chat/completions?delay=0", body))
    await controller.wait()
    controller.drain()
    tab = w.current_tab()
    await _views(a, "llm", tab, ("llm",))
    view = tab.llm
    await a.run("llm", "LLM raw text", lambda: view.raw.setChecked(True))
    await a.run("llm", "LLM rendered", lambda: view.raw.setChecked(False))
    await _filters(a, "llm", tab, "w4242", "w42.?4")
    info = {"events": controller.stats.events, "text_chars": len(controller.llm.text)}
    await a.run("llm", "close the LLM tab",
                lambda: w.tabs.tabCloseRequested.emit(w.tabs.currentIndex()))
    return info


async def busy(a: Actions, args: argparse.Namespace) -> dict[str, Any]:
    w = a.window
    body = _llm_body(int(args.busy_rate * args.busy_seconds))
    url = f"{args.base}/v1/chat/completions?delay={1 / args.busy_rate:g}"
    controllers = [w.start(_spec(url, body)) for _ in range(args.busy)]
    await asyncio.sleep(2.0)  # all streaming
    await a.idle("busy", 2.0)
    n = w.tabs.count()
    for k in (n // 3, 2 * n // 3, n - 1):
        await a.run("busy", "switch tab", lambda k=k: w.tabs.setCurrentIndex(k))
    tab = w.current_tab()
    await _views(a, "busy", tab, ("chunks", "raw", "headers", "timeline", "diagnostics", "llm"))
    await _filters(a, "busy", tab, "w42", "w4.?2")
    await a.idle("busy", 2.0)
    running = sum(c.running for c in controllers)
    for c in controllers:
        await c.stop()
    return {"tabs": args.busy, "running_at_end": running}


async def actions(args: argparse.Namespace) -> dict[str, Any]:
    window, clients = main_window()
    window.resize(1200, 800)
    process_events()
    probe = LatenessProbe()
    probe.start()
    a = Actions(window, probe)
    result: dict[str, Any] = {"phases": {}}
    with tempfile.TemporaryDirectory(prefix="si-bench-actions-") as tmp:
        if args.events:
            result["phases"]["big"] = await big(a, args, tmp)
        if args.llm_words:
            result["phases"]["llm"] = await llm(a, args)
        if args.busy:
            result["phases"]["busy"] = await busy(a, args)
    probe.stop()
    result["actions"] = a.rows
    import gui

    result["gui_from"] = os.path.dirname(gui.__file__)  # which checkout was measured
    await clients.aclose()
    window.close()
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--base", required=True, help="the demo server's URL")
    ap.add_argument("--events", type=int, default=1_000_000, help="events of the big tab")
    ap.add_argument("--llm-words", type=int, default=100_000,
                    help="deltas of the big LLM reply (0: no LLM phase)")
    ap.add_argument("--busy", type=int, default=20, help="busy LLM tabs (0: no busy phase)")
    ap.add_argument("--busy-rate", type=float, default=50.0)
    ap.add_argument("--busy-seconds", type=float, default=90.0,
                    help="how long each busy tab streams (the phase must end first)")
    args = ap.parse_args(argv)
    emit(run_qt(lambda _app: actions(args)))


if __name__ == "__main__":
    main()
