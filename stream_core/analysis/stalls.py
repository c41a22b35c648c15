"""Whose stall was it? Findings about a stream's times: their clock, the window's own blocks,
and the long gaps between arrivals, each named with its source (the server or the window).

Why apart from ``diagnostics``: those findings come from the records alone; these also need
facts from outside the stream, gathered by the window (``gui.services.loop_watch`` records
when its loop was blocked) and by the engine (``clock``, ``clock_reason`` and ``held_ms`` on
the ``end`` record, ``clock`` on ``response``). With arrival times (the arrival reader), a
window block cannot shift or bunch a stream's times, so a gap in them is the server's (or
the network's); with read times a gap during a window block may be the window's own, and is
never blamed on the server.

No Qt, no I/O.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from stream_core.analysis.diagnostics import Finding
from stream_core.analysis.stats import Timeline

__all__ = ["BLOCK_S", "Block", "BlockLog", "StreamTimes", "clock_text", "events_during",
           "timing_findings"]

BLOCK_S = 0.1
"""A window loop that did not turn for longer than this was blocked (Diagnostics says so)."""
MAX_BLOCKS = 500


@dataclass(frozen=True, slots=True)
class Block:
    """The window's loop did not turn for ``seconds`` from ``wall`` (wall clock) on."""

    wall: float
    seconds: float

    @property
    def end(self) -> float:
        return self.wall + self.seconds


class BlockLog:
    """The window's blocks, oldest first, at most ``limit`` (the oldest are dropped)."""

    def __init__(self, limit: int = MAX_BLOCKS) -> None:
        self.blocks: deque[Block] = deque(maxlen=limit)

    def add(self, wall: float, seconds: float) -> None:
        self.blocks.append(Block(wall, seconds))

    def between(self, start: float, end: float) -> list[Block]:
        """The blocks that overlap the wall-clock span ``[start, end]``."""
        return [b for b in self.blocks if b.wall <= end and b.end >= start]


@dataclass(frozen=True, slots=True)
class StreamTimes:
    """What a stream says about its times (from its ``response`` and ``end`` records)."""

    clock: str = ""  # "arrival", "read", or "" (not known yet, or a capture from before)
    reason: str = ""  # why they are read times
    held_ms: float = 0.0  # the arrival reader left the connection unread this long


def clock_text(times: StreamTimes) -> str:
    """One line saying where a stream's times come from (the summary strip's tooltip)."""
    if times.clock == "arrival":
        text = ("Times are arrival times: when the bytes reached this machine, read by a "
                "separate process whatever the window was doing.")
        if times.held_ms > 0:
            text += (f" The window left this stream's bytes waiting too long: times held for "
                     f"{times.held_ms:,.0f} ms.")
        return text
    if times.clock == "read":
        return (f"Times are read times: when the window read the bytes ({times.reason}); a "
                "busy window delays and bunches them.")
    return "Times: when each record was received (the capture does not say how)."


def _at(wall: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(wall))


def fmt_s(seconds: float) -> str:
    """A stall's length as people say it: "350 ms", "2.2 s"."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def events_during(timeline: Timeline, start: float, end: float) -> int:
    """About how many events arrived between ``t = start`` and ``end`` (the timeline's
    buckets, so within a bucket's width at each end)."""
    first, last = int(max(start, 0.0) / timeline.bin_s), int(max(end, 0.0) / timeline.bin_s)
    return sum(timeline.event_bins[first:last + 1])


def timing_findings(times: StreamTimes, timeline: Timeline, blocks: Sequence[Block],
                    started: float, elapsed: float) -> list[Finding]:
    """Findings about the times of a stream that started at ``started`` (wall clock of
    ``t = 0``) and has run ``elapsed`` seconds: its clock, the window's ``blocks`` during it
    (with what kept arriving meanwhile), and its stalls (``Timeline.stalls``), each naming
    its source."""
    stalls = timeline.stalls
    out: list[Finding] = []
    arrival = times.clock == "arrival"
    mine = [b for b in blocks if b.wall <= started + elapsed and b.end >= started]
    if times.clock == "read":
        out.append(Finding(
            "read-times", "warning" if mine else "info", "Times are read times",
            f"They say when the window read the bytes, not when they arrived ({times.reason}). "
            "While the window is busy, times are late and reads bunch up, so gaps and stalls "
            "can be the window's own."))
    if times.held_ms > 0:
        out.append(Finding(
            "times-held", "warning", f"Times held for {times.held_ms:,.0f} ms",
            "The window did not take this stream's bytes for so long that the arrival reader "
            "stopped reading it (it holds 32 MiB per stream): the times of the reads that "
            "followed may be late by up to that much."))
    if mine:
        longest = max(mine, key=lambda b: b.seconds)
        what = (f"The window was busy for {fmt_s(longest.seconds)} at {_at(longest.wall)}"
                + (f" (and {len(mine) - 1} shorter time(s))" if len(mine) > 1 else ""))
        if arrival:
            t = longest.wall - started
            came = events_during(timeline, t, t + longest.seconds)
            meanwhile = (f" Meanwhile about {came} events arrived, each stamped as it came: "
                         "the server's own pace." if came else
                         " Nothing of this stream arrived meanwhile.")
            out.append(Finding(
                "window-busy", "info", f"{what}; arrival times are unaffected",
                "The window's loop did not turn for that long (drawing, a big view, another "
                "tab's work). This stream's times were taken by a separate reader as its "
                "bytes arrived, so its gaps and stalls are the server's, not the window's."
                + meanwhile))
        else:
            out.append(Finding(
                "window-busy", "warning", f"{what}; times read during it are late",
                "The window's loop did not turn for that long, and this stream's times are "
                "read times: bytes that arrived meanwhile got the time the window read them, "
                "after the block."))
    for t, gap, seq in sorted(stalls, key=lambda s: -s[1])[:5]:
        wall = started + t
        overlap = [b for b in mine if b.wall <= wall + gap and b.end >= wall]
        if not arrival and overlap:
            out.append(Finding(
                "window-stall", "info", f"A {fmt_s(gap)} gap while the window was busy",
                f"From {_at(wall)} no bytes were read for {fmt_s(gap)}, while the window "
                "itself was busy: with read times this gap may be the window's, not the "
                "server's.", chunk=seq))
        else:
            out.append(Finding(
                "server-stall", "warning", f"No bytes from the server for {fmt_s(gap)}",
                f"From {_at(wall)} nothing arrived for {fmt_s(gap)}: the server (or something "
                "between it and this machine) sent nothing."
                + (" These are arrival times: the window's own delays are not in them."
                   if arrival else ""), chunk=seq))
    return out
