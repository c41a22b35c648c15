"""EventSource-style reconnection, observed from the server side: the ``Last-Event-ID`` each
request carried and the delay before it, as well as the records the client reported."""

from __future__ import annotations

import uuid

import httpx

from stream_core.net.session import MAX_RETRY_MS, MIN_RETRY_MS, reconnect_delay
from stream_core.net.spec import Mode, RequestSpec, Timeouts
from tests.core.conftest import collect
from tests.core.rawserver import Conn, RawServer, head


def sse_body(text: bytes) -> bytes:
    return head("200 OK", "Content-Type: text/event-stream",
                f"Content-Length: {len(text)}") + text


def test_resume_with_last_event_id(demo_server: str) -> None:
    tag = uuid.uuid4().hex
    url = f"{demo_server}/faults/resume?drop_every=3&count=7&interval=0&retry=50&tag={tag}"
    cap = collect(RequestSpec(url, reconnect=True))
    # every event exactly once, in order, numbered as one logical stream
    assert [e.id for e in cap.of("event")] == [str(i) for i in range(1, 8)]
    assert [e.seq for e in cap.of("event")] == list(range(7))
    reconnects = cap.of("reconnect")
    # retry=50 is below the floor: MIN_RETRY_MS is what the client waits
    assert [(r.attempt, r.delay_ms, r.last_event_id) for r in reconnects] == [
        (1, MIN_RETRY_MS, "3"), (2, MIN_RETRY_MS, "6"), (3, MIN_RETRY_MS, "7")]
    # the two cuts are the reasons of the first reconnects, not errors: EventSource carries
    # on, and the 204 after the last event is a clean end (capture exits 0)
    assert cap.errors == []
    reasons = [r.reason for r in reconnects]
    assert [r.split(":")[0] for r in reasons[:2]] == ["protocol", "protocol"], reasons
    assert "closed" in reasons[0], reasons
    assert reasons[2] == "stream ended", reasons
    assert cap.of("response")[-1].status == 204
    assert cap.end.complete

    log = httpx.get(f"{demo_server}/faults/resume/log", params={"tag": tag}).json()["entries"]
    assert [e["last_event_id"] for e in log] == [None, "3", "6", "7"]
    gaps = [b["monotonic"] - a["monotonic"] for a, b in zip(log, log[1:], strict=False)]
    assert all(g >= MIN_RETRY_MS / 1000 * 0.9 for g in gaps), gaps
    # Last-Event-ID is also what the Request records show
    sent = [dict((k.lower(), v) for k, v in r.headers).get("last-event-id")
            for r in cap.of("request")]
    assert sent == [None, "3", "6", "7"]


def test_backoff_on_repeated_failures_and_reset_after_success() -> None:
    def script(conn: Conn) -> None:
        n = len(conn.server.requests)
        if n == 1:
            conn.send(sse_body(b"retry: 20\nid: a\ndata: one\n\n"))
        elif n in (2, 3, 4):
            pass  # close without a response: a failed attempt
        elif n == 5:
            conn.send(sse_body(b"data: two\n\n"))
        else:
            conn.send(head("204 No Content"))

    with RawServer(script) as srv:
        cap = collect(RequestSpec(srv.url, mode=Mode.SSE, reconnect=True,
                                  timeouts=Timeouts(connect=5, read=5)))
    delays = [r.delay_ms for r in cap.of("reconnect")]
    floor = MIN_RETRY_MS  # retry: 20 is below it
    assert delays == [floor, floor, 2 * floor, 4 * floor, floor]
    gaps = [b - a for a, b in zip(srv.accepted_at, srv.accepted_at[1:], strict=False)]
    assert all(g >= d / 1000 * 0.9 for g, d in zip(gaps, delays, strict=True)), (gaps, delays)
    assert [e.data for e in cap.of("event")] == ["one", "two"]
    assert all(b"last-event-id: a\r\n" in r.lower() for r in srv.requests[1:])
    assert cap.end.complete


def test_other_status_on_reconnect_fails_without_retrying() -> None:
    def script(conn: Conn) -> None:
        if len(conn.server.requests) == 1:
            conn.send(sse_body(b"retry: 10\ndata: one\n\n"))
        else:
            conn.send(head("503 Service Unavailable", "Content-Length: 5") + b"busy\n")

    with RawServer(script) as srv:
        cap = collect(RequestSpec(srv.url, mode=Mode.SSE, reconnect=True))
    assert srv.connections == 2
    assert [k for k, _ in cap.errors] == ["http"]
    assert not cap.end.complete


def test_wrong_content_type_fails_without_retrying() -> None:
    def script(conn: Conn) -> None:
        conn.send(head("200 OK", "Content-Type: text/html", "Content-Length: 7") + b"<html>\n")

    with RawServer(script) as srv:
        cap = collect(RequestSpec(srv.url, mode=Mode.SSE, reconnect=True))
    assert srv.connections == 1
    [(kind, message)] = cap.errors
    assert kind == "http" and "text/event-stream" in message


def test_post_body_is_sent_again() -> None:
    def script(conn: Conn) -> None:
        if len(conn.server.requests) == 1:
            conn.send(sse_body(b"retry: 10\ndata: one\n\n"))
        else:
            conn.send(head("204 No Content"))

    with RawServer(script) as srv:
        cap = collect(RequestSpec(srv.url, method="POST", body=b'{"q": 1}', mode=Mode.SSE,
                                  reconnect=True))
    assert len(srv.requests) == 2
    assert all(r.startswith(b"POST ") and r.endswith(b'{"q": 1}') for r in srv.requests)
    assert cap.end.complete and cap.errors == []


def test_no_reconnect_without_the_option() -> None:
    with RawServer(lambda conn: conn.send(sse_body(b"retry: 10\ndata: one\n\n"))) as srv:
        cap = collect(RequestSpec(srv.url, mode=Mode.SSE))
    assert srv.connections == 1 and not cap.of("reconnect") and cap.end.complete


def test_retry_zero_has_a_floor_and_backs_off_when_nothing_comes() -> None:
    """``retry: 0`` and a server that answers 200 and hangs up: it once looped ~750 times a
    second; now the delay has a floor, doubles while no event comes, and N attempts end it."""
    with RawServer(lambda conn: conn.send(sse_body(b"retry: 0\n\n"))) as srv:
        cap = collect(RequestSpec(srv.url, mode=Mode.SSE, reconnect=True, max_reconnects=3,
                                  timeouts=Timeouts(connect=5, read=5, total=20)))
    delays = [r.delay_ms for r in cap.of("reconnect")]
    assert delays == [MIN_RETRY_MS, 2 * MIN_RETRY_MS, 4 * MIN_RETRY_MS]
    assert srv.connections == 4
    gaps = [b - a for a, b in zip(srv.accepted_at, srv.accepted_at[1:], strict=False)]
    assert all(g >= d / 1000 * 0.9 for g, d in zip(gaps, delays, strict=True)), (gaps, delays)
    # a clean end each time: no error, but not a stream that ended by itself either
    assert cap.errors == []
    assert not cap.end.complete and cap.end.stopped == "max-reconnects"


def test_max_reconnects_after_failures_is_an_error() -> None:
    def script(conn: Conn) -> None:
        if len(conn.server.requests) == 1:
            conn.send(sse_body(b"retry: 0\ndata: one\n\n"))
        # then: close without a response, a failed attempt every time

    with RawServer(script) as srv:
        cap = collect(RequestSpec(srv.url, mode=Mode.SSE, reconnect=True, max_reconnects=2,
                                  timeouts=Timeouts(connect=5, read=5, total=20)))
    assert srv.connections == 3
    assert [r.delay_ms for r in cap.of("reconnect")] == [MIN_RETRY_MS, MIN_RETRY_MS]
    [(kind, message)] = cap.errors
    assert kind == "protocol" and message.endswith("(gave up after 2 reconnects)"), message
    assert not cap.end.complete and cap.end.stopped == "max-reconnects"


def test_reconnect_delay_clamps_only_the_delay() -> None:
    assert reconnect_delay(0, 0) == MIN_RETRY_MS
    assert reconnect_delay(0, 3) == 4 * MIN_RETRY_MS
    assert reconnect_delay(2000, 1) == 2000
    assert reconnect_delay(10**30, 1) == MAX_RETRY_MS
    assert reconnect_delay(1000, 10_000) == MAX_RETRY_MS  # no huge shift either


def test_non_ascii_event_id_is_sent_as_utf8() -> None:
    """Any id without NUL, CR or LF is valid (WHATWG): every reconnect once failed with
    "'ascii' codec can't encode"."""
    def script(conn: Conn) -> None:
        if len(conn.server.requests) == 1:
            conn.send(sse_body("retry: 0\nid: café-ü\ndata: one\n\n".encode()))
        else:
            conn.send(head("204 No Content"))

    with RawServer(script) as srv:
        cap = collect(RequestSpec(srv.url, mode=Mode.SSE, reconnect=True,
                                  timeouts=Timeouts(connect=5, read=5, total=20)))
    assert srv.connections == 2
    assert "last-event-id: café-ü\r\n".encode() in srv.requests[1].lower()
    assert cap.errors == [] and cap.end.complete
    assert [r.last_event_id for r in cap.of("reconnect")] == ["café-ü"]


def test_a_request_that_cannot_be_built_fails_once() -> None:
    with RawServer(lambda conn: conn.send(sse_body(b"data: one\n\n"))) as srv:
        cap = collect(RequestSpec(srv.url, mode=Mode.SSE, reconnect=True,
                                  headers=[("X-Naïve", "1")],
                                  timeouts=Timeouts(connect=5, read=5, total=10)))
    assert srv.connections == 0
    [(kind, message)] = cap.errors
    assert kind == "connect" and message.startswith("cannot build the request"), message
    assert not cap.of("reconnect") and not cap.end.complete
