"""The benchmark scenarios at tiny sizes: correctness only (counts, no loss, SHA-256).

No timing is asserted here; ``make bench`` measures. Each scenario runs its contenders as
child processes against the demo server in a process of its own, as ``make bench`` does.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks import scenarios
from benchmarks._common import ServerProcess

pytestmark = pytest.mark.bench  # left out of `make check`

SIZES = scenarios.Sizes.tiny()


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[scenarios.Context]:
    with ServerProcess() as server:
        assert server.url.startswith("http://127.0.0.1:")
        yield scenarios.Context(server, SIZES, str(tmp_path_factory.mktemp("dl")),
                                lambda _msg: None)


def _counts(res: dict, name: str) -> list[int]:
    return [r["data"]["events"] for r in res["contenders"][name]["runs"]]


def test_flood_delivers_every_event_to_the_window_and_the_peers(ctx: scenarios.Context) -> None:
    res = scenarios.flood(ctx)
    for key, n in (("sse", SIZES.flood_events), ("starlette", SIZES.starlette_events)):
        r = res[key]
        assert r["window_lost"] == 0
        assert r["window_errors"] == []
        assert _counts(r, "window") == [n]
        assert _counts(r, "httpx_sse") == [n]
        runs = r["contenders"]["window"]["runs"]
        assert runs[0]["data"]["last_seq"] == n - 1
        assert runs[0]["data"]["other_rows"] == 0
        assert runs[0]["data"]["probe"]["ticks"] > 0
    mem = scenarios.memory(res)
    assert mem["raw_bytes"] >= SIZES.flood_events * (SIZES.flood_data + 10)


def test_download_files_are_complete_and_verified(ctx: scenarios.Context) -> None:
    res = scenarios.download(ctx)
    assert res["problems"] == []
    for name, c in res["contenders"].items():
        assert [r["data"]["bytes"] for r in c["runs"]] == [SIZES.download_bytes], name
    window = res["contenders"]["window"]["runs"][0]["data"]
    assert window["sha256"] == res["sha256_expected"]
    assert window["complete"] is True


def test_latency_sees_every_event(ctx: scenarios.Context) -> None:
    res = scenarios.latency(ctx)
    assert res["window_lost"] == 0
    assert res["window"]["events"] == [SIZES.latency_events]
    assert res["httpx_sse"]["events"] == [SIZES.latency_events]
    for name in ("window", "httpx_sse"):
        # Send -> receipt in the same machine's clock: ordered percentiles, and no event later
        # than the whole stream could take (a clock or unit mix-up shows up here).
        r = res[name]
        assert 0 <= r["p50_ms"] <= r["p99_ms"] <= r["worst_ms"] < 10_000, name


def test_parse_and_startup_run(ctx: scenarios.Context) -> None:
    parse = scenarios.parse(ctx)
    for shape in parse["shapes"].values():
        assert shape["events"] == SIZES.parse_events
    start = scenarios.startup(ctx)
    for name in ("app", "app_first_send", "bare_pyside6"):
        c = start["contenders"][name]
        # Every run reached "ready" (a window; for the app, its endpoint list, then a first
        # Send to the demo server answered 200).
        assert len(c["values"]) == len(c["runs"]) >= SIZES.startup_repeats, name
        assert 0 < c["median"] < 60, name
    for run in start["contenders"]["app"]["runs"]:
        assert 0 < run["data"]["list_s"] <= run["data"]["sent_s"]
    assert start["ratio_app_vs_bare"] == (start["contenders"]["app"]["median"]
                                          / start["contenders"]["bare_pyside6"]["median"])


def test_capture_startup_reaches_the_wire(ctx: scenarios.Context) -> None:
    """Every contender's request reached the listening socket, before the process ended."""
    res = scenarios.capture(ctx)
    assert set(res["contenders"]) >= {"capture", "python_floor"}
    for name, c in res["contenders"].items():
        assert len(c["values"]) == len(c["runs"]) >= SIZES.startup_repeats, name
        assert 0 < c["median"] <= c["exit_median"] < 60, name
    assert res["targets"][0]["target"].startswith("capture:")


def test_proxy_forwards_every_event_and_byte(ctx: scenarios.Context) -> None:
    res = scenarios.proxy(ctx)
    lt, dl = res["latency"], res["download"]
    assert dl["problems"] == []
    for name in ("direct", "via_proxy"):
        assert lt[name]["events"] == [SIZES.proxy_events], name
        assert 0 <= lt[name]["p50_ms"] <= lt[name]["p99_ms"] <= lt[name]["worst_ms"] < 10_000
        assert [r["data"]["bytes"] for r in dl["contenders"][name]["runs"]] == \
            [SIZES.proxy_download_bytes], name
    assert lt["added_p99_ms"] == lt["via_proxy"]["p99_ms"] - lt["direct"]["p99_ms"]


def test_many_streams_and_concurrent_downloads(ctx: scenarios.Context) -> None:
    res = scenarios.many(ctx)
    sse = res["sse"]
    assert sse["errors"] == []
    assert sse["lost"] == 0
    assert sse["events"] == [sse["expected"]] * SIZES.many_tabs
    assert sse["expected"] >= SIZES.many_rate * SIZES.many_seconds  # the body made it long
    assert 0 < sse["cpu_per_stream_s"] * SIZES.many_tabs <= sse["stream_cpu_s"] + 1e-9
    dl = res["download"]
    assert dl["problems"] == []
    for name in ("window", "raw_httpx"):
        runs = dl["contenders"][name]["runs"]
        assert [r["data"]["bytes"] for r in runs] == \
            [SIZES.many_download_tabs * SIZES.many_download_bytes] * len(runs), name


def test_long_day_and_a_closed_tab(ctx: scenarios.Context) -> None:
    res = scenarios.longday(ctx)
    slow, close = res["slow"], res["close"]
    assert slow["error"] is None and slow["lost"] == 0
    assert slow["events"] == SIZES.longday_events
    times = [t for t, _n, _rss in slow["samples"]]
    events = [n for _t, n, _rss in slow["samples"]]
    assert times == sorted(times) and events == sorted(events)
    assert events[-1] == SIZES.longday_events
    assert close["events"] == SIZES.close_events
    assert close["tab_collected"]
    assert close["rss_before"] > 0 and close["rss_held"] > 0 and close["rss_after"] > 0


def test_actions_run_each_user_action_to_its_end(ctx: scenarios.Context) -> None:
    res = scenarios.actions(ctx)
    rows = res["runs"]["this"]["actions"]
    names = {(r["phase"], r["action"]) for r in rows}
    for phase, action in (("big", "filter '99999'"), ("big", "Save"), ("big", "Export HAR"),
                          ("big", "Open the saved capture"),
                          ("big", "Compare with the previous tab"), ("big", "close a big tab"),
                          ("big", "open Timeline"), ("llm", "open Llm"),
                          ("busy", "switch tab"), ("busy", "(nothing, for comparison)")):
        assert (phase, action) in names, (phase, action)
    for r in rows:
        assert r["ok"], r  # every action's result showed
        assert r["block_ms"] >= 0 and r["took_s"] >= 0, r
    phases = res["runs"]["this"]["phases"]
    assert phases["big"]["events"] == SIZES.actions_events
    assert phases["big"]["save_message"].startswith("Saved")
    assert phases["big"]["har_message"].startswith("Exported")
    assert phases["busy"]["running_at_end"] == SIZES.actions_busy


def test_timing_measures_every_event_of_each_contender(ctx: scenarios.Context) -> None:
    res = scenarios.timing(ctx)
    for name, c in res["contenders"].items():
        assert c["events"] == [SIZES.timing_events], name
        # recorded arrival - send time, in one machine's clock: ordered, and not absurd
        assert c["p50_ms"] <= c["p99_ms"] <= c["max_ms"] < 10_000, name
    assert res["contenders"]["window"]["lost"] == 0
    run = res["contenders"]["window"]["runs"][0]
    assert run["clock"] == "arrival" and res["contenders"]["window_read"]["runs"][0][
        "clock"] == "read"
    assert "freeze" in run["steps"]
    assert res["contenders"]["capture_late"]["runs"][0]["clock"] == "arrival"


def test_llm_memory_streams_a_reply_one_delta_per_read(ctx: scenarios.Context) -> None:
    res = scenarios.llm_memory(ctx)
    assert res["errors"] == [] and res["lost"] == 0
    assert res["events"] > SIZES.llm_words  # the body made the reply long
    assert [r["events"] for r in res["runs"]] == [res["events"]] * SIZES.llm_repeats
    assert res["wire_per_event"] > 100 and res["rss_per_event"] != 0
    assert {t["target"] for t in res["targets"]} >= {"llm memory: events lost"}
