"""Child process: a long day in one real window (offscreen), compressed in time; JSON out.

``--mode slow --url URL --count N``: one tab on a slow endless-like stream (N events, paced
by the server); every ``--sample`` seconds the events held and the process RSS are sampled
(no collection: a full collection of a big heap is itself a stall). Reported: bytes of RSS
per event held over the first and the last fifth of the run (a minute each of the full
300 s run; of the first fifth its second half, so that the tab's own fixed cost is left
out), and the GUI thread's lateness over the first and the last fifth.
``--mode close --url URL --count N --warmup-url SMALL``: after a first small tab (opened and
closed, so that what a session's first tab loads for good is not counted), a tab floods N
events, then is closed; RSS after collection against RSS before that tab opened.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import weakref
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent

from benchmarks._common import emit, rss_bytes, self_cpu
from benchmarks._window import LatenessProbe, main_window, process_events, run_qt


def _spec(url: str, timeout: float) -> Any:
    from stream_core.net.spec import Mode, RequestSpec, Timeouts

    return RequestSpec(url, mode=Mode.SSE, timeouts=Timeouts(connect=10.0, read=60.0,
                                                              total=timeout))


def _per_event(a: tuple[float, int, int], b: tuple[float, int, int]) -> float:
    """RSS bytes gained per event held between samples ``a`` and ``b`` (t, events, rss)."""
    return (b[2] - a[2]) / max(1, b[1] - a[1])


async def slow(args: argparse.Namespace) -> dict[str, Any]:
    window, clients = main_window()
    process_events()
    gc.collect()
    probe = LatenessProbe()
    probe.start()
    cpu0 = self_cpu()
    controller = window.start(_spec(args.url, args.timeout))
    t0 = time.perf_counter()
    samples: list[tuple[float, int, int]] = [(0.0, 0, rss_bytes())]
    while not controller.ended:
        await asyncio.wait([asyncio.ensure_future(controller.wait())], timeout=args.sample)
        samples.append((time.perf_counter() - t0, controller.stats.events, rss_bytes()))
    dt = time.perf_counter() - t0
    cpu = self_cpu() - cpu0
    probe.stop()
    fifth = dt / 5

    def at(t: float) -> tuple[float, int, int]:  # the last sample at or before t
        return [s for s in samples if s[0] <= t][-1]

    # The second half of the first fifth against the last half fifth: the tab's fixed cost
    # (its widgets, the first rows' chart) is not a per-event cost.
    first, last = (at(fifth / 2), at(fifth)), (at(dt - fifth / 2), samples[-1])
    error = controller.error
    result = {
        "url": args.url, "expected": args.count, "events": controller.stats.events,
        "lost": args.count - controller.stats.events, "seconds": dt, "stream_cpu_s": cpu,
        "bytes": controller.stats.bytes,
        "bytes_per_event_first": _per_event(*first), "bytes_per_event_last": _per_event(*last),
        "probe_first": probe.summary(t0, t0 + fifth),
        "probe_last": probe.summary(t0 + dt - fifth, t0 + dt),
        "probe": probe.summary(), "samples": samples,
        "error": None if error is None else f"{error.kind}: {error.message}",
    }
    await controller.stop()
    await clients.aclose()
    window.close()
    return result


async def _deleted() -> None:
    """Until a closed tab's ``deleteLater()``s ran and the window gave its memory back."""
    for _ in range(3):  # (qasync's loop leaves deferred deletes to the outer Qt loop)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        await asyncio.sleep(0.1)  # the window's give_back() runs 50 ms after a close
    gc.collect()


async def close(args: argparse.Namespace) -> dict[str, Any]:
    window, clients = main_window()
    process_events()
    # A first small tab, opened and closed: what the first tab of a session loads for good
    # (modules, icons, style caches) is not what this tab should give back.
    warm = window.start(_spec(args.warmup_url, args.timeout))
    await asyncio.wait_for(warm.wait(), args.timeout + 5)
    window.close_tab(window.tabs.indexOf(window.current_tab()))
    del warm
    await _deleted()
    before = rss_bytes()
    controller = window.start(_spec(args.url, args.timeout))
    await asyncio.wait_for(controller.wait(), args.timeout + 5)
    controller.drain()
    events = controller.stats.events
    gc.collect()
    held = rss_bytes()
    gone = weakref.ref(controller)
    window.close_tab(window.tabs.indexOf(window.current_tab()))
    del controller
    await _deleted()
    after = rss_bytes()
    await clients.aclose()
    window.close()
    return {"url": args.url, "expected": args.count, "events": events,
            "rss_before": before, "rss_held": held, "rss_after": after,
            "after_vs_before": after / before, "held_growth": held - before,
            "tab_collected": gone() is None}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mode", choices=("slow", "close"), required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--count", type=int, required=True, help="events the stream sends")
    ap.add_argument("--warmup-url", default="", help="a small stream for the first tab (close)")
    ap.add_argument("--sample", type=float, default=1.0, help="seconds between samples (slow)")
    ap.add_argument("--timeout", type=float, default=900.0)
    args = ap.parse_args(argv)
    emit(run_qt(lambda _app: slow(args) if args.mode == "slow" else close(args)))


if __name__ == "__main__":
    main()
