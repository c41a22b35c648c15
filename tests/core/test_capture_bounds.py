"""Hostile capture files (issue 25.12, 25.18): a time out of range is a corrupted line, named;
a line longer than a record can be is skipped without being held whole, by the window's
reader and by the demo server's replay alike."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

from embedded_server.replay import parse_capture
from stream_core.capture.reader import MAX_LINE_BYTES, open_lines, read_capture
from stream_core.decode.lines import MAX_LINE
from stream_core.records import End, Event
from tests.core.test_capture_file import write_sample


def test_a_time_out_of_range_is_a_corrupted_line_named(tmp_path: Path) -> None:
    path = tmp_path / "big-t.sicap"
    write_sample(path)
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b'"t":0.02', b'"t":1e308')  # the first chunk
    lines[4] = lines[4].replace(b'"t":0.02', b'"t":-0.5')  # its event
    header = lines[0].replace(b'"started":', b'"started":1e308,"was":')
    path.write_bytes(b"\n".join([header, *lines[1:]]))
    capture = read_capture(path)
    assert capture.warnings == [
        "line 4 is corrupted ('t' is 1e+308: not a time from 0 to 1e+09 seconds); skipped",
        "line 5 is corrupted ('t' is -0.5: not a time from 0 to 1e+09 seconds); skipped",
        "its header's started (1e+308) is not a time: clock times are counted from when it"
        " was opened"]
    assert capture.started is None
    assert [r.type for r in capture.records] == ["request", "response", "chunk", "event",
                                                 "chunk", "event", "end"]


def test_the_default_bound_holds_an_event_of_max_line_characters() -> None:
    assert MAX_LINE_BYTES >= 4 * MAX_LINE


def test_an_overlong_line_is_skipped_and_named(tmp_path: Path) -> None:
    path = tmp_path / "long.sicap"
    write_sample(path)
    lines = path.read_bytes().split(b"\n")
    huge = b'{"type":"event","t":0.03,"seq":9,"event":"message","data":"' + b"x" * 50_000 \
        + b'","id":""}'
    path.write_bytes(b"\n".join([*lines[:5], huge, huge, *lines[5:]]))
    capture = read_capture(path, max_bytes=4096)
    assert capture.warnings == ["2 line(s) longer than 4,096 bytes skipped (line 6, 7): more"
                                " than one event or read can hold"]
    assert [r.type for r in capture.records] == ["request", "response", "chunk", "event",
                                                 "chunk", "event", "chunk", "event", "end"]
    events = [r for r in capture.records if isinstance(r, Event)]
    assert [e.data for e in events] == ["0", "1", "2"]


def test_a_line_of_exactly_the_bound_is_read(tmp_path: Path) -> None:
    path = tmp_path / "edge.sicap"
    write_sample(path)
    lines = path.read_bytes().split(b"\n")
    edge = b'{"type":"event","t":0.03,"seq":9,"data":"' + b"e" * 1000 + b'"}'
    path.write_bytes(b"\n".join([*lines[:5], edge, *lines[5:]]))
    assert read_capture(path, max_bytes=len(edge)).warnings == []  # its newline not counted
    assert read_capture(path, max_bytes=len(edge) - 1).warnings == [
        f"1 line(s) longer than {len(edge) - 1:,} bytes skipped (line 6): more than one event"
        " or read can hold"]


def test_an_overlong_line_is_never_held_whole(tmp_path: Path) -> None:
    """A 40 MB line under a 1 MB bound: read through in pieces, far less memory than it."""
    path = tmp_path / "huge.sicap"
    write_sample(path)
    lines = path.read_bytes().split(b"\n")
    with open(path, "wb") as f:
        f.write(b"\n".join(lines[:3]) + b"\n")
        f.write(b'{"type":"event","t":0.0,"seq":0,"data":"')
        for _ in range(40):
            f.write(b"y" * (1 << 20))
        f.write(b'"}\n' + b"\n".join(lines[3:]))
    tracemalloc.start()
    try:
        capture = read_capture(path, max_bytes=1 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, peak
    assert isinstance(capture.records[-1], End) and len(capture.records) == 9
    assert "1 line(s) longer than 1,048,576 bytes skipped (line 4)" in capture.warnings[0]


def test_replay_reads_lines_through_the_same_bound(tmp_path: Path) -> None:
    """The demo server's replay reads its upload with ``open_lines`` over ``io.BytesIO``:
    the same bound, the same skipping."""
    path = tmp_path / "r.sicap"
    write_sample(path)
    lines = path.read_bytes().split(b"\n")
    event = b'{"type":"event","t":0.02,"seq":5,"data":"' + b"z" * 10_000 + b'"}'
    data = b"\n".join([*lines[:3], event, *lines[3:]])
    capture = open_lines("r.sicap", io.BytesIO(data), max_bytes=4096)
    assert [n for n, _ in capture.lines] == [2, 3, 5, 6, 7, 8, 9, 10, 11]
    assert capture.too_long == [4]
    replay = parse_capture("r.sicap", data)
    assert [d for _, d in replay.chunks] == [b"data: %d\n\n\n" % i for i in range(3)]
