"""Plumbing shared by the scenarios: the server process, child processes, CPU and statistics.

Why child processes for every contender: each one starts cold and alone with its own GIL, and
its CPU time can be read exactly (``RUSAGE_CHILDREN`` around a serial run). A child prints its
figures as one JSON object on the last line of its stdout.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process, all threads (``/proc/PID/stat``)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read().decode()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def rss_bytes(pid: int | None = None) -> int:
    """Resident set size now (``/proc/PID/statm``), of this process by default."""
    with open(f"/proc/{pid or 'self'}/statm") as f:
        return int(f.read().split()[1]) * PAGE


def self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("http_proxy", None)
    env.pop("HTTP_PROXY", None)
    env.pop("all_proxy", None)
    env.pop("ALL_PROXY", None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


def server_command() -> list[str]:
    """``python -m embedded_server --port 0``, or the bench's own shim until that exists."""
    if importlib.util.find_spec("embedded_server.__main__") is not None:
        return [PYTHON, "-m", "embedded_server", "--host", "127.0.0.1", "--port", "0"]
    return [PYTHON, "-m", "benchmarks._server"]


class ServerProcess:
    """The embedded demo server in a process of its own, on 127.0.0.1 and a free port."""

    def __init__(self, command: Sequence[str] | None = None) -> None:
        """``command``: another server printing ``listening on URL`` (the proxy), else ours."""
        self.command = list(command) if command is not None else None
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self._lines: list[str] = []
        self._pump: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> str:
        self.proc = subprocess.Popen(self.command or server_command(), cwd=ROOT, env=child_env(),
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        found = threading.Event()

        def pump() -> None:  # keep reading so the server never blocks on a full pipe
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self._lines.append(line)
                m = LISTENING.search(line)
                if m and not found.is_set():
                    self.url = m.group(1)
                    found.set()

        self._pump = threading.Thread(target=pump, name="bench-server-output", daemon=True)
        self._pump.start()
        if not found.wait(timeout):
            self.stop()
            raise RuntimeError("embedded server did not start:\n" + "".join(self._lines[-20:]))
        return self.url

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu(self) -> float:
        return proc_cpu(self.pid)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._pump is not None:
            self._pump.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Run:
    """One contender's run: wall seconds, child CPU, server CPU, and the child's own JSON."""

    wall: float
    cpu: float
    server_cpu: float
    data: dict[str, Any] = field(default_factory=dict)
    returncode: int = 0
    stderr: str = ""


def run_child(cmd: Sequence[str], *, server: ServerProcess | None = None,
              timeout: float = 300.0, expect_json: bool = True, env: dict[str, str] | None = None,
              stdout_to: str | None = None, cwd: str | Path = ROOT) -> Run:
    """Run one contender to completion and measure it (children run one at a time); ``cwd``
    comes first on a ``python -m`` child's path (another checkout's packages: its folder)."""
    cpu0 = children_cpu()
    scpu0 = server.cpu() if server is not None else 0.0
    t0 = time.perf_counter()
    out = open(stdout_to, "wb") if stdout_to else None
    try:
        proc = subprocess.run(list(cmd), cwd=cwd, env=env or child_env(), timeout=timeout,
                              stdout=out if out is not None else subprocess.PIPE,
                              stderr=subprocess.PIPE, check=False)
    finally:
        if out is not None:
            out.close()
    wall = time.perf_counter() - t0
    cpu = children_cpu() - cpu0
    scpu = (server.cpu() - scpu0) if server is not None else 0.0
    stderr = proc.stderr.decode(errors="replace")
    data: dict[str, Any] = {}
    if expect_json:
        text = (proc.stdout or b"").decode(errors="replace").strip().splitlines()
        for line in reversed(text):
            if line.startswith("{"):
                data = json.loads(line)
                break
        else:
            raise RuntimeError(f"{cmd[:4]} gave no JSON (exit {proc.returncode}):\n"
                               f"{stderr[-3000:]}")
    if proc.returncode != 0:
        raise RuntimeError(f"{list(cmd)[:6]} exited {proc.returncode}:\n{stderr[-3000:]}")
    return Run(wall, cpu, scpu, data, proc.returncode, stderr)


def emit(result: dict[str, Any]) -> None:
    """A child's last word: its figures as one JSON line, plus its own CPU and peak RSS."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    result.setdefault("self_cpu_s", r.ru_utime + r.ru_stime)
    result.setdefault("max_rss_bytes", r.ru_maxrss * 1024)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def error_summary(errors_s: list[float]) -> dict[str, float]:
    return {"n": len(errors_s), "p50_ms": percentile(errors_s, 50) * 1e3,
            "p99_ms": percentile(errors_s, 99) * 1e3,
            "max_ms": max(errors_s, default=float("nan")) * 1e3,
            "min_ms": min(errors_s, default=float("nan")) * 1e3}


def gap_summary(times: list[float], interval: float) -> dict[str, float]:
    """Gaps between consecutive times: the share within [interval/2, 1.5 interval]."""
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    lo, hi = interval / 2, interval * 1.5
    inside = sum(1 for g in gaps if lo <= g <= hi)
    return {"n": len(gaps), "within_share": inside / len(gaps) if gaps else float("nan"),
            "under_1ms_share": sum(1 for g in gaps if g < 0.001) / len(gaps) if gaps else 0.0,
            "p99_ms": percentile(gaps, 99) * 1e3, "max_ms": max(gaps, default=0.0) * 1e3}


def py(module: str, *args: str) -> list[str]:
    """The command line of ``python -m module args`` in this interpreter."""
    return [PYTHON, "-m", module, *args]


def target(name: str, value: float, op: str, goal: float, unit: str = "") -> dict[str, Any]:
    """One line of the targets table: ``value`` against ``goal`` (``op`` is ">=" or "<=")."""
    met = value >= goal if op == ">=" else value <= goal
    return {"target": name, "value": value, "op": op, "goal": goal, "unit": unit, "met": met,
            "margin": (value / goal) if goal else float("nan")}

