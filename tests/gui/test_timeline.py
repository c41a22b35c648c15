"""The Timeline sub-tab: figures, charts from fixed buckets (cost independent of the event
count), reconnect markers and the stall indicator."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

from gui.stream.controller import StreamController
from gui.views.stream_tab import StreamTab
from gui.views.timeline_charts import MAX_MARKERS
from gui.views.timeline_view import TimelineView
from gui.window.main_window import MainWindow
from stream_core.net.session import Clients
from stream_core.net.spec import Mode, RequestSpec


def open_tab(window: MainWindow, url: str, **spec: object) -> StreamTab:
    window.start(RequestSpec(url, mode=Mode.SSE, **spec))  # type: ignore[arg-type]
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    tab.tabs.setCurrentWidget(tab.timeline)
    return tab


def test_figures_and_charts_after_a_stream(window: MainWindow, qtbot: QtBot,
                                           demo_server: str) -> None:
    tab = open_tab(window, f"{demo_server}/events?interval=0.02&count=20")
    c = tab.controller
    qtbot.waitUntil(lambda: c.ended, timeout=10000)
    qtbot.waitUntil(lambda: tab.timeline.values["total"].text() != "—", timeout=2000)
    tl = c.stats.timeline
    assert sum(tl.event_bins) == 20 and sum(tl.bytes_bins) == c.stats.bytes
    assert tl.gaps == 19
    p50, p95 = tl.gap_percentile(0.5), tl.gap_percentile(0.95)
    assert p50 is not None and p95 is not None and p50 <= p95 <= tl.gap_max
    assert tl.gap_max > 0.01  # paced by the server (reads may still bunch under load)
    charts = tab.timeline.charts
    assert charts is not None  # built when the tab was shown: in steps, the loop turning
    qtbot.waitUntil(lambda: charts.complete, timeout=5000)
    qtbot.waitUntil(lambda: charts.cum_curve.getData()[1] is not None, timeout=2000)
    x, y = charts.cum_curve.getData()
    assert y is not None and y[-1] == c.stats.bytes
    for key in ("ttfb", "first_event", "gap_p50", "gap_p95", "gap_max", "avg_rate"):
        assert tab.timeline.values[key].text() != "—", key


def test_flood_costs_buckets_not_events(window: MainWindow, qtbot: QtBot,
                                        demo_server: str) -> None:
    tab = open_tab(window, f"{demo_server}/flood/sse?count=50000&size=16")
    c = tab.controller
    qtbot.waitUntil(lambda: c.ended, timeout=30000)
    assert c.stats.events == 50000
    tab.timeline.redraw()
    x, _y = tab.timeline.build_charts().event_curve.getData()
    assert x is not None and len(x) == len(c.stats.timeline.event_bins) < 1000
    assert sum(c.stats.timeline.gap_counts) == 49999


def test_reconnects_are_marked(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    tab = open_tab(window, f"{demo_server}/faults/resume?drop_every=2&count=5&interval=0&retry=0",
                   reconnect=True)
    qtbot.waitUntil(lambda: tab.controller.ended, timeout=10000)
    tab.timeline.redraw()
    kinds = [m.kind for m in tab.controller.stats.timeline.markers]
    assert kinds.count("reconnect") >= 2
    assert tab.timeline.build_charts().markers  # lines drawn on the charts


def test_stall_indicator(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    tab = open_tab(window, f"{demo_server}/events?interval=2.5&count=2")
    tab.timeline.stall_after.setValue(1)
    qtbot.waitUntil(lambda: "Stalled" in tab.timeline.stall.text(), timeout=5000)
    # the summary strip follows on the controller's next throttled update
    qtbot.waitUntil(lambda: tab.summary.values["state"].text().startswith("stalled"),
                    timeout=2000)
    qtbot.waitUntil(lambda: tab.controller.ended, timeout=10000)
    assert tab.timeline.stall.text() == ""
    assert tab.controller.stats.timeline.longest_stall >= 2.0


def test_marker_lines_are_capped(qtbot: QtBot, clients: Clients) -> None:
    controller = StreamController(clients, RequestSpec("http://127.0.0.1:1/"))
    view = TimelineView(controller)
    qtbot.addWidget(view)
    assert view.charts is None  # not shown yet: no pyqtgraph work
    charts = view.build_charts()
    for i in range(200):
        controller.stats.timeline.mark(i * 0.5, "reconnect", f"reconnect {i}")
        if i % 40 == 0:
            view.redraw()
    view.redraw()
    assert 0 < len(charts.markers) <= 3 * MAX_MARKERS
    assert charts.markers[-1][1].value() == 199 * 0.5


def test_rate_charts_plot_a_steady_stream_at_its_rate(qapp: object) -> None:
    """Issue 14.6: a steady 5 ev/s stream was drawn at 10 ev/s with a 30 ev/s peak."""
    from gui.views.timeline_charts import TimelineCharts
    from stream_core.analysis.stats import Stats

    stats = Stats()
    tl = stats.timeline
    for i in range(40):  # 5 ev/s for 8 s, 2 KiB per event
        t = 0.11 + 0.2 * i
        tl.arrival(t, 2048)
        tl.events_at(t, 1)
    charts = TimelineCharts()
    charts.draw(tl)
    x, y = charts.event_curve.getData()
    assert x is not None and y is not None
    inside = [v for t, v in zip(x, y, strict=True) if 1.2 <= t <= 7.9]
    assert len(inside) > 50 and all(v == pytest.approx(5.0) for v in inside)
    assert max(y) == pytest.approx(5.0)
    x, y = charts.rate_curve.getData()
    assert max(y) == pytest.approx(5 * 2048)
    figures = stats.figures(8.0, running=False)
    assert figures.peak_event_rate == pytest.approx(5.0)
    charts.deleteLater()


def test_charts_are_built_a_plot_per_turn_of_the_loop(qtbot: QtBot, clients: Clients) -> None:
    """Making a plot takes 15-70 ms: shown, the view makes one now and the others at the
    next turns of the loop, then draws them (issue 22.2); ``build_charts`` finishes at once."""
    controller = StreamController(clients, RequestSpec("http://127.0.0.1:1/"))
    for i in range(50):
        controller.stats.timeline.arrival(i * 0.1, 100)
        controller.stats.timeline.event(i * 0.1)
    view = TimelineView(controller)
    qtbot.addWidget(view)
    made: list[int] = []
    view._building.budget = 0.0  # (a plot per slice whatever the machine's speed)
    view._building.progressed.connect(lambda done, _total: made.append(done))
    view.show()
    charts = view.charts
    assert charts is not None and charts.plots_made == 1 and not charts.complete
    qtbot.waitUntil(lambda: charts.complete)
    assert made == [1, 2, 3, 4]  # a slice each
    qtbot.waitUntil(lambda: charts.cum_curve.getData()[1] is not None)  # drawn once made
    other = TimelineView(controller)
    qtbot.addWidget(other)
    assert other.build_charts().complete  # all at once when asked


def test_the_first_view_has_a_worker_import_the_charts(
        qtbot: QtBot, clients: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyqtgraph and numpy (0.35-2 s) are imported by a worker thread when the first
    Timeline view is made, not by the GUI thread when a user first opens it."""
    import sys

    from gui.views import timeline_view

    monkeypatch.delitem(sys.modules, "gui.views.timeline_charts")  # (put back after)
    monkeypatch.setattr(timeline_view, "_preloaded", False)
    monkeypatch.setattr(timeline_view, "PRELOAD_AFTER_MS", 0)  # (3 s after, in the window)
    threads: list[tuple[threading.Thread, str]] = []
    monkeypatch.setattr(timeline_view.importlib, "import_module",
                        lambda name: threads.append((threading.current_thread(), name)))
    for _ in range(2):
        view = TimelineView(StreamController(clients, RequestSpec("http://127.0.0.1:1/")))
        qtbot.addWidget(view)
    qtbot.waitUntil(lambda: bool(threads))
    assert len(threads) == 1  # once
    thread, name = threads[0]
    assert name == "gui.views.timeline_charts" and thread is not threading.main_thread()
