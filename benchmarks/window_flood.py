"""Child process: the real window (offscreen) streams an SSE flood; prints figures as JSON.

``python -m benchmarks.window_flood --url URL --count N [--body JSON]`` opens a stream tab on
``URL`` (POSTing ``JSON``, an LLM request, when given) and
measures, from the moment the tab is opened until the N-th event is a row of the events
model: events/s, events lost (N minus the event rows), the GUI thread's responsiveness (a
5 ms repeating timer's lateness) and the RSS growth of the process against the bytes
received (what the tab holds for N events).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from typing import Any

from benchmarks._common import emit, rss_bytes, self_cpu
from benchmarks._window import LatenessProbe, open_tab, process_events, run_qt


def count_events(model: Any) -> tuple[int, int, int]:
    """(Event rows, other rows, seq of the last Event row or -1), via the model's public API."""
    from stream_core.records import Event

    events = other = 0
    last_seq = -1
    for i in range(model.rowCount()):
        row = model.row(i)
        if isinstance(row, Event):
            events += 1
            last_seq = row.seq
        else:
            other += 1
    return events, other, last_seq


class GcPauses:
    """Pauses of the cyclic garbage collector, per generation (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._t = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._t)

    def summary(self) -> dict[str, Any]:
        return {f"gen{g}": {"n": len(p), "total_ms": sum(p) * 1e3,
                            "max_ms": max(p, default=0.0) * 1e3}
                for g, p in self.pauses.items()}


#: RSS samples over the second half of the stream (``_second_half``).
SAMPLES = 12


def _slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ``ys`` over ``xs``."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def _second_half(samples: list[tuple[int, int, int]]) -> dict[str, float]:
    """What each event of the second half added, as the slope of RSS (and of the bytes
    received) over the event rows sampled then: the tab's fixed cost (widgets, caches, the
    first allocations of every module) is paid by then, so a short stream's figure is its
    cost per event, not that cost amortised as in the flood's 1M events; a slope over many
    samples, not two points, because RSS moves by whole pages and allocator arenas."""
    if len(samples) < 3:
        return {}
    rows = [float(r) for r, _b, _m in samples]
    rss = _slope(rows, [float(m) for _r, _b, m in samples])
    wire = _slope(rows, [float(b) for _r, b, _m in samples])
    return {"marginal_rss_per_event": rss, "marginal_wire_per_event": wire,
            "marginal_rss_per_raw_byte": rss / wire if wire > 0 else float("nan")}


async def flood(url: str, count: int, timeout: float, body: str = "") -> dict[str, Any]:
    from stream_core.net.spec import Mode, RequestSpec, Timeouts

    spec = RequestSpec(url, mode=Mode.SSE,
                       timeouts=Timeouts(connect=10.0, read=60.0, total=timeout))
    if body:  # an LLM request (the llm_memory scenario): POSTed as JSON
        spec.method, spec.body = "POST", body.encode()
        spec.headers = [("Content-Type", "application/json")]
    process_events()
    rss: list[int] = []

    def shown() -> None:  # the window is up; what grows from here is the stream's tab
        gc.collect()
        rss.append(rss_bytes())

    probe = LatenessProbe()
    probe.start()
    gc_pauses = GcPauses()
    gc.callbacks.append(gc_pauses)
    cpu0 = self_cpu()
    tab = open_tab(spec, on_shown=shown)
    t0 = tab.started_at  # the window is built and shown; the stream starts now
    model = tab.events
    last_in: list[float] = []
    samples: list[tuple[int, int, int]] = []  # (rows, bytes, RSS) over the second half
    step = max(1, count // (2 * SAMPLES))

    def rows_inserted(_parent: Any, _first: int, last: int) -> None:
        if last + 1 >= count // 2 + len(samples) * step and len(samples) < SAMPLES:
            samples.append((last + 1, tab.controller.stats.bytes, rss_bytes()))
        if not last_in and last + 1 >= count:
            last_in.append(time.perf_counter())

    model.rowsInserted.connect(rows_inserted)
    await asyncio.wait_for(tab.controller.wait(), timeout + 5)
    t_end = last_in[0] if last_in else time.perf_counter()
    cpu = self_cpu() - cpu0
    probe.stop()
    gc.callbacks.remove(gc_pauses)
    stats = tab.controller.stats
    raw_bytes = stats.bytes
    gc.collect()
    rss0, rss1 = rss[0], rss_bytes()
    events, other, last_seq = count_events(model)
    error = tab.controller.error
    result = {
        "url": url, "expected": count, "events": events, "other_rows": other,
        "lost": count - events, "last_seq": last_seq, "seconds": t_end - t0,
        "events_per_s": events / (t_end - t0), "stream_cpu_s": cpu,
        "bytes": raw_bytes, "chunks": stats.chunks,
        "rss_growth_bytes": rss1 - rss0, "rss_per_raw_byte": (rss1 - rss0) / max(1, raw_bytes),
        **_second_half(samples),
        "error": None if error is None else f"{error.kind}: {error.message}",
        "probe": probe.summary(), "gc": gc_pauses.summary(),
    }
    await tab.close()
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True)
    ap.add_argument("--count", type=int, required=True, help="events the stream sends")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--body", default="",
                    help="POST this JSON body (an LLM request); @FILE reads it from FILE")
    args = ap.parse_args(argv)
    body = args.body
    if body.startswith("@"):
        with open(body[1:], encoding="utf-8") as f:
            body = f.read()
    emit(run_qt(lambda _app: flood(args.url, args.count, args.timeout, body)))


if __name__ == "__main__":
    main()
