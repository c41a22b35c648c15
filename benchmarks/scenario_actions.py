"""The ``actions`` scenario (issue 22.2): the GUI loop's longest block per user action.

One child (``benchmarks.window_actions``) does every action in turn in one real window, on
a tab of a million flood events, on a long LLM reply and among twenty busy LLM tabs, and
reports, per action, the longest lateness of a 5 ms repeating timer from the action until
its result shows. With ``--baseline DIR`` (a checkout of another commit) the same child
also runs against that tree's ``gui``, ``stream_core`` and ``embedded_server`` in the same
minutes, so that before and after are side by side.
"""

from __future__ import annotations

import os
from typing import Any

from benchmarks._common import PYTHON, ROOT, child_env, run_child
from benchmarks.runner import measured

#: The goal of issue 22.2: no user action blocks the loop longer than this.
GOAL_MS = 50.0


def _child(ctx: Any, tree: str | None) -> dict[str, Any]:
    s = ctx.sizes
    # ``python -m`` puts its working folder first on the path: that tree's packages are
    # imported from there; the benchmarks (not in it) come from this tree (PYTHONPATH).
    cwd = tree if tree is not None else ROOT
    cmd = [PYTHON, "-m", "benchmarks.window_actions", "--base", ctx.url,
           "--events", str(s.actions_events), "--llm-words", str(s.actions_llm_words),
           "--busy", str(s.actions_busy), "--busy-seconds", str(s.actions_busy_seconds)]
    run = measured(lambda _r: run_child(cmd, server=ctx.server, env=child_env(),
                                        timeout=3600, cwd=cwd), 0)
    data = run.data
    want = os.path.realpath(os.path.join(cwd, "gui"))
    if os.path.realpath(data.get("gui_from", "")) != want:
        raise RuntimeError(f"the {tree or 'this'} child ran {data.get('gui_from')}, not {want}")
    data["disturbed"] = run.data.get("disturbed", False)
    data["wall_s"] = run.wall
    data["cpu_s"] = run.cpu
    return data


def actions(ctx: Any) -> dict[str, Any]:
    s = ctx.sizes
    trees: dict[str, str | None] = {"this": None}
    baseline = getattr(ctx, "baseline", None)
    if baseline:
        trees = {"baseline": baseline, "this": None}
    ctx.log(f"  user actions: a {s.actions_events:,}-event tab, an LLM reply of "
            f"{s.actions_llm_words:,} deltas, {s.actions_busy} busy LLM tabs"
            + (f"; baseline tree {baseline}" if baseline else ""))
    out: dict[str, Any] = {"goal_ms": GOAL_MS, "runs": {}}
    for name, tree in trees.items():
        data = _child(ctx, tree)
        out["runs"][name] = data
        worst = max((r for r in data["actions"] if not r["action"].startswith("(")),
                    key=lambda r: r["block_ms"])
        ctx.log(f"    {name}: {len(data['actions'])} actions in {data['wall_s']:.0f} s; "
                f"worst {worst['action']} ({worst['phase']}) {worst['block_ms']:.0f} ms")
    this = out["runs"]["this"]["actions"]
    measured_rows = [r for r in this if not r["action"].startswith("(")]
    over = [r for r in measured_rows if r["block_ms"] > GOAL_MS or not r["ok"]]
    worst_ms = max(r["block_ms"] for r in measured_rows)
    big = [r["block_ms"] for r in measured_rows if r["phase"] != "busy"]
    out["targets"] = [
        {"target": "actions: longest loop block, worst action on a big tab",
         "value": max(big, default=float("nan")), "op": "<=", "goal": GOAL_MS, "unit": "ms",
         "met": max(big, default=0.0) <= GOAL_MS},
        {"target": "actions: longest loop block, worst action overall", "value": worst_ms,
         "op": "<=", "goal": GOAL_MS, "unit": "ms", "met": worst_ms <= GOAL_MS},
        {"target": "actions: actions over the goal", "value": len(over), "op": "<=",
         "goal": 0, "unit": "", "met": not over},
    ]
    return out


def render(res: dict[str, Any]) -> list[str]:
    """The per-action table (this tree, and the baseline beside it when there is one)."""
    runs = res["runs"]
    names = [n for n in ("baseline", "this") if n in runs]
    head = "| Phase | Action | " + " | ".join(
        f"{n}: longest block | {n}: took" for n in names) + " |"
    lines = ["", head, "|---|---|" + "---|---|" * len(names)]
    keyed: dict[str, dict[tuple[str, str, int], dict[str, Any]]] = {}
    order: list[tuple[str, str, int]] = []
    for n in names:
        seen: dict[tuple[str, str], int] = {}
        keyed[n] = {}
        for r in runs[n]["actions"]:
            k = (r["phase"], r["action"])
            seen[k] = seen.get(k, 0) + 1
            key = (*k, seen[k])
            keyed[n][key] = r
            if key not in order:
                order.append(key)
    for key in order:
        cells = []
        for n in names:
            r = keyed[n].get(key)
            if r is None:
                cells.append("— | —")
            else:
                flag = "" if r["ok"] else " (did not finish)"
                cells.append(f"{r['block_ms']:,.0f} ms{flag} | {r['took_s']:.2f} s")
        lines.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")
    return lines
