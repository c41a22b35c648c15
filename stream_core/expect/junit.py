"""JUnit XML reports of expectation runs, in the shape CI systems read.

The shape is the common denominator of what Jenkins (xUnit / Surefire schema), GitLab and
the GitHub JUnit actions accept: ``<testsuites>`` with ``tests``, ``failures``, ``errors``,
``skipped``, ``time``; one ``<testsuite>`` per request (``name``, ``tests``, ``failures``,
``errors``, ``skipped`` required or expected, ``time`` in seconds with at most three decimals,
``timestamp``, ``hostname``); one ``<testcase name=EXPR classname=FILE#REQUEST time=...>`` per
expectation holding ``<failure message type>`` or ``<skipped message>``; a failed stream
(could not connect, cut short) as one more test case ``(stream)`` with ``<error>``; what the
request was and got in ``<system-out>``.
"""

from __future__ import annotations

import datetime
import io
import socket
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from stream_core.expect.evaluator import Verdict

__all__ = ["Case", "junit_bytes", "report"]


@dataclass(slots=True)
class Case:
    """One request's run: its verdicts, its stream errors, how long it took."""

    name: str  # "file.http#request"
    verdicts: list[Verdict]
    errors: list[str]
    duration: float
    about: str = ""  # "GET URL -> 200 sse", for <system-out>


def _time(seconds: float) -> str:
    return f"{max(seconds, 0.0):.3f}"


def _clean(text: str) -> str:
    """XML 1.0 cannot hold most control characters, not even escaped: they go."""
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20)


def report(cases: list[Case], duration: float, name: str = "stream-inspector test"
           ) -> ET.Element:
    root = ET.Element("testsuites", name=name)
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    stamp = datetime.datetime.now(datetime.UTC).replace(microsecond=0, tzinfo=None).isoformat()
    host = socket.gethostname()
    for i, case in enumerate(cases):
        counts = {"tests": len(case.verdicts) + bool(case.errors),
                  "failures": sum(v.result == "fail" for v in case.verdicts),
                  "errors": int(bool(case.errors)),
                  "skipped": sum(v.result == "skip" for v in case.verdicts)}
        suite = ET.SubElement(root, "testsuite", {k: str(v) for k, v in counts.items()},
                              name=_clean(case.name), id=str(i), timestamp=stamp,
                              hostname=host, time=_time(case.duration))
        for key, value in counts.items():
            totals[key] += value
        for verdict in case.verdicts:
            exp = verdict.expectation
            test = ET.SubElement(suite, "testcase", name=_clean(exp.text),
                                 classname=_clean(case.name), time=_time(verdict.t))
            if verdict.result == "fail":
                failure = ET.SubElement(test, "failure", message=_clean(verdict.message),
                                        type="expectation")
                failure.text = _clean(f"{verdict.message}\nat t = {verdict.t:.3f} s"
                                      + (f"\nwritten at {exp.source}" if exp.source else ""))
            elif verdict.result == "skip":
                ET.SubElement(test, "skipped", message=_clean(verdict.message))
        if case.errors:
            test = ET.SubElement(suite, "testcase", name="(stream)",
                                 classname=_clean(case.name), time=_time(case.duration))
            error = ET.SubElement(test, "error", message=_clean(case.errors[0]),
                                  type=case.errors[0].split(":", 1)[0])
            error.text = _clean("\n".join(case.errors))
        if case.about:
            ET.SubElement(suite, "system-out").text = _clean(case.about)
    root.set("time", _time(duration))
    for key, value in totals.items():
        root.set(key, str(value))
    return root


def junit_bytes(cases: list[Case], duration: float) -> bytes:
    """The report of ``cases`` as an XML document (UTF-8, with its declaration)."""
    tree = ET.ElementTree(report(cases, duration))
    ET.indent(tree)
    out = io.BytesIO()
    tree.write(out, encoding="utf-8", xml_declaration=True)
    return out.getvalue()
