"""The six scenarios of issue 7; each returns its contenders' medians, ratios and targets.

Sizes come from ``Sizes`` (full or ``--quick``); every contender is a fresh process against
the one server process, and the contenders of a scenario alternate round by round.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks._common import PYTHON, ROOT, Run, ServerProcess, median, py, run_child, target
from benchmarks.runner import alternate, measured, summarize, time_to_ready
from benchmarks.scenario_actions import actions
from benchmarks.timing_scenario import timing

__all__ = ["Context", "Sizes", "download", "flood", "latency", "longday", "many", "memory",
           "parse", "proxy", "startup", "timing", "actions"]

HTTP = shutil.which("http", path=os.path.dirname(PYTHON)) or shutil.which("http")
CURL = shutil.which("curl")


@dataclass(frozen=True)
class Sizes:
    repeats: int = 5
    flood_events: int = 1_000_000
    flood_data: int = 86  # data bytes per flood event: ~100-byte events on the wire
    starlette_events: int = 200_000
    parse_events: int = 200_000
    parse_repeats: int = 7
    download_bytes: int = 1024 ** 3
    download_repeats: int = 3  # 6 contenders x 1 GiB: the costliest rounds
    latency_events: int = 1000
    latency_repeats: int = 3
    startup_repeats: int = 7
    proxy_events: int = 1000
    proxy_download_bytes: int = 512 * 1024 ** 2
    proxy_repeats: int = 3
    many_tabs: int = 20  # tabs streaming LLM-like SSE at once
    many_rate: int = 50  # events/s of each
    many_seconds: float = 60.0
    many_download_tabs: int = 4
    many_download_bytes: int = 256 * 1024 ** 2  # each
    many_repeats: int = 3  # rounds of the concurrent downloads (the 20 tabs: one run)
    longday_events: int = 300_000  # a slow stream, 1 kHz (compressed in time)
    longday_interval: float = 0.001
    close_events: int = 1_000_000  # the flood a closed tab must give back
    actions_events: int = 1_000_000  # the big tab the user actions run on
    actions_llm_words: int = 100_000  # deltas of the long LLM reply
    actions_busy: int = 20  # busy LLM tabs (50 events/s each) for the actions among them
    actions_busy_seconds: float = 120.0  # how long each busy tab streams
    llm_words: int = 22_400  # an LLM reply of ~22.4k deltas (issue 23.20's tabs), one per read
    llm_delay: float = 0.001  # s between deltas: each comes in a network read of its own
    llm_repeats: int = 3
    redo_disturbed: int = 1  # extra runs per contender when outside load disturbed one
    sync_between: bool = True  # flush the page cache's dirty pages before each download
    timing_events: int = 1000  # /timing events, one per timing_interval
    timing_interval: float = 0.01
    timing_tabs: int = 20  # busy LLM tabs beside the timing tab
    timing_late: float = 2.0  # seconds before capture's stdout is read
    timing_freeze: float = 1.0  # seconds of the freeze injected into the window
    timing_repeats: int = 3

    @classmethod
    def quick(cls) -> Sizes:
        return cls(repeats=2, flood_events=100_000, starlette_events=20_000,
                   parse_events=20_000, parse_repeats=3, download_bytes=64 * 1024 ** 2,
                   download_repeats=2,
                   latency_events=200, latency_repeats=1, startup_repeats=2,
                   proxy_events=200, proxy_download_bytes=64 * 1024 ** 2, proxy_repeats=2,
                   many_seconds=10.0, many_download_bytes=32 * 1024 ** 2, many_repeats=2,
                   longday_events=20_000, close_events=200_000, actions_events=100_000,
                   actions_llm_words=20_000, actions_busy=5, timing_events=500,
                   timing_repeats=1, llm_words=5000,
                   llm_repeats=2)

    @classmethod
    def tiny(cls) -> Sizes:
        """For tests: correctness at small sizes, one round."""
        return cls(repeats=1, flood_events=2000, starlette_events=500, parse_events=500,
                   parse_repeats=1, download_bytes=2 * 1024 ** 2 + 123, download_repeats=1,
                   latency_events=20,
                   latency_repeats=1, startup_repeats=1, proxy_events=20,
                   proxy_download_bytes=2 * 1024 ** 2 + 123, proxy_repeats=1, redo_disturbed=0,
                   sync_between=False, many_tabs=3, many_seconds=1.0, many_download_tabs=2,
                   many_download_bytes=1024 ** 2 + 123, many_repeats=1, longday_events=500,
                   close_events=2000, actions_events=3000, actions_llm_words=200,
                   actions_busy=2, actions_busy_seconds=30.0, timing_events=40, timing_tabs=2,
                   timing_late=0.3, timing_freeze=0.2, timing_repeats=1, llm_words=300,
                   llm_repeats=1)


@dataclass
class Context:
    server: ServerProcess
    sizes: Sizes
    tmp: str
    log: Callable[[str], None]
    baseline: str | None = None  # another checkout the actions scenario also runs

    @property
    def url(self) -> str:
        return self.server.url


_py, _target = py, target


# --- 1. SSE flood into the window ------------------------------------------------------------

def _curl_events(ctx: Context, url: str, count: int) -> Callable[[int], Run]:
    def go(_rnd: int) -> Run:
        if CURL is None:
            raise RuntimeError("curl not found")
        run = run_child([CURL, "-sSN", "--max-time", "300", "-o", "/dev/null",
                         "-w", "%{size_download}", url], server=ctx.server, expect_json=False)
        run.data = {"events": count, "events_per_s": count / run.wall, "seconds": run.wall}
        return run
    return go


def _flood(ctx: Context, path: str, count: int) -> dict[str, Any]:
    url = ctx.url + path

    def window(_rnd: int) -> Run:
        run = run_child(_py("benchmarks.window_flood", "--url", url, "--count", str(count)),
                        server=ctx.server)
        if run.data.get("lost") or run.data.get("error"):
            ctx.log(f"    window: lost {run.data.get('lost')} error {run.data.get('error')}")
        return run

    def httpx_sse(_rnd: int) -> Run:
        return run_child(_py("benchmarks.peer_sse", "--url", url), server=ctx.server)

    runs = alternate({"window": window, "httpx_sse": httpx_sse,
                      "curl": _curl_events(ctx, url, count)},
                     ctx.sizes.repeats, log=ctx.log,
                     extra_for_disturbed=ctx.sizes.redo_disturbed)
    out: dict[str, Any] = {"url_path": path, "events": count, "metric": "events_per_s",
                           "contenders": {k: summarize(v, "events_per_s") for k, v in runs.items()}}
    w = runs["window"]
    out["window_lost"] = max(r.data["lost"] for r in w)
    out["window_errors"] = [r.data["error"] for r in w if r.data.get("error")]
    out["probe_p99_ms"] = sorted(r.data["probe"]["p99_ms"] for r in w)[len(w) // 2]
    out["probe_worst_ms"] = max(r.data["probe"]["worst_ms"] for r in w)
    c = out["contenders"]
    out["ratio_window_vs_httpx_sse"] = c["window"]["median"] / c["httpx_sse"]["median"]
    out["ratio_window_vs_curl"] = c["window"]["median"] / c["curl"]["median"]
    return out


def flood(ctx: Context) -> dict[str, Any]:
    s = ctx.sizes
    ctx.log(f"  /flood/sse: {s.flood_events:,} events of ~{s.flood_data + 18} bytes")
    sse = _flood(ctx, f"/flood/sse?count={s.flood_events}&size={s.flood_data}", s.flood_events)
    ctx.log(f"  /flood/starlette: {s.starlette_events:,} events")
    star = _flood(ctx, f"/flood/starlette?count={s.starlette_events}", s.starlette_events)
    targets = [
        _target("flood: events/s into the models", sse["contenders"]["window"]["median"],
                ">=", 100_000, "events/s"),
        _target("flood: events lost", sse["window_lost"] + star["window_lost"], "<=", 0),
        _target("flood: GUI p99 stall", sse["probe_p99_ms"], "<=", 50, "ms"),
        _target("starlette: window / raw httpx+httpx-sse", star["ratio_window_vs_httpx_sse"],
                ">=", 0.90),
    ]
    return {"sse": sse, "starlette": star, "targets": targets}


# --- 5. Memory (from the flood runs: the same 1M ~100-byte events held by the tab) ----------

def memory(flood_result: dict[str, Any]) -> dict[str, Any]:
    runs = flood_result["sse"]["contenders"]["window"]["runs"]
    growth = sorted(r["data"]["rss_growth_bytes"] for r in runs)
    raw = sorted(r["data"]["bytes"] for r in runs)
    ratios = sorted(r["data"]["rss_per_raw_byte"] for r in runs)
    mid = len(runs) // 2
    events = flood_result["sse"]["events"]
    out = {"events": events, "rss_growth_bytes": growth[mid], "raw_bytes": raw[mid],
           "ratio": ratios[mid], "bytes_per_event": growth[mid] / events, "values": ratios}
    out["targets"] = [_target("memory: RSS growth / raw bytes", ratios[mid], "<=", 2.0)]
    return out


# --- 2. SSE parse -----------------------------------------------------------------------------

def parse(ctx: Context) -> dict[str, Any]:
    s = ctx.sizes
    code = ("import json, benchmarks.parse as p\n"
            f"r = p.main(n_events={s.parse_events}, repeats={s.parse_repeats})\n"
            "print(json.dumps(r))")
    run = run_child([PYTHON, "-c", code], timeout=600)
    for line in run.stderr.splitlines()[-3:]:
        ctx.log("    " + line)
    shapes = run.data
    ratios = {name: r["ratio_vs_decoder"] for name, r in shapes.items()}
    worst = min(ratios.values())
    return {"shapes": shapes, "ratio_vs_httpx_sse": ratios, "cpu_s": run.cpu,
            "targets": [_target("parse: ours / httpx-sse (worst shape)", worst, ">=", 2.0)]}


# --- 3. Download ------------------------------------------------------------------------------

def _sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(4 * 1024 * 1024):
            h.update(block)
    return h.hexdigest()


def download(ctx: Context) -> dict[str, Any]:
    from embedded_server.content import expected_sha256

    size = ctx.sizes.download_bytes
    url = f"{ctx.url}/download?size={size}"
    expected = expected_sha256(size)
    out_path = os.path.join(ctx.tmp, "download.bin")
    checked: set[str] = set()
    problems: list[str] = []

    def fresh() -> str:
        for p in os.listdir(ctx.tmp):
            os.remove(os.path.join(ctx.tmp, p))
        if ctx.sizes.sync_between:
            os.sync()  # no write-back of the previous file during this run
        return out_path

    def check(name: str, run: Run, sha: str | None = None) -> Run:
        got = os.path.getsize(out_path) if os.path.exists(out_path) else -1
        if got != size:
            problems.append(f"{name}: {got} bytes, expected {size}")
        if sha is None and name not in checked:  # hash each peer's file once
            sha = _sha256_file(out_path)
        if sha is not None:
            checked.add(name)
            if sha != expected:
                problems.append(f"{name}: SHA-256 {sha} != {expected}")
        run.data.setdefault("bytes", got)
        run.data.setdefault("seconds", run.wall)
        run.data.setdefault("bytes_per_s", size / run.data["seconds"])
        return run

    def window(_rnd: int) -> Run:
        path = fresh()
        run = run_child(_py("benchmarks.window_download", "--url", url, "--output", path),
                        server=ctx.server)
        if run.data.get("error"):
            problems.append(f"window: {run.data['error']}")
        return check("window", run, run.data.get("sha256") or "missing")

    def engine(_rnd: int) -> Run:
        path = fresh()
        run = run_child(_py("benchmarks.peer_download", "--engine", "--url", url,
                            "--output", path), server=ctx.server)
        return check("engine", run, run.data.get("sha256") or "missing")

    def raw_httpx(_rnd: int) -> Run:
        path = fresh()
        return check("raw_httpx", run_child(
            _py("benchmarks.peer_download", "--url", url, "--output", path), server=ctx.server))

    def raw_httpx_fsync(_rnd: int) -> Run:
        path = fresh()
        return check("raw_httpx_fsync", run_child(
            _py("benchmarks.peer_download", "--fsync", "--url", url, "--output", path),
            server=ctx.server))

    def httpie(_rnd: int) -> Run:
        if HTTP is None:
            raise RuntimeError("HTTPie (`http`) not found: pip install -e '.[bench]'")
        path = fresh()
        return check("httpie", run_child(
            [HTTP, "--ignore-stdin", "--download", "--output", path, url],
            server=ctx.server, expect_json=False))

    def curl(_rnd: int) -> Run:
        if CURL is None:
            raise RuntimeError("curl not found")
        path = fresh()
        return check("curl", run_child([CURL, "-sS", "--max-time", "300", "-o", path, url],
                                       server=ctx.server, expect_json=False))

    ctx.log(f"  /download: {size / 2**20:.0f} MiB into a file in {ctx.tmp}")
    runs = alternate({"window": window, "engine_no_qt": engine, "raw_httpx": raw_httpx,
                      "raw_httpx_fsync": raw_httpx_fsync, "httpie": httpie, "curl": curl},
                     ctx.sizes.download_repeats, log=ctx.log,
                     extra_for_disturbed=ctx.sizes.redo_disturbed)
    fresh()
    c = {k: summarize(v, "bytes_per_s") for k, v in runs.items()}
    probe = sorted(r.data["probe"]["p99_ms"] for r in runs["window"])
    out: dict[str, Any] = {"bytes": size, "metric": "bytes_per_s", "contenders": c,
                           "problems": problems, "sha256_expected": expected,
                           "window_probe_p99_ms": probe[len(probe) // 2]}
    out["ratio_window_vs_raw_httpx"] = c["window"]["median"] / c["raw_httpx"]["median"]
    out["ratio_window_vs_httpie"] = c["window"]["median"] / c["httpie"]["median"]
    out["ratio_window_vs_curl"] = c["window"]["median"] / c["curl"]["median"]
    out["targets"] = [
        _target("download: window / raw httpx", out["ratio_window_vs_raw_httpx"], ">=", 0.80),
        _target("download: window / HTTPie", out["ratio_window_vs_httpie"], ">=", 1.0),
        _target("download: SHA-256 and sizes verified", -len(problems), ">=", 0),
    ]
    return out


# --- 4. Latency -------------------------------------------------------------------------------

def latency(ctx: Context) -> dict[str, Any]:
    n = ctx.sizes.latency_events
    url = f"{ctx.url}/events?interval=0.005&count={n}"
    ctx.log(f"  /events: {n} events 5 ms apart (sse-starlette, server timestamp in data)")

    def window(_rnd: int) -> Run:
        return run_child(_py("benchmarks.window_latency", "--url", url, "--count", str(n)),
                         server=ctx.server)

    def httpx_sse(_rnd: int) -> Run:
        return run_child(_py("benchmarks.peer_sse", "--mode", "latency", "--url", url),
                         server=ctx.server)

    runs = alternate({"window": window, "httpx_sse": httpx_sse}, ctx.sizes.latency_repeats,
                     log=ctx.log,
                     extra_for_disturbed=ctx.sizes.redo_disturbed)
    out: dict[str, Any] = {"events": n, "interval_ms": 5}
    for name, rs in runs.items():
        p50 = sorted(r.data["latency"]["p50_ms"] for r in rs)
        p99 = sorted(r.data["latency"]["p99_ms"] for r in rs)
        out[name] = {"p50_ms": p50[len(p50) // 2], "p99_ms": p99[len(p99) // 2],
                     "worst_ms": max(r.data["latency"]["worst_ms"] for r in rs),
                     "events": [r.data["events"] for r in rs],
                     "stream_cpu_s": sorted(r.data["stream_cpu_s"] for r in rs)[len(rs) // 2],
                     "server_cpu_s": sorted(r.server_cpu for r in rs)[len(rs) // 2]}
    out["window_lost"] = max(r.data["lost"] for r in runs["window"])
    out["targets"] = [_target("latency: window p99 send -> row in model",
                              out["window"]["p99_ms"], "<=", 20, "ms")]
    return out


# --- 7. Recording proxy (issue 17) ----------------------------------------------------------

def proxy(ctx: Context) -> dict[str, Any]:
    """What ``stream-inspector proxy`` costs a client: per-event latency (server timestamp ->
    event parsed by raw httpx + httpx-sse) direct and through the proxy, and a download's
    speed direct and through it, side by side, contenders alternating round by round. The
    proxy runs as the command does (its own process, printing every record to a pipe)."""
    from benchmarks._common import proc_cpu

    s = ctx.sizes
    command = _py("gui.app.cli", "proxy", "--target", ctx.url, "--port", "0")
    size = s.proxy_download_bytes
    out_path = os.path.join(ctx.tmp, "proxy-download.bin")
    problems: list[str] = []
    with ServerProcess(command) as prox:
        def with_proxy_cpu(run: Callable[[], Run]) -> Run:
            cpu0 = proc_cpu(prox.pid)
            result = run()
            result.data["proxy_cpu_s"] = proc_cpu(prox.pid) - cpu0
            return result

        def latency_via(base: str) -> Callable[[int], Run]:
            url = f"{base}/events?interval=0.005&count={s.proxy_events}"
            return lambda _rnd: with_proxy_cpu(lambda: run_child(
                _py("benchmarks.peer_sse", "--mode", "latency", "--url", url),
                server=ctx.server))

        def download_via(name: str, base: str) -> Callable[[int], Run]:
            def go(_rnd: int) -> Run:
                if os.path.exists(out_path):
                    os.remove(out_path)
                run = with_proxy_cpu(lambda: run_child(
                    _py("benchmarks.peer_download", "--url", f"{base}/download?size={size}",
                        "--output", out_path), server=ctx.server))
                if run.data.get("bytes") != size or _sha256_file(out_path) != want:
                    problems.append(f"{name}: {run.data.get('bytes')} bytes, SHA-256 differs"
                                    f" or size short (expected {size})")
                return run
            return go

        from embedded_server.content import expected_sha256

        want = expected_sha256(size)
        ctx.log(f"  proxy {prox.url}: {s.proxy_events} events 5 ms apart, then a "
                f"{size / 2**20:.0f} MiB download, each direct and through the proxy")
        lat = alternate({"direct": latency_via(ctx.url), "via_proxy": latency_via(prox.url)},
                        s.proxy_repeats, log=ctx.log, extra_for_disturbed=s.redo_disturbed)
        dl = alternate({"direct": download_via("direct", ctx.url),
                        "via_proxy": download_via("via_proxy", prox.url)},
                       s.proxy_repeats, log=ctx.log, extra_for_disturbed=s.redo_disturbed)
    if os.path.exists(out_path):
        os.remove(out_path)
    latency: dict[str, Any] = {"events": s.proxy_events, "interval_ms": 5}
    for name, rs in lat.items():
        mid = len(rs) // 2
        latency[name] = {
            "p50_ms": sorted(r.data["latency"]["p50_ms"] for r in rs)[mid],
            "p99_ms": sorted(r.data["latency"]["p99_ms"] for r in rs)[mid],
            "worst_ms": max(r.data["latency"]["worst_ms"] for r in rs),
            "events": [r.data["events"] for r in rs],
            "proxy_cpu_s": sorted(r.data["proxy_cpu_s"] for r in rs)[mid]}
    added_p50 = latency["via_proxy"]["p50_ms"] - latency["direct"]["p50_ms"]
    added_p99 = latency["via_proxy"]["p99_ms"] - latency["direct"]["p99_ms"]
    latency["added_p50_ms"], latency["added_p99_ms"] = added_p50, added_p99
    download = {"bytes": size, "metric": "bytes_per_s", "problems": problems,
                "contenders": {k: summarize(v, "bytes_per_s") for k, v in dl.items()}}
    for name, rs in dl.items():
        download["contenders"][name]["proxy_cpu_s"] = median(
            [r.data["proxy_cpu_s"] for r in rs])
    c = download["contenders"]
    ratio = c["via_proxy"]["median"] / c["direct"]["median"]
    download["ratio_via_proxy_vs_direct"] = ratio
    return {"latency": latency, "download": download, "targets": [
        _target("proxy: added latency p99 (p99 via proxy - p99 direct)", added_p99, "<=", 1.0,
                "ms"),
        _target("proxy: download via proxy / direct", ratio, ">=", 0.80),
        _target("proxy: downloads byte-exact", -len(problems), ">=", 0),
    ]}


# --- 6. Startup -------------------------------------------------------------------------------

def compile_bytecode() -> str:
    """Byte-compile gui/, stream_core/ and embedded_server/ in place, as installing the wheel
    does (pip compiles every module it installs). Without it a checkout run with
    PYTHONDONTWRITEBYTECODE=1 (this machine's default) compiles ~150 modules from source at
    every start, ~300 ms that no installed copy pays."""
    import compileall

    ok = all(compileall.compile_dir(os.path.join(ROOT, name), quiet=1)
             for name in ("gui", "stream_core", "embedded_server"))
    return "ok" if ok else "FAILED (see above)"


def startup(ctx: Context) -> dict[str, Any]:
    ctx.log("  process start -> window listing the endpoints and accepting input, and -> a "
            "first Send to the demo server succeeded, vs a bare PySide6 window exposed")
    compiled = compile_bytecode()
    ctx.log(f"  bytecode of the project's packages compiled first (as an install does): "
            f"{compiled}")
    runs = alternate({"app": lambda _r: time_to_ready("app", ("LIST", "SENT")),
                      "bare_pyside6": lambda _r: time_to_ready("bare")},
                     ctx.sizes.startup_repeats, log=ctx.log,
                     extra_for_disturbed=ctx.sizes.redo_disturbed)
    c = {k: summarize(v, "ready_s") for k, v in runs.items()}
    c["app_first_send"] = summarize(runs["app"], "sent_s")
    bare = c["bare_pyside6"]["median"]
    ratio, send_ratio = c["app"]["median"] / bare, c["app_first_send"]["median"] / bare
    return {"metric": "ready_s", "contenders": c, "ratio_app_vs_bare": ratio,
            "ratio_first_send_vs_bare": send_ratio,
            "targets": [
                _target("startup: endpoint list + input / bare PySide6 window", ratio, "<=", 2.0),
                _target("startup: first Send to the demo server / bare window", send_ratio,
                        "<=", 3.0)]}


def capture(ctx: Context) -> dict[str, Any]:
    """``capture`` start-up: process start -> request on the wire (benchmarks/cli_startup.py)."""
    from benchmarks.cli_startup import capture_startup

    return capture_startup(ctx)


# --- 7. Many streams at once -------------------------------------------------------------------

def _llm_body(words: int) -> str:
    """An OpenAI chat request whose streamed reply (the demo model echoes the prompt, a word
    per delta) has about ``words`` + 35 events."""
    prompt = " ".join(f"w{i}" for i in range(words))
    return json.dumps({"model": "demo", "stream": True,
                       "messages": [{"role": "user", "content": prompt}]})


def _sse_events(url: str, body: str) -> int:
    """Events in the stream ``url`` answers ``body`` with (fetched unpaced)."""
    import httpx

    r = httpx.post(url, content=body, headers={"Content-Type": "application/json"},
                   timeout=60.0, trust_env=False)
    r.raise_for_status()
    return r.content.count(b"\n\n")


def many(ctx: Context) -> dict[str, Any]:
    s = ctx.sizes
    body = _llm_body(max(1, int(s.many_rate * s.many_seconds) - 35))
    url = f"{ctx.url}/v1/chat/completions?delay={1 / s.many_rate:g}"
    expected = _sse_events(f"{ctx.url}/v1/chat/completions?delay=0", body)
    ctx.log(f"  {s.many_tabs} tabs x {expected} LLM deltas at {s.many_rate}/s (~"
            f"{expected / s.many_rate:.0f} s)")
    sse = measured(lambda _r: run_child(
        _py("benchmarks.window_many", "--mode", "sse", "--url", url, "--body", body,
            "--tabs", str(s.many_tabs), "--expected", str(expected)),
        server=ctx.server, timeout=s.many_seconds * 3 + 120), 0)
    d = sse.data
    ctx.log(f"    {d['seconds']:.1f} s, lost {d['lost']}, GUI stall p99 "
            f"{d['probe']['p99_ms']:.1f} ms, CPU per stream {d['cpu_per_stream_pct']:.2f}%")
    from embedded_server.content import expected_sha256

    size, n = s.many_download_bytes, s.many_download_tabs
    dl_url = f"{ctx.url}/download?size={size}"
    sha = expected_sha256(size)
    problems: list[str] = []
    folder = os.path.join(ctx.tmp, "many")

    def fresh() -> str:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        if s.sync_between:
            os.sync()
        return folder

    def window(_rnd: int) -> Run:
        run = run_child(_py("benchmarks.window_many", "--mode", "download", "--url", dl_url,
                            "--tabs", str(n), "--output-dir", fresh()), server=ctx.server)
        if run.data["sizes"] != [size] * n or run.data["sha256"] != [sha] * n:
            problems.append(f"window: sizes {run.data['sizes']}, sha256 {run.data['sha256']}")
        problems.extend(f"window: {e}" for e in run.data["errors"])
        return run

    def raw_httpx(_rnd: int) -> Run:
        out = os.path.join(fresh(), "raw.bin")
        run = run_child(_py("benchmarks.peer_download", "--url", dl_url, "--output", out,
                            "--concurrent", str(n)), server=ctx.server)
        got = [_sha256_file(f"{out}.{i}") for i in range(n)]
        if run.data["sizes"] != [size] * n or got != [sha] * n:
            problems.append(f"raw_httpx: sizes {run.data['sizes']}")
        return run

    ctx.log(f"  {n} concurrent downloads of {size / 2**20:.0f} MiB: window vs raw httpx")
    runs = alternate({"window": window, "raw_httpx": raw_httpx}, s.many_repeats, log=ctx.log,
                     extra_for_disturbed=s.redo_disturbed)
    shutil.rmtree(folder, ignore_errors=True)
    c = {k: summarize(v, "bytes_per_s") for k, v in runs.items()}
    ratio = c["window"]["median"] / c["raw_httpx"]["median"]
    return {"sse": {"tabs": s.many_tabs, "rate": s.many_rate, "expected": expected, **{
                k: d[k] for k in ("seconds", "lost", "events", "probe", "stream_cpu_s",
                                  "cpu_per_stream_s", "cpu_per_stream_pct", "errors")},
                    "disturbed": sse.data.get("disturbed", False), "wall_s": sse.wall},
            "download": {"tabs": n, "bytes": size, "metric": "bytes_per_s", "contenders": c,
                         "problems": problems, "ratio_window_vs_raw_httpx": ratio},
            "targets": [
                _target(f"many: {s.many_tabs} LLM tabs, GUI p99 stall", d["probe"]["p99_ms"],
                        "<=", 16, "ms"),
                _target(f"many: {s.many_tabs} LLM tabs, events lost", d["lost"], "<=", 0),
                _target(f"many: {n} downloads, window / raw httpx", ratio, ">=", 0.80),
                _target("many: downloads byte-exact", -len(problems), ">=", 0)]}


# --- 7b. Memory of an LLM reply: one small event per network read ---------------------------

def llm_memory(ctx: Context) -> dict[str, Any]:
    """The RSS each delta of a long LLM reply adds to its tab, against its bytes on the wire.

    Why apart from the flood's memory: the flood packs many events into each read, an LLM
    reply comes one small event per read, and what a read costs (a chunk row, the loop's
    read timeout) is then paid per event (issue 23.20: ~770 B per 81-byte event).
    """
    s = ctx.sizes
    body = _llm_body(s.llm_words)
    url = f"{ctx.url}/v1/chat/completions?delay={s.llm_delay:g}"
    expected = _sse_events(f"{ctx.url}/v1/chat/completions?delay=0", body)
    ctx.log(f"  an LLM reply of {expected:,} deltas, one per {s.llm_delay * 1e3:g} ms")
    body_file = os.path.join(ctx.tmp, "llm_body.json")  # too long for one argument
    with open(body_file, "w", encoding="utf-8") as f:
        f.write(body)
    runs = alternate({"window": lambda _r: run_child(
        _py("benchmarks.window_flood", "--url", url, "--count", str(expected),
            "--body", "@" + body_file), server=ctx.server,
        timeout=expected * s.llm_delay * 4 + 120)}, s.llm_repeats, log=ctx.log,
        extra_for_disturbed=0)["window"]  # (memory: load does not move it)
    data = [r.data for r in runs]
    mid = len(data) // 2

    def med(key: str) -> float:
        return sorted(d[key] for d in data)[mid]

    out = {"events": expected, "lost": max(d["lost"] for d in data),
           "errors": [d["error"] for d in data if d.get("error")],
           "rss_per_event": med("marginal_rss_per_event"),
           "wire_per_event": med("marginal_wire_per_event"),
           "ratio": med("marginal_rss_per_raw_byte"),
           "reads_per_event": med("chunks") / expected,
           "rss_growth_bytes": med("rss_growth_bytes"),
           "values": sorted(d["marginal_rss_per_raw_byte"] for d in data), "runs": data}
    ctx.log(f"    {out['rss_per_event']:.0f} B/event for {out['wire_per_event']:.0f} on the "
            f"wire ({out['ratio']:.2f}x), {out['reads_per_event']:.2f} reads per event")
    out["targets"] = [
        _target("llm memory: RSS / wire bytes, per event", out["ratio"], "<=", 3.0),
        _target("llm memory: events lost", out["lost"], "<=", 0)]
    return out


# --- 8. A long day ------------------------------------------------------------------------------

def longday(ctx: Context) -> dict[str, Any]:
    s = ctx.sizes
    url = f"{ctx.url}/events?interval={s.longday_interval:g}&count={s.longday_events}"
    ctx.log(f"  a slow stream: {s.longday_events:,} events, one per "
            f"{s.longday_interval * 1e3:g} ms")
    seconds = s.longday_events * s.longday_interval
    slow = measured(lambda _r: run_child(
        _py("benchmarks.window_longday", "--mode", "slow", "--url", url,
            "--count", str(s.longday_events), "--sample", f"{max(0.1, seconds / 100):g}"),
        server=ctx.server, timeout=seconds * 3 + 120), 0)
    d = slow.data
    growth = d["bytes_per_event_last"] / d["bytes_per_event_first"] \
        if d["bytes_per_event_first"] > 0 else float("nan")
    ctx.log(f"    {d['seconds']:.0f} s, {d['events']:,} events; bytes/event first "
            f"{d['bytes_per_event_first']:.0f}, last {d['bytes_per_event_last']:.0f}; "
            f"stall p99 first {d['probe_first']['p99_ms']:.1f} ms, last "
            f"{d['probe_last']['p99_ms']:.1f} ms")
    ctx.log(f"  a tab closed after a {s.close_events:,}-event flood")
    close = run_child(_py("benchmarks.window_longday", "--mode", "close", "--url",
                          f"{ctx.url}/flood/sse?count={s.close_events}&size={s.flood_data}",
                          "--warmup-url", f"{ctx.url}/flood/sse?count=100&size={s.flood_data}",
                          "--count", str(s.close_events)), server=ctx.server, timeout=600)
    c = close.data
    ctx.log(f"    RSS before {c['rss_before'] / 2**20:.0f} MiB, holding "
            f"{c['rss_held'] / 2**20:.0f} MiB, after closing {c['rss_after'] / 2**20:.0f} MiB")
    return {"slow": {k: v for k, v in d.items() if k != "samples"} | {
                "samples": d["samples"], "bytes_per_event_last_vs_first": growth,
                "disturbed": slow.data.get("disturbed", False)},
            "close": c,
            "targets": [
                _target("long day: bytes/event, last / first stretch", growth, "<=", 1.25),
                _target("long day: GUI p99 stall, last stretch", d["probe_last"]["p99_ms"],
                        "<=", max(16.0, 1.5 * d["probe_first"]["p99_ms"]), "ms"),
                _target("long day: events lost", d["lost"], "<=", 0),
                _target("closed tab: RSS after / before it opened", c["after_vs_before"],
                        "<=", 1.10)]}


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=1, default=str)
