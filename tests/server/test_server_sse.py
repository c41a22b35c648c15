"""Hand-written SSE streams: the tour and the SSE-shaped faults, checked on the wire."""

from __future__ import annotations

import gzip
import zlib

import httpx
import pytest
from server_helpers import parse_sse, receive

from embedded_server.endpoints.faults import (
    CRLF_MIXED_CHUNKS,
    INVALID_UTF8_CHUNKS,
    NO_BLANK_LINE,
    big_event_data,
)
from embedded_server.endpoints.sse_tour import PING, TOUR_EVENTS, TOUR_FRAMES


def _check_sse_headers(headers: httpx.Headers) -> None:
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["cache-control"] == "no-cache"
    assert headers["transfer-encoding"] == "chunked"


def test_tour_bytes_and_events(demo_server: str, client: httpx.Client) -> None:
    got = receive(client, "GET", f"{demo_server}/sse/tour?interval=0")
    _check_sse_headers(got.headers)
    assert got.body == "".join(TOUR_FRAMES).encode()
    parsed = parse_sse(got.text)
    assert parsed.events == list(TOUR_EVENTS)
    assert parsed.retries == [3000]


def test_tour_pings_and_pacing(demo_server: str, client: httpx.Client) -> None:
    got = receive(client, "GET", f"{demo_server}/sse/tour?interval=0.04")
    assert got.text.count(PING) == len(TOUR_FRAMES) - 1
    assert got.text.replace(PING, "") == "".join(TOUR_FRAMES)
    first = got.reads[0][0]
    assert first < got.reads[-1][0] - 0.3  # frames arrived over time, not at the end
    assert len(got.reads) >= len(TOUR_FRAMES)


def test_invalid_utf8(demo_server: str, client: httpx.Client) -> None:
    got = receive(client, "GET", f"{demo_server}/faults/invalid-utf8?interval=0")
    _check_sse_headers(got.headers)
    assert got.body == b"".join(INVALID_UTF8_CHUNKS)
    events = parse_sse(got.text).events
    assert [e[2] for e in events] == ["1", "2", "3", "4"]
    assert "\ufffd\ufffd" in events[1][1]
    assert events[3][1].endswith("\u20ac done")


def test_crlf_mixed(demo_server: str, client: httpx.Client) -> None:
    got = receive(client, "GET", f"{demo_server}/faults/crlf-mixed?interval=0")
    assert got.body == b"".join(CRLF_MIXED_CHUNKS)
    events = parse_sse(got.text).events
    assert [e[2] for e in events] == ["1", "2", "3", "4"]
    assert events[3][1] == ("a CR at the end of one write\n"
                            "and its LF at the start of the next are one line end")


def test_no_blank_line(demo_server: str, client: httpx.Client) -> None:
    got = receive(client, "GET", f"{demo_server}/faults/no-blank-line")
    assert got.body == NO_BLANK_LINE
    assert parse_sse(got.text).events == [("message", "a complete event", "1")]


def test_big_event(demo_server: str, client: httpx.Client) -> None:
    size = 5 * 1024 * 1024 + 11
    got = receive(client, "GET", f"{demo_server}/faults/big-event?size={size}")
    events = parse_sse(got.text).events
    assert events[0] == ("big", big_event_data(size), "1")
    assert events[1] == ("message", "after the big event", "2")
    assert len(got.reads) > 1  # it streamed in pieces


def test_gzip_sse_streams_event_by_event(demo_server: str, client: httpx.Client) -> None:
    got = receive(client, "GET", f"{demo_server}/faults/gzip-sse?count=5&interval=0.05")
    assert got.headers["content-encoding"] == "gzip"
    _check_sse_headers(got.headers)
    text = gzip.decompress(got.body).decode()
    events = parse_sse(text).events
    assert [e[1] for e in events] == [f"compressed event {n} of 5" for n in range(1, 6)]
    # the first write alone already decompresses to the first whole event
    first = zlib.decompressobj(wbits=31).decompress(got.reads[0][1])
    assert first.startswith(b"id: 1\ndata: compressed event 1 of 5\n\n")


def test_gzip_sse_decoded_by_httpx(demo_server: str, client: httpx.Client) -> None:
    response = client.get(f"{demo_server}/faults/gzip-sse?count=3&interval=0")
    assert [e[2] for e in parse_sse(response.text).events] == ["1", "2", "3"]


def test_disconnect_truncates_the_chunked_body(demo_server: str, client: httpx.Client) -> None:
    seen = b""
    with pytest.raises(httpx.RemoteProtocolError):
        with client.stream("GET", f"{demo_server}/faults/disconnect?after=3&interval=0.02") as r:
            _check_sse_headers(r.headers)
            for raw in r.iter_raw():
                seen += raw
    assert [e[2] for e in parse_sse(seen.decode()).events] == ["1", "2", "3"]


def test_slow_first_byte(demo_server: str, client: httpx.Client) -> None:
    got = receive(client, "GET", f"{demo_server}/faults/slow-first-byte?delay=0.3")
    assert got.reads[0][0] - got.started >= 0.28
    assert [e[2] for e in parse_sse(got.text).events] == ["1", "2", "3"]
