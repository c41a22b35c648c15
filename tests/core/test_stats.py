"""``stream_core.analysis.stats``: fixed-size buckets, gap percentiles, bounded memory, figures."""

from __future__ import annotations

import pytest

from stream_core.analysis.stats import MAX_BINS, Stats, Timeline


def test_buckets_count_bytes_and_events_per_100ms() -> None:
    tl = Timeline()
    tl.arrival(0.05, 100)
    tl.arrival(0.07, 50)
    tl.arrival(0.25, 10)
    tl.events_at(0.07, 3)
    tl.event(0.25)
    assert tl.bytes_bins == [150, 0, 10]
    assert tl.event_bins == [3, 0, 1]
    # a stream shorter than the rate window: its rate is over its whole length (0.3 s)
    assert tl.peak_rates() == pytest.approx((160 / 0.3, 4 / 0.3))
    assert tl.longest_stall == pytest.approx(0.18)


def test_gap_percentiles_from_the_histogram() -> None:
    tl = Timeline()
    t = 0.0
    for i in range(100):
        t += 0.5 if i == 99 else 0.01  # 99 gaps of 10 ms and one of 500 ms
        tl.event(t)
    assert tl.gaps == 99  # the first event has no gap
    p50 = tl.gap_percentile(0.5)
    assert p50 is not None and 0.01 <= p50 <= 0.0113  # within one bin (~12 %)
    assert tl.gap_max == pytest.approx(0.5)
    assert tl.gap_percentile(1.0) == pytest.approx(0.5)


def test_events_of_one_read_have_zero_gaps() -> None:
    tl = Timeline()
    tl.events_at(1.0, 1000)
    assert tl.gaps == 999 and tl.gap_counts[0] == 999
    assert tl.gap_percentile(0.95) == 0.0


def test_memory_stays_bounded_on_long_streams() -> None:
    tl = Timeline()
    for i in range(20 * MAX_BINS):
        tl.arrival(i * 0.1, 1)
    assert len(tl.bytes_bins) <= MAX_BINS
    assert sum(tl.bytes_bins) == 20 * MAX_BINS
    assert tl.bin_s > 0.1


def test_figures_report_stalls_while_running() -> None:
    s = Stats()
    s.bytes, s.events, s.ttfb, s.first_event = 1000, 10, 0.01, 0.02
    s.timeline.arrival(0.01, 1000)
    s.timeline.events_at(0.02, 10)
    f = s.figures(elapsed=7.0, running=True)
    assert f.stalled_for == pytest.approx(6.99)
    assert f.longest_stall == pytest.approx(6.99)
    assert f.avg_bytes_rate == pytest.approx(1000 / 7)
    assert s.figures(elapsed=7.0, running=False).stalled_for == 0.0


def test_sample_measures_the_rate_over_the_last_second_of_arrivals() -> None:
    s = Stats()
    s.sample(0.0)
    assert s.rate == 0.0
    s.timeline.arrival(0.25, 500)
    s.timeline.events_at(0.25, 5)
    s.sample(0.5)
    assert s.rate == pytest.approx(1000.0) and s.event_rate == pytest.approx(10.0)
    for i in range(30):  # 100 bytes every 100 ms from 1 s to 4 s: 1 kB/s
        s.timeline.arrival(1.05 + 0.1 * i, 100)
    s.sample(3.5)  # the last second: 10 reads
    assert s.rate == pytest.approx(1000.0, rel=0.15)
    s.sample(9.0)  # nothing arrived in the last second (however late the window looks)
    assert s.rate == 0.0


def test_rates_over_a_sliding_window_read_a_steady_stream_right() -> None:
    """Issue 14.6: 100 ms buckets holding 0 or 1 event read a 5 ev/s stream as 10 ev/s."""
    tl = Timeline()
    for i in range(30):  # 5 events a second for 6 s, 1000 bytes each, off the bucket edges
        t = 0.13 + 0.2 * i
        tl.arrival(t, 1000)
        tl.event(t)
    t, b, e = tl.window_rates(1.0)
    steady = [(x, y) for x, y in zip(t, e, strict=True) if 1.2 <= x <= 5.9]
    assert steady and all(y == pytest.approx(5.0) for _x, y in steady)
    assert all(y == pytest.approx(5000.0) for x, y in zip(t, b, strict=True) if 1.2 <= x <= 5.9)
    assert tl.peak_rates() == pytest.approx((5000.0, 5.0))
