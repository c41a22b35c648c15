"""Child process: raw httpx + httpx-sse in plain asyncio, no UI (the library's ceiling).

``--mode rate``: events/s from the request to the last event. ``--mode latency``: for each
event, wall-clock now minus the ``timestamp`` the server put in its JSON data. ``--mode
timing`` (``/timing``): the same with its ``sent_ns``, plus the gaps between receipts: the floor
of the ``timing`` scenario, an unloaded client taking the time as each event is parsed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from benchmarks._common import emit, error_summary, gap_summary, percentile, self_cpu


async def receive(url: str, latency: bool, timeout: float, timing: bool = False,
                  interval: float = 0.01) -> dict[str, Any]:
    n = 0
    lat: list[float] = []
    at: list[float] = []
    cpu0 = self_cpu()
    t0 = time.perf_counter()
    async with asyncio.timeout(timeout), httpx.AsyncClient(
            timeout=httpx.Timeout(60.0), trust_env=False) as client, \
            aconnect_sse(client, "GET", url) as source:
        async for sse in source.aiter_sse():
            if timing:
                now = time.time()
                lat.append(now - json.loads(sse.data)["sent_ns"] / 1e9)
                at.append(now)
            elif latency:
                lat.append(time.time() - json.loads(sse.data)["timestamp"])
            n += 1
    dt = time.perf_counter() - t0
    out: dict[str, Any] = {"url": url, "events": n, "seconds": dt, "events_per_s": n / dt,
                           "stream_cpu_s": self_cpu() - cpu0}
    if timing:
        out["error"] = error_summary(lat)
        out["gaps"] = gap_summary(at, interval)
    elif latency:
        out["latency"] = latency_summary(lat)
    return out


def latency_summary(lat: list[float]) -> dict[str, float]:
    return {"n": len(lat), "p50_ms": percentile(lat, 50) * 1e3,
            "p99_ms": percentile(lat, 99) * 1e3, "worst_ms": max(lat, default=0.0) * 1e3}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True)
    ap.add_argument("--mode", choices=["rate", "latency", "timing"], default="rate")
    ap.add_argument("--interval", type=float, default=0.01, help="(timing) the events' interval")
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args(argv)
    emit(asyncio.run(receive(args.url, args.mode == "latency", args.timeout,
                             args.mode == "timing", args.interval)))


if __name__ == "__main__":
    main()
