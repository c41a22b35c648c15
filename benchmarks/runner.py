"""Alternating A/B rounds, disturbance checks, and the startup timer."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from benchmarks._common import PYTHON, ROOT, Run, child_env, median

Contender = Callable[[int], Run]  # round number -> one measured run


def machine_busy() -> float:
    """CPU seconds all CPUs spent busy since boot (``/proc/stat``), to spot outside load."""
    from benchmarks._common import CLK_TCK

    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def measured(fn: Contender, rnd: int) -> Run:
    busy0 = machine_busy()
    run = fn(rnd)
    other = machine_busy() - busy0 - run.cpu - run.server_cpu
    run.data["other_cpu_s"] = max(0.0, other)
    # Outside load of more than a third of a core for the run's length: the run was shared.
    run.data["disturbed"] = other > max(0.15, 0.33 * run.wall)
    return run


def alternate(contenders: dict[str, Contender], repeats: int, *, log: Callable[[str], None],
              extra_for_disturbed: int = 2) -> dict[str, list[Run]]:
    """Run every contender once per round, in rotating order; redo disturbed runs (bounded)."""
    runs: dict[str, list[Run]] = {name: [] for name in contenders}
    names = list(contenders)
    redo_budget = extra_for_disturbed * len(names)
    for rnd in range(repeats):
        order = names[rnd % len(names):] + names[:rnd % len(names)]
        for name in order:
            run = measured(contenders[name], rnd)
            if run.data.get("disturbed") and redo_budget > 0:
                redo_budget -= 1
                log(f"    {name}: disturbed (other load {run.data['other_cpu_s']:.2f} s cpu), redo")
                run = measured(contenders[name], rnd)
            runs[name].append(run)
            log(f"    round {rnd + 1} {name:18s} {run.wall:7.2f} s wall  "
                f"{run.cpu:6.2f} s cpu  server {run.server_cpu:5.2f} s")
    return runs


def summarize(runs: list[Run], key: str) -> dict[str, Any]:
    """Median of a figure the children report, with wall/CPU medians and all the raw runs."""
    values = [r.data[key] for r in runs if key in r.data and r.data[key] is not None]
    return {
        "median": median(values), "values": values,
        "wall_s": median([r.wall for r in runs]), "cpu_s": median([r.cpu for r in runs]),
        "stream_cpu_s": median([r.data.get("stream_cpu_s", r.cpu) for r in runs]),
        "server_cpu_s": median([r.server_cpu for r in runs]),
        "disturbed": sum(1 for r in runs if r.data.get("disturbed")),
        "runs": [asdict(r) | {"stderr": r.stderr[-500:]} for r in runs],
    }


def time_to_ready(mode: str, marks: tuple[str, ...] = ("READY",),
                  timeout: float = 60.0) -> Run:
    """Start ``benchmarks.startup MODE``; seconds from spawn to each of its ``marks`` lines
    (``{mark.lower()}_s``), the first as ``ready_s``. A ``FAILED`` line fails the run."""
    from benchmarks._common import children_cpu

    cpu0 = children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen([PYTHON, "-m", "benchmarks.startup", mode], cwd=ROOT,
                            env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    seen: dict[str, float] = {}
    deadline = t0 + timeout
    for line in proc.stdout:
        if line.strip() in marks:
            seen[line.strip()] = time.perf_counter() - t0
        if line.strip() == "FAILED" or len(seen) == len(marks) \
                or time.perf_counter() > deadline:
            break
    try:
        _, err = proc.communicate(timeout=max(1.0, deadline - time.perf_counter()))
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    wall = time.perf_counter() - t0
    if len(seen) < len(marks):
        raise RuntimeError(f"startup {mode} reached only {sorted(seen)} of {marks} "
                           f"(exit {proc.returncode}):\n{err[-2000:]}")
    data: dict[str, Any] = {f"{m.lower()}_s": seen[m] for m in marks}
    data |= {"ready_s": seen[marks[0]], "exit": proc.returncode}
    return Run(wall, children_cpu() - cpu0, 0.0, data, proc.returncode or 0, err)
