"""NDJSON / JSON Lines / json-seq and plain line decoders: framing, parsing, splits, linear time."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream_core.decode.lines import LineDecoder, NDJSONDecoder
from stream_core.records import Notice, Record

Decoder = type[LineDecoder] | type[NDJSONDecoder]


def run(cls: Decoder, chunks: Sequence[bytes], next_seq: int = 0,
        notices: list[Notice] | None = None) -> list[Record]:
    """The records; what the decoder said it saw goes to ``notices``, if given."""
    dec = cls(next_seq=next_seq)
    out: list[Record] = []
    for i, c in enumerate(chunks):
        for rec in [*dec.feed(c, float(i), i)]:
            if isinstance(rec, Notice):
                if notices is not None:
                    notices.append(rec)
            else:
                out.append(rec)  # type: ignore[arg-type]  # (an Error for too long lines)
    for rec in dec.close(float(len(chunks))):
        if isinstance(rec, Notice):
            if notices is not None:
                notices.append(rec)
        else:
            out.append(rec)  # type: ignore[arg-type]
    assert dec.next_seq == next_seq + len(out)
    return out


def view(records: Sequence[Record]) -> list[tuple[str, object, str | None, bool]]:
    return [(r.text, r.value, r.error, r.parsed) for r in records]


def ref_lines(stream: bytes) -> list[str]:
    """Lines split on LF, one trailing CR dropped, each decoded with U+FFFD; the last line
    without LF counts when it is not empty."""
    parts = stream.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    return [(p[:-1] if p.endswith(b"\r") else p).decode("utf-8", "replace") for p in parts]


# ------------------------------------------------------------------ LineDecoder

def test_lines_basic_crlf_empty_and_final_line_at_close() -> None:
    out = run(LineDecoder, [b"one\r\n\ntwo\rstill two\nlast"])
    assert [r.text for r in out] == ["one", "", "two\rstill two", "last"]
    assert all(r.error is None and not r.parsed and r.value is None for r in out)
    assert [r.seq for r in out] == [0, 1, 2, 3]
    assert out[-1].to_json() == {"type": "record", "t": 1.0, "seq": 3, "text": "last"}


def test_lines_final_line_waits_for_close() -> None:
    dec = LineDecoder()
    assert dec.feed(b"partial", 0.0, 0) == []
    [r] = dec.close(1.0)
    assert (r.text, r.first_chunk, r.last_chunk, r.t) == ("partial", 0, 0, 1.0)
    assert dec.close(2.0) == []


def test_lines_chunk_span_and_t() -> None:
    dec = LineDecoder(next_seq=10)
    assert dec.feed(b"ab", 1.0, 0) == []
    assert dec.feed(b"cd", 2.0, 1) == []
    out = dec.feed(b"e\nf\n\n", 3.0, 2)
    assert [(r.seq, r.text, r.first_chunk, r.last_chunk, r.t) for r in out] == [
        (10, "abcde", 0, 2, 3.0), (11, "f", 2, 2, 3.0), (12, "", 2, 2, 3.0)]
    dec.feed(b"g", 4.0, 3)
    dec.feed(b"h", 5.0, 4)
    [r] = dec.close(6.0)
    assert (r.text, r.first_chunk, r.last_chunk) == ("gh", 3, 4)


def test_lines_invalid_and_split_utf8() -> None:
    stream = "é€😀\n".encode() + b"a\xffb\xe2\x82\n"
    expected = ["é€😀", "a\ufffdb\ufffd"]
    for i in range(len(stream) + 1):
        assert [r.text for r in run(LineDecoder, [stream[:i], stream[i:]])] == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"\n", b"\r", b"\r\n", b"a", b" ", b"{}", b"\xc3\xa9",
                                 b"\xc3", b"\xff", b"\x1e"]), max_size=40).map(b"".join),
       st.data())
def test_lines_match_reference_at_random_splits(stream: bytes, data: st.DataObject) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    bounds = [0, *cuts, len(stream)]
    chunks = [stream[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    assert [r.text for r in run(LineDecoder, chunks)] == ref_lines(stream)
    expected = [ln.lstrip("\x1e") for ln in ref_lines(stream)]
    assert [r.text for r in run(NDJSONDecoder, chunks)] == [
        ln for ln in expected if ln.strip()]


def test_lines_every_split_position() -> None:
    stream = b"a\r\nbb\n\nccc\xc3\xa9\nd"
    expected = [r.text for r in run(LineDecoder, [stream])]
    assert expected == ["a", "bb", "", "ccc\u00e9", "d"]
    for i in range(len(stream) + 1):
        for j in range(i, len(stream) + 1):
            chunks = [stream[:i], stream[i:j], stream[j:]]
            assert [r.text for r in run(LineDecoder, chunks)] == expected


# ------------------------------------------------------------------ NDJSONDecoder

def test_ndjson_values_and_invalid_lines() -> None:
    out = run(NDJSONDecoder, [b'{"a": 1}\n[1, 2]\n"s"\n3.5\nnull\n{bad}\n{"x":\n'])
    assert view(out) == [
        ('{"a": 1}', {"a": 1}, None, True),
        ("[1, 2]", [1, 2], None, True),
        ('"s"', "s", None, True),
        ("3.5", 3.5, None, True),
        ("null", None, None, True),
        ("{bad}", None, "not JSON: Expecting property name enclosed in double quotes at column 2",
         False),
        ('{"x":', None, "not JSON: Expecting value at column 6", False),
    ]
    assert out[0].to_json() == {"type": "record", "t": 0.0, "seq": 0, "value": {"a": 1}}
    assert out[-1].to_json() == {"type": "record", "t": 0.0, "seq": 6, "text": '{"x":',
                                 "error": "not JSON: Expecting value at column 6"}


def test_ndjson_not_json_message() -> None:
    [r] = run(NDJSONDecoder, [b"hello\n"])
    assert r.error == "not JSON: Expecting value at column 1"


def test_ndjson_skips_blank_and_whitespace_lines_and_strips_cr() -> None:
    out = run(NDJSONDecoder, [b'\n  \n\t\r\n{"a":1}\r\n\r\n 2 \n'])
    assert [(r.value, r.seq) for r in out] == [({"a": 1}, 0), (2, 1)]


def test_ndjson_final_line_without_newline_is_emitted_at_close() -> None:
    dec = NDJSONDecoder()
    assert dec.feed(b'{"a":1}\n{"b"', 0.0, 0) != []
    assert dec.feed(b":2}", 1.0, 1) == []
    [r] = dec.close(2.0)
    assert (r.value, r.first_chunk, r.last_chunk, r.t) == ({"b": 2}, 0, 1, 2.0)


def test_json_seq_record_separators() -> None:
    stream = b'\x1e{"a":1}\n\x1e\x1e[2]\n\x1e\n\x1e{oops}\n'
    out = run(NDJSONDecoder, [stream])
    assert view(out)[:2] == [('{"a":1}', {"a": 1}, None, True), ("[2]", [2], None, True)]
    assert out[2].text == "{oops}" and not out[2].parsed and len(out) == 3


def test_ndjson_hostile_lines_are_records_not_crashes() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    big_int = b"1" * 5000
    out = run(NDJSONDecoder, [deep + b"\n" + big_int + b"\n" + b"NaN\n[-Infinity]\n"])
    assert [r.parsed for r in out] == [False, False, False, False]
    assert out[0].error == "not JSON: nested deeper than 256 levels"
    assert out[1].error is not None and out[1].error.startswith("not JSON: ")
    assert out[2].error == "not JSON: NaN is not valid JSON"
    assert out[3].error == "not JSON: -Infinity is not valid JSON"


def test_ndjson_utf8_split_everywhere() -> None:
    stream = json.dumps({"k": "é€😀"}, ensure_ascii=False).encode() + b"\n"
    for i in range(len(stream) + 1):
        [r] = run(NDJSONDecoder, [stream[:i], stream[i:]])
        assert r.value == {"k": "é€😀"}


def test_ndjson_invalid_utf8_is_replaced_not_fatal() -> None:
    [r] = run(NDJSONDecoder, [b'{"k": "a\xffb"}\n'])
    assert r.value == {"k": "a\ufffdb"}


@pytest.mark.parametrize("cls", [LineDecoder, NDJSONDecoder])
def test_the_first_invalid_utf8_is_said_once_before_its_line(cls: Decoder) -> None:
    notices: list[Notice] = []
    dec = cls()
    out = dec.feed(b'"ok \xef\xbf\xbd"\n', 1.0, 0)  # a real U+FFFD: valid UTF-8
    out += dec.feed(b'"a\xff"\n"b\xfe"\n', 2.0, 1) + dec.close(3.0)
    assert [type(r) for r in out] == [Record, Notice, Record, Record]
    assert out[1] == Notice(2.0, "invalid-utf8", "", 1)
    assert run(cls, [b"\xff\n"], notices=notices) and notices == [
        Notice(0.0, "invalid-utf8", "", 0)]


# ------------------------------------------------------------------ linear time

def _time_long_line(cls: Decoder, total: int) -> float:
    chunk = b"x" * 65536
    n = total // len(chunk)
    dec = cls(max_line=2 * total)  # within the bound: the line is a record
    start = time.process_time()
    for i in range(n):
        dec.feed(chunk, 0.0, i)
    out = dec.feed(b"\n", 0.0, n)
    spent = time.process_time() - start
    assert len(out) == 1 and len(out[0].text) == n * len(chunk)
    return spent


@pytest.mark.slow
@pytest.mark.parametrize("cls", [LineDecoder, NDJSONDecoder])
def test_linear_time_on_one_long_line(cls: Decoder) -> None:
    """10x the input of one single line costs about 10x the time (quadratic would be 100x).

    CPU time, best of 5, the two sizes interleaved so that a busy machine slows both alike.
    """
    small = large = float("inf")
    for _ in range(5):
        small = min(small, _time_long_line(cls, 4 * 2**20))
        large = min(large, _time_long_line(cls, 40 * 2**20))
    assert large < 40 * small, (small, large)


def test_ndjson_nesting_beyond_the_bound_is_not_json() -> None:
    """300 levels parse with ``json.loads`` but break every consumer that recurses (the
    window's JSON tree, ``json.dumps`` deeper in a stack): malformed, like 100,000 levels."""
    deep = b"[" * 300 + b"]" * 300
    fine = b"[" * 200 + b"]" * 200
    wide = json.dumps([{"a": [i]} for i in range(1000)]).encode()  # many brackets, shallow
    text = json.dumps({"s": "[" * 5000}).encode()  # brackets inside a string do not nest
    out = run(NDJSONDecoder, [deep + b"\n" + fine + b"\n" + wide + b"\n" + text + b"\n"])
    assert [r.parsed for r in out] == [False, True, True, True]
    assert out[0].error == "not JSON: nested deeper than 256 levels"
