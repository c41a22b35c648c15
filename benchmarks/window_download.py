"""Child process: a download through the window (offscreen), progress bar live, into a file.

``python -m benchmarks.window_download --url URL --output FILE``: opens a download tab and
reports seconds, bytes/s, the SHA-256 the engine computed, and the GUI thread's lateness.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

from benchmarks._common import emit, self_cpu
from benchmarks._window import LatenessProbe, open_tab, process_events, run_qt


async def download(url: str, output: str, timeout: float) -> dict[str, Any]:
    from stream_core.net.spec import Mode, RequestSpec, Timeouts

    spec = RequestSpec(url, mode=Mode.DOWNLOAD, output=output,
                       timeouts=Timeouts(connect=10.0, read=60.0, total=timeout))
    process_events()
    probe = LatenessProbe()
    probe.start()
    cpu0 = self_cpu()
    tab = open_tab(spec)
    t0 = tab.started_at
    await asyncio.wait_for(tab.controller.wait(), timeout + 5)
    dt = time.perf_counter() - t0
    cpu = self_cpu() - cpu0
    probe.stop()
    end, error = tab.controller.end, tab.controller.error
    size = os.path.getsize(output) if os.path.exists(output) else -1
    result = {"url": url, "bytes": size, "seconds": dt, "bytes_per_s": size / dt,
              "stream_cpu_s": cpu, "sha256": getattr(end, "sha256", None),
              "complete": getattr(end, "complete", False),
              "error": None if error is None else f"{error.kind}: {error.message}",
              "probe": probe.summary()}
    await tab.close()
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args(argv)
    emit(run_qt(lambda _app: download(args.url, args.output, args.timeout)))


if __name__ == "__main__":
    main()
