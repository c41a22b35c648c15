"""Child process: latency from the server's send to the row being in the window's model.

``python -m benchmarks.window_latency --url URL --count N``: URL sends events whose JSON data
carries the server's ``time.time()`` at send (``/events?interval=0.005&count=N``). When rows
are inserted into the events model, each new row's latency is now minus that timestamp.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from benchmarks._common import emit, self_cpu
from benchmarks._window import LatenessProbe, open_tab, process_events, run_qt
from benchmarks.peer_sse import latency_summary


async def measure(url: str, count: int, timeout: float) -> dict[str, Any]:
    from stream_core.net.spec import Mode, RequestSpec, Timeouts
    from stream_core.records import Event

    spec = RequestSpec(url, mode=Mode.SSE,
                       timeouts=Timeouts(connect=10.0, read=60.0, total=timeout))
    process_events()
    probe = LatenessProbe()
    probe.start()
    cpu0 = self_cpu()
    tab = open_tab(spec)
    model = tab.events
    lat: list[float] = []

    def rows_inserted(_parent: Any, first: int, last: int) -> None:
        now = time.time()
        for i in range(first, last + 1):
            row = model.row(i)
            if isinstance(row, Event):
                lat.append(now - json.loads(row.data)["timestamp"])

    model.rowsInserted.connect(rows_inserted)
    await asyncio.wait_for(tab.controller.wait(), timeout + 5)
    probe.stop()
    result = {"url": url, "expected": count, "events": len(lat), "lost": count - len(lat),
              "stream_cpu_s": self_cpu() - cpu0, "latency": latency_summary(lat),
              "probe": probe.summary()}
    await tab.close()
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args(argv)
    emit(run_qt(lambda _app: measure(args.url, args.count, args.timeout)))


if __name__ == "__main__":
    main()
