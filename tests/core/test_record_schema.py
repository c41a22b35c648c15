"""One schema per record: every record type written and read back through the same
declarations, its two written forms, malformed fields named, and records left as they came."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest

from stream_core.analysis.aggregate import StreamAggregate
from stream_core.capture.har import events_ndjson, to_har
from stream_core.capture.masking import masked
from stream_core.capture.reader import parse_record, read_capture
from stream_core.capture.records_file import CaptureWriter, record_line
from stream_core.records import (
    RECORD_TYPES,
    AnyRecord,
    Chunk,
    Comment,
    End,
    Error,
    Event,
    Notice,
    Progress,
    Reconnect,
    Record,
    Request,
    Response,
    Retry,
)

#: One of each record type, and the variants whose JSON differs (optional fields set or not).
SAMPLES: list[AnyRecord] = [
    Request(0.000131, "GET", "http://127.0.0.1:8000/x?q=1", [("host", "127.0.0.1"),
                                                            ("x-served-by", "caf\xc3\xa9")]),
    Response(0.004212, 200, "OK", "HTTP/1.1", [("content-type", "text/event-stream")], "sse"),
    Chunk(0, 0.0050031234567, 0, b": ping\r\nid: 1\r\ndata: hi\r\n\r\n\xff"),
    Comment(0.0050031234567, "ping", 0),
    Notice(0.0050031234567, "line-ends", "crlf+lf", 0),
    Notice(0.0050031234567, "bom", "", 0),
    Event(0, 0.0050031234567, "message", "hi\n\u2028there", "1", 0, 0),
    Retry(0.006, 10**40),
    Record(0, 0.007, '{"a": [1, 2]}', {"a": [1, 2]}, None, True, 1, 1),
    Record(1, 0.007, '{"a": nope', None, "not JSON: Expecting value at column 7", False, 1, 2),
    Record(2, 0.007, "a plain line", None, None, False, 2, 2),
    Reconnect(0.5, 1, 3000, "1", "protocol: connection closed"),
    Reconnect(0.6, 2, 0, ""),
    Progress(0.7, 1024, None, 1234.5678),
    Progress(0.8, 2048, 4096, 0.0),
    Error(0.9, "protocol", "cut mid-body"),
    End(1.0000001, 35, 1, 1, 1.0000001, True),
    End(1.1, 35, 1, 1, 1.1, False, "/tmp/x.bin", "ab" * 32, 70, "max-events",
        {"unfinished_events": 1}, ["the stream ended inside an event"]),
]


def test_every_record_type_has_a_sample() -> None:
    assert {type(r) for r in SAMPLES} == set(RECORD_TYPES.values())


@pytest.mark.parametrize("rec", SAMPLES, ids=lambda r: r.type)
def test_file_form_round_trips(rec: AnyRecord) -> None:
    line = record_line(rec, save_secrets=True)
    assert json.loads(json.dumps(line)) == line
    back = parse_record(json.loads(json.dumps(line)))
    if isinstance(rec, Record) and rec.parsed:  # the text is not repeated in the file
        back = dataclasses.replace(back, text=rec.text)  # type: ignore[type-var]
    assert back == rec


def test_a_capture_file_round_trips_every_record_type(tmp_path: Path) -> None:
    """Written by the writer, read by the reader: equal records (a parsed NDJSON record's
    text comes back from the chunk that carried it)."""
    ndjson = Chunk(1, 0.007, 34, b'{"a": [1, 2]}\n{"a": nope\na plain line\n')
    records = [*SAMPLES[:8], ndjson, *SAMPLES[8:-2], SAMPLES[-1]]
    path = tmp_path / "all.sicap"
    with CaptureWriter(path, save_secrets=True) as writer:
        writer.extend(records)
    capture = read_capture(path)
    assert capture.warnings == []
    assert capture.records == records


def test_stdout_form() -> None:
    """What ``capture`` prints: times to the microsecond, no chunk spans, the response's
    reason (new), chunk bytes only on request."""
    by_type = {r.type: r for r in SAMPLES}
    assert by_type["response"].to_json() == {
        "type": "response", "t": 0.004212, "status": 200, "reason": "OK",
        "http_version": "HTTP/1.1", "headers": [["content-type", "text/event-stream"]],
        "mode": "sse"}
    chunk = by_type["chunk"]
    assert chunk.to_json() == {"type": "chunk", "t": 0.005003, "seq": 0, "offset": 0,
                               "size": 28}
    assert chunk.to_json(True)["data_b64"] == chunk.to_json(form="file")["data_b64"]
    assert by_type["event"].to_json() == {"type": "event", "t": 0.005003, "seq": 0,
                                          "event": "message", "data": "hi\n\u2028there",
                                          "id": "1"}
    assert by_type["comment"].to_json() == {"type": "comment", "t": 0.005003, "text": "ping"}
    assert SAMPLES[4].to_json() == {"type": "notice", "t": 0.005003,
                                           "code": "line-ends", "detail": "crlf+lf"}
    assert SAMPLES[13].to_json() == {"type": "progress", "t": 0.7, "bytes": 1024,
                                     "total": None, "rate": 1234.6}
    assert SAMPLES[-1].to_json() == {
        "type": "end", "t": 1.1, "bytes": 35, "chunks": 1, "events": 1, "duration": 1.1,
        "complete": False, "path": "/tmp/x.bin", "sha256": "ab" * 32, "decoded_bytes": 70,
        "stopped": "max-events", "dropped": {"unfinished_events": 1},
        "problems": ["the stream ended inside an event"]}
    assert SAMPLES[-2].to_json() == {"type": "end", "t": 1.0, "bytes": 35, "chunks": 1,
                                     "events": 1, "duration": 1.0, "complete": True}


@pytest.mark.parametrize(("change", "why"), [
    ({"t": 1e308}, "'t' is 1e+308: not a time from 0 to 1e+09 seconds"),
    ({"t": -1}, "'t' is -1: not a time"),
    ({"t": "0.1"}, "'t' is not a number"),
    ({"t": 10**400}, "'t' is out of range"),
    ({"seq": 2**64}, "'seq' is out of range"),
    ({"seq": True}, "'seq' is not an integer"),
    ({"data": None}, "'data' is not a string"),
    ({"first_chunk": 1.5}, "'first_chunk' is not an integer"),
])
def test_malformed_fields_are_named(change: dict[str, object], why: str) -> None:
    obj = {**record_line(SAMPLES[6], save_secrets=True), **change}
    with pytest.raises(ValueError, match=why.replace("+", r"\+")):
        parse_record(obj)


def test_malformed_chunks_and_headers_are_named() -> None:
    chunk = record_line(SAMPLES[2], save_secrets=True)
    with pytest.raises(ValueError, match="'data_b64' holds 28 bytes, but 'size' is 3"):
        parse_record({**chunk, "size": 3})
    with pytest.raises(ValueError, match="'data_b64' is missing"):
        parse_record({k: v for k, v in chunk.items() if k != "data_b64"})
    with pytest.raises(ValueError, match="'data_b64' is not valid base64"):
        parse_record({**chunk, "data_b64": "*"})
    request = record_line(SAMPLES[0], save_secrets=True)
    with pytest.raises(ValueError, match="'headers' holds a header that is not"):
        parse_record({**request, "headers": [["a", 1]]})
    assert parse_record({"type": "telepathy", "t": 0}) is None


def test_nan_and_infinity_in_a_file_are_malformed(tmp_path: Path) -> None:
    """``json.loads`` takes NaN and Infinity; a time must be a finite number all the same."""
    path = tmp_path / "nan.sicap"
    with CaptureWriter(path, save_secrets=True) as writer:
        writer.extend(SAMPLES[:2])
    text = path.read_text()
    path.write_text(text + '{"type":"retry","t":NaN,"ms":1}\n'
                    + '{"type":"retry","t":Infinity,"ms":1}\n')
    capture = read_capture(path)
    assert [type(r) for r in capture.records] == [Request, Response]
    assert "line 4 is corrupted ('t' is nan, not a finite number); skipped" in capture.warnings
    assert "line 5 is corrupted ('t' is inf, not a finite number); skipped" in capture.warnings


def test_the_record_path_leaves_records_as_they_came() -> None:
    """Records are immutable by type (mypy) and, at run time, by convention: every consumer
    of the window's and the capture's path (aggregate, masking, capture file, exports) makes
    new records rather than changing the ones it is given."""
    records = [*SAMPLES[:-2], SAMPLES[-1]]
    before = copy.deepcopy(records)
    aggregate = StreamAggregate(b'{"tools": []}')
    aggregate.feed(records)
    masked(records)
    for rec in records:
        record_line(rec)
    to_har(records, started=1.0e9)
    events_ndjson(records)
    assert records == before


def test_a_notice_detail_and_a_comment_are_masked_like_the_body() -> None:
    """Both hold text from the body (a field name, a value, a comment): a secret the request
    sent is blanked there too."""
    secret = "sk-planted-notice-0042"
    request = Request(0.0, "GET", "http://127.0.0.1/x", [("Authorization", f"Bearer {secret}")])
    out = masked([request, Notice(0.1, "unknown-field", secret, 0),
                  Comment(0.1, f"key {secret}", 0)])
    assert secret not in json.dumps([record_line(r, save_secrets=True) for r in out])
    assert len(out[1].detail) == len(secret)  # type: ignore[union-attr]  # same length
