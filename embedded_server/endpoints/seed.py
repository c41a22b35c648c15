"""The seed's three endpoints, kept in their original spirit with quick-test parameters.

Why: they are what the first version of the demo offered (and what users remember), so they
keep their names and media types; ``interval`` and ``count`` make demos and tests quick.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sse_starlette import EventSourceResponse

from .._shared import (
    MAX_COUNT,
    MAX_SIZE,
    STREAM_HEADERS,
    Count,
    Interval,
    Stop,
    docs,
    paced,
)
from .downloads import download_response

router = APIRouter(tags=["seed"])



@router.get(
    "/logs_stream",
    summary="Log lines, one per interval",
    description="`text/plain` StreamingResponse: `Log entry N` lines, one every `interval` seconds.",
    **docs("text/plain", "Log entry 1\nLog entry 2\n", try_it="/logs_stream?interval=0.2&count=20"),
)
async def logs_stream(
    stop: Stop,
    interval: Interval = 1.0,
    count: Count = 5,
) -> Response:
    """Why: the simplest live stream, a log tail."""
    async def lines() -> AsyncIterator[bytes]:
        async for n in paced(count, interval, stop):
            yield f"Log entry {n}\n".encode()

    return StreamingResponse(lines(), media_type="text/plain; charset=utf-8",
                             headers=STREAM_HEADERS)


@router.get(
    "/download-large-file",
    summary="A large file download (bigfile.zip)",
    description=(
        "`application/octet-stream` with `Content-Disposition: attachment; filename=bigfile.zip`;"
        " the same deterministic bytes, ETag and ranges as `/download`."
    ),
    **docs("application/octet-stream", "<binary>", try_it="/download-large-file?size=104857600"),
)
async def download_large_file(
    stop: Stop,
    request: Request,
    size: Annotated[int, Query(ge=0, le=MAX_SIZE, description="Body size in bytes.")] = 50 * 1024 * 1024,
) -> Response:
    """Why: the seed's download, now verifiable (see ``embedded_server.content``)."""
    return download_response(request, size, None, True, "bigfile.zip", stop)


router.add_api_route("/download-large-file", download_large_file, methods=["HEAD"],
                     include_in_schema=False)


@router.get(
    "/events",
    summary="SSE through sse-starlette: a JSON message per interval",
    description=(
        "sse-starlette `EventSourceResponse`: `{\"message\": \"Hello, world!\", \"timestamp\": ...}`"
        " every `interval` seconds, with ids 1, 2, ...; endless without `count`."
    ),
    **docs("text/event-stream",
           'id: 1\r\ndata: {"message": "Hello, world!", "timestamp": 1795000000.0}\r\n\r\n',
           try_it="/events?interval=0.2"),
)
async def events(
    stop: Stop,
    interval: Interval = 1.0,
    count: Annotated[int | None, Query(ge=1, le=MAX_COUNT,
                                       description="Number of events (endless if absent).")] = None,
) -> Response:
    """Why: the reference SSE framing of a popular library, for comparison with our own."""
    async def messages() -> AsyncIterator[dict[str, Any]]:
        async for n in paced(count, interval, stop):
            body = {"message": "Hello, world!", "timestamp": time.time()}
            yield {"id": str(n), "data": json.dumps(body)}

    return EventSourceResponse(messages())
