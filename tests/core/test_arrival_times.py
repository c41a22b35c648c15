"""Arrival times: a reading side that is blocked must not shift or bunch the recorded times.

The server (``tests/timing_server.py``, a process of its own) sends SSE events 10 ms apart and
notes the wall clock just before and just after each send: on loopback the bytes arrive in
between. The engine's loop is blocked for 500 ms after the third event (the observer sleeps,
as a busy window or a stdout nobody reads would); every event's recorded time (``t = 0``'s
wall clock + ``t``) must still lie within 1 ms of its send, over HTTP/1.1, TLS and HTTP/2, so
the recorded times keep the spacing of the sends. With the arrival reader turned off, the
stream says its times are read times, and why.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stream_core.net.arrival import ENV, Origin
from stream_core.net.session import Clients, run
from stream_core.net.spec import Mode, RequestSpec, Timeouts
from stream_core.records import AnyRecord, End, Event, Response

ROOT = Path(__file__).resolve().parents[2]
BLOCK_S = 0.5
INTERVAL = 0.01
SPACING_S = 0.001
MERGED = 12  # sends one read may carry (see assert_arrived_when_sent)

pytest.importorskip("hypercorn")


@pytest.fixture(scope="module")
def timing_server(tls_files: tuple[str, str]) -> Iterator[tuple[str, str]]:
    """(plain URL, TLS URL) of the demo app served by a process of its own."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "timing_server.py"),
                             *tls_files], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env=env, cwd=ROOT)
    assert proc.stdout is not None and proc.stdin is not None
    try:
        words = proc.stdout.readline().decode().split()
        assert len(words) == 4, words
        yield words[1], words[3]
    finally:
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def sends(log: Path) -> dict[int, tuple[float, float]]:
    """Event number -> the server's wall clock just before and just after its send."""
    out = {}
    for line in log.read_text().splitlines():
        n, before, after = (int(x) for x in line.split())
        out[n] = (before / 1e9, after / 1e9)
    return out


def assert_arrived_when_sent(times: list[tuple[int, float]], log: Path) -> None:
    """Each event's recorded wall-clock time ``(n, time)`` lies within ``SPACING_S`` of the
    server's send of it, or of a send the kernel handed to the reader with it.

    The second part is the one thing the reader cannot undo: bytes that reach the socket
    before it wakes are merged by the kernel and carry the newest one's arrival. On a loaded
    machine the reader may wait for a core (here up to ~70 ms once in a full test run, 7
    sends); such a read shares one time, so it is told by that. It may hold ``MERGED`` sends
    at most, never the fifty of the 500 ms block (what read times put in one read).
    """
    brackets = sends(log)
    assert len(times) == len(brackets) >= 60
    last_with: dict[float, int] = {}
    for n, at in times:
        last_with[at] = n
    sizes = {at: sum(1 for _, a in times if a == at) for at in last_with}
    for n, at in times:
        before = brackets[n][0]
        after = brackets[last_with[at]][1]
        assert sizes[at] <= MERGED, (n, sizes[at])
        assert before - SPACING_S <= at <= after + SPACING_S, (n, at - before, after - before)


def number(event: Event) -> int:
    return int(json.loads(event.data)["n"])


def stream_blocked(spec: RequestSpec) -> tuple[list[AnyRecord], Origin, list[float]]:
    """Run ``spec``, blocking the loop for ``BLOCK_S`` after the third event; the records,
    t = 0, and how late (seconds after its arrival) each event reached the observer."""
    records: list[AnyRecord] = []
    seen_late: list[float] = []
    origin = Origin()

    def observer(rec: AnyRecord) -> None:
        records.append(rec)
        if isinstance(rec, Event):
            seen_late.append(time.monotonic() - origin.mono - rec.t)
            if rec.seq == 2:
                time.sleep(BLOCK_S)  # the app is busy: nothing is read or stamped by it

    async def main() -> None:
        clients = Clients()
        try:
            await run(clients, spec, observer, origin=origin)
        finally:
            await clients.aclose()

    asyncio.run(main())
    return records, origin, seen_late


@pytest.mark.parametrize("kind", ["http1", "tls", "http2"])
def test_times_keep_their_spacing_while_the_reading_side_is_blocked(
        timing_server: tuple[str, str], tls_files: tuple[str, str], kind: str,
        tmp_path: Path) -> None:
    base = timing_server[0] if kind == "http1" else timing_server[1]
    log = tmp_path / "sends.log"
    spec = RequestSpec(f"{base}/timing?interval={INTERVAL}&count=80&log={log}", mode=Mode.SSE,
                       verify=tls_files[0], http2=kind == "http2",
                       timeouts=Timeouts(connect=10, read=10, total=60))
    records, origin, seen_late = stream_blocked(spec)
    events = [r for r in records if isinstance(r, Event)]
    [response] = [r for r in records if isinstance(r, Response)]
    end = records[-1]
    assert isinstance(end, End) and end.complete
    assert response.clock == "arrival" and end.clock == "arrival"
    assert response.http_version == ("HTTP/2" if kind == "http2" else "HTTP/1.1")
    assert max(seen_late) >= BLOCK_S * 0.8  # the block did delay the reading side
    assert_arrived_when_sent([(number(e), origin.wall + e.t) for e in events], log)


def test_read_times_are_named_when_the_reader_is_off(
        timing_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    monkeypatch.setenv(ENV, "read")
    spec = RequestSpec(f"{timing_server[0]}/timing?interval={INTERVAL}&count=80"
                       f"&log={tmp_path / 'sends.log'}",
                       mode=Mode.SSE, timeouts=Timeouts(connect=10, read=10, total=60))
    records, _origin, _late = stream_blocked(spec)
    [response] = [r for r in records if isinstance(r, Response)]
    end = records[-1]
    assert isinstance(end, End)
    assert response.clock == "read" and end.clock == "read"
    assert ENV in end.clock_reason
    # What the reader is for: without it, the events that waited during the block were
    # stamped when the loop came back, together.
    events = [r for r in records if isinstance(r, Event)]
    gaps = [b.t - a.t for a, b in zip(events, events[1:], strict=False)]
    assert max(gaps) >= BLOCK_S * 0.8 and min(gaps) < SPACING_S


def test_capture_times_hold_while_stdout_is_not_read(timing_server: tuple[str, str],
                                                     tmp_path: Path) -> None:
    """``capture --save`` writing into a 4 KiB pipe nobody reads for 0.5 s: the writes block
    its loop, yet its times keep their spacing, and ``started`` + ``t`` is the arrival."""
    import fcntl

    save, log = tmp_path / "c.sicap", tmp_path / "sends.log"
    read_end, write_end = os.pipe()
    fcntl.fcntl(read_end, 1031, 4096)  # F_SETPIPE_SZ
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop(ENV, None)
    proc = subprocess.Popen([sys.executable, "-m", "gui.app.cli", "capture",
                             f"{timing_server[0]}/timing?interval={INTERVAL}&count=80"
                             f"&log={log}",
                             "--save", str(save)], stdout=write_end, env=env, cwd=ROOT)
    os.close(write_end)
    try:
        first = os.read(read_end, 1)  # the request record is on its way: it has started
        assert first == b"{"
        stalled_until = time.monotonic() + BLOCK_S
        while time.monotonic() < stalled_until:  # not reading: the pipe fills, capture waits
            assert proc.poll() is None
            time.sleep(0.05)
        printed = [first]
        while piece := os.read(read_end, 65536):
            printed.append(piece)
    finally:
        os.close(read_end)
    assert proc.wait(30) == 0
    lines = save.read_text().splitlines()
    started = json.loads(lines[0])["started"]
    records = [json.loads(line) for line in lines[1:]]
    events = [r for r in records if r["type"] == "event"]
    assert b"".join(printed).count(b"\n") == len(records)
    assert records[-1]["clock"] == "arrival"
    assert_arrived_when_sent([(json.loads(r["data"])["n"], started + r["t"]) for r in events],
                             log)


def test_two_http2_streams_on_one_connection_keep_their_own_times(
        timing_server: tuple[str, str], tls_files: tuple[str, str], tmp_path: Path) -> None:
    """Over one shared HTTP/2 connection each response's frames keep their own arrival
    (``stream_core.net.h2times``), whichever stream's reader read them, with the loop blocked
    for 500 ms in between."""
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    got: list[list[AnyRecord]] = [[], []]
    origins = [Origin(), Origin()]

    def observer(i: int) -> Callable[[AnyRecord], None]:
        def observe(rec: AnyRecord) -> None:
            got[i].append(rec)
            if i == 0 and isinstance(rec, Event) and rec.seq == 2:
                time.sleep(BLOCK_S)
        return observe

    async def main() -> None:
        clients = Clients()
        try:
            specs = [RequestSpec(f"{timing_server[1]}/timing?interval={INTERVAL}&count=80"
                                 f"&log={log}", mode=Mode.SSE, verify=tls_files[0], http2=True,
                                 timeouts=Timeouts(connect=10, read=10, total=60))
                     for log in logs]
            clients.for_spec(specs[0])  # one client: one connection for both
            await asyncio.gather(*(run(clients, spec, observer(i), origin=origins[i])
                                   for i, spec in enumerate(specs)))
        finally:
            await clients.aclose()

    asyncio.run(main())
    # Both streams' sends share the connection, so a read the kernel merged may end with the
    # other stream's send: each time lies within the bracket of its own send or of a later
    # one (of either stream) a few sends on; and all but a few within their own. (Taking the
    # connection's latest read instead, the block put some 50 events of one stream on the
    # other's reads, each a send or two later.)
    every = sorted([*sends(logs[0]).values(), *sends(logs[1]).values()])
    for records, origin, log in zip(got, origins, logs, strict=True):
        [response] = [r for r in records if isinstance(r, Response)]
        assert response.http_version == "HTTP/2" and response.clock == "arrival"
        own = sends(log)
        events = [r for r in records if isinstance(r, Event)]
        assert len(events) == len(own) >= 60
        off = []
        for e in events:
            at, first = origin.wall + e.t, every.index(own[number(e)])
            assert any(before - SPACING_S <= at <= after + SPACING_S
                       for before, after in every[first:first + 2 * MERGED]), (number(e), at)
            if not own[number(e)][0] - SPACING_S <= at <= own[number(e)][1] + SPACING_S:
                off.append(number(e))
        assert len(off) <= MERGED, off
