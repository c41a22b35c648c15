"""What-if experiments behind the suggested fixes in README.md (not part of ``make bench``).

``python -m benchmarks.what_if EXP MODULE ARGS...`` runs a window child (``window_flood``,
``window_latency``, ``window_download``, or ``peer_download``) with the product patched in
this process only; nothing on disk changes. EXP is a comma-separated set of (``base``: none):

- ``anyio``: httpx's default network backend (anyio) instead of ``stream_core.net.netstream``;
- ``hwN``: the buffered backend pauses the socket reader with N KiB unread (default 1024);
- ``yieldN``: ... and hands the loop a turn after N ms without one (default 4);
- ``recvN``: asyncio's socket transports recv up to N KiB per call (default 256);
- ``bigread``: httpcore reads up to 1 MiB per call instead of 64 KiB;
- ``gapN``: at least N ms between two drains of the record queue (default 2);
- ``paintN``: tables repaint at most every N ms (default 60);
- ``nothrottle``: the tables repaint after every drain (no ``gui.stream.tables.PaintThrottle``);
- ``noproxy``: the events filter proxy is never attached to the source model;
- ``diag1``: Diagnostics analyses the chunks one by one (no ``feed_chunks`` batching);
- ``nodiag``: Diagnostics never sees a chunk (no second SSE decode);
- ``nospool``: the tab's recording spool drops every record;
- ``nosync``: no fsync or background fdatasync of the download;
- ``nostyle``: no application style sheet (plain Fusion: item views skip QStyleSheetStyle);
- ``switchN``: ``sys.setswitchinterval(N / 10000)`` (N tenths of a millisecond; default 50);
- ``qasyncloop``: qasync's own event loop instead of ``gui.services.qtloop.EventLoop`` (a
  cancelled ``call_later`` keeps its Qt timer until it is due).

These replace module constants and methods, and may break as the product changes.
"""

from __future__ import annotations

import importlib
import sys
import time
from typing import Any

EXP: set[str] = set()


def _number(prefix: str) -> float | None:
    """N of the experiment ``prefixN``, if one was asked for."""
    for exp in EXP:
        if exp.startswith(prefix) and exp[len(prefix):].isdigit():
            return float(exp[len(prefix):])
    return None


def _patch() -> None:
    import stream_core.net.netstream as netstream

    if "anyio" in EXP:
        import httpx

        import stream_core.net.clients as clients
        clients.buffered_transport = (  # type: ignore[assignment]
            lambda *, verify, http2, limits: httpx.AsyncHTTPTransport(
                verify=verify, http2=http2, limits=limits))
    if (kib := _number("hw")) is not None:
        netstream.HIGH_WATER = int(kib * 1024)
        netstream.LOW_WATER = max(1, netstream.HIGH_WATER // 4)
    if (ms := _number("yield")) is not None:
        netstream.YIELD_AFTER_S = ms / 1000
    if (kib := _number("recv")) is not None:
        import asyncio.selector_events as selector_events
        selector_events._SelectorSocketTransport.max_size = int(kib * 1024)
    if "bigread" in EXP:
        import httpcore._async.http11 as h11conn
        h11conn.AsyncHTTP11Connection.READ_NUM_BYTES = 1024 * 1024
    if (ms := _number("gap")) is not None:
        import gui.stream.tables as tables
        tables.MIN_GAP_S = ms / 1000
    if (ms := _number("paint")) is not None:
        import gui.stream.tables as tables
        tables.PAINT_GAP_S = ms / 1000
    if "nothrottle" in EXP:
        from gui.stream.tables import PaintThrottle
        PaintThrottle._rows_coming = lambda self, *args: None  # type: ignore[method-assign]
    if "noproxy" in EXP:
        from gui.stream.models import EventFilterProxy
        EventFilterProxy.setSourceModel = lambda self, model: None  # type: ignore[method-assign]
    if "diag1" in EXP:
        from stream_core.analysis.diagnostics import Diagnostics

        def one_by_one(self: Diagnostics, chunks: Any) -> None:
            for rec in chunks:
                self._chunk(rec)
        Diagnostics.feed_chunks = one_by_one  # type: ignore[method-assign]
    if "nodiag" in EXP:
        from stream_core.analysis.diagnostics import Diagnostics
        Diagnostics._chunk = lambda self, rec: None  # type: ignore[method-assign]
    if "nospool" in EXP:
        from gui.stream.capture_spool import Spool
        Spool.add = lambda self, record: None  # type: ignore[method-assign]
    if "nostyle" in EXP:
        import benchmarks._window as window
        window.configure_like_the_app = lambda app: None
    if "qasyncloop" in EXP:
        import qasync

        import gui.services.qtloop as qtloop
        qtloop.EventLoop = qasync.QEventLoop  # type: ignore[misc]
    if (tenths := _number("switch")) is not None:
        sys.setswitchinterval(tenths / 10000)
    if "nosync" in EXP:
        import stream_core.net.download as dl
        dl._sync = lambda f: f.flush()
        dl._datasync = lambda fd: None


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    EXP.update(x for x in sys.argv[1].split(",") if x and x != "base")
    _patch()
    module = sys.argv[2]
    if "." not in module:
        module = f"benchmarks.{module}"
    t0 = time.perf_counter()
    importlib.import_module(module).main(sys.argv[3:])  # type: ignore[attr-defined]
    print(f"what-if {sorted(EXP)}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
