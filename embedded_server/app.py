"""The FastAPI application factory of the embedded demo server.

Why a factory: the window, the tests and ``serve`` each run their own server, and each
server has its own stop event that the streaming generators watch so shutdown is quick.
"""

from __future__ import annotations

import ipaddress
import threading
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from . import replay
from ._shared import install_log_filter
from .endpoints import (
    downloads,
    expect_faults,
    faults,
    flood,
    llm,
    llm_more,
    ndjson,
    seed,
    sse_tour,
    timing,
)

__all__ = ["LoopbackHost", "create_app"]

TAGS: list[dict[str, Any]] = [
    {"name": "seed", "description": "The seed's three endpoints: log lines, a large file, SSE."},
    {"name": "sse", "description": "Server-Sent Events framing, feature by feature."},
    {"name": "llm", "description": "LLM streams of every major shape: OpenAI Chat "
     "Completions and Responses, Anthropic, Gemini, Ollama; reasoning and tool calls."},
    {"name": "ndjson", "description": "Newline-delimited JSON and plain chunked text."},
    {"name": "downloads", "description": "Downloads of any size: ranges, ETag, throttle."},
    {"name": "faults", "description": "Faults on purpose: slow, cut, invalid, huge, compressed."},
    {"name": "expect", "description": "Streams that break a stream expectation on purpose "
     "(late first event, long gap, invalid JSON, keep-alives that stop, LLM faults), for "
     "`capture --expect` and `stream-inspector test`."},
    {"name": "flood", "description": "As much as the server can send, pre-framed (benchmarks)."},
    {"name": "timing", "description": "Events that carry their send time: how true are the "
     "arrival times a client records?"},
    {"name": "replay", "description": "Saved captures served again with their timing."},
    {"name": "meta", "description": "Health of the demo server."},
]


#: The names a loopback server answers to (with its port): anything else in ``Host`` is a
#: page whose DNS name was rebound to 127.0.0.1, reading or uploading through the browser.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")



async def warm(app: ASGIApp) -> None:
    """Answer one request that matches no route, in process, before the server says it
    serves: FastAPI builds each route's parameter models on the first request that walks
    past it (~65 ms for the first of this app's requests here, then ~2 ms). Built now, while
    the window that started this server is still building itself, a first Send is not
    the one that waits for it."""
    sent: list[object] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await app({"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
               "method": "GET", "scheme": "http", "path": "/.warm-up", "raw_path": b"/.warm-up",
               "query_string": b"", "root_path": "", "headers": [], "client": None,
               "server": None, "state": {}}, receive, send)  # type: ignore[arg-type]

class LoopbackHost:
    """ASGI middleware: on a loopback connection, ``Host`` must be a loopback name with the
    server's port (421 Misdirected Request otherwise), which stops DNS rebinding. Connections
    to other addresses (``serve --host 0.0.0.0`` on purpose) are not checked."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server")
        if scope["type"] in ("http", "websocket") and server and _loopback(server[0]):
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
            port = server[1]
            allowed = {f"{n}:{port}" for n in LOOPBACK_NAMES}
            if port == (443 if scope.get("scheme") in ("https", "wss") else 80):
                allowed.update(LOOPBACK_NAMES)
            if host.lower() not in allowed:
                if scope["type"] == "http":
                    await _misdirected(host, port, send)
                else:  # closed before it is accepted: the server answers 403
                    await send({"type": "websocket.close", "code": 1008})
                return
        await self.app(scope, receive, send)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _misdirected(host: str, port: int, send: Send) -> None:
    body = (f"Host {host[:100]!r} refused: this demo server answers only to 127.0.0.1,"
            f" localhost or [::1] on port {port} (DNS rebinding guard)\n").encode()
    await send({"type": "http.response.start", "status": 421,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def create_app(stop: threading.Event | None = None) -> FastAPI:
    """Build the demo app; its streams end soon after ``stop`` is set.

    ``app.state.stop`` is the event (a fresh one if none is given),
    ``app.state.resume_log`` the list of reconnections seen by ``/faults/resume``, and
    ``app.state.replays`` the captures served under ``/replay/`` (``replay.add_replay``).
    """
    install_log_filter()
    app = FastAPI(
        title="Stream Inspector demo server",
        version="1.0",
        description=(
            "Every kind of HTTP stream, for trying Stream Inspector (or any client): "
            "SSE, LLM chat deltas, NDJSON, chunked text, downloads, faults and floods."
        ),
        openapi_tags=TAGS,
    )
    app.state.stop = stop if stop is not None else threading.Event()
    app.state.resume_log = []
    for module in (seed, sse_tour, llm, llm_more, ndjson, downloads, faults, expect_faults,
                   flood, timing):
        app.include_router(module.router)
    replay.install(app)
    app.add_middleware(LoopbackHost)

    @app.get("/health", tags=["meta"], summary="Health check",
             description="`{\"status\": \"ok\"}` while the server runs.",
             responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}})
    async def health() -> dict[str, str]:
        """Why: readiness probe for the window and the tests."""
        return {"status": "ok"}

    return app
