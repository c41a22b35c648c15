"""Replay: live stream -> capture file -> served again -> captured again, byte for byte."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from embedded_server.runner import ServerThread
from stream_core.capture.records_file import CaptureWriter
from stream_core.net.session import Clients, run
from stream_core.net.spec import RequestSpec, Timeouts
from stream_core.records import AnyRecord, Chunk, End, Error, Event, Response

ROOT = Path(__file__).resolve().parents[2]


def record(url: str | RequestSpec, path: Path | None = None) -> list[AnyRecord]:
    """Stream ``url`` with the engine (saving it to ``path``); its records."""
    records: list[AnyRecord] = []
    spec = url if isinstance(url, RequestSpec) else RequestSpec(url, timeouts=Timeouts(5.0, 10.0))

    async def go() -> None:
        clients = Clients()
        writer = CaptureWriter(path, request_body=spec.body) if path is not None else None

        def observer(rec: AnyRecord) -> None:
            records.append(rec)
            if writer is not None:
                writer(rec)
        try:
            await run(clients, spec, observer)
        finally:
            if writer is not None:
                writer.close()
            await clients.aclose()
    asyncio.run(go())
    return records


def chunks(records: list[AnyRecord]) -> list[bytes]:
    return [r.data for r in records if isinstance(r, Chunk)]


@pytest.fixture
def replay_server() -> Iterator[ServerThread]:
    """A server of its own: the replays it mounts stay out of the shared demo server."""
    with ServerThread() as server:
        yield server


def upload(server: ServerThread, name: str, path: Path) -> dict[str, object]:
    reply = httpx.put(f"{server.url}/replay/{name}", content=path.read_bytes(), timeout=10)
    assert reply.status_code == 200, reply.text
    data: dict[str, object] = reply.json()
    return data


def test_round_trip_bytes_boundaries_timing(demo_server: str, replay_server: ServerThread,
                                            tmp_path: Path) -> None:
    original = tmp_path / "events.sicap"
    live = record(f"{demo_server}/events?count=5&interval=0.05", original)
    info = upload(replay_server, "events", original)
    assert info["chunks"] == len(chunks(live))
    again = record(f"{replay_server.url}/replay/events")
    assert b"".join(chunks(again)) == b"".join(chunks(live))
    assert chunks(again) == chunks(live)  # the same boundaries: writes paced 50 ms apart
    first = next(r for r in live if isinstance(r, Response))
    second = next(r for r in again if isinstance(r, Response))
    assert second.status == first.status
    skip = {"date", "server", "transfer-encoding", "content-length", "connection"}  # hop-by-hop
    assert [h for h in second.headers if h[0].lower() not in skip] == [
        h for h in first.headers if h[0].lower() not in skip]
    assert [e.data for e in again if isinstance(e, Event)] == [
        e.data for e in live if isinstance(e, Event)]
    span = [c.t for c in live if isinstance(c, Chunk)]
    span2 = [c.t for c in again if isinstance(c, Chunk)]
    ratio = (span2[-1] - span2[0]) / (span[-1] - span[0])
    # Paced, not bursted: a replay cannot run early; a loaded machine only makes it late.
    assert 0.8 <= ratio < 4, ratio
    # ... and the second capture, saved and replayed once more, is still the same stream
    assert isinstance(again[-1], End) and again[-1].complete


def test_speed_and_faults(demo_server: str, replay_server: ServerThread, tmp_path: Path) -> None:
    path = tmp_path / "slow.sicap"
    live = record(f"{demo_server}/logs_stream?count=4&interval=0.1", path)
    body = b"".join(chunks(live))
    upload(replay_server, "logs", path)
    base = f"{replay_server.url}/replay/logs"

    live_t = [c.t for c in live if isinstance(c, Chunk)]
    live_span = live_t[-1] - live_t[0]  # ~0.3 s: four lines 0.1 s apart

    fast = record(f"{base}?speed=0")
    assert b"".join(chunks(fast)) == body
    fast_t = [c.t for c in fast if isinstance(c, Chunk)]
    assert fast_t[-1] - fast_t[0] < live_span / 2  # unpaced

    double = record(f"{base}?speed=2")
    t = [c.t for c in double if isinstance(c, Chunk)]
    # Half the original's pacing: never earlier than that; later only as load delays it.
    assert live_span / 2 * 0.8 <= t[-1] - t[0] < live_span * 2

    cut = record(f"{base}?speed=0&cut_at=20")
    assert b"".join(chunks(cut)) == body[:20]
    errors = [r for r in cut if isinstance(r, Error)]
    assert errors and errors[0].kind in ("protocol", "connect")

    split = record(f"{base}?speed=0&split=true")
    assert b"".join(chunks(split)) == body

    stalled = record(f"{base}?speed=0&stall=0.4&stall_at=5")
    t = [c.t for c in stalled if isinstance(c, Chunk)]
    # The last read cannot come before the request started + the stall (a late first read
    # under load would shorten a first-to-last span, not this).
    assert b"".join(chunks(stalled)) == body and t[-1] >= 0.39
    assert chunks(stalled)[0] == body[:5]


def test_replays_listed_and_validated(demo_server: str, replay_server: ServerThread,
                                      tmp_path: Path) -> None:
    path = tmp_path / "tour.sicap"
    record(f"{demo_server}/sse/tour?interval=0", path)
    before = httpx.get(f"{replay_server.url}/openapi.json").json()
    assert "/replay/tour" not in before["paths"]
    upload(replay_server, "tour", path)
    after = httpx.get(f"{replay_server.url}/openapi.json").json()
    op = after["paths"]["/replay/tour"]["get"]
    assert op["tags"] == ["replay"] and "speed" in {p["name"] for p in op["parameters"]}
    assert httpx.get(f"{replay_server.url}/replay/tour?speed=-1").status_code == 422
    bad = tmp_path / "bad.sicap"
    bad.write_bytes(b"not a capture\n")
    reply = httpx.put(f"{replay_server.url}/replay/bad", content=bad.read_bytes())
    assert reply.status_code == 422 and "not a Stream Inspector capture" in reply.text
    assert httpx.put(f"{replay_server.url}/replay/..", content=b"").status_code in (404, 422)


@pytest.mark.slow
def test_serve_replay_cli(demo_server: str, tmp_path: Path) -> None:
    path = tmp_path / "my capture.sicap"
    live = record(f"{demo_server}/events?count=2&interval=0", path)
    proc = subprocess.Popen([sys.executable, "-m", "embedded_server", "--port", "0",
                             "--replay", str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())  # the listening record, first and only
        assert first["type"] == "listening", first
        url = first["url"]
        assert first["replays"] == [{"name": "my-capture", "url": f"{url}/replay/my-capture"}]
        paths = httpx.get(f"{url}/openapi.json").json()["paths"]
        assert "/replay/my-capture" in paths
        again = record(f"{url}/replay/my-capture?speed=0")
        assert b"".join(chunks(again)) == b"".join(chunks(live))
    finally:
        proc.terminate()
        rest, err = proc.communicate(timeout=10)
    assert rest == ""  # nothing on stdout after the listening record
    assert err.startswith(f"replaying my-capture at {url}/replay/my-capture\n"
                          f"listening on {url}\n"), err


@pytest.mark.slow
def test_serve_replay_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.sicap"
    bad.write_text(json.dumps({"format": "stream-inspector-capture", "version": "9.0"}) + "\n")
    proc = subprocess.run([sys.executable, "-m", "embedded_server", "--port", "0",
                           "--replay", str(bad)], cwd=ROOT, capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 2 and "is a version 9.0 capture" in proc.stderr, proc.stderr


def test_add_replay_in_process(demo_server: str, tmp_path: Path) -> None:
    """``add_replay`` on an app: POST captures list both methods; a same name is replaced."""
    from embedded_server.app import create_app
    from embedded_server.replay import ReplayError, add_replay

    chat = tmp_path / "chat.sicap"
    body = json.dumps({"model": "demo", "stream": True, "messages": []}).encode()
    record(RequestSpec(f"{demo_server}/v1/chat/completions", method="POST", body=body,
                       headers=[("Content-Type", "application/json")]), chat)
    tour = tmp_path / "tour.sicap"
    record(f"{demo_server}/sse/tour?interval=0", tour)

    app = create_app()
    add_replay(app, "x", chat)
    item = app.openapi()["paths"]["/replay/x"]  # no duplicate-operation warning (an error here)
    assert set(item) == {"get", "post"} and item["post"]["tags"] == ["replay"]
    example = item["get"]["responses"]["200"]["content"]["text/event-stream"]["example"]
    assert example.startswith("data: {")
    add_replay(app, "x", tour)
    item = app.openapi()["paths"]["/replay/x"]
    assert set(item) == {"get"}
    assert app.state.replays["x"].method == "GET"
    with pytest.raises(ReplayError, match="bad replay name"):
        add_replay(app, "../etc", tour)
