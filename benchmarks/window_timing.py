"""Child process: how true are the window's arrival times while the window is busy?

``python -m benchmarks.window_timing --url BASE --count N --interval S --tabs K``: one real
window (offscreen) streams ``BASE/timing`` (one event every ``S`` seconds, its data holding the
server's send time) while ``K`` other tabs stream LLM replies at ``--rate`` events/s, and
while a user script opens every view of the timing tab in turn, filters its events, and once
freezes the GUI thread for ``--freeze`` seconds (``time.sleep`` in a timer callback). Reports
the error of each recorded time (start wall clock + ``t`` - send time), the gaps between the
events' times (share within 5-15 ms for a 10 ms interval), the GUI thread's lateness, the
window blocks the loop watch saw and the Diagnostics titles of the timing tab afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from benchmarks._common import emit, error_summary, gap_summary
from benchmarks._window import LatenessProbe, main_window, process_events, run_qt

VIEWS = ("Events", "Chunks", "Raw", "Headers", "Timeline", "Diagnostics", "LLM")


def _llm_specs(args: argparse.Namespace) -> list[Any]:
    from stream_core.net.spec import Mode, RequestSpec, Timeouts

    words = max(1, int(args.rate * args.count * args.interval * 1.2))
    body = json.dumps({"model": "demo", "stream": True, "messages": [
        {"role": "user", "content": " ".join(f"w{i}" for i in range(words))}]}).encode()
    return [RequestSpec(f"{args.url}/v1/chat/completions?delay={1 / args.rate:g}",
                        method="POST", body=body, mode=Mode.SSE,
                        headers=[("Content-Type", "application/json")],
                        timeouts=Timeouts(connect=10.0, read=60.0, total=600.0))
            for _ in range(args.tabs)]


async def _user(window: Any, tab: Any, seconds: float, freeze: float) -> list[str]:
    """What a user does meanwhile: every view of the tab in turn, a filter, one freeze."""
    steps: list[str] = []
    names = [tab.tabs.tabText(i).split(" (")[0] for i in range(tab.tabs.count())]
    actions: list[tuple[str, Any]] = []
    for view in VIEWS:
        if view in names:
            index = names.index(view)
            actions.append((f"view {view}", lambda i=index: tab.tabs.setCurrentIndex(i)))
    actions.insert(len(actions) // 2, ("freeze", lambda: time.sleep(freeze)))
    actions.append(("filter", lambda: (tab.tabs.setCurrentWidget(tab.events),
                                       tab.events.filter_text.setText("sent_ns"))))
    actions.append(("filter cleared", lambda: tab.events.filter_text.setText("")))
    pause = seconds / (len(actions) + 2)
    for name, act in actions:
        await asyncio.sleep(pause)
        if not tab.controller.running:
            break
        act()
        steps.append(name)
    return steps


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    from gui.services import loop_watch
    from gui.views.diagnostics_view import findings_of
    from gui.views.stream_tab import StreamTab
    from stream_core.net.spec import Mode, RequestSpec, Timeouts
    from stream_core.records import Event

    loop_watch.watch()
    window, clients = main_window()
    process_events()
    busy = [window.start(spec) for spec in _llm_specs(args)]
    seconds = args.count * args.interval
    spec = RequestSpec(f"{args.url}/timing?interval={args.interval:g}&count={args.count}",
                       mode=Mode.SSE, timeouts=Timeouts(connect=10.0, read=60.0,
                                                        total=seconds * 3 + 60))
    controller = window.start(spec)
    tab = next(t for t in window.findChildren(StreamTab) if t.controller is controller)
    probe = LatenessProbe()
    probe.start()
    user = asyncio.ensure_future(_user(window, tab, seconds, args.freeze))
    await asyncio.wait_for(controller.wait(), seconds * 3 + 60)
    steps = await user
    probe.stop()
    controller.drain()
    model = controller.events
    errors: list[float] = []
    times: list[float] = []
    for i in range(model.rowCount()):
        row = model.row(i)
        if isinstance(row, Event):
            sent = json.loads(row.data)["sent_ns"] / 1e9
            errors.append(controller.start_wall + row.t - sent)
            times.append(row.t)
    tab.diagnostics.refresh(final=True)
    blocks = [(round(b.seconds, 3)) for b in loop_watch.blocks().between(
        controller.start_wall, controller.start_wall + controller.elapsed())]
    end = controller.end
    result: dict[str, Any] = {
        "url": spec.url, "events": len(errors), "expected": args.count,
        "lost": args.count - len(errors), "tabs": args.tabs, "steps": steps,
        "error": error_summary(errors), "gaps": gap_summary(times, args.interval),
        "probe": probe.summary(), "window_blocks_s": blocks,
        "clock": end.clock if end is not None else None,
        "held_ms": end.held_ms if end is not None else None,
        "findings": [f"{f.code}: {f.title}" for f in findings_of(controller)],
        "stream_error": f"{controller.error.kind}: {controller.error.message}"
        if controller.error is not None else None}
    for c in busy:
        await c.stop()
    await controller.stop()
    await clients.aclose()
    window.close()
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True, help="the demo server's base URL")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=0.01)
    ap.add_argument("--tabs", type=int, default=20, help="busy LLM tabs beside it")
    ap.add_argument("--rate", type=float, default=50.0, help="events/s of each busy tab")
    ap.add_argument("--freeze", type=float, default=1.0, help="seconds of the injected freeze")
    args = ap.parse_args(argv)
    emit(run_qt(lambda _app: measure(args)))


if __name__ == "__main__":
    main()
