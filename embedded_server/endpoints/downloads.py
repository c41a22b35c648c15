"""Downloads generated on the fly: Content-Length, ETag, ranges, throttling.

Why: the window's download view (progress, resume, checksum) needs a server that behaves like
a real file host (``Range`` -> 206, 416, ``If-Range``) for any size, without a file on disk.
The bytes come from :mod:`embedded_server.content`, so clients can verify them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse, StreamingResponse

from .. import content
from .._shared import MAX_SIZE, DeliberateDisconnect, Stop, docs, wait_or_stop

router = APIRouter(tags=["downloads"])

WRITE_SIZE = 1024 * 1024
"""Bytes per write at full speed: large writes keep loopback throughput above 1 GB/s."""
DEFAULT_SIZE = 10 * 1024 * 1024


class RangeNotSatisfiable(Exception):
    """The ``Range`` header asks for bytes the download does not have (-> 416)."""


def parse_range(value: str | None, size: int) -> tuple[int, int] | None:
    """Half-open ``(start, end)`` asked by a single ``bytes=`` range, or None for the whole.

    Follows RFC 9110 section 14: a header that is absent, malformed, of another unit or a
    multi-range set is ignored (whole body, 200); a range that starts at or past the end,
    or an empty suffix, raises :class:`RangeNotSatisfiable`.
    """
    if not value:
        return None
    unit, _, spec = value.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    first, last = first.strip(), last.strip()
    if not dash or not (first or last) or not all(p.isdigit() for p in (first, last) if p):
        return None
    if not first:  # suffix: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(0, size - suffix), size
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable
    end = min(int(last) + 1, size) if last else size
    return start, end


async def stream_bytes(size: int, start: int, end: int, rate: int | None,
                       stop: threading.Event) -> AsyncIterator[bytes]:
    """Bytes ``[start, end)`` of the download of ``size``, paced to ``rate`` bytes/s if set.

    Throttled, it writes about ten pieces a second and sleeps (stop-aware) when ahead of
    schedule; unthrottled, it writes 1 MiB blocks as fast as the socket drains. A stop
    mid-body cuts the connection: ending "cleanly" would break the declared Content-Length.
    """
    chunk = WRITE_SIZE if rate is None else max(1, min(WRITE_SIZE, rate // 10))
    began = time.monotonic()
    sent = 0
    for offset, length in content.iter_blocks(size, start, end, chunk):
        if await wait_or_stop(stop, 0):
            raise DeliberateDisconnect
        yield content.block(size, offset, length)
        sent += length
        if rate is not None:
            ahead = sent / rate - (time.monotonic() - began)
            if ahead > 0 and await wait_or_stop(stop, ahead):
                raise DeliberateDisconnect


def download_response(request: Request, size: int, rate: int | None, length: bool,
                      filename: str, stop: threading.Event) -> Response:
    """A 200, 206 or 416 response for the download of ``size`` bytes (shared with the seed)."""
    tag = content.etag(size)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": tag,
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }
    if_range = request.headers.get("if-range")
    try:
        wanted = parse_range(request.headers.get("range"), size)
    except RangeNotSatisfiable:
        if if_range is None or if_range == tag:
            return PlainTextResponse(
                f"range not satisfiable: the download has {size} bytes\n", status_code=416,
                headers={"Content-Range": f"bytes */{size}", "ETag": tag},
            )
        wanted = None
    if if_range is not None and if_range != tag:
        wanted = None  # the client's partial copy is of another version: send it all
    status = 200
    start, end = 0, size
    if wanted is not None:
        status, (start, end) = 206, wanted
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    if length:
        headers["Content-Length"] = str(end - start)
    body = _nothing() if request.method == "HEAD" else stream_bytes(size, start, end, rate, stop)
    return StreamingResponse(body, status_code=status, headers=headers,
                             media_type="application/octet-stream")


async def _nothing() -> AsyncIterator[bytes]:
    """The body of a HEAD response: none (the headers say what GET would send)."""
    return
    yield b""  # pragma: no cover - makes this an async generator


SizeQuery = Annotated[int, Query(ge=0, le=MAX_SIZE, description="Body size in bytes (at most 16 GiB).",
                                 examples=[DEFAULT_SIZE])]


@router.get(
    "/download",
    summary="Download of any size, with ranges and throttle",
    description=(
        "Deterministic bytes generated on the fly (see `embedded_server.content`): "
        "Content-Length (unless `length=false`, then chunked), a strong ETag, "
        "`Accept-Ranges: bytes`, `Range` -> 206 with Content-Range, an unsatisfiable range "
        "-> 416, `If-Range` with another ETag -> the whole body, and an optional throttle "
        "`rate` in bytes per second."
    ),
    **docs("application/octet-stream", "<binary>", try_it="/download?size=104857600&rate=20971520"),
)
async def download(
    stop: Stop,
    request: Request,
    size: SizeQuery = DEFAULT_SIZE,
    rate: Annotated[int | None, Query(ge=1, le=MAX_SIZE, description="Throttle in bytes per second.",
                                      examples=[1048576])] = None,
    length: Annotated[bool, Query(description="Send Content-Length (false: chunked).")] = True,
) -> Response:
    """Why: exercises the client's progress, resume and checksum paths."""
    return download_response(request, size, rate, length, f"download-{size}.bin", stop)


# HEAD (what download managers ask first) answers like GET without a body; kept out of the
# schema so each endpoint is listed once.
router.add_api_route("/download", download, methods=["HEAD"], include_in_schema=False)
