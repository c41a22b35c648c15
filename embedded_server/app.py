"""The FastAPI application factory of the embedded demo server.

Why a factory: the window, the tests and ``serve`` each run their own server, and each
server has its own stop event that the streaming generators watch so shutdown is quick.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import FastAPI

from . import replay
from ._shared import install_log_filter
from .endpoints import downloads, faults, flood, llm, ndjson, seed, sse_tour

__all__ = ["create_app"]

TAGS: list[dict[str, Any]] = [
    {"name": "seed", "description": "The seed's three endpoints: log lines, a large file, SSE."},
    {"name": "sse", "description": "Server-Sent Events framing, feature by feature."},
    {"name": "llm", "description": "OpenAI- and Anthropic-style streaming chat completions."},
    {"name": "ndjson", "description": "Newline-delimited JSON and plain chunked text."},
    {"name": "downloads", "description": "Downloads of any size: ranges, ETag, throttle."},
    {"name": "faults", "description": "Faults on purpose: slow, cut, invalid, huge, compressed."},
    {"name": "flood", "description": "As much as the server can send, pre-framed (benchmarks)."},
    {"name": "replay", "description": "Saved captures served again with their timing."},
    {"name": "meta", "description": "Health of the demo server."},
]


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
    for module in (seed, sse_tour, llm, ndjson, downloads, faults, flood):
        app.include_router(module.router)
    replay.install(app)

    @app.get("/health", tags=["meta"], summary="Health check",
             description="`{\"status\": \"ok\"}` while the server runs.",
             responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}})
    async def health() -> dict[str, str]:
        """Why: readiness probe for the window and the tests."""
        return {"status": "ok"}

    return app
