"""A clock on the wire: one SSE event every ``interval``, holding the server's send time.

Why: a client's recorded arrival time can be checked against the moment the server sent the
event (the ``timing`` benchmark: error = recorded arrival - send time, and the gaps between
events). Events are paced against absolute deadlines (``start + n * interval``), so a late
wake-up does not shift the ones after it, and each is stamped just before it is written.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from .._shared import MAX_INTERVAL, STREAM_HEADERS, Count, Stop, docs, wait_or_stop

router = APIRouter(tags=["timing"])

MIN_INTERVAL = 0.001


def timing_frame(n: int, sent_ns: int) -> bytes:
    """Event ``n`` as sent: ``id: n`` and ``data: {"n": n, "sent_ns": ...}``."""
    return f"id: {n}\ndata: {json.dumps({'n': n, 'sent_ns': sent_ns})}\n\n".encode()


@router.get(
    "/timing",
    summary="One SSE event per interval, with the server's send time",
    description=(
        "`text/event-stream`: event `n` (ids 1, 2, ...) every `interval` seconds, paced "
        "against absolute deadlines; its data is `{\"n\": n, \"sent_ns\": ...}`, the server's "
        "wall clock (`time.time_ns()`) just before the event was written. Compare it with "
        "when the event arrived."
    ),
    **docs("text/event-stream", 'id: 1\ndata: {"n": 1, "sent_ns": 1795000000000000000}\n\n',
           try_it="/timing?interval=0.01&count=500"),
)
async def timing(
    stop: Stop,
    interval: Annotated[float, Query(ge=MIN_INTERVAL, le=MAX_INTERVAL, examples=[0.01],
                                     description="Seconds between events (0.001 to 60).")]
    = 0.01,
    count: Count = 1000,
) -> Response:
    """Why: measures how true a client's arrival times are (the ``timing`` benchmark)."""
    async def frames() -> AsyncIterator[bytes]:
        start = time.monotonic()
        for n in range(1, count + 1):
            if n > 1:
                wait = start + (n - 1) * interval - time.monotonic()
                if await wait_or_stop(stop, wait):
                    return
            elif stop.is_set():
                return
            yield timing_frame(n, time.time_ns())

    return StreamingResponse(frames(), media_type="text/event-stream; charset=utf-8",
                             headers=STREAM_HEADERS)
