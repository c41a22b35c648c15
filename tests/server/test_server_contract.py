"""Bounds (422 with a clear message) and OpenAPI documentation of every endpoint."""

from __future__ import annotations

import httpx
import pytest

GIB = 1024**3


@pytest.mark.parametrize(("path", "param"), [
    (f"/download?size={16 * GIB + 1}", "size"),
    ("/download?size=-1", "size"),
    ("/download?rate=0", "rate"),
    ("/download-large-file?size=-5", "size"),
    ("/logs_stream?interval=61", "interval"),
    ("/logs_stream?count=0", "count"),
    ("/events?count=10000001", "count"),
    ("/events?interval=-1", "interval"),
    ("/sse/tour?interval=100", "interval"),
    ("/ndjson?count=99999999", "count"),
    ("/text?interval=1e9", "interval"),
    ("/faults/big-event?size=999999999", "size"),
    ("/faults/disconnect?after=-1", "after"),
    ("/faults/resume?drop_every=0", "drop_every"),
    ("/faults/slow-first-byte?delay=61", "delay"),
    ("/faults/gzip-sse?count=0", "count"),
    ("/flood/sse?size=2000000", "size"),
    ("/flood/bytes?mib=0", "mib"),
    ("/flood/starlette?count=0", "count"),
    ("/download?size=abc", "size"),
])
def test_out_of_range_is_422(demo_server: str, client: httpx.Client, path: str, param: str) -> None:
    response = client.get(demo_server + path)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["query", param]
    assert detail[0]["msg"]  # e.g. "Input should be less than or equal to 60"


def test_llm_delay_is_bounded(demo_server: str, client: httpx.Client) -> None:
    response = client.post(f"{demo_server}/v1/chat/completions?delay=11", json={"messages": []})
    assert response.status_code == 422


def test_every_operation_is_documented(demo_server: str, client: httpx.Client) -> None:
    spec = client.get(f"{demo_server}/openapi.json").json()
    operations = [(path, method, op) for path, item in spec["paths"].items()
                  for method, op in item.items()]
    assert len(operations) >= 24
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        assert op.get("description"), where
        assert op.get("tags"), where
        examples = [c.get("example") for r in op["responses"].values()
                    for c in r.get("content", {}).values()]
        assert any(e is not None for e in examples), where
    streaming = [p for p, _, op in operations if "x-try-it" in op]
    assert "/events" in streaming and "/v1/chat/completions" in streaming
    tags = {t["name"] for t in spec["tags"]}
    assert {"seed", "sse", "llm", "ndjson", "downloads", "faults", "flood"} <= tags
