"""The window lists the demo server's endpoints from a snapshot of its OpenAPI document
(``resources/demo-openapi.json``) while the server starts: it must be the live document."""

from __future__ import annotations

import json
from importlib import resources

import httpx

from embedded_server.snapshot import NAME, dumps


def test_snapshot_is_the_live_openapi_document(demo_server: str) -> None:
    live = httpx.get(demo_server + "/openapi.json", timeout=10.0)
    live.raise_for_status()
    text = resources.files("stream_inspector_resources").joinpath(NAME).read_text("utf-8")
    assert json.loads(text) == live.json(), (
        f"resources/{NAME} is stale: run `make openapi-snapshot` and commit it")
    assert text == dumps(live.json())  # as `make openapi-snapshot` writes it
