"""Faults that are not plain SSE framing: error statuses, truncated bodies, resume."""

from __future__ import annotations

import time

import httpx
import pytest
from server_helpers import parse_sse

from embedded_server.content import block


@pytest.mark.parametrize("code", [400, 404, 429, 500, 503, 599])
def test_status_with_body(demo_server: str, client: httpx.Client, code: int) -> None:
    response = client.get(f"{demo_server}/faults/status/{code}")
    assert response.status_code == code
    assert response.headers["content-type"] == "application/json"
    assert response.json()["status"] == code
    assert response.json()["detail"] == "deliberate error from the demo server"
    assert ("retry-after" in response.headers) == (code in (429, 503))


@pytest.mark.parametrize("code", [200, 399, 600])
def test_status_out_of_range_is_422(demo_server: str, client: httpx.Client, code: int) -> None:
    assert client.get(f"{demo_server}/faults/status/{code}").status_code == 422


def test_truncated_download(demo_server: str, client: httpx.Client) -> None:
    size, sent = 100_000, 40_000
    body = b""
    with pytest.raises(httpx.RemoteProtocolError):
        with client.stream("GET", f"{demo_server}/faults/truncated-download?size={size}&sent={sent}") as r:
            assert int(r.headers["content-length"]) == size
            for raw in r.iter_raw():
                body += raw
    assert body == block(size, 0, sent)


def _read_until_cut(client: httpx.Client, url: str, last_id: str | None) -> tuple[int, str]:
    """One connection of a reconnecting client: (status, text received before the cut)."""
    headers = {"Last-Event-ID": last_id} if last_id is not None else {}
    seen = b""
    try:
        with client.stream("GET", url, headers=headers) as response:
            for raw in response.iter_raw():
                seen += raw
            return response.status_code, seen.decode()
    except httpx.RemoteProtocolError:
        return 200, seen.decode()


def test_resume_from_last_event_id(demo_server: str, client: httpx.Client) -> None:
    tag = f"resume-{time.monotonic_ns()}"
    url = f"{demo_server}/faults/resume?drop_every=3&count=8&interval=0&retry=50&tag={tag}"
    ids: list[str] = []
    last: str | None = None
    statuses = []
    for _ in range(10):
        status, text = _read_until_cut(client, url, last)
        statuses.append(status)
        if status == 204:
            break
        parsed = parse_sse(text)
        assert parsed.retries == [50]
        ids += [e[2] for e in parsed.events]
        last = ids[-1]
    assert ids == [str(n) for n in range(1, 9)]
    assert statuses == [200, 200, 200, 204]
    entries = client.get(f"{demo_server}/faults/resume/log", params={"tag": tag}).json()["entries"]
    assert [e["last_event_id"] for e in entries] == [None, "3", "6", "8"]
    times = [e["monotonic"] for e in entries]
    assert times == sorted(times)


def test_resume_ignores_a_non_numeric_last_event_id(demo_server: str, client: httpx.Client) -> None:
    status, text = _read_until_cut(client, f"{demo_server}/faults/resume?drop_every=2&count=5&interval=0",
                                   "abc")
    assert status == 200
    assert [e[2] for e in parse_sse(text).events] == ["1", "2"]
