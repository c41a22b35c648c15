"""NDJSON, plain text and floods, checked on the wire."""

from __future__ import annotations

import json
import re

import httpx
from server_helpers import parse_sse, receive

from embedded_server.endpoints.flood import BATCH, flood_frame, payload
from embedded_server.endpoints.ndjson import BAD_LINE


def test_ndjson_records_arrive_one_by_one(demo_server: str, client: httpx.Client) -> None:
    got = receive(client, "GET", f"{demo_server}/ndjson?interval=0.05&count=5")
    assert got.headers["content-type"] == "application/x-ndjson"
    assert got.headers["cache-control"] == "no-cache"
    lines = got.text.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5]
    assert got.text.endswith("\n")
    assert got.reads[0][0] < got.reads[-1][0] - 0.15


def test_ndjson_with_one_bad_line(demo_server: str, client: httpx.Client) -> None:
    got = receive(client, "GET", f"{demo_server}/ndjson?interval=0&count=6&bad=true")
    lines = got.text.splitlines(keepends=True)
    assert lines.count(BAD_LINE) == 1
    assert len(lines) == 7
    assert lines.index(BAD_LINE) == 3  # after the first half


def test_text_is_chunked_lines(demo_server: str, client: httpx.Client) -> None:
    got = receive(client, "GET", f"{demo_server}/text?interval=0&count=3")
    assert got.headers["content-type"].startswith("text/plain")
    assert got.headers["transfer-encoding"] == "chunked"
    assert [line.split(":")[0] for line in got.text.splitlines()] == [
        "line 1 of 3", "line 2 of 3", "line 3 of 3"]


def test_flood_sse_is_pre_framed_in_large_writes(demo_server: str, client: httpx.Client) -> None:
    count, size = 20_000, 32
    got = receive(client, "GET", f"{demo_server}/flood/sse?count={count}&size={size}")
    assert got.headers["content-type"].startswith("text/event-stream")
    expected = "".join(flood_frame(n, payload(size)) for n in range(1, count + 1))
    assert got.text == expected
    assert len(got.body) > 2 * BATCH
    assert len(got.reads) < count // 10  # large writes, not one per event


def test_flood_bytes(demo_server: str, client: httpx.Client) -> None:
    got = receive(client, "GET", f"{demo_server}/flood/bytes?mib=3")
    assert int(got.headers["content-length"]) == 3 * 1024 * 1024
    assert got.body == bytes(3 * 1024 * 1024)


def test_flood_starlette_sends_the_same_events(demo_server: str, client: httpx.Client) -> None:
    got = receive(client, "GET", f"{demo_server}/flood/starlette?count=300&size=8")
    assert got.headers["cache-control"] == "no-store"
    events = parse_sse(got.text).events
    assert events == [("message", payload(8), str(n)) for n in range(1, 301)]
    assert re.match(r"id: 1\ndata: 01234567\n\n", got.text)
