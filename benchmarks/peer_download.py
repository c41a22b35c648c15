"""Child process: raw httpx in plain asyncio streaming a download into a file (no UI).

The loop a user of httpx writes: ``aiter_bytes()`` and a plain ``file.write`` per read.
``--fsync`` adds one fsync at the end (the engine fsyncs before it renames the ``.part``).
``--concurrent N`` runs N such downloads at once on one client. ``--engine`` runs ``stream_core.net.session.run`` in download mode instead, still in plain
asyncio (no Qt), to separate the engine's cost from the window's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import httpx

from benchmarks._common import emit, self_cpu


async def _one(client: httpx.AsyncClient, url: str, output: str, fsync: bool) -> int:
    n = 0
    async with client.stream("GET", url) as response:
        response.raise_for_status()
        with open(output, "wb") as f:
            async for data in response.aiter_bytes():
                f.write(data)
                n += len(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
    return n


async def raw(url: str, output: str, fsync: bool, timeout: float,
              concurrent: int = 1) -> dict[str, Any]:
    """One download to ``output``, or ``concurrent`` at once to ``output.0``, ``output.1``..."""
    cpu0 = self_cpu()
    t0 = time.perf_counter()
    outputs = [output] if concurrent == 1 else [f"{output}.{i}" for i in range(concurrent)]
    async with asyncio.timeout(timeout), httpx.AsyncClient(
            timeout=httpx.Timeout(60.0), trust_env=False) as client:
        sizes = await asyncio.gather(*(_one(client, url, out, fsync) for out in outputs))
    dt = time.perf_counter() - t0
    n = sum(sizes)
    return {"url": url, "bytes": n, "sizes": sizes, "seconds": dt, "bytes_per_s": n / dt,
            "stream_cpu_s": self_cpu() - cpu0}


async def engine(url: str, output: str, timeout: float) -> dict[str, Any]:
    from stream_core.net.session import Clients, run
    from stream_core.net.spec import Mode, RequestSpec, Timeouts

    spec = RequestSpec(url, mode=Mode.DOWNLOAD, output=output,
                       timeouts=Timeouts(connect=10.0, read=60.0, total=timeout))
    clients = Clients()
    cpu0 = self_cpu()
    t0 = time.perf_counter()
    try:
        end = await run(clients, spec, lambda _rec: None)
    finally:
        await clients.aclose()
    dt = time.perf_counter() - t0
    return {"url": url, "bytes": end.bytes, "seconds": dt, "bytes_per_s": end.bytes / dt,
            "stream_cpu_s": self_cpu() - cpu0, "sha256": end.sha256, "complete": end.complete}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--fsync", action="store_true")
    ap.add_argument("--engine", action="store_true")
    ap.add_argument("--concurrent", type=int, default=1,
                    help="downloads at once (raw httpx, one client): OUTPUT.0, OUTPUT.1, ...")
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args(argv)
    if args.engine:
        emit(asyncio.run(engine(args.url, args.output, args.timeout)))
    else:
        emit(asyncio.run(raw(args.url, args.output, args.fsync, args.timeout,
                             args.concurrent)))


if __name__ == "__main__":
    main()
