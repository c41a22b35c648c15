"""StreamAggregate: the window's per-stream bookkeeping, tested without Qt."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stream_core.analysis.aggregate import StreamAggregate
from stream_core.decode.sse import SSEDecoder
from stream_core.records import (
    AnyRecord,
    Chunk,
    End,
    Error,
    Event,
    Progress,
    Reconnect,
    Record,
    Request,
    Response,
    Retry,
)

SSE_HEADERS = [("content-type", "text/event-stream"), ("content-encoding", "gzip")]


def _sse_records(n_events: int = 40, per_read: int = 4) -> list[AnyRecord]:
    """A realistic run: request, response, then reads carrying OpenAI-style deltas, with the
    events the engine's decoder dispatches from each read, a retry, a reconnect, an end."""
    recs: list[AnyRecord] = [
        Request(0.0, "POST", "http://127.0.0.1:1/v1/chat/completions", []),
        Response(0.01, 200, "OK", "HTTP/1.1", SSE_HEADERS, "sse"),
    ]
    body = b"retry: 1500\n\n"
    for i in range(n_events):
        delta = {"choices": [{"index": 0, "delta": {"content": f"w{i} "}}]}
        body += b"data: " + json.dumps(delta).encode() + b"\n\n"
    dec = SSEDecoder()
    offset = seq = 0
    step = max(1, len(body) // (n_events // per_read))
    t = 0.02
    while offset < len(body):
        data = body[offset:offset + step]
        recs.append(Chunk(seq, t, offset, data))
        for item in dec.feed(data, t, seq):
            recs.append(item)
        offset += len(data)
        seq += 1
        t += 0.01
    recs.append(Reconnect(t, 1, 1500, "", "stream ended"))
    recs.append(Response(t + 0.01, 200, "OK", "HTTP/1.1", SSE_HEADERS, "sse"))
    recs.append(Error(t + 0.02, "connect", "connection lost"))
    recs.append(End(t + 0.03, offset, seq, n_events, t + 0.03, False))
    return recs


def _summary(agg: StreamAggregate) -> dict[str, Any]:
    st = agg.stats
    return {
        "bytes": st.bytes, "chunks": st.chunks, "events": st.events, "ttfb": st.ttfb,
        "first_event": st.first_event, "first_token": st.first_token,
        "timeline_events": sum(st.timeline.event_bins), "gaps": st.timeline.gaps,
        "timeline_bytes": sum(st.timeline.bytes_bins),
        "markers": [(m.kind, m.label) for m in st.timeline.markers],
        "findings": [(f.code, f.chunk, f.event) for f in agg.diagnostics.findings()],
        "text": agg.llm.text, "retry": agg.retry_ms,
        "responses": len(agg.responses), "requests": len(agg.requests),
        "error": agg.error.kind if agg.error else None, "end": agg.end is not None,
    }


def test_one_batch_gives_the_same_figures_as_one_record_at_a_time() -> None:
    """The fast path (a whole flood in one batch) and the slow path agree on every figure."""
    recs = _sse_records()
    whole = StreamAggregate()
    whole.feed(list(recs))
    single = StreamAggregate()
    for rec in recs:
        single.feed([rec])
    assert _summary(whole) == _summary(single)
    summary = _summary(whole)
    assert summary["events"] == 40
    assert summary["text"] == "".join(f"w{i} " for i in range(40))
    assert summary["retry"] == 1500
    assert summary["markers"] == [("reconnect", "reconnect 1"), ("error", "connect")]
    assert summary["findings"] == [("content-encoding", 0, None), ("cache-control", None, None),
                                   ("x-accel-buffering", None, None)]


@pytest.mark.parametrize("cut", [1, 3, 7, 20])
def test_any_batching_gives_the_same_figures(cut: int) -> None:
    recs = _sse_records()
    reference = StreamAggregate()
    reference.feed(list(recs))
    agg = StreamAggregate()
    for i in range(0, len(recs), cut):
        agg.feed(recs[i:i + cut])
    assert _summary(agg) == _summary(reference)


def test_segments_end_at_responses_and_reconnects_with_rows_in_order() -> None:
    recs = _sse_records(n_events=8, per_read=2)
    segments = StreamAggregate().feed(recs)
    markers = [type(m).__name__ if m else None for _, _, m in segments]
    assert markers == ["Response", "Reconnect", "Response", None]
    chunks = [c for seg in segments for c in seg[0]]
    rows = [r for seg in segments for r in seg[1]]
    assert chunks == [r for r in recs if type(r) is Chunk]
    # Rows: events, the retry, the reconnect and the error, each in arrival order.
    expected = [r for r in recs if isinstance(r, Event | Retry | Reconnect | Error | Record)]
    assert rows == expected
    # Nothing before the first response is a row; the reconnect ends its own stretch.
    assert segments[0][1] == [] and segments[1][1][-1] is segments[1][2]


def test_ndjson_records_progress_and_cancelled_errors() -> None:
    agg = StreamAggregate()
    recs: list[AnyRecord] = [
        Response(0.0, 200, "OK", "HTTP/1.1", [("content-type", "application/x-ndjson")],
                 "ndjson"),
        Chunk(0, 0.1, 0, b'{"a":1}\nnot json\n'),
        Record(0, 0.1, '{"a":1}', {"a": 1}, parsed=True),
        Record(1, 0.1, "not json", error="Expecting value"),
        Progress(0.2, 17, None),
        Error(0.3, "cancelled", "stopped"),
    ]
    segments = agg.feed(recs)
    rows = [r for seg in segments for r in seg[1]]
    assert rows == recs[2:4]  # a cancelled error is state, not a row
    assert agg.stats.events == 2 and agg.stats.first_event == 0.1
    assert agg.progress is recs[4]
    assert agg.error is recs[5]
    assert [m.kind for m in agg.stats.timeline.markers] == []
    agg.restart()
    assert agg.error is None and agg.progress is None and agg.end is None


def test_set_llm_path_reads_the_events_again() -> None:
    agg = StreamAggregate()
    events = [Event(i, 0.1 * i, "message", json.dumps({"out": {"t": f"x{i}"}}), "")
              for i in range(3)]
    agg.feed(list(events))
    assert agg.llm.text == ""
    agg.set_llm_path("out.t", events)
    assert agg.llm.text == "x0x1x2"
    assert agg.stats.first_token == 0.0
