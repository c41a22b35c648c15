"""``python -m benchmarks [--quick] [--only NAME ...]``: run the scenarios, print the table.

Starts the embedded demo server in a process of its own (``python -m embedded_server --port
0``), runs each scenario's contenders alternately in fresh processes, prints medians, ratios
and CPU seconds, and writes everything (every run included) to ``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import scenarios
from benchmarks._common import ServerProcess
from benchmarks.report import render_table

ALL = ("flood", "parse", "download", "latency", "startup", "capture", "proxy", "many",
       "llm_memory", "longday", "actions", "timing")
RESULTS = Path(__file__).resolve().parent / "results"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    import httpx
    import PySide6

    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "platform": platform.platform(), "pyside6": PySide6.__version__,
            "httpx": httpx.__version__, "load_before": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes, 1-2 rounds (~1 minute)")
    ap.add_argument("--only", nargs="+", choices=ALL, default=list(ALL),
                    help="run only these scenarios (memory comes with flood)")
    ap.add_argument("--repeats", type=int, default=None, help="rounds per scenario")
    ap.add_argument("--out", type=Path, default=None,
                    help="JSON output (default benchmarks/results/latest.json; quick.json "
                         "with --quick)")
    ap.add_argument("--baseline", default=None, metavar="DIR",
                    help="actions: also run against the gui/stream_core/embedded_server of "
                         "this checkout (another commit), side by side")
    args = ap.parse_args(argv)
    sizes = scenarios.Sizes.quick() if args.quick else scenarios.Sizes()
    if args.repeats:
        sizes = scenarios.Sizes(**{**sizes.__dict__, "repeats": args.repeats})
    out_path = args.out or RESULTS / ("quick.json" if args.quick else "latest.json")
    started = time.perf_counter()
    result: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "quick": args.quick, "sizes": sizes.__dict__, "machine": machine(), "scenarios": {}}
    with ServerProcess() as server, tempfile.TemporaryDirectory(prefix="si-bench-") as tmp:
        log(f"server {server.url} (pid {server.pid}); sizes: {sizes}")
        ctx = scenarios.Context(server, sizes, tmp, log, baseline=args.baseline)
        for name in args.only:
            log(f"== {name}")
            t0 = time.perf_counter()
            try:
                res = getattr(scenarios, name)(ctx)
            except Exception as exc:  # one broken scenario must not lose the others
                log(f"  FAILED: {exc!r}")
                res = {"error": repr(exc)}
            res["elapsed_s"] = time.perf_counter() - t0
            result["scenarios"][name] = res
            if name == "flood" and "error" not in res:
                result["scenarios"]["memory"] = scenarios.memory(res)
    result["elapsed_s"] = time.perf_counter() - started
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(scenarios.dumps(result) + "\n")
    print(render_table(result))
    log(f"wrote {out_path} ({result['elapsed_s']:.0f} s)")
    failed = [n for n, r in result["scenarios"].items() if "error" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
