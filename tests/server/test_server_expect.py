"""The ``expect`` demo endpoints: each breaks one expectation exactly as documented, over the
real socket, and bounds its parameters."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from server_helpers import parse_sse

from embedded_server.endpoints.expect_faults import BAD_DATA

CHAT = {"model": "demo", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
TOOLS = [{"type": "function", "function": {"name": "plan", "parameters": {
    "type": "object", "properties": {"days": {"type": "integer"}}, "required": ["days"]}}}]


def _timed(client: httpx.Client, url: str, **kw: object) -> list[tuple[float, bytes]]:
    """Each read of the body with the time it came, from the request's start."""
    start = time.monotonic()
    out = []
    with client.stream("POST" if "json" in kw else "GET", url, **kw) as r:  # type: ignore[arg-type]
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for raw in r.iter_raw():
            out.append((time.monotonic() - start, raw))
    return out


def test_late_first_event(demo_server: str, client: httpx.Client) -> None:
    reads = _timed(client, f"{demo_server}/expect/late-first-event?delay=0.6&count=2")
    body = b"".join(r for _t, r in reads)
    assert body.startswith(b": connected\n\n")
    assert [e[1] for e in parse_sse(body.decode()).events] == [
        json.dumps({"n": n, "text": f"event {n}"}) for n in (1, 2)]
    assert next(t for t, r in reads if b"id: 1" in r) >= 0.6  # later reads only come later


def test_long_gap(demo_server: str, client: httpx.Client) -> None:
    reads = _timed(client, f"{demo_server}/expect/long-gap?gap=0.6&after=1&count=2&interval=0")
    body = b"".join(r for _t, r in reads)
    assert len(parse_sse(body.decode()).events) == 2 and reads[-1][0] >= 0.6


def test_invalid_json(demo_server: str, client: httpx.Client) -> None:
    text = client.get(f"{demo_server}/expect/invalid-json?count=3&bad=2&interval=0").text
    assert [e[1] for e in parse_sse(text).events] == [
        json.dumps({"n": 1, "text": "event 1"}), BAD_DATA, json.dumps({"n": 3, "text": "event 3"})]


def test_keepalive(demo_server: str, client: httpx.Client) -> None:
    text = client.get(f"{demo_server}/expect/keepalive?ping=0.01&pings=3").text
    assert text.count(": ping\n\n") == 3 and len(parse_sse(text).events) == 2


@pytest.mark.parametrize("fault", ["none", "no-done", "no-finish", "bad-json", "late-first",
                                   "long-gap"])
def test_chat_faults(demo_server: str, client: httpx.Client, fault: str) -> None:
    r = client.post(f"{demo_server}/expect/chat?fault={fault}&delay=0&wait=0.01", json=CHAT)
    events = [e[1] for e in parse_sse(r.text).events]
    assert (events[-1] == "[DONE]") == (fault != "no-done")
    assert ('"finish_reason":"stop"' in r.text) == (fault != "no-finish")
    broken = []
    for data in events[:-1]:
        try:
            json.loads(data)
        except ValueError:
            broken.append(data)
    assert len(broken) == (1 if fault == "bad-json" else 0)


def test_chat_bad_arguments(demo_server: str, client: httpx.Client) -> None:
    r = client.post(f"{demo_server}/expect/chat?fault=bad-arguments&delay=0",
                    json={**CHAT, "tools": TOOLS})
    assert '"arguments":"{}"' in r.text
    r = client.post(f"{demo_server}/expect/chat?fault=bad-arguments&delay=0", json=CHAT)
    assert r.status_code == 422 and "declare" in r.json()["detail"]


@pytest.mark.parametrize("query", ["/expect/late-first-event?delay=61",
                                   "/expect/long-gap?count=0", "/expect/invalid-json?bad=-1",
                                   "/expect/keepalive?ping=0", "/expect/keepalive?pings=10001"])
def test_bounds(demo_server: str, client: httpx.Client, query: str) -> None:
    assert client.get(f"{demo_server}{query}").status_code == 422
