"""``stream-inspector compare A.sicap B.sicap``: what the window's Compare shows, as text or
as JSON records, with an exit status a script can gate on.

Why: "did the stream change?" is a CI question (a new server version, a proxy in between,
yesterday's capture against today's). ``--events``, ``--headers`` and ``--timing TOLERANCE``
say which differences count; the exit status is 1 when one of them differs (0 when none,
2 bad arguments or a file that is not a capture, 3 a file that cannot be read). Without any
of them, headers and events count (what the window marks), and everything is shown.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from stream_core.analysis.compare import (
    DIFFERS,
    ONLY_A,
    ONLY_B,
    SAME,
    Aligned,
    Timing,
    align,
    describe,
    first_response,
    framing_diff,
    header_diff,
    timing_diff,
)
from stream_core.capture import exitcodes
from stream_core.records import AnyRecord, json_line

__all__ = ["Comparison", "build_parser", "compare", "main", "parse_tolerance"]

PROG = "stream-inspector compare"
#: Status words in JSON records (the window shows "only A"; a script matches on these).
_JSON_STATUS = {SAME: "same", DIFFERS: "differs", ONLY_A: "only_a", ONLY_B: "only_b"}
_MARK = {SAME: " ", DIFFERS: "~", ONLY_A: "-", ONLY_B: "+"}
_TOLERANCE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|%)?")
EXAMPLES = """examples:
  stream-inspector compare before.sicap after.sicap
  stream-inspector compare a.sicap b.sicap --events --headers || echo "the stream changed"
  stream-inspector compare a.sicap b.sicap --timing 50ms --json | jq -c 'select(.type=="timing")'
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ValueError(message)


def parse_tolerance(text: str) -> tuple[float | None, float | None]:
    """``50ms``, ``0.2s`` or ``0.2`` (seconds), or ``10%`` (of A's value): (seconds, fraction)."""
    m = _TOLERANCE.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"--timing {text!r}: expected a tolerance such as 50ms, 0.2s or 10%")
    value, unit = float(m.group(1)), m.group(2) or "s"
    if unit == "%":
        return None, value / 100
    return (value / 1000 if unit == "ms" else value), None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Compare two captures (.sicap): headers, framing, "
                     "events aligned (the n-th of A beside the n-th of B) and timing.",
                     epilog=EXAMPLES + "\n" + exitcodes.epilog(
                         (exitcodes.OK, exitcodes.EXPECTATION_FAILED, exitcodes.USAGE,
                          exitcodes.LOCAL_IO)),
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", metavar="A.sicap", help="the reference capture")
    parser.add_argument("b", metavar="B.sicap", help="the capture compared with it")
    parser.add_argument("--events", action="store_true",
                        help="exit 1 when an event (type or data) differs or is missing")
    parser.add_argument("--headers", action="store_true",
                        help="exit 1 when the status line or a header differs (Date, Expires,"
                             " Last-Modified and request ids excepted)")
    parser.add_argument("--timing", metavar="TOLERANCE", default=None,
                        help="exit 1 when first byte, first event, mean gap, duration or an"
                             " event's arrival differ by more than TOLERANCE (50ms, 0.2s, 10%%)")
    parser.add_argument("--json", action="store_true",
                        help="print JSON records, one per line, instead of text")
    return parser


@dataclass(slots=True)
class Comparison:
    """Everything compared, and which of it counts (``checked``)."""

    headers: list[tuple[str, str, str, str]]
    framing: list[tuple[str, str, str, str]]
    events: list[Aligned]
    timings: list[Timing]
    checked: tuple[str, ...]

    def differences(self) -> dict[str, int]:
        return {"headers": sum(r[3] != SAME for r in self.headers),
                "events": sum(r.status != SAME for r in self.events),
                "timing": sum(t.status != SAME for t in self.timings)}

    @property
    def differ(self) -> bool:
        counts = self.differences()
        return any(counts[name] for name in self.checked)


def compare(a: Sequence[AnyRecord], b: Sequence[AnyRecord], *, events: bool = False,
            headers: bool = False, timing: str | None = None) -> Comparison:
    """Compare two streams' records; ValueError for a bad ``timing`` tolerance."""
    seconds, fraction = parse_tolerance(timing) if timing is not None else (None, None)
    checked = tuple(name for name, on in (("headers", headers), ("events", events),
                                          ("timing", timing is not None)) if on)
    return Comparison(header_diff(first_response(a), first_response(b)), framing_diff(a, b),
                      align(a, b), timing_diff(a, b, seconds=seconds, fraction=fraction),
                      checked or ("headers", "events"))


def _side(item: Any) -> dict[str, Any] | None:
    kind, text, t = describe(item)
    return None if item is None else {"t": round(t or 0.0, 6), "event": kind, "data": text}


def json_records(c: Comparison, a_name: str, b_name: str) -> list[dict[str, Any]]:
    """The comparison as ``compare --json`` prints it: one object per line, summary last."""
    out: list[dict[str, Any]] = []
    out += [{"type": "header", "name": n, "a": va, "b": vb, "status": _JSON_STATUS[s]}
            for n, va, vb, s in c.headers]
    out += [{"type": "framing", "name": n, "a": va, "b": vb, "status": _JSON_STATUS[s]}
            for n, va, vb, s in c.framing]
    out += [{"type": "event", "index": r.seq, "a": _side(r.a), "b": _side(r.b),
             "status": _JSON_STATUS[r.status]} for r in c.events]
    out += [{"type": "timing", "name": t.name, "a": _round(t.a), "b": _round(t.b),
             "delta": _round(t.delta), "status": _JSON_STATUS[t.status]} for t in c.timings]
    out.append({"type": "summary", "a": a_name, "b": b_name, "checked": list(c.checked),
                "differences": c.differences(), "differ": c.differ})
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _cut(text: str, width: int) -> str:
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    return text if len(text) <= width else text[:width - 1] + "…"


def text_lines(c: Comparison, a_name: str, b_name: str, shown: Sequence[str]) -> list[str]:
    """The comparison for people: the sections ``shown``, differing events only."""
    counts = c.differences()
    lines = [f"A  {a_name}", f"B  {b_name}"]

    def table(title: str, rows: Sequence[tuple[str, str, str, str]]) -> None:
        width = max((len(r[0]) for r in rows), default=0)
        lines.extend(["", title])
        lines.extend(f"  {_MARK[s]} {n:<{width}}  {_cut(va, 40):<40}  {_cut(vb, 40)}"
                     for n, va, vb, s in rows)

    if "headers" in shown:
        table(f"headers ({counts['headers']} differ)", c.headers)
    if "framing" in shown:
        table("framing", c.framing)
    if "events" in shown:
        lines.extend(["", f"events ({len(c.events)} aligned, {counts['events']} differ)"])
        for r in (r for r in c.events if r.status != SAME):
            (ka, ta, _), (kb, tb, _) = describe(r.a), describe(r.b)
            start = _first_difference(ta, tb) if r.status == DIFFERS else 0
            side_a = "—" if r.a is None else f"{ka} {_excerpt(ta, start)}"
            side_b = "—" if r.b is None else f"{kb} {_excerpt(tb, start)}"
            lines.append(f"  {_MARK[r.status]} #{r.seq}  A {side_a}  B {side_b}")
    if "timing" in shown:
        lines.extend(["", f"timing ({counts['timing']} beyond the tolerance)"
                      if "timing" in c.checked else "timing (no tolerance given: not checked)"])
        lines.extend(f"  {_MARK[t.status]} {t.name:<16}  {_ms(t.a):>10}  {_ms(t.b):>10}  "
                     f"{_ms(t.delta, sign=True):>11}" for t in c.timings)
    what = [name for name in c.checked if counts[name]]
    lines.extend(["", f"differ in {', '.join(what)}" if what else
                  f"same {' and '.join(c.checked)}"])
    return lines


def _first_difference(a: str, b: str) -> int:
    """Where to start showing two texts that differ: a little before their first difference."""
    i = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
             min(len(a), len(b)))
    return max(0, i - 20)


def _excerpt(text: str, start: int, width: int = 50) -> str:
    """``text`` from ``start`` (``…`` marks what is left out), quoted as JSON would."""
    part = ("…" if start else "") + _cut(text[start:], width)
    return '"' + part.replace('"', '\\"') + '"'


def _ms(seconds: float | None, sign: bool = False) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:+.1f} ms" if sign else f"{seconds * 1000:.1f} ms"


def main(argv: list[str] | None = None) -> int:
    from stream_core.capture.reader import CaptureError, read_capture

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        ns = build_parser().parse_args(args)
        if ns.timing is not None:
            parse_tolerance(ns.timing)  # a bad argument before any file is read
        for path in (ns.a, ns.b):
            os.stat(path)  # a missing file is a local file error (3), not a bad argument
        captures = [read_capture(ns.a), read_capture(ns.b)]
        result = compare(captures[0].records, captures[1].records, events=ns.events,
                         headers=ns.headers, timing=ns.timing)
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else exitcodes.OK
    except OSError as exc:
        print(f"{PROG}: cannot read {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return exitcodes.LOCAL_IO
    except (ValueError, CaptureError) as exc:
        print(f"{PROG}: {' '.join(str(exc).split())}", file=sys.stderr)
        return exitcodes.USAGE
    for path, cap in zip((ns.a, ns.b), captures, strict=True):
        for warning in cap.warnings:  # compared all the same, but not silently
            print(f"{PROG}: {path}: {warning}", file=sys.stderr)
    if ns.json:
        for obj in json_records(result, ns.a, ns.b):
            sys.stdout.buffer.write(json_line(obj))
    else:
        shown = result.checked if (ns.events or ns.headers or ns.timing) else (
            "headers", "framing", "events", "timing")
        sys.stdout.write("\n".join(text_lines(result, ns.a, ns.b, shown)) + "\n")
    sys.stdout.flush()
    return exitcodes.EXPECTATION_FAILED if result.differ else exitcodes.OK
