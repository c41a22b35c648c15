"""NDJSON records and plain chunked text, one item per interval.

Why: log tails and JSON-lines APIs are the other common streams next to SSE; the NDJSON
stream can include one line that is not JSON, which a client must show as data, not fail on.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from .._shared import STREAM_HEADERS, Count, Interval, Stop, docs, paced

router = APIRouter(tags=["ndjson"])

LEVELS = ("info", "debug", "warning", "error")
BAD_LINE = "this line is not JSON {\n"
"""The line ``?bad=true`` inserts after the first half of the records."""



def record(n: int) -> dict[str, object]:
    """The n-th NDJSON record (1-based); ``time`` is the only part that varies."""
    return {"seq": n, "level": LEVELS[n % len(LEVELS)], "message": f"record {n}",
            "time": time.time()}


@router.get(
    "/ndjson",
    summary="NDJSON records, one per interval",
    description=(
        "`application/x-ndjson`: one JSON object per line (`seq`, `level`, `message`, `time`). "
        "`bad=true` adds one line that is not JSON after the first half."
    ),
    **docs("application/x-ndjson",
           '{"seq": 1, "level": "debug", "message": "record 1", "time": 1795000000.0}\n',
           try_it="/ndjson?interval=0.2&count=20&bad=true"),
)
async def ndjson(stop: Stop, interval: Interval = 0.5, count: Count = 10,
                 bad: Annotated[bool, Query(description="Insert one invalid line.")] = False,
                 ) -> Response:
    """Why: JSON-lines streams (log shippers, some LLM APIs) decoded record by record."""
    async def lines() -> AsyncIterator[bytes]:
        async for n in paced(count, interval, stop):
            yield (json.dumps(record(n)) + "\n").encode()
            if bad and n == max(1, count // 2):
                yield BAD_LINE.encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson", headers=STREAM_HEADERS)


@router.get(
    "/text",
    summary="Plain chunked text, one line per interval",
    description="`text/plain` with chunked transfer encoding: `line N of M` per interval.",
    **docs("text/plain", "line 1 of 10: the quick brown fox\n", try_it="/text?interval=0.2&count=30"),
)
async def text(stop: Stop, interval: Interval = 0.5, count: Count = 10) -> Response:
    """Why: the plainest stream, for the lines and raw views."""
    async def lines() -> AsyncIterator[bytes]:
        async for n in paced(count, interval, stop):
            yield f"line {n} of {count}: the quick brown fox jumps over the lazy dog\n".encode()

    return StreamingResponse(lines(), media_type="text/plain; charset=utf-8", headers=STREAM_HEADERS)
