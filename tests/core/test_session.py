"""session.run against the embedded demo server over a real socket: records in order, live."""

from __future__ import annotations

import asyncio
import json

import pytest

from embedded_server.endpoints.faults import big_event_data
from stream_core.net.session import Clients, run
from stream_core.net.spec import Mode, RequestSpec, Timeouts
from stream_core.records import AnyRecord, Event
from tests.core.conftest import Capture, collect, collect_async
from tests.core.rawserver import RawServer, head, reply


def test_events_arrive_live_in_order(demo_server: str) -> None:
    cap = collect(RequestSpec(f"{demo_server}/events?interval=0.05&count=5"))
    assert cap.types[:2] == ["request", "response"]
    assert cap.of("response")[0].mode == "sse"
    events = cap.of("event")
    assert [e.seq for e in events] == list(range(5))
    assert [e.id for e in events] == ["1", "2", "3", "4", "5"]
    assert all(json.loads(e.data)["message"] for e in events)
    # paced by the server, so the first event was reported long before the end
    assert cap.end.t - events[0].t > 0.15
    # each event follows the chunk that carried it
    for ev in events:
        i = cap.records.index(ev)
        assert any(r.type == "chunk" and r.seq == ev.last_chunk for r in cap.records[:i])
    assert cap.end.complete and cap.end.events == 5 and cap.errors == []


def test_sse_request_headers_like_eventsource() -> None:
    body = b"data: x\n\n"
    wire = head("200 OK", "Content-Type: text/event-stream", f"Content-Length: {len(body)}") \
        + body
    with RawServer(reply(wire)) as srv:
        cap = collect(RequestSpec(srv.url, mode=Mode.SSE,
                                  headers=[("Cache-Control", "max-age=0")],
                                  identity_encoding=True))
    sent = srv.requests[0].decode().lower()
    assert "accept: text/event-stream\r\n" in sent
    assert "cache-control: max-age=0\r\n" in sent and "no-cache" not in sent
    assert "accept-encoding: identity\r\n" in sent
    names = [k.lower() for k, _ in cap.of("request")[0].headers]
    assert {"accept", "cache-control", "accept-encoding", "host"} <= set(names)


def test_logs_stream_is_lines(demo_server: str) -> None:
    cap = collect(RequestSpec(f"{demo_server}/logs_stream?interval=0.01&count=4"))
    assert cap.of("response")[0].mode == "lines"
    assert len(cap.of("record")) == 4
    assert cap.end.complete


def test_ndjson_bad_lines_are_data(demo_server: str) -> None:
    cap = collect(RequestSpec(f"{demo_server}/ndjson?interval=0.01&count=6&bad=true"))
    assert cap.of("response")[0].mode == "ndjson"
    records = cap.of("record")
    assert any(r.parsed for r in records)
    assert any(not r.parsed and r.error for r in records)
    assert cap.errors == [] and cap.end.complete


def test_text_endpoint(demo_server: str) -> None:
    cap = collect(RequestSpec(f"{demo_server}/text?interval=0.01&count=3"))
    assert cap.of("response")[0].mode in ("lines", "raw")
    assert cap.end.complete and cap.end.bytes > 0


def test_sse_tour(demo_server: str) -> None:
    cap = collect(RequestSpec(f"{demo_server}/sse/tour?interval=0"))
    events = cap.of("event")
    assert "first line\nsecond line\nthird line" in [e.data for e in events]
    assert cap.of("retry")
    assert cap.end.complete


def test_llm_chat_post(demo_server: str) -> None:
    req = {"model": "demo", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    cap = collect(RequestSpec(f"{demo_server}/v1/chat/completions?delay=0", method="POST",
                              headers=[("Content-Type", "application/json")],
                              body=json.dumps(req).encode()))
    assert cap.of("request")[0].method == "POST"
    events = cap.of("event")
    assert events[-1].data == "[DONE]"
    assert json.loads(events[0].data)["object"] == "chat.completion.chunk"


def test_disconnect_mid_stream_keeps_events(demo_server: str) -> None:
    cap = collect(RequestSpec(f"{demo_server}/faults/disconnect?after=3&interval=0.01"))
    assert [e.id for e in cap.of("event")] == ["1", "2", "3"]
    [(kind, message)] = cap.errors
    assert kind == "protocol" and "chunked" in message
    assert not cap.end.complete


def test_slow_first_byte_timeout(demo_server: str) -> None:
    cap = collect(RequestSpec(f"{demo_server}/faults/slow-first-byte?delay=5",
                              timeouts=Timeouts(connect=5, read=0.2)))
    [(kind, message)] = cap.errors
    assert kind == "timeout" and message.startswith("no data for 0.2 s from 127.0.0.1:")


def test_invalid_utf8_endpoint(demo_server: str) -> None:
    cap = collect(RequestSpec(f"{demo_server}/faults/invalid-utf8?interval=0"))
    assert any("\ufffd" in e.data for e in cap.of("event"))
    assert cap.errors == []


def test_big_event(demo_server: str) -> None:
    size = 8 * 1024 * 1024
    cap = collect(RequestSpec(f"{demo_server}/faults/big-event?size={size}"))
    assert [e.data for e in cap.of("event") if len(e.data) > 1000] == [big_event_data(size)]
    assert len(cap.of("chunk")) > 8


def test_gzip_sse(demo_server: str) -> None:
    cap = collect(RequestSpec(f"{demo_server}/faults/gzip-sse?count=5&interval=0"))
    headers = dict((k.lower(), v) for k, v in cap.of("response")[0].headers)
    assert headers.get("content-encoding") == "gzip"
    assert len(cap.of("event")) == 5
    assert cap.errors == []


@pytest.mark.parametrize("code", [404, 500])
def test_error_status(demo_server: str, code: int) -> None:
    cap = collect(RequestSpec(f"{demo_server}/faults/status/{code}"))
    [(kind, message)] = cap.errors
    assert kind == "http"
    assert message.startswith(f"HTTP {code} ") and "from 127.0.0.1:" in message
    assert cap.of("record"), "the error body is shown"


def test_max_events_stops_an_endless_stream(demo_server: str) -> None:
    cap = collect(RequestSpec(f"{demo_server}/events?interval=0.01", max_events=3))
    assert len(cap.of("event")) == 3
    assert cap.end.events == 3 and cap.errors == []
    # cut short on purpose: not complete, and the End says why
    assert not cap.end.complete and cap.end.stopped == "max-events"


def test_flood_is_complete(demo_server: str) -> None:
    cap = collect(RequestSpec(f"{demo_server}/flood/sse?count=2000&size=64"))
    assert len(cap.of("event")) == 2000
    assert [e.seq for e in cap.of("event")] == list(range(2000))
    assert len(cap.of("chunk")) < 2000, "pre-framed writes: several events per read"


def test_cancel_reports_stopped_and_reraises(demo_server: str) -> None:
    async def scenario() -> list[AnyRecord]:
        records: list[AnyRecord] = []
        two = asyncio.Event()

        def observer(rec: AnyRecord) -> None:
            records.append(rec)
            if sum(isinstance(r, Event) for r in records) >= 2:
                two.set()

        clients = Clients()
        task = asyncio.create_task(run(clients, RequestSpec(f"{demo_server}/events?interval=0.02"),
                                       observer))
        await two.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await clients.aclose()
        return records

    cap = Capture(asyncio.run(scenario()))
    cap.check_shape()
    assert cap.types[-2:] == ["error", "end"]
    assert cap.errors[-1] == ("cancelled", "stopped")
    assert cap.end.complete is False


def test_total_timeout(demo_server: str) -> None:
    cap = collect(RequestSpec(f"{demo_server}/events?interval=0.02",
                              timeouts=Timeouts(connect=5, read=5, total=0.3)))
    assert cap.errors == [("timeout", "total time limit of 0.3 s reached")]
    assert cap.of("event")


def test_auto_sniffs_untyped_sse() -> None:
    body = b"data: sniffed\n\n"
    wire = head("200 OK", f"Content-Length: {len(body)}") + body
    with RawServer(reply(wire)) as srv:
        cap = asyncio.run(collect_async(RequestSpec(srv.url)))
    assert cap.of("response")[0].mode == "sse"
    assert [e.data for e in cap.of("event")] == ["sniffed"]
