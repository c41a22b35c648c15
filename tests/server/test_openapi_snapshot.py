"""The window lists the demo server's endpoints from a snapshot of its OpenAPI document
(``resources/demo-openapi.json``) while the server starts: it must be the live document."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import httpx

from embedded_server.runner import ServerThread
from embedded_server.snapshot import NAME, dumps


def _differences(a: Any, b: Any, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str)
                for d in _differences(a.get(k), b.get(k), f"{where}/{k}")]
    return [] if a == b else [where or "/"]


def test_snapshot_is_the_live_openapi_document() -> None:
    # A server of its own: the session's shared one may have been started while a test had
    # patched a limit that the document describes.
    server = ServerThread(host="127.0.0.1", port=0)
    url = server.start()
    try:
        live = httpx.get(url + "/openapi.json", timeout=10.0, trust_env=False)
    finally:
        server.stop()
    live.raise_for_status()
    text = resources.files("stream_inspector_resources").joinpath(NAME).read_text("utf-8")
    diff = _differences(json.loads(text), live.json())
    assert not diff, (f"resources/{NAME} is stale ({', '.join(diff[:5])}): run "
                      "`make openapi-snapshot` and commit it")
    assert text == dumps(live.json())  # as `make openapi-snapshot` writes it
