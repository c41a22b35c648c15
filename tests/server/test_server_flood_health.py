"""A flood of large events must not stall the demo server after its client is gone."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from embedded_server.runner import ServerThread

MIB = 1024 * 1024


def _probe(url: str, until: threading.Event, latencies: list[float]) -> None:
    with httpx.Client(timeout=5.0) as c:
        while not until.is_set():
            t0 = time.monotonic()
            try:
                c.get(f"{url}/health").raise_for_status()
            except httpx.HTTPError:
                latencies.append(float("inf"))
                return
            latencies.append(time.monotonic() - t0)
            until.wait(0.05)


@pytest.mark.slow
def test_health_answers_while_a_disconnected_starlette_flood_winds_down() -> None:
    """Before: 256 events of 1 MiB between loop turns; once the client left, sending never
    waited and /health went unanswered for over 10 s (it answers within ~50 ms now)."""
    server = ServerThread(host="127.0.0.1", port=0)
    url = server.start()
    latencies: list[float] = []
    done = threading.Event()
    prober = threading.Thread(target=_probe, args=(url, done, latencies))
    try:
        prober.start()
        with httpx.Client(timeout=10.0) as c, c.stream(
                "GET", f"{url}/flood/starlette?count=5000&size={MIB}") as r:
            got = 0
            for chunk in r.iter_raw():
                got += len(chunk)
                if got > 8 * MIB:
                    break  # the client disconnects mid-flood
        left = time.monotonic()
        while time.monotonic() - left < 2.0 and not done.is_set():
            done.wait(0.1)
    finally:
        done.set()
        prober.join(10)
        server.stop()
    assert len(latencies) >= 10
    assert max(latencies) < 1.0, sorted(latencies)[-5:]
