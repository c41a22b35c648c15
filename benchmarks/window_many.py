"""Child process: many tabs at once in one real window (offscreen); prints figures as JSON.

``--mode sse``: ``--tabs N`` tabs POST the same body to ``--url`` (an LLM-like SSE stream
the server paces) and stream at once; reports, from the moment they are all open (in one
burst, timed apart as ``opening_s``) until every stream ended,
the GUI thread's lateness (a 5 ms timer), the events each tab holds against ``--expected``,
and the process CPU per stream.
``--mode download``: ``--tabs N`` download tabs at once, into ``--output-dir``; reports the
aggregate bytes/s (all bytes over the time until the last one finished) and each file's
SHA-256 as the engine computed it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

from benchmarks._common import emit, self_cpu
from benchmarks._window import LatenessProbe, main_window, process_events, run_qt
from benchmarks.window_flood import count_events


def _specs(args: argparse.Namespace) -> list[Any]:
    from stream_core.net.spec import Mode, RequestSpec, Timeouts

    timeouts = Timeouts(connect=10.0, read=60.0, total=args.timeout)
    if args.mode == "download":
        return [RequestSpec(args.url, mode=Mode.DOWNLOAD, timeouts=timeouts,
                            output=os.path.join(args.output_dir, f"download-{i}.bin"))
                for i in range(args.tabs)]
    body = args.body.encode() if args.body else None
    return [RequestSpec(args.url, method="POST" if body else "GET", body=body, mode=Mode.SSE,
                        headers=[("Content-Type", "application/json")] if body else [],
                        timeouts=timeouts)
            for _ in range(args.tabs)]


async def many(args: argparse.Namespace) -> dict[str, Any]:
    window, clients = main_window()
    process_events()
    t_open = time.perf_counter()
    controllers = [window.start(spec) for spec in _specs(args)]
    # The tabs open in one burst (a user opens them a click at a time): what is measured is
    # the streaming that follows, the opening's time is reported apart.
    opening = time.perf_counter() - t_open
    probe = LatenessProbe()
    probe.start()
    cpu0 = self_cpu()
    t0 = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(c.wait() for c in controllers)), args.timeout + 5)
    dt = time.perf_counter() - t0
    cpu = self_cpu() - cpu0
    probe.stop()
    errors = [f"{c.error.kind}: {c.error.message}" for c in controllers if c.error is not None]
    result: dict[str, Any] = {"url": args.url, "tabs": args.tabs, "seconds": dt,
                              "opening_s": opening,
                              "stream_cpu_s": cpu, "cpu_per_stream_s": cpu / args.tabs,
                              "cpu_per_stream_pct": 100 * cpu / args.tabs / dt,
                              "errors": errors, "probe": probe.summary()}
    if args.mode == "download":
        sizes = [os.path.getsize(s.output) if os.path.exists(s.output) else -1
                 for s in (c.spec for c in controllers)]
        result |= {"bytes": sum(sizes), "sizes": sizes, "bytes_per_s": sum(sizes) / dt,
                   "sha256": [getattr(c.end, "sha256", None) for c in controllers]}
    else:
        for c in controllers:
            c.drain()
        events = [count_events(c.events)[0] for c in controllers]
        result |= {"events": events, "expected": args.expected,
                   "lost": sum(max(0, args.expected - n) for n in events),
                   "events_per_s": sum(events) / dt}
    for c in controllers:
        await c.stop()
    await clients.aclose()
    window.close()
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mode", choices=("sse", "download"), required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--tabs", type=int, required=True)
    ap.add_argument("--body", default="", help="JSON body to POST (sse)")
    ap.add_argument("--expected", type=int, default=0, help="events each stream sends (sse)")
    ap.add_argument("--output-dir", default=".", help="where the downloads go (download)")
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args(argv)
    emit(run_qt(lambda _app: many(args)))


if __name__ == "__main__":
    main()
