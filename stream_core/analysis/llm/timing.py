"""Timing per token: time to first token, inter-token gaps, tokens/s, or "one burst".

Why: the figure users quote for a model is its rate, and a rate computed over tokens that
arrived together is meaningless (a buffered reply of 200 tokens in one read gave 32,586
tokens/s). Tokens that came in fewer than ``BURST_READS`` distinct reads, or within
``BURST_SPAN`` seconds of each other, are reported as delivered in one burst instead.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["BURST_READS", "BURST_SPAN", "HISTOGRAM_EDGES", "Timing", "figures", "percentile",
           "timing"]

BURST_READS = 3
"""Fewer distinct arrival times than this and the tokens arrived together."""
BURST_SPAN = 0.010
"""First-to-last token span (s) below which the tokens arrived together."""
HISTOGRAM_EDGES = (0.001, 0.010, 0.025, 0.050, 0.100, 0.250, 0.500, 1.0)
"""Upper edges (s) of the gap histogram's bins; one more bin holds longer gaps."""


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of sorted values, linearly interpolated."""
    if not sorted_values:
        return 0.0
    pos = (len(sorted_values) - 1) * q
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


@dataclass(slots=True, frozen=True)
class Timing:
    """The figures of one reply's tokens (times in seconds since the request started)."""

    tokens: int  # the count the rate uses: the provider's output tokens, else our deltas
    ttft: float | None
    span: float  # first to last token
    gap_p50: float | None
    gap_p95: float | None
    gap_max: float | None
    histogram: tuple[int, ...]  # gap counts per bin of HISTOGRAM_EDGES (+ one for longer)
    burst: bool
    tokens_per_s: float | None  # None for a burst or fewer than two tokens

    def to_json(self) -> dict[str, float | None]:
        def r(value: float | None) -> float | None:
            return None if value is None else round(value, 6)
        return {"ttft": r(self.ttft), "gap_p50": r(self.gap_p50), "gap_p95": r(self.gap_p95),
                "gap_max": r(self.gap_max),
                "tokens_per_s": None if self.tokens_per_s is None else round(self.tokens_per_s, 2)}


def timing(times: Sequence[float], tokens: int | None = None) -> Timing:
    """Figures of tokens that arrived at ``times`` (in order); ``tokens`` is the provider's
    output-token count when it gave one (the rate then uses it over the same span)."""
    gaps = sorted(b - a for a, b in zip(times, times[1:], strict=False))
    # The gaps are sorted: each bin's count is a difference of two bisections (a loop over
    # the gaps cost 0.4 s of the window's thread for a reply of 100k tokens).
    below = [0, *(bisect_left(gaps, edge) for edge in HISTOGRAM_EDGES), len(gaps)]
    bins = [high - low for low, high in itertools.pairwise(below)]
    return figures(times, gaps, bins, len(set(times)), tokens)


def figures(times: Sequence[float], sorted_gaps: Sequence[float], bins: list[int], reads: int,
            tokens: int | None = None) -> Timing:
    """:func:`timing` from its inputs already made: the gaps sorted, their histogram and the
    number of distinct arrival times (the assembler keeps them up to date per token, so
    that reading the figures of a long reply does not redo the work of every token)."""
    count = tokens if tokens and tokens > 0 else len(times)
    if not times:
        return Timing(count, None, 0.0, None, None, None, (0,) * (len(HISTOGRAM_EDGES) + 1),
                      False, None)
    gaps = sorted_gaps
    span = times[-1] - times[0]
    burst = len(times) > 1 and (reads < BURST_READS or span < BURST_SPAN)
    rate = (count - 1) / span if len(times) > 1 and not burst and span > 0 else None
    return Timing(count, times[0], span, percentile(gaps, 0.5) if gaps else None,
                  percentile(gaps, 0.95) if gaps else None, gaps[-1] if gaps else None,
                  tuple(bins), burst, rate)
