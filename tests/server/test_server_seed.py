"""The seed's three endpoints, over the real socket."""

from __future__ import annotations

import hashlib
import json
import re

import httpx
from server_helpers import parse_sse, receive

from embedded_server.content import expected_sha256


def test_logs_stream_lines_arrive_one_by_one(demo_server: str, client: httpx.Client) -> None:
    got = receive(client, "GET", f"{demo_server}/logs_stream?interval=0.1&count=4")
    assert got.status == 200
    assert got.headers["content-type"].startswith("text/plain")
    assert got.headers["cache-control"] == "no-cache"
    assert got.text == "".join(f"Log entry {n}\n" for n in range(1, 5))
    assert got.headers.get("transfer-encoding") == "chunked"
    first, last = got.reads[0][0], got.reads[-1][0]
    assert last - first >= 0.25  # three pauses of 0.1 s between the four lines
    assert len(got.reads) >= 4


def test_events_wire_framing_of_event_source_response(demo_server: str,
                                                      client: httpx.Client) -> None:
    got = receive(client, "GET", f"{demo_server}/events?interval=0.05&count=3")
    assert got.headers["content-type"].startswith("text/event-stream")
    assert got.headers["cache-control"] == "no-store"
    frames = got.body.split(b"\r\n\r\n")
    assert frames[-1] == b"" and len(frames) == 4
    for n, frame in enumerate(frames[:-1], start=1):
        lines = frame.split(b"\r\n")
        assert lines[0] == f"id: {n}".encode()
        assert lines[1].startswith(b"data: ")
        body = json.loads(lines[1][len(b"data: "):])
        assert body["message"] == "Hello, world!"
        assert isinstance(body["timestamp"], float)
    assert [e[2] for e in parse_sse(got.text).events] == ["1", "2", "3"]


def test_events_is_endless_without_count(demo_server: str, client: httpx.Client) -> None:
    seen = b""
    with client.stream("GET", f"{demo_server}/events?interval=0") as response:
        for raw in response.iter_raw():
            seen += raw
            if seen.count(b"\r\n\r\n") >= 50:
                break
    ids = re.findall(rb"id: (\d+)", seen)
    assert ids[:50] == [str(n).encode() for n in range(1, 51)]


def test_download_large_file(demo_server: str, client: httpx.Client) -> None:
    size = 3 * 1024 * 1024 + 17
    got = receive(client, "GET", f"{demo_server}/download-large-file?size={size}")
    assert got.status == 200
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"] == 'attachment; filename="bigfile.zip"'
    assert int(got.headers["content-length"]) == size
    assert hashlib.sha256(got.body).hexdigest() == expected_sha256(size)


def test_health(demo_server: str, client: httpx.Client) -> None:
    response = client.get(f"{demo_server}/health")
    assert response.json() == {"status": "ok"}
