"""Floods: N events or N MiB as fast as the server can send them (benchmarks).

Why: the benchmarks measure the client, so the server must not be the bottleneck: events are
pre-framed and written in batches of about 256 KiB, bytes in 1 MiB blocks. ``/flood/starlette``
sends the same events through sse-starlette for a peer comparison of server-side framing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from sse_starlette import EventSourceResponse

from .._shared import (
    STREAM_HEADERS,
    Count,
    DeliberateDisconnect,
    Stop,
    docs,
    wait_or_stop,
)

router = APIRouter(prefix="/flood", tags=["flood"])

BATCH = 256 * 1024
"""Bytes of pre-framed events per write."""
MIB = 1024 * 1024
MAX_EVENT_SIZE = MIB
MAX_MIB = 16 * 1024

Size = Annotated[int, Query(ge=0, le=MAX_EVENT_SIZE, description="Bytes of data per event.")]


def payload(size: int) -> str:
    """The data of every flood event of ``size`` bytes (hex digits repeated)."""
    return ("0123456789abcdef" * (size // 16 + 1))[:size]


def flood_frame(n: int, data: str) -> str:
    """The wire form of flood event ``n``: ``id: n``, one data line, blank line (LF ends)."""
    return f"id: {n}\ndata: {data}\n\n"


@lru_cache(maxsize=1)
def _zeros() -> bytes:
    return bytes(MIB)


@router.get(
    "/sse",
    summary="N SSE events as fast as possible, pre-framed",
    description=(
        "`count` events `id: i` / `data: <size bytes>`, framed up front and written in batches"
        " of about 256 KiB: the server is never the bottleneck of a benchmark."
    ),
    **docs("text/event-stream", "id: 1\ndata: 0123456789abcdef\n\n",
           try_it="/flood/sse?count=100000&size=64"),
)
async def flood_sse(stop: Stop, count: Count = 100_000, size: Size = 64) -> Response:
    """Why: measures how many events per second the client parses and shows."""
    data = payload(size)

    async def batches() -> AsyncIterator[bytes]:
        parts: list[str] = []
        pending = 0
        for n in range(1, count + 1):
            frame = flood_frame(n, data)
            parts.append(frame)
            pending += len(frame)
            if pending >= BATCH:
                if await wait_or_stop(stop, 0):
                    return
                yield "".join(parts).encode()
                parts, pending = [], 0
        if parts:
            yield "".join(parts).encode()

    return StreamingResponse(batches(), media_type="text/event-stream", headers=STREAM_HEADERS)


@router.get(
    "/bytes",
    summary="N MiB of zero bytes as fast as possible",
    description="`application/octet-stream`, Content-Length `mib` MiB, written in 1 MiB blocks.",
    **docs("application/octet-stream", "<binary>", try_it="/flood/bytes?mib=1024"),
)
async def flood_bytes(
    stop: Stop,
    mib: Annotated[int, Query(ge=1, le=MAX_MIB, description="MiB to send (at most 16 GiB).")] = 100,
) -> Response:
    """Why: measures raw read throughput, without any parsing."""
    async def blocks() -> AsyncIterator[bytes]:
        block = _zeros()
        for _ in range(mib):
            if await wait_or_stop(stop, 0):
                raise DeliberateDisconnect  # a clean end would break Content-Length
            yield block

    return StreamingResponse(blocks(), media_type="application/octet-stream",
                             headers={"Content-Length": str(mib * MIB)})


@router.get(
    "/starlette",
    summary="N SSE events through sse-starlette (peer comparison)",
    description=(
        "The same events as `/flood/sse` (LF line ends), one `EventSourceResponse` write per "
        "event: how a typical library server sends them."
    ),
    **docs("text/event-stream", "id: 1\ndata: 0123456789abcdef\n\n",
           try_it="/flood/starlette?count=100000&size=64"),
)
async def flood_starlette(stop: Stop, count: Count = 100_000, size: Size = 64) -> Response:
    """Why: the benchmark's peer: the same events, framed and sent one by one by a library."""
    data = payload(size)
    # Yield to the loop every ~256 KiB (at most every 256 events): once the client is gone,
    # sending no longer waits, and 256 events of 1 MiB froze the server (/health included)
    # for seconds; sse-starlette also needs a turn of the loop to notice the disconnect.
    every = max(1, min(256, BATCH // max(size, 1)))

    async def events() -> AsyncIterator[dict[str, Any]]:
        for n in range(1, count + 1):
            if stop.is_set() or (n % every == 0 and await wait_or_stop(stop, 0)):
                return
            yield {"id": str(n), "data": data}

    return EventSourceResponse(events(), sep="\n", ping=0)
