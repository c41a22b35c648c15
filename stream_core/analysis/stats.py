"""Statistics of one stream in fixed-size memory: counters, rates, time buckets, gap histogram.

Why buckets: the Timeline charts and the figures must cost the same at 10 or 50,000 events a
second. Every arrival adds to a time bucket (100 ms to start with) and gaps between events go
into a fixed log-scale histogram, so memory and redraw cost depend on the stream's duration
in buckets (bounded: when there are too many, neighbours are merged and the bucket width
doubles), never on the number of events. Percentiles come from the histogram (within one
bin's width, about 12 %), which is plenty for "p95 gap".

No Qt, no I/O: the window's controller feeds it from its drain; tests feed it directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import accumulate

__all__ = ["BIN_S", "GAP_EDGES", "MAX_BINS", "RATE_WINDOW", "STALL_S", "Figures", "Stats",
           "Timeline"]

BIN_S = 0.1
"""Initial width of a time bucket, in seconds."""
MAX_BINS = 3000
"""Buckets kept before neighbours are merged (the width doubles): 5 minutes at 100 ms."""
RATE_WINDOW = 1.0
"""Seconds over which the "current" rates are measured."""
STALL_S = 1.0
"""Gaps between arrivals at least this long are kept (``Timeline.stalls``) for Diagnostics."""
MAX_STALLS = 20
"""How many of them (the longest)."""
_GAP_MIN = 1e-5  # 10 µs: smaller gaps (events of one read) fall in bin 0
_GAP_BINS_PER_DECADE = 20
_GAP_DECADES = 8  # 10 µs .. 1000 s
GAP_EDGES: tuple[float, ...] = tuple(
    _GAP_MIN * 10 ** (i / _GAP_BINS_PER_DECADE)
    for i in range(_GAP_DECADES * _GAP_BINS_PER_DECADE + 1))
"""Upper edges of the gap histogram's bins (bin 0 is ``[0, 10 µs)``; the last is open)."""


@dataclass(slots=True)
class Marker:
    """Something worth a vertical line on the charts: a reconnect or an error."""

    t: float
    kind: str  # "reconnect" | "error"
    label: str


@dataclass(slots=True)
class Figures:
    """The numbers the Timeline shows beside its charts (None: not known yet)."""

    ttfb: float | None
    first_event: float | None
    first_token: float | None
    total: float
    gap_p50: float | None
    gap_p95: float | None
    gap_max: float | None
    avg_bytes_rate: float
    peak_bytes_rate: float
    avg_event_rate: float
    peak_event_rate: float
    longest_stall: float
    stalled_for: float  # seconds since the last arrival (0 when something just arrived)


class Timeline:
    """Bytes and events per time bucket, the gap histogram and markers."""

    def __init__(self, bin_s: float = BIN_S, max_bins: int = MAX_BINS) -> None:
        self.bin_s = bin_s
        self.max_bins = max_bins
        self.bytes_bins: list[int] = []
        self.event_bins: list[int] = []
        self.gap_counts: list[int] = [0] * (len(GAP_EDGES) + 1)
        self.gaps = 0
        self.gap_max = 0.0
        self.markers: list[Marker] = []
        self.last_event_t: float | None = None
        self.last_arrival_t: float | None = None
        self.longest_stall = 0.0
        self.arrivals = 0
        #: ``(t, seconds, seq)`` of the longest gaps of at least ``STALL_S`` between two reads:
        #: the read before the gap was at ``t``; ``seq`` counts reads from 0 (the chunk's seq
        #: in a stream's own timeline), the read after the gap.
        self.stalls: list[tuple[float, float, int]] = []
        self._log_min = math.log10(_GAP_MIN)

    def _index(self, t: float) -> int:
        i = int(t / self.bin_s) if t > 0 else 0
        while i >= self.max_bins:
            self._merge()
            i = int(t / self.bin_s)
        if i >= len(self.bytes_bins):
            grow = i + 1 - len(self.bytes_bins)
            self.bytes_bins.extend([0] * grow)
            self.event_bins.extend([0] * grow)
        return i

    def _merge(self) -> None:
        """Halve the resolution: memory stays bounded however long the stream runs."""
        b, e = self.bytes_bins, self.event_bins
        if len(b) % 2:
            b.append(0)
            e.append(0)
        self.bytes_bins = [b[i] + b[i + 1] for i in range(0, len(b), 2)]
        self.event_bins = [e[i] + e[i + 1] for i in range(0, len(e), 2)]
        self.bin_s *= 2

    def arrival(self, t: float, nbytes: int) -> None:
        """A network read of ``nbytes`` at ``t`` (seconds since the request started)."""
        i = self._index(t)  # first: it may merge buckets (new lists)
        self.bytes_bins[i] += nbytes
        last = self.last_arrival_t
        if last is not None:
            gap = t - last
            if gap > self.longest_stall:
                self.longest_stall = gap
            if gap >= STALL_S:
                self._stall(last, gap)
        self.last_arrival_t = t
        self.arrivals += 1

    def _stall(self, t: float, gap: float) -> None:
        stalls = self.stalls
        stalls.append((t, gap, self.arrivals))
        if len(stalls) > MAX_STALLS:
            stalls.remove(min(stalls, key=lambda s: s[1]))

    def event(self, t: float) -> None:
        """One event or record at ``t``; its gap to the previous one goes to the histogram."""
        i = self._index(t)
        self.event_bins[i] += 1
        last = self.last_event_t
        self.last_event_t = t
        if last is None:
            return
        gap = t - last
        if gap < _GAP_MIN:
            self.gap_counts[0] += 1
        else:
            k = int((math.log10(gap) - self._log_min) * _GAP_BINS_PER_DECADE) + 1
            self.gap_counts[min(k, len(self.gap_counts) - 1)] += 1
        self.gaps += 1
        if gap > self.gap_max:
            self.gap_max = gap

    def events_at(self, t: float, count: int) -> None:
        """``count`` events completed by one read at ``t`` (all but the first: gap 0)."""
        if count <= 0:
            return
        self.event(t)
        if count > 1:
            i = self._index(t)
            self.event_bins[i] += count - 1
            self.gap_counts[0] += count - 1
            self.gaps += count - 1

    def mark(self, t: float, kind: str, label: str) -> None:
        self.markers.append(Marker(t, kind, label))

    def gap_percentile(self, q: float) -> float | None:
        """The gap below which a fraction ``q`` of gaps fall (upper edge of its bin)."""
        if not self.gaps:
            return None
        target = q * self.gaps
        seen = 0
        for i, n in enumerate(self.gap_counts):
            seen += n
            if seen >= target and n:
                if i == 0:
                    return 0.0
                return min(GAP_EDGES[i] if i < len(GAP_EDGES) else self.gap_max, self.gap_max)
        return self.gap_max

    def window_rates(self, window_s: float = RATE_WINDOW
                     ) -> tuple[list[float], list[float], list[float]]:
        """(t, bytes/s, events/s) at the end of each bucket, over the ``window_s`` before it.

        Why a sliding window: a 100 ms bucket holds 0 or 1 event of a slow stream, and drawn
        as a rate that is 0 or 10 ev/s (a steady 5 ev/s stream read as twice its rate). The
        window is the whole stream when that is shorter, and one bucket once buckets are wider.
        """
        n = len(self.bytes_bins)
        if not n:
            return [], [], []
        k = max(1, min(round(window_s / self.bin_s), n))
        span = k * self.bin_s
        out: list[list[float]] = []
        for bins in (self.bytes_bins, self.event_bins):
            cum = [0, *accumulate(bins)]
            out.append([(cum[i + 1] - cum[max(0, i + 1 - k)]) / span for i in range(n)])
        return [(i + 1) * self.bin_s for i in range(n)], out[0], out[1]

    def peak_rates(self) -> tuple[float, float]:
        """Highest bytes/s and events/s over any ``RATE_WINDOW`` (as the charts draw them)."""
        _t, b, e = self.window_rates()
        return (max(b), max(e)) if b else (0.0, 0.0)


class Stats:
    """Counters the summary strip shows plus the timeline; plain attributes, read after a drain.

    ``sample(now)`` (seconds since ``t = 0``) refreshes the "current" rates over the last
    second of the stream's own time.
    """

    __slots__ = ("bytes", "chunks", "events", "rate", "event_rate", "ttfb", "first_event",
                 "first_token", "timeline")

    def __init__(self) -> None:
        self.bytes = 0
        self.chunks = 0
        self.events = 0
        self.rate = 0.0  # bytes/s over the last second
        self.event_rate = 0.0
        self.ttfb: float | None = None
        self.first_event: float | None = None
        self.first_token: float | None = None
        self.timeline = Timeline()

    def sample(self, now: float) -> None:
        """The rates of what arrived in the ``RATE_WINDOW`` before ``now`` (seconds since
        ``t = 0``), from the timeline's buckets, so from the records' arrival times: a window
        that was busy and then took a backlog at once does not show a burst that never was."""
        tl = self.timeline
        width = tl.bin_s
        first = max(0, int((now - RATE_WINDOW) / width) + 1) if now > RATE_WINDOW else 0
        last = int(now / width) if now > 0 else 0
        span = max(now - first * width, width / 10)
        self.rate = sum(tl.bytes_bins[first:last + 1]) / span
        self.event_rate = sum(tl.event_bins[first:last + 1]) / span

    def figures(self, elapsed: float, running: bool) -> Figures:
        """The Timeline's numbers at ``elapsed`` seconds into the stream."""
        tl = self.timeline
        peak_b, peak_e = tl.peak_rates()
        since = tl.last_arrival_t if tl.last_arrival_t is not None else 0.0
        stalled = max(0.0, elapsed - since) if running else 0.0
        total = max(elapsed, 1e-9)
        return Figures(
            ttfb=self.ttfb, first_event=self.first_event, first_token=self.first_token,
            total=elapsed, gap_p50=tl.gap_percentile(0.5), gap_p95=tl.gap_percentile(0.95),
            gap_max=tl.gap_max if tl.gaps else None,
            avg_bytes_rate=self.bytes / total, peak_bytes_rate=peak_b,
            avg_event_rate=self.events / total, peak_event_rate=peak_e,
            longest_stall=max(tl.longest_stall, stalled), stalled_for=stalled)
