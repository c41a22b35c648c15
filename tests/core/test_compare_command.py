"""``stream-inspector compare A.sicap B.sicap`` (issue 28.11): text and JSON records, and an
exit status by what was asked (``--events``, ``--headers``, ``--timing TOLERANCE``).

The captures are written with the capture writer from records whose times and bytes the
test chooses (timing included); one pair comes from real streams through ``capture --save``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stream_core.analysis.compare import timing_diff
from stream_core.capture import exitcodes
from stream_core.capture.compare_command import parse_tolerance
from stream_core.capture.records_file import CaptureWriter
from stream_core.records import AnyRecord, Chunk, End, Event, Request, Response
from tests.core.rawserver import RawServer, reply
from tests.core.test_capture import ROOT, command, env


def stream(datas: list[str], *, server: str = "a", step: float = 0.1,
           first: float = 0.05) -> list[AnyRecord]:
    """A finished SSE stream: one read per event, ``step`` seconds apart."""
    records: list[AnyRecord] = [
        Request(0.0, "GET", "http://127.0.0.1:1/events", [("Host", "127.0.0.1:1")]),
        Response(0.01, 200, "OK", "HTTP/1.1", [("Content-Type", "text/event-stream"),
                                               ("Server", server), ("Date", f"d{step}")],
                 "sse")]
    offset = 0
    for i, data in enumerate(datas):
        wire = f"data: {data}\n\n".encode()
        t = first + i * step
        records += [Chunk(i, t, offset, wire), Event(i, t, "message", data, "", i, i)]
        offset += len(wire)
    t = first + len(datas) * step
    return [*records, End(t, offset, len(datas), len(datas), t, True)]


def save(path: Path, records: list[AnyRecord]) -> str:
    writer = CaptureWriter(path)
    for r in records:
        writer(r)
    writer.close()
    return str(path)


def compare(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gui", "compare", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env(), timeout=60)


def records_of(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in proc.stdout.splitlines()]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    return {
        "a": save(tmp_path / "a.sicap", stream(["1", "2", "3"])),
        "same": save(tmp_path / "same.sicap", stream(["1", "2", "3"], step=0.102)),
        "events": save(tmp_path / "events.sicap", stream(["1", "two", "3", "4"])),
        "header": save(tmp_path / "header.sicap", stream(["1", "2", "3"], server="b")),
        "slow": save(tmp_path / "slow.sicap", stream(["1", "2", "3"], step=0.3)),
    }


def test_the_same_stream_does_not_differ(files: dict[str, str]) -> None:
    for extra in ([], ["--events", "--headers", "--timing", "20ms"], ["--json"]):
        proc = compare(files["a"], files["same"], *extra)
        assert proc.returncode == exitcodes.OK, (extra, proc.stdout, proc.stderr)
        assert proc.stderr == ""


def test_events_differ(files: dict[str, str]) -> None:
    proc = compare(files["a"], files["events"], "--events")
    assert proc.returncode == exitcodes.EXPECTATION_FAILED
    assert "events (4 aligned, 2 differ)" in proc.stdout
    assert '~ #1  A message "2"  B message "two"' in proc.stdout
    assert "+ #3  A —  B message \"4\"" in proc.stdout
    assert proc.stdout.rstrip().endswith("differ in events")
    assert compare(files["a"], files["events"], "--headers").returncode == exitcodes.OK


def test_headers_differ(files: dict[str, str]) -> None:
    proc = compare(files["a"], files["header"], "--headers", "--json")
    assert proc.returncode == exitcodes.EXPECTATION_FAILED
    rows = {r["name"]: r for r in records_of(proc) if r["type"] == "header"}
    assert rows["Server"] == {"type": "header", "name": "Server", "a": "a", "b": "b",
                              "status": "differs"}
    assert rows["Date"]["status"] == "same", "a volatile header is never a difference"
    assert compare(files["a"], files["header"], "--events").returncode == exitcodes.OK


def test_timing_tolerance(files: dict[str, str]) -> None:
    """Events 0.3 s apart instead of 0.1 s: beyond 50 ms and beyond 10 %, within 1 s."""
    for tolerance in ("50ms", "10%"):
        proc = compare(files["a"], files["slow"], "--timing", tolerance, "--json")
        assert proc.returncode == exitcodes.EXPECTATION_FAILED, tolerance
        timing = {r["name"]: r for r in records_of(proc) if r["type"] == "timing"}
        assert timing["mean_gap"]["status"] == "differs"
        assert timing["mean_gap"]["delta"] == pytest.approx(0.2)
        assert timing["first_byte"]["status"] == "same"
        assert timing["max_event_offset"]["b"] == pytest.approx(0.4)
    assert compare(files["a"], files["slow"], "--timing", "1s").returncode == exitcodes.OK
    assert compare(files["a"], files["slow"]).returncode == exitcodes.OK, \
        "timing counts only with a tolerance"


def test_json_records_end_with_a_summary(files: dict[str, str]) -> None:
    proc = compare(files["a"], files["events"], "--json")
    records = records_of(proc)
    assert {r["type"] for r in records} == {"header", "framing", "event", "timing", "summary"}
    summary = records[-1]
    assert summary == {"type": "summary", "a": files["a"], "b": files["events"],
                       "checked": ["headers", "events"],
                       "differences": {"headers": 0, "events": 2, "timing": 0},
                       "differ": True}
    events = [r for r in records if r["type"] == "event"]
    assert events[3] == {"type": "event", "index": 3, "a": None,
                         "b": {"t": 0.35, "event": "message", "data": "4"}, "status": "only_b"}


@pytest.mark.parametrize("args, status, said", [
    (["x.sicap"], exitcodes.USAGE, "required"),
    (["{a}", "/nonexistent/b.sicap"], exitcodes.LOCAL_IO, "cannot read /nonexistent/b.sicap"),
    (["{a}", "{text}"], exitcodes.USAGE, "not a Stream Inspector capture"),
    (["{a}", "{a}", "--timing", "fast"], exitcodes.USAGE, "--timing 'fast'"),
])
def test_bad_arguments_are_one_line(files: dict[str, str], tmp_path: Path, args: list[str],
                                    status: int, said: str) -> None:
    text = tmp_path / "t.txt"
    text.write_text("hello\n")
    proc = compare(*(a.format(a=files["a"], text=text) for a in args))
    assert proc.returncode == status and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and said in proc.stderr, proc.stderr


def test_real_streams_saved_by_capture(tmp_path: Path) -> None:
    """CRLF against LF line ends: the framing says so; the events are the same."""
    lf = b"data: a\n\ndata: b\n\n"
    crlf = lf.replace(b"\n", b"\r\n")
    paths = []
    for name, body in (("lf", lf), ("crlf", crlf)):
        wire = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body)) + body
        path = tmp_path / f"{name}.sicap"
        with RawServer(reply(wire)) as srv:
            subprocess.run(command(srv.url, "--save", str(path)), capture_output=True,
                           cwd=ROOT, env=env(), timeout=60, check=True)
        paths.append(str(path))
    proc = compare(*paths, "--events", "--json")  # (Content-Length differs)
    assert proc.returncode == exitcodes.OK, proc.stdout
    framing = {r["name"]: r for r in records_of(proc) if r["type"] == "framing"}
    assert (framing["Line endings"]["a"], framing["Line endings"]["b"]) == ("LF", "CRLF")
    assert framing["Line endings"]["status"] == "differs"


def test_tolerances() -> None:
    assert parse_tolerance("50ms") == (0.05, None)
    assert parse_tolerance("0.2s") == (0.2, None)
    assert parse_tolerance("2") == (2.0, None)
    assert parse_tolerance("10%") == (None, 0.1)
    with pytest.raises(ValueError):
        parse_tolerance("-1s")
    a, b = stream(["1"]), stream(["1"], first=0.2)
    assert [t.status for t in timing_diff(a, b)] == ["same"] * 5  # no tolerance: not checked
