"""A straightforward, non-incremental reading of WHATWG *Interpreting an event stream*.

Written to be obviously right rather than fast: the whole stream is decoded at once, split
with a regular expression, and each line is interpreted literally as the standard words it
(the data buffer really gets ``value + LF`` and loses its last LF at dispatch). Tests compare
``stream_core.decode.sse.SSEDecoder`` against it: its events, retries and comments (a comment
is what the standard ignores; the decoder reports it, its text after one optional space).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from stream_core.records import Comment, Event, Notice, Retry

BOM = b"\xef\xbb\xbf"
_EOL = re.compile(r"\r\n|\r|\n")
_EOL_BYTES = re.compile(rb"\r\n|\r|\n")

Item = tuple[str, str, str, str] | tuple[str, int] | tuple[str, str]


@dataclass
class RefResult:
    items: list[Item] = field(default_factory=list)
    last_event_id: str = ""


def reference(stream: bytes, last_event_id: str = "") -> RefResult:
    if stream.startswith(BOM):
        stream = stream[len(BOM):]
    text = stream.decode("utf-8", errors="replace")
    lines = []
    pos = 0
    for m in _EOL.finditer(text):
        lines.append(text[pos:m.start()])
        pos = m.end()
    # text[pos:] has no line end: it is discarded at the end of the stream.
    res = RefResult(last_event_id=last_event_id)
    data = ""
    event_type = ""
    id_buffer = last_event_id
    for line in lines:
        if line == "":
            res.last_event_id = id_buffer
            if data == "":
                event_type = ""
                continue
            if data.endswith("\n"):
                data = data[:-1]
            res.items.append(("event", event_type or "message", data, id_buffer))
            data = ""
            event_type = ""
            continue
        if line.startswith(":"):
            comment = line[1:]
            res.items.append(("comment", comment[1:] if comment.startswith(" ") else comment))
            continue
        if ":" in line:
            name, value = line.split(":", 1)
            if value.startswith(" "):
                value = value[1:]
        else:
            name, value = line, ""
        if name == "event":
            event_type = value
        elif name == "data":
            data += value + "\n"
        elif name == "id":
            if "\x00" not in value:
                id_buffer = value
        elif name == "retry":
            if value and all(c in "0123456789" for c in value):
                res.items.append(("retry", int(value)))
    return res


def reference_spans(stream: bytes) -> list[tuple[int, int]]:
    """Byte offsets (first byte of the event's first non-empty line, first byte of the
    terminator of its dispatching blank line) of every dispatched event, worked out on bytes.

    Line ends and the ``data`` field name are ASCII, so bytes give the same lines and the same
    dispatch decisions as text.
    """
    start = len(BOM) if stream.startswith(BOM) else 0
    spans = []
    pos = start
    first = -1
    has_data = False
    for m in _EOL_BYTES.finditer(stream, start):
        line = stream[pos:m.start()]
        if line == b"":
            if has_data:
                spans.append((first, m.start()))
            first = -1
            has_data = False
        else:
            if first < 0:
                first = pos
            if line.split(b":", 1)[0] == b"data":
                has_data = True
        pos = m.end()
    return spans


def items_of(records: Sequence[Event | Retry | Comment | Notice]) -> list[Item]:
    """Events, retries and comments as the reference gives them (notices are the decoder's
    own report, checked in test_sse.py)."""
    out: list[Item] = []
    for r in records:
        if isinstance(r, Event):
            out.append(("event", r.event, r.data, r.id))
        elif isinstance(r, Retry):
            out.append(("retry", r.ms))
        elif isinstance(r, Comment):
            out.append(("comment", r.text))
    return out


# --------------------------------------------------------------------------- the comparisons

import random  # noqa: E402
import time  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from stream_core.decode.sse import SSEDecoder  # noqa: E402

TOKENS = [b"\r", b"\n", b"\r\n", b":", b" ", b"data", b"id", b"event", b"retry", b"0", b"7",
          b"42", b"\x00", b"x", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"\xff",
          b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", BOM, b"\xef\xbf\xbd", b"\xef", b"\xef\xbb"]

streams = st.lists(st.sampled_from(TOKENS), max_size=60).map(b"".join)


def decode(chunks: Sequence[bytes], last_event_id: str = ""
           ) -> tuple[list[Event | Retry | Comment | Notice], SSEDecoder]:
    dec = SSEDecoder(last_event_id=last_event_id)
    out: list[Event | Retry | Comment | Notice] = []
    for i, c in enumerate(chunks):
        out += dec.feed(c, float(i), i)
    out += dec.close(float(len(chunks)))
    return out, dec


def split_at(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    bounds = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def chunk_of(offset: int, chunks: Sequence[bytes]) -> int:
    end = 0
    for i, c in enumerate(chunks):
        end += len(c)
        if offset < end:
            return i
    raise AssertionError(f"offset {offset} beyond the stream")


def check(chunks: Sequence[bytes], last_event_id: str = "") -> None:
    """Our decoder on these reads gives what the reference gives on the whole stream."""
    stream = b"".join(chunks)
    ref = reference(stream, last_event_id)
    out, dec = decode(chunks, last_event_id)
    assert items_of(out) == ref.items
    assert dec.last_event_id == ref.last_event_id
    events = [r for r in out if isinstance(r, Event)]
    assert [e.seq for e in events] == list(range(len(events)))
    assert dec.next_seq == len(events)
    spans = reference_spans(stream)
    assert [(e.first_chunk, e.last_chunk) for e in events] == [
        (chunk_of(a, chunks), chunk_of(b, chunks)) for a, b in spans]
    for e in events:
        assert e.t == float(e.last_chunk)  # t of the read that completed it


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams, st.data())
def test_matches_reference_random_splits(stream: bytes, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=8))
    check(split_at(stream, cuts), last_event_id=data.draw(st.sampled_from(["", "prev"])))


@settings(max_examples=200, deadline=None)
@given(streams)
def test_matches_reference_byte_by_byte(stream: bytes) -> None:
    check([stream[i:i + 1] for i in range(len(stream))])


SMALL = [
    b"data: YHOO\ndata: +2\ndata: 10\n\n",
    b"\xef\xbb\xbfid: 1\r\nevent: \xe2\x82\xac\r\ndata: \xc3\xa9\xff\r\n\r\nretry: 15\rdata\r\r",
    b": c\nid\x00: x\nid: a\x00b\ndata:x\n\ndata:  y\nid: 2\n\n",
]


@pytest.mark.parametrize("stream", SMALL)
def test_every_split_and_every_pair_of_splits(stream: bytes) -> None:
    n = len(stream)
    for i in range(n + 1):
        check(split_at(stream, [i]))
        for j in range(i, n + 1):
            check(split_at(stream, [i, j]))


def _bulk_stream(n: int, newline: bytes) -> bytes:
    parts = []
    for i in range(n):
        parts.append(b"id: %d%sdata: {\"i\": %d, \"s\": \"\xc3\xa9\"}%s%s" % (
            i, newline, i, newline, newline))
        if i % 50 == 49:
            parts.append(b"data: only data" + newline + newline)
        if i % 97 == 96:
            parts.append(b": comment" + newline + b"event: tick" + newline + b"data" + newline
                         + newline)
    return b"".join(parts)


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_bulk_fast_paths_match_reference(newline: bytes) -> None:
    """Large reads take the C-level bulk path; random cut points move every boundary."""
    stream = _bulk_stream(400, newline)
    rnd = random.Random(1234)
    for size in (7, 333, 4096, 65536, len(stream)):
        check(split_at(stream, list(range(size, len(stream), size))))
    for _ in range(20):
        check(split_at(stream, [rnd.randrange(len(stream)) for _ in range(rnd.randrange(1, 30))]))


@pytest.mark.parametrize("event", [
    b"data: %d\n\n",
    b"id: %d\ndata: x\n\n",
    b"data: %d\ndata: b\ndata: c\n\n",  # even lines all "data: ", odd ones not blank
    b"id: %d\ndata: x\ndata: y\n\n",
    b"data: %d\nid: 1\n\n",
    b"id: %d\nevent: e\n\n",
    b"id: %d\ndata: x\n: c\nid: 9\ndata: y\n\n",  # id/data where expected, a comment not blank
])
def test_bulk_shapes_and_near_misses_match_reference(event: bytes) -> None:
    stream = b"".join(event % i for i in range(300)) + b"data: tail"
    for size in (1000, 1001, 65536):
        check(split_at(stream, list(range(size, len(stream), size))))


def test_bulk_id_with_nul_is_ignored() -> None:
    events = [b"id: %d\ndata: x\n\n" % i for i in range(300)]
    events[150] = b"id: a\x00b\ndata: x\n\n"
    check([b"".join(events)])


def _time_one_event(total: int, piece: bytes, end: bytes) -> float:
    """CPU time of one event of ``total`` bytes made of ``piece`` repeated, in 64 KiB reads."""
    chunk = piece * (65536 // len(piece))
    n = total // len(chunk)
    dec = SSEDecoder(max_line=2 * total)  # within the bound: the event is dispatched
    start = time.process_time()
    dec.feed(b"data: ", 0.0, 0)
    for i in range(n):
        dec.feed(chunk, 0.0, i + 1)
    out = dec.feed(end, 0.0, n + 1)
    spent = time.process_time() - start
    assert len(out) == 1 and len(out[0].data) >= n * len(chunk) // 4  # type: ignore[union-attr]
    return spent


@pytest.mark.parametrize(("piece", "end"), [
    (b"x", b"\n\n"),  # one single line of tens of MiB
    (b"x", b"\r\r"),
    (b"\xc3\xa9", b"\r\n\r\n"),  # multi-byte characters
    (b"y\ndata: ", b"\n\n"),  # one event of very many short data lines
])
@pytest.mark.slow
def test_linear_time_on_one_huge_event(piece: bytes, end: bytes) -> None:
    """10x the input costs about 10x the time (quadratic would be 100x).

    CPU time, best of 5, the two sizes interleaved so that a busy machine slows both alike.
    """
    small = large = float("inf")
    for _ in range(5):
        small = min(small, _time_one_event(4 * 2**20, piece, end))
        large = min(large, _time_one_event(40 * 2**20, piece, end))
    assert large < 40 * small, (small, large)


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_bulk_events_equal_general_path_events(newline: bytes) -> None:
    """Whole Event objects (type, defaults included) from the bulk path equal those of the
    per-line path: same read label for both, the general path forced by one line per feed."""
    stream = _bulk_stream(200, newline)
    whole = SSEDecoder().feed(stream, 0.0, 0)
    per_line = SSEDecoder()
    split: list[Event | Retry | Comment | Notice] = []
    for line in stream.splitlines(keepends=True):
        split += per_line.feed(line, 0.0, 0)
    assert len(whole) > 200 and whole == split
    assert {type(e) for e in whole} == {Event, Comment}


@pytest.mark.parametrize("event", [b"data: %d\n\n", b"id: %d\ndata: x\n\n"])
def test_bulk_single_irregular_event_anywhere(event: bytes) -> None:
    """One blank line replaced by a comment (same line count) at each place in a run: the
    bulk checks must look at every position, the first and last included."""
    n = 60
    for k in [*range(8), n // 2, n - 2, n - 1]:
        events = [event % i for i in range(n)]
        events[k] = events[k][:-1] + b":c\n"
        check([b"".join(events)])
        check([b"".join(events) + b"data: pending"])
