"""``stream_core.analysis.diagnostics``: each finding from synthetic records; silence for clean streams."""

from __future__ import annotations

import zlib

import pytest

from embedded_server.endpoints.faults import CRLF_MIXED_CHUNKS, INVALID_UTF8_CHUNKS, NO_BLANK_LINE
from stream_core.analysis.diagnostics import Diagnostics, Finding
from stream_core.decode.sse import SSEDecoder
from stream_core.records import Chunk, End, Error, Event, Reconnect, Request, Response

SSE_OK = [("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache"),
          ("x-accel-buffering", "no")]


def run(chunks: list[bytes], headers: list[tuple[str, str]] | None = None, mode: str = "sse",
        times: list[float] | None = None, response_t: float = 0.01,
        plain: list[bytes] | None = None) -> list[Finding]:
    """Feed Request, Response, the chunks and what the engine's decoder made of each (events,
    comments, notices), End: the records the engine reports, in order."""
    d = Diagnostics()
    d.feed(Request(0.0, "GET", "http://127.0.0.1/x", []))
    d.feed(Response(response_t, 200, "OK", "HTTP/1.1", SSE_OK if headers is None else headers,
                    mode))
    decoder = SSEDecoder()
    times = times or [response_t + 0.01 * (i + 1) for i in range(len(chunks))]
    offset = 0
    for seq, (data, t) in enumerate(zip(chunks, times, strict=True)):
        d.feed(Chunk(seq, t, offset, data))
        offset += len(data)
        if mode == "sse":
            for rec in decoder.feed((plain or chunks)[seq], t, seq):
                d.feed(rec)
    if mode == "sse":
        for notice in decoder.close(times[-1] if times else 0.0):
            d.feed(notice)
    d.feed(End(times[-1] if times else 0.0, offset, len(chunks), 0, 1.0, True))
    return d.findings()


def codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings}


def test_clean_stream_is_silent() -> None:
    frames = [f"id: {n}\ndata: event {n}\n\n".encode() for n in range(1, 6)]
    assert run(frames) == []


def test_headers_that_make_proxies_buffer() -> None:
    headers = [("content-type", "text/event-stream"), ("content-length", "30"),
               ("content-encoding", "gzip")]
    gz = zlib.compressobj(wbits=31)
    plain = [b"data: a\n\n"]
    body = [gz.compress(plain[0]) + gz.flush()]
    found = run(body, headers, plain=plain)
    assert {"content-encoding", "content-length", "cache-control",
            "x-accel-buffering"} <= codes(found)
    fix = next(f for f in found if f.code == "content-encoding").fix
    assert fix is not None and ("Accept-Encoding", "identity") in fix.headers
    assert found[0].severity == "warning"  # most severe first


def test_wrong_content_type_when_read_as_sse() -> None:
    found = run([b"\x00\x01binary"], [("content-type", "application/octet-stream")])
    f = next(f for f in found if f.code == "content-type")
    assert f.fix is not None and f.fix.mode == "auto"


def test_sse_body_read_in_another_mode() -> None:
    found = run([b"id: 1\ndata: x\n\n"], [("content-type", "text/plain")], mode="lines")
    f = next(f for f in found if f.code == "looks-like-sse")
    assert f.fix is not None and f.fix.mode == "sse" and f.chunk == 0


def test_slow_headers_and_late_first_byte() -> None:
    found = run([b"data: a\n\n"], response_t=1.5)
    assert "slow-headers" in codes(found)
    found = run([b"data: a\n\n"], times=[3.0])
    assert "late-first-byte" in codes(found)


def test_all_events_in_one_read() -> None:
    body = b"".join(f"data: {n}\n\n".encode() for n in range(5))
    found = run([body], times=[2.0])
    f = next(f for f in found if f.code == "one-chunk")
    assert f.severity == "warning" and f.chunk == 0 and f.event == 0


def test_sse_body_oddities_point_at_their_chunk() -> None:
    assert next(f for f in run(list(CRLF_MIXED_CHUNKS)) if f.code == "line-endings").chunk == 1
    assert next(f for f in run(list(INVALID_UTF8_CHUNKS)) if f.code == "invalid-utf8").chunk == 1
    assert "unfinished-event" in codes(run([NO_BLANK_LINE]))
    found = run([b"\xef\xbb\xbfdata: a\n\n", b"retry: soon\nfoo: 1\ndata: b\n\n"])
    assert {"bom", "invalid-retry", "unknown-fields"} <= codes(found)
    assert all(f.severity == "info" for f in found)


def test_ids_across_reconnects() -> None:
    d = Diagnostics()
    d.feed(Response(0.0, 200, "OK", "HTTP/1.1", SSE_OK, "sse"))
    d.feed(Event(0, 0.1, "message", "a", "1"))
    d.feed(Event(1, 0.2, "message", "b", "2"))
    d.feed(Reconnect(0.3, 1, 100, "2"))
    d.feed(Event(2, 0.4, "message", "b", "2"))  # the server ignored Last-Event-ID
    d.feed(Reconnect(0.5, 2, 100, "2"))
    d.feed(Event(3, 0.6, "message", "e", "5"))  # 3 and 4 lost
    found = {f.code: f for f in d.findings()}
    assert found["duplicate-id"].event == 2
    assert found["skipped-ids"].event == 3


def test_reconnect_without_ids() -> None:
    d = Diagnostics()
    d.feed(Response(0.0, 200, "OK", "HTTP/1.1", SSE_OK, "sse"))
    d.feed(Event(0, 0.1, "message", "a", ""))
    d.feed(Reconnect(0.3, 1, 100, ""))
    d.feed(Event(1, 0.4, "message", "b", ""))
    assert "missing-ids" in codes(d.findings())


def test_a_failure_is_an_error_finding_at_the_last_chunk() -> None:
    d = Diagnostics()
    d.feed(Response(0.0, 200, "OK", "HTTP/1.1", SSE_OK, "sse"))
    d.feed(Chunk(0, 0.1, 0, b"data: a\n\n"))
    d.feed(Error(0.2, "protocol", "connection closed mid-body"))
    d.feed(Error(0.3, "cancelled", "stopped"))
    (f,) = d.findings()
    assert (f.code, f.severity, f.chunk, f.detail) == (
        "error-protocol", "error", 0, "connection closed mid-body")


def test_feed_events_matches_feeding_each_event() -> None:
    """The controller hands a drain's events over at once: the same findings, the same state."""
    import stream_core.analysis.diagnostics as diagnostics

    def records(start: int) -> list[Event]:
        return [Event(start + i, 0.1 + i * 1e-3, "message", "x", str(start + i) if i % 3 != 1 else "",
                      last_chunk=(start + i) // 4)
                for i in range(50)]

    def script(d: Diagnostics, batched: bool) -> list[Finding]:
        d.feed(Response(0.0, 200, "OK", "HTTP/1.1", SSE_OK, "sse"))
        for group, reconnect in ((records(0), Reconnect(0.3, 1, 100, "49")),
                                 (records(3), Reconnect(0.5, 2, 100, "")),
                                 (records(200), None)):
            if batched:
                d.feed_events(group[:7])
                d.feed_events(group[7:])
                d.feed_events([])
            else:
                for rec in group:
                    d.feed(rec)
            if reconnect is not None:
                d.feed(reconnect)
        d.feed(End(1.0, 0, 0, 0, 1.0, True))
        return d.findings()

    saved = diagnostics._MAX_IDS
    diagnostics._MAX_IDS = 60  # the cap is reached mid-batch
    try:
        one, many = Diagnostics(), Diagnostics()
        assert script(many, True) == script(one, False)
    finally:
        diagnostics._MAX_IDS = saved
    for attr in ("_events", "_event_chunks", "_first_event", "_ids", "_id_problems"):
        assert getattr(many, attr) == getattr(one, attr), attr
    assert len(one._ids) == 60
    assert {f.code for f in one._id_problems} == {"duplicate-id", "missing-ids"}


ODD_BODY = (b"\xef\xbb\xbfid: 1\ndata: a\n\n" + b"data: b\n\n" * 5 + b"foo: 1\ndata: c\n\n"
            + b"data: d\n\n" * 4 + b"retry: soon\ndata: e\n\n" + b"data: f\r\n\r\n"
            + b"data: \xff\xfe bad\n\n" + b"data: g\n\n" * 3 + b"retry: 10x\n\n")


@pytest.mark.parametrize("piece", [1, 3, 7, 16, 64])
def test_body_findings_come_from_the_decoders_notices_and_point_at_their_chunk(
        piece: int) -> None:
    """Whatever the reads, each finding about the body names the read that carried it: the
    decoder reports what it saw, in the read where it saw it."""
    chunks = [ODD_BODY[i:i + piece] for i in range(0, len(ODD_BODY), piece)]
    found = {f.code: f.chunk for f in run(chunks)}
    assert {"bom", "unknown-fields", "invalid-retry", "line-endings", "invalid-utf8"} <= set(found)

    def chunk_of(needle: bytes) -> int:
        return (ODD_BODY.index(needle) + len(needle) - 1) // piece

    assert found["bom"] == (2 // piece)  # the read that completed the BOM
    assert found["unknown-fields"] == chunk_of(b"foo: 1\n")
    assert found["invalid-retry"] == chunk_of(b"retry: soon\n")
    assert found["line-endings"] == chunk_of(b"data: f\r\n")
    assert found["invalid-utf8"] == ODD_BODY.index(b"\xff") // piece


def test_diagnostics_never_decode_the_body() -> None:
    """The same chunks without the decoder's records: no finding about the body's framing
    (Diagnostics reads what the decoder said; it decodes nothing again)."""
    d = Diagnostics()
    d.feed(Response(0.0, 200, "OK", "HTTP/1.1", SSE_OK, "sse"))
    d.feed_chunks([Chunk(0, 0.1, 0, ODD_BODY)])
    d.feed(End(1.0, len(ODD_BODY), 1, 0, 1.0, True))
    assert d.findings() == []


def test_line_endings_finding_names_the_kinds_and_a_lone_cr_warns() -> None:
    found = {f.code: f for f in run([b"data: a\r\n\r\ndata: b\n\n"])}
    assert found["line-endings"].severity == "info"
    assert found["line-endings"].detail.startswith("LF and CRLF line ends.")
    found = {f.code: f for f in run([b"data: a\n\n", b"data: b\r\r"])}
    assert found["line-endings"].severity == "warning" and found["line-endings"].chunk == 1
