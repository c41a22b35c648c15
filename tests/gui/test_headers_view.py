"""The Headers view names each redirect hop and each reconnection."""

from __future__ import annotations

from gui.views.headers_view import render
from stream_core.records import Request, Response


def test_redirect_hops_and_reconnects_are_told_apart() -> None:
    requests = [Request(0.0, "GET", "http://127.0.0.1:1/old", []),
                Request(0.1, "GET", "http://127.0.0.1:1/new", []),
                Request(5.0, "GET", "http://127.0.0.1:1/new", [("Last-Event-ID", "7")])]
    responses = [Response(0.05, 302, "Found", "HTTP/1.1", [("location", "/new")], "redirect"),
                 Response(0.2, 200, "OK", "HTTP/1.1", [], "sse"),
                 Response(5.1, 200, "OK", "HTTP/1.1", [], "sse")]
    text = render(requests, responses)
    assert text.index("Connection 1: request") < text.index("Redirected (302): request") \
        < text.index("Connection 2: request")
    assert "/old" in text and "mode <b>redirect</b>" in text
