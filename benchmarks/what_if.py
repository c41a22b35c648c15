"""What-if experiments behind the suggested fixes in README.md (not part of ``make bench``).

``python -m benchmarks.what_if EXP MODULE ARGS...`` runs a window child (``window_flood``,
``window_latency``, ``window_download``, or ``peer_download``) with the product patched in
this process only; nothing on disk changes. EXP is a comma-separated set of:

- ``adapt``: drain as soon as the queue goes from empty to non-empty, and stretch the drain
  tick to 150 ms after a drain that moved more than 500 records (floods);
- ``nothrottle``: the tables repaint after every drain (no ``gui.tables.PaintThrottle``);
- ``freeze``: ``gc.freeze()`` after every drain (no gen-2 rescans of the held rows);
- ``noproxy``: the events filter proxy is never attached to the source model;
- ``bigread``: httpcore reads up to 1 MiB per call instead of 64 KiB;
- ``nosync``: no fsync of the finished download;
- ``nospool``: the tab's recording spool drops every record;
- ``anyio``: httpx's default network backend (anyio) instead of ``stream_core.netstream``.

These poke private attributes (``_queue``, ``_timer``) and may break as the GUI changes.
"""

from __future__ import annotations

import gc
import importlib
import sys
import time
from typing import Any

EXP: set[str] = set()


def _patch() -> None:
    from PySide6.QtCore import QTimer

    import benchmarks._window as window
    import gui.controller as ctl

    if "bigread" in EXP:
        import httpcore._async.http11 as h11conn
        h11conn.AsyncHTTP11Connection.READ_NUM_BYTES = 1024 * 1024
    if "anyio" in EXP:
        import httpx

        import stream_core.clients as clients
        clients.buffered_transport = (  # type: ignore[assignment]
            lambda *, verify, http2, limits: httpx.AsyncHTTPTransport(
                verify=verify, http2=http2, limits=limits))
    for exp in EXP:
        if exp.startswith("gap"):  # gapN: at least N ms between two drains
            import gui.tables as tables
            tables.MIN_GAP_S = int(exp[3:]) / 1000
        if exp.startswith("hw"):  # hwN: pause the socket reader with N KiB unread
            import stream_core.netstream as netstream
            netstream.HIGH_WATER = int(exp[2:]) * 1024
            netstream.LOW_WATER = max(1, netstream.HIGH_WATER // 4)
        if exp.startswith("yield"):  # yieldN: hand the loop a turn after N ms without one
            import stream_core.netstream as netstream
            netstream.YIELD_AFTER_S = int(exp[5:]) / 1000
    if "nothrottle" in EXP:
        from gui.tables import PaintThrottle
        PaintThrottle._rows_coming = lambda self, *args: None  # type: ignore[method-assign]
    if "nospool" in EXP:
        from gui.capture_spool import Spool
        Spool.add = lambda self, record: None  # type: ignore[method-assign]
    if "nosync" in EXP:
        import stream_core.download as dl
        dl._sync = lambda f: f.flush()
    if "noproxy" in EXP:
        from gui.models import EventFilterProxy
        EventFilterProxy.setSourceModel = lambda self, model: None  # type: ignore[method-assign]

    drain = ctl.StreamController.drain

    def patched_drain(self: Any) -> None:
        moved = len(self._queue)
        drain(self)
        self._what_if_pending = False
        if "adapt" in EXP:
            self._timer.setInterval(150 if moved > 500 else ctl.DRAIN_MS)
        if "freeze" in EXP:
            gc.freeze()

    ctl.StreamController.drain = patched_drain  # type: ignore[method-assign]

    class EagerQueue(list):  # type: ignore[type-arg]
        """The controller's queue; schedules a drain when it stops being empty."""

        controller: Any = None

        def append(self, item: Any) -> None:
            c = self.controller
            if not self and not getattr(c, "_what_if_pending", False):
                c._what_if_pending = True
                QTimer.singleShot(0, c.drain)
            list.append(self, item)

    open_tab = window._main_window_tab

    def patched_tab(spec: Any, url: str | None) -> Any:
        tab = open_tab(spec, url)
        if "adapt" in EXP:
            queue = EagerQueue()
            queue.controller = tab.controller
            tab.controller._queue = queue  # before the engine task first runs
        return tab

    window._main_window_tab = patched_tab


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
