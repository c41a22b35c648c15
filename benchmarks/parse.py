"""SSE parsing throughput: stream_core's SSEDecoder against httpx-sse, on the same bytes.

Run as ``python -m benchmarks.parse`` (or ``python benchmarks/parse.py``). Builds one in-memory
stream per shape (LF and CRLF line ends), cuts it into 64 KiB reads, and times both decoders
alternately (A/B/A/B...) so that drift in the machine hits both alike; prints medians and the
events/s ratio on stderr. Times are CPU time of this process (``time.process_time``; the wall-clock
medians are reported too): the decoders do no I/O, and CPU time is far less disturbed when
other work shares the machine. ``main()`` returns the figures as a dict.

httpx-sse is timed two ways:

* ``httpx_sse_decoder``: its own pieces exactly as ``EventSource.iter_sse`` chains them
  (httpx's ``TextDecoder`` -> ``SSELineDecoder`` -> ``line.rstrip("\\n")`` ->
  ``SSEDecoder.decode``) without an HTTP response around them: the strict comparison, and
  the one the ratio is taken from;
* ``httpx_sse_eventsource``: ``EventSource(httpx.Response(...)).iter_sse()`` over an
  in-memory body, i.e. what a user of httpx-sse actually runs (adds httpx's per-read work).
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make stream_core importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from httpx._decoders import TextDecoder
from httpx_sse import EventSource
from httpx_sse._decoders import SSEDecoder as HttpxSSEDecoder
from httpx_sse._decoders import SSELineDecoder

from stream_core.decode.sse import SSEDecoder

CHUNK = 64 * 1024
EVENTS = 200_000
REPEATS = 7


def build_stream(n_events: int = EVENTS, newline: str = "\n", with_id: bool = True) -> bytes:
    """``n_events`` events of about 100 bytes: an LLM-style ``data: {json}`` with an ``id``."""
    parts = []
    for i in range(n_events):
        payload = json.dumps({"id": "chatcmpl-42", "i": i,
                              "choices": [{"delta": {"content": f"tok{i % 97}"}}]},
                             separators=(",", ":"))
        lines = ([f"id: {i}"] if with_id else []) + [f"data: {payload}", ""]
        parts.append(newline.join(lines) + newline)
    return "".join(parts).encode()


def split_chunks(data: bytes, size: int = CHUNK) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def run_ours(chunks: list[bytes]) -> int:
    dec = SSEDecoder()
    n = 0
    for i, c in enumerate(chunks):
        n += len(dec.feed(c, 0.0, i))
    n += len(dec.close(0.0))
    return n


def run_httpx_sse_decoder(chunks: list[bytes]) -> int:
    text = TextDecoder("utf-8")
    lines = SSELineDecoder()
    dec = HttpxSSEDecoder()
    n = 0
    for c in chunks:
        for line in lines.decode(text.decode(c)):
            line = line.rstrip("\n")
            if dec.decode(line) is not None:
                n += 1
    for line in lines.flush():
        if dec.decode(line.rstrip("\n")) is not None:
            n += 1
    return n


def run_httpx_sse_eventsource(chunks: list[bytes]) -> int:
    def body() -> Iterator[bytes]:
        yield from chunks

    response = httpx.Response(200, headers={"content-type": "text/event-stream"},
                              content=body())
    return sum(1 for _ in EventSource(response).iter_sse())


def _time(fn: Callable[[list[bytes]], int], chunks: list[bytes]) -> tuple[float, float, int]:
    """CPU seconds, wall seconds and events of one run."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    n = fn(chunks)
    return time.process_time() - cpu, time.perf_counter() - wall, n


def bench_shape(data: bytes, repeats: int = REPEATS) -> dict[str, Any]:
    chunks = split_chunks(data)
    runners: dict[str, Callable[[list[bytes]], int]] = {
        "ours": run_ours,
        "httpx_sse_decoder": run_httpx_sse_decoder,
        "httpx_sse_eventsource": run_httpx_sse_eventsource,
    }
    times: dict[str, list[float]] = {k: [] for k in runners}
    walls: dict[str, list[float]] = {k: [] for k in runners}
    counts: dict[str, int] = {}
    for _ in range(repeats):  # alternate A/B/C in every round
        for name, fn in runners.items():
            cpu, wall, n = _time(fn, chunks)
            times[name].append(cpu)
            walls[name].append(wall)
            counts[name] = n
    if len(set(counts.values())) != 1:
        raise AssertionError(f"decoders disagree on the event count: {counts}")
    n_events = counts["ours"]
    out: dict[str, Any] = {"bytes": len(data), "chunks": len(chunks), "events": n_events}
    for name, ts in times.items():
        med = statistics.median(ts)
        out[name] = {"median_s": med, "median_wall_s": statistics.median(walls[name]),
                     "events_per_s": n_events / med, "mib_per_s": len(data) / med / 2**20}
    out["ratio_vs_decoder"] = out["ours"]["events_per_s"] / out["httpx_sse_decoder"]["events_per_s"]
    out["ratio_vs_eventsource"] = (out["ours"]["events_per_s"]
                                   / out["httpx_sse_eventsource"]["events_per_s"])
    return out


def say(line: str) -> None:
    """Human-readable lines go to stderr: stdout is kept for a JSON result."""
    print(line, file=sys.stderr, flush=True)


def main(n_events: int = EVENTS, repeats: int = REPEATS) -> dict[str, Any]:
    shapes = {
        "lf id+data": build_stream(n_events, "\n", with_id=True),
        "crlf id+data": build_stream(n_events, "\r\n", with_id=True),
        "lf data only": build_stream(n_events, "\n", with_id=False),
    }
    results: dict[str, Any] = {}
    for name, data in shapes.items():
        r = bench_shape(data, repeats)
        results[name] = r
        say(f"{name:14s} {r['events']} events, {r['bytes'] / 2**20:.1f} MiB, "
              f"{r['chunks']} reads of 64 KiB, median of {repeats} (CPU time; wall in brackets):")
        for k in ("ours", "httpx_sse_decoder", "httpx_sse_eventsource"):
            say(f"  {k:22s} {r[k]['median_s'] * 1e3:8.1f} ms "
                  f"[{r[k]['median_wall_s'] * 1e3:6.1f}]  "
                  f"{r[k]['events_per_s'] / 1e3:8.0f} k events/s  {r[k]['mib_per_s']:6.1f} MiB/s")
        say(f"  ratio ours / httpx-sse decoder: {r['ratio_vs_decoder']:.2f}x, "
              f"/ EventSource: {r['ratio_vs_eventsource']:.2f}x")
    return results


if __name__ == "__main__":
    main()
