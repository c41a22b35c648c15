"""Whose stall was it: the timing findings name the window or the server, never blaming the
server for the window's own block, and say where a stream's times come from."""

from __future__ import annotations

from stream_core.analysis.diagnostics import Finding
from stream_core.analysis.stalls import BlockLog, StreamTimes, clock_text, timing_findings
from stream_core.analysis.stats import STALL_S, Timeline

START = 1_800_000_000.0  # wall clock of t = 0


def codes(findings: list[Finding]) -> dict[str, Finding]:
    return {f.code: f for f in findings}


def timeline(times: list[float]) -> Timeline:
    """A timeline of one read and one event at each of ``times``."""
    tl = Timeline()
    for t in times:
        tl.arrival(t, 10)
        tl.event(t)
    return tl


def test_timeline_keeps_the_long_gaps_with_the_read_after_them() -> None:
    tl = Timeline()
    for t in (0.0, 0.01, 0.02, 2.5, 2.51, 2.52 + STALL_S):
        tl.arrival(t, 10)
    assert [(t, round(gap, 6), seq) for t, gap, seq in tl.stalls] == [
        (0.02, 2.48, 3), (2.51, round(0.01 + STALL_S, 6), 5)]


def test_with_arrival_times_a_gap_is_the_servers_and_a_block_is_said_apart() -> None:
    log = BlockLog()
    log.add(START + 1.0, 2.2)  # the window froze over the gap
    log.add(START + 100.0, 5.0)  # after the stream: not about it
    tl = timeline([(i * 0.01) for i in range(101)] + [1.0 + 2.3 + i * 0.01 for i in range(300)])
    found = codes(timing_findings(StreamTimes("arrival"), tl, list(log.blocks), START, 10.0))
    assert set(found) == {"window-busy", "server-stall"}
    busy = found["window-busy"]
    assert busy.title.startswith("The window was busy for 2.2 s at ")
    assert busy.title.endswith("; arrival times are unaffected")
    assert busy.severity == "info"

    stall = found["server-stall"]
    assert stall.title == "No bytes from the server for 2.3 s"
    assert stall.chunk == 101


def test_a_block_says_what_kept_arriving_meanwhile() -> None:
    log = BlockLog()
    log.add(START + 1.0, 1.0)
    tl = timeline([i * 0.01 for i in range(500)])  # 100 events a second, on and on
    [busy] = timing_findings(StreamTimes("arrival"), tl, list(log.blocks), START, 5.0)
    assert busy.title.startswith("The window was busy for 1.0 s at ")
    count = int(busy.detail.split("Meanwhile about ")[1].split()[0])
    assert 95 <= count <= 115


def test_with_read_times_a_gap_during_a_block_is_not_put_on_the_server() -> None:
    log = BlockLog()
    log.add(START + 1.0, 2.2)
    times = StreamTimes("read", "turned off (STREAM_INSPECTOR_ARRIVAL=read)")
    tl = timeline([0.5, 1.0, 3.3, 6.0, 7.5])
    found = codes(timing_findings(times, tl, list(log.blocks), START, 10.0))
    assert found["window-stall"].chunk == 2
    assert found["server-stall"].chunk == 4  # (no block then)
    assert found["read-times"].severity == "warning"
    assert "STREAM_INSPECTOR_ARRIVAL" in found["read-times"].detail
    assert found["window-busy"].title.endswith("times read during it are late")


def test_held_times_and_the_clock_in_words() -> None:
    found = codes(timing_findings(StreamTimes("arrival", held_ms=850.0), Timeline(), [], START,
                                  5.0))
    assert found["times-held"].title == "Times held for 850 ms"
    assert "arrival times" in clock_text(StreamTimes("arrival"))
    assert "held for 850 ms" in clock_text(StreamTimes("arrival", held_ms=850.0))
    assert "read times" in clock_text(StreamTimes("read", "no arrival reader"))
    assert timing_findings(StreamTimes("arrival"), Timeline(), [], START, 5.0) == []


def test_block_log_is_bounded_and_finds_overlaps() -> None:
    log = BlockLog(limit=3)
    for i in range(5):
        log.add(START + 10 * i, 1.0)
    assert [b.wall - START for b in log.blocks] == [20, 30, 40]
    assert [b.wall - START for b in log.between(START + 30.5, START + 35)] == [30]
