"""Markdown tables from a results JSON: ``python -m benchmarks.report [results.json]``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _rate(v: float, unit: str) -> str:
    if unit == "events_per_s":
        return f"{v / 1e3:,.0f} k ev/s"
    if unit == "bytes_per_s":
        return f"{v / 1e6:,.0f} MB/s"
    if unit == "ready_s":
        return f"{v * 1e3:,.0f} ms"
    return f"{v:.3g}"


def _rows(title: str, res: dict[str, Any], ref: str, extra: dict[str, str] | None = None
          ) -> list[str]:
    unit = res["metric"]
    c = res["contenders"]
    base = c[ref]["median"]
    rows = []
    for name, s in c.items():
        ratio = s["median"] / base if base else float("nan")
        note = (extra or {}).get(name, "")
        dist = f" ({s['disturbed']} disturbed)" if s.get("disturbed") else ""
        rows.append(f"| {title} | {name} | {_rate(s['median'], unit)} | {ratio:.2f}x | "
                    f"{s['stream_cpu_s']:.2f} | {s['server_cpu_s']:.2f} | {note}{dist} |")
    return rows


def render_table(result: dict[str, Any]) -> str:
    sc = result["scenarios"]
    lines = ["| Scenario | Contender | Median | Ratio | Client CPU s | Server CPU s | Notes |",
             "|---|---|---|---|---|---|---|"]
    if "error" not in sc.get("flood", {"error": 1}):
        f = sc["flood"]
        for key, title in (("sse", f"SSE flood {f['sse']['events']:,} ev (/flood/sse)"),
                           ("starlette", f"SSE flood {f['starlette']['events']:,} ev "
                                         "(sse-starlette)")):
            r = f[key]
            lines += _rows(title, r, "httpx_sse", {
                "window": f"lost {r['window_lost']}, GUI stall p99 {r['probe_p99_ms']:.0f} ms"
                          f" / worst {r['probe_worst_ms']:.0f} ms"})
    if "error" not in sc.get("parse", {"error": 1}):
        for name, r in sc["parse"]["shapes"].items():
            lines.append(f"| SSE parse ({name}) | ours | {r['ours']['events_per_s'] / 1e3:,.0f}"
                         f" k ev/s | {r['ratio_vs_decoder']:.2f}x | | | vs httpx-sse decoder "
                         f"{r['httpx_sse_decoder']['events_per_s'] / 1e3:,.0f} k ev/s |")
    if "error" not in sc.get("download", {"error": 1}):
        d = sc["download"]
        lines += _rows(f"Download {d['bytes'] / 2**20:,.0f} MiB to a file", d, "raw_httpx", {
            "window": f"progress bar live; GUI stall p99 {d['window_probe_p99_ms']:.0f} ms",
            "raw_httpx_fsync": "raw httpx + one fsync (the engine fsyncs)",
            "engine_no_qt": "stream_core.net.session.run, plain asyncio",
            "curl": "the limit"})
    if "error" not in sc.get("latency", {"error": 1}):
        lt = sc["latency"]
        for name in ("window", "httpx_sse"):
            r = lt[name]
            what = "send -> row in model" if name == "window" else "send -> event received"
            lines.append(f"| Latency, {lt['events']} ev 5 ms apart | {name} | p50 "
                         f"{r['p50_ms']:.1f} ms / p99 {r['p99_ms']:.1f} ms | | "
                         f"{r['stream_cpu_s']:.2f} | {r['server_cpu_s']:.2f} | {what}, worst "
                         f"{r['worst_ms']:.0f} ms |")
    if "error" not in sc.get("proxy", {"error": 1}):
        lt, dl = sc["proxy"]["latency"], sc["proxy"]["download"]
        for name in ("direct", "via_proxy"):
            r = lt[name]
            note = (f"added p50 {lt['added_p50_ms']:+.2f} ms / p99 {lt['added_p99_ms']:+.2f} ms;"
                    f" proxy CPU {r['proxy_cpu_s']:.2f} s") if name == "via_proxy" else \
                "server timestamp -> event parsed (raw httpx + httpx-sse)"
            lines.append(f"| Proxy latency, {lt['events']} ev 5 ms apart | {name} | p50 "
                         f"{r['p50_ms']:.2f} ms / p99 {r['p99_ms']:.2f} ms | | | | {note}, "
                         f"worst {r['worst_ms']:.1f} ms |")
        lines += _rows(f"Proxy download {dl['bytes'] / 2**20:,.0f} MiB (raw httpx)", dl,
                       "direct", {"via_proxy": "proxy CPU "
                                  f"{dl['contenders']['via_proxy']['proxy_cpu_s']:.2f} s"})
    if "memory" in sc:
        m = sc["memory"]
        lines.append(f"| Memory, {m['events']:,} ev held | window | "
                     f"{m['rss_growth_bytes'] / 2**20:,.0f} MiB RSS growth | {m['ratio']:.2f}x "
                     f"raw | | | raw {m['raw_bytes'] / 2**20:,.0f} MiB; "
                     f"{m['bytes_per_event']:.0f} B/event |")
    if "error" not in sc.get("startup", {"error": 1}):
        lines += _rows("Startup (app: endpoint list + input; app_first_send: a first Send "
                       "succeeded)", sc["startup"], "bare_pyside6")
    if "error" not in sc.get("capture", {"error": 1}):
        cs = sc["capture"]["contenders"]
        lines += _rows("capture start-up (process start -> request on the wire)",
                       sc["capture"], "python_floor",
                       {name: f"exit after {c['exit_median'] * 1e3:,.0f} ms"
                        for name, c in cs.items()})
    if "error" not in sc.get("many", {"error": 1}):
        m = sc["many"]["sse"]
        dist = " (disturbed)" if m.get("disturbed") else ""
        lines.append(f"| {m['tabs']} tabs of LLM SSE at {m['rate']} ev/s, {m['seconds']:.0f} s "
                     f"| window | GUI stall p99 {m['probe']['p99_ms']:.1f} ms | | "
                     f"{m['stream_cpu_s']:.2f} | | lost {m['lost']}; CPU per stream "
                     f"{m['cpu_per_stream_pct']:.2f}% of a core; worst stall "
                     f"{m['probe']['worst_ms']:.0f} ms{dist} |")
        dl = sc["many"]["download"]
        lines += _rows(f"{dl['tabs']} concurrent downloads of {dl['bytes'] / 2**20:,.0f} MiB",
                       dl, "raw_httpx", {"window": f"{dl['tabs']} download tabs in one window",
                                         "raw_httpx": "one client, asyncio.gather"})
    if "error" not in sc.get("llm_memory", {"error": 1}):
        m = sc["llm_memory"]
        lines.append(f"| Memory, LLM reply of {m['events']:,} deltas (one per read) | window | "
                     f"{m['rss_per_event']:,.0f} B/event | {m['ratio']:.2f}x wire | | | "
                     f"wire {m['wire_per_event']:.0f} B/event, second half of the reply; "
                     f"{m['reads_per_event']:.2f} reads/event, lost {m['lost']} |")
    if "error" not in sc.get("longday", {"error": 1}):
        sl, cl = sc["longday"]["slow"], sc["longday"]["close"]
        dist = " (disturbed)" if sl.get("disturbed") else ""
        lines.append(f"| Long day: {sl['events']:,} ev at 1 kHz ({sl['seconds']:.0f} s) | window "
                     f"| {sl['bytes_per_event_first']:.0f} -> {sl['bytes_per_event_last']:.0f}"
                     f" B/event | {sl['bytes_per_event_last_vs_first']:.2f}x | "
                     f"{sl['stream_cpu_s']:.2f} | | first vs last fifth; GUI stall p99 "
                     f"{sl['probe_first']['p99_ms']:.1f} -> {sl['probe_last']['p99_ms']:.1f} ms"
                     f", lost {sl['lost']}{dist} |")
        lines.append(f"| Tab closed after a {cl['events']:,}-event flood | window | "
                     f"{cl['rss_after'] / 2**20:,.0f} MiB RSS after | "
                     f"{cl['after_vs_before']:.2f}x before | | | before "
                     f"{cl['rss_before'] / 2**20:,.0f} MiB, holding "
                     f"{cl['rss_held'] / 2**20:,.0f} MiB |")
    if "error" not in sc.get("actions", {"error": 1}):
        from benchmarks.scenario_actions import render

        lines += render(sc["actions"])
    if "error" not in sc.get("timing", {"error": 1}):
        tm = sc["timing"]
        notes = {"window": f"{tm['tabs']} busy LLM tabs, every view, a filter, a "
                           f"{tm['freeze_s']:g} s freeze; arrival reader",
                 "window_read": "the same, times read by the window (reader off)",
                 "httpx_sse": "alone in a process, time taken as each event is parsed",
                 "capture_late": f"stdout read {tm['late_s']:g} s late; arrival reader",
                 "capture_late_read": f"stdout read {tm['late_s']:g} s late; reader off"}
        for name, r in tm["contenders"].items():
            dist = f" ({r['disturbed']} disturbed)" if r.get("disturbed") else ""
            lines.append(f"| Timing, {tm['events']:,} ev {tm['interval_ms']:g} ms apart | {name}"
                         f" | error p50 {r['p50_ms']:.2f} / p99 {r['p99_ms']:.2f} / max "
                         f"{r['max_ms']:.1f} ms | | | | gaps within 5-15 ms "
                         f"{r['gaps_within'] * 100:.1f}%; {notes.get(name, '')}{dist} |")
    lines += ["", "| Target | Value | Goal | Met |", "|---|---|---|---|"]
    for name, r in sc.items():
        if "error" in r:
            lines.append(f"| {name} | FAILED: {r['error'][:80]} | | no |")
        for t in r.get("targets", []):
            lines.append(f"| {t['target']} | {t['value']:.3g} {t['unit']} | {t['op']} "
                         f"{t['goal']:g} {t['unit']} | {'yes' if t['met'] else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else Path(__file__).resolve().parent / "results" / "latest.json"
    print(render_table(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
