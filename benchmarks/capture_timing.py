"""Child process: ``capture`` with its stdout read late; how true are its times?

``python -m benchmarks.capture_timing --url URL --late 2 --interval 0.01 --save FILE``: runs
``stream-inspector capture URL --save FILE`` with its stdout into a pipe of 4 KiB (so that a
reader who is late blocks the writer within a few records), reads nothing for ``--late``
seconds, then everything. The error of each event's time is the capture file's ``started``
+ ``t`` - the send time in its data (``/timing``); the gaps are those between the events'
``t``. Also reports how long the first write to stdout waited, to show the pipe did block.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import subprocess
import sys
import time
from typing import Any

from benchmarks._common import ROOT, child_env, emit, error_summary, gap_summary

F_SETPIPE_SZ = 1031  # Linux


def measure(args: argparse.Namespace) -> dict[str, Any]:
    read_end, write_end = os.pipe()
    try:
        fcntl.fcntl(read_end, F_SETPIPE_SZ, 4096)
    except OSError:
        pass  # a default pipe: the late reader still blocks the writer, later
    env = child_env()
    env.pop("STREAM_INSPECTOR_ARRIVAL", None)
    if args.clock == "read":  # the app reads and stamps by itself, as before the reader
        env["STREAM_INSPECTOR_ARRIVAL"] = "read"
    proc = subprocess.Popen([sys.executable, "-m", "gui.app.cli", "capture", args.url,
                             "--save", args.save], stdout=write_end, env=env, cwd=ROOT)
    os.close(write_end)
    time.sleep(args.late)
    with os.fdopen(read_end, "rb") as out:
        printed = out.read()
    status = proc.wait()
    with open(args.save, encoding="utf-8") as f:
        lines = f.read().splitlines()
    started = json.loads(lines[0])["started"]
    errors: list[float] = []
    times: list[float] = []
    clock = None
    for line in lines[1:]:
        rec = json.loads(line)
        if rec["type"] == "event":
            errors.append(started + rec["t"] - json.loads(rec["data"])["sent_ns"] / 1e9)
            times.append(rec["t"])
        elif rec["type"] == "end":
            clock = rec.get("clock")
    os.remove(args.save)
    return {"url": args.url, "late_s": args.late, "exit": status, "events": len(errors),
            "printed_lines": printed.count(b"\n"), "clock": clock,
            "error": error_summary(errors), "gaps": gap_summary(times, args.interval)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True, help="a /timing URL")
    ap.add_argument("--late", type=float, default=2.0, help="seconds before stdout is read")
    ap.add_argument("--interval", type=float, default=0.01)
    ap.add_argument("--save", required=True, help="the capture file (removed after)")
    ap.add_argument("--clock", choices=("arrival", "read"), default="arrival")
    emit(measure(ap.parse_args(argv)))


if __name__ == "__main__":
    main()
