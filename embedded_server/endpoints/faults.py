"""Faults on purpose: slow, cut, truncated, invalid, huge, compressed, failing, dropping.

Why: a stream inspector earns its keep when streams go wrong; each endpoint here produces one
failure exactly and repeatably, so the client's error kinds (``protocol``, ``decode``,
``http``, ``timeout``...) and its reconnection can be demonstrated and tested.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import AsyncIterator
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from .. import content
from .._shared import (
    MAX_COUNT,
    MAX_INTERVAL,
    MAX_SIZE,
    STREAM_HEADERS,
    Count,
    DeliberateDisconnect,
    Interval,
    Stop,
    docs,
    paced,
    wait_or_stop,
)

router = APIRouter(prefix="/faults", tags=["faults"])

SSE = "text/event-stream"
MAX_EVENT = 64 * 1024 * 1024
"""Largest single event of ``/faults/big-event`` (64 MiB)."""
WRITE_SIZE = 256 * 1024
RESUME_LOG_LIMIT = 1000
"""Entries kept in the resume log (oldest dropped), so it cannot grow without bound."""


INVALID_UTF8_CHUNKS: tuple[bytes, ...] = (
    "id: 1\ndata: valid UTF-8: café, 日本\n\n".encode(),
    b"id: 2\ndata: invalid bytes \xff\xfe and a lone continuation byte \x80 here\n\n",
    b"id: 3\ndata: a truncated sequence \xe2\x82 then text\n\n",
    b"id: 4\ndata: a euro sign split across two writes: \xe2\x82",
    b"\xac done\n\n",
)
"""The writes of ``/faults/invalid-utf8``; decode with ``errors="replace"`` to get the events."""

CRLF_MIXED_CHUNKS: tuple[bytes, ...] = (
    b"id: 1\r\ndata: CRLF line ends\r\n\r\n",
    b"id: 2\rdata: CR line ends\r\r",
    b"id: 3\ndata: LF line ends\n\n",
    b"id: 4\r\ndata: a CR at the end of one write\r",
    b"\ndata: and its LF at the start of the next are one line end\r",
    b"\n\r\n",
)
"""The writes of ``/faults/crlf-mixed``: four events (ids 1-4), the last with two data lines."""

_ALPHABET = b"abcdefghijklmnopqrstuvwxyz0123456789"
_BIG_PIECE = _ALPHABET * (WRITE_SIZE // len(_ALPHABET))
"""One write of the big event: whole alphabets, so consecutive writes continue the pattern."""

NO_BLANK_LINE = b"id: 1\ndata: a complete event\n\nid: 2\ndata: an unfinished event, never dispatched"


def _chunks_response(chunks: tuple[bytes, ...], interval: float, stop: Stop) -> Response:
    """An SSE response writing ``chunks`` one by one with ``interval`` between them."""
    async def writes() -> AsyncIterator[bytes]:
        async for n in paced(len(chunks), interval, stop):
            yield chunks[n - 1]

    return StreamingResponse(writes(), media_type=SSE, headers=STREAM_HEADERS)


@router.get(
    "/slow-first-byte",
    summary="Slow first byte: the response starts after `delay` seconds",
    description="Nothing at all (not even headers) for `delay` seconds, then three SSE events.",
    **docs(SSE, "id: 1\ndata: first event after a slow first byte\n\n",
           try_it="/faults/slow-first-byte?delay=3"),
)
async def slow_first_byte(
    stop: Stop,
    delay: Annotated[float, Query(ge=0, le=MAX_INTERVAL, description="Seconds before the response.")] = 3.0,
) -> Response:
    """Why: tests the client's first-byte timeout and its "waiting" state."""
    if await wait_or_stop(stop, delay):
        return Response("server stopping\n", status_code=503, media_type="text/plain")
    chunks = tuple(f"id: {n}\ndata: event {n} after a slow first byte\n\n".encode() for n in (1, 2, 3))
    return _chunks_response(chunks, 0.0, stop)


@router.get(
    "/disconnect",
    summary="Disconnect mid-stream after N events",
    description=(
        "SSE events `id: 1`..`id: after`, then the connection is closed abruptly: the chunked "
        "body has no terminating chunk, which a client must report as a protocol error."
    ),
    **docs(SSE, "id: 1\ndata: event 1 of 3 before the disconnect\n\n",
           try_it="/faults/disconnect?after=5&interval=0.3"),
)
async def disconnect(
    stop: Stop,
    after: Annotated[int, Query(ge=0, le=MAX_COUNT, description="Events before the cut.")] = 3,
    interval: Interval = 0.2,
) -> Response:
    """Why: a server that dies mid-stream is the commonest streaming failure."""
    async def events() -> AsyncIterator[bytes]:
        async for n in paced(after, interval, stop):
            yield f"id: {n}\ndata: event {n} of {after} before the disconnect\n\n".encode()
        raise DeliberateDisconnect

    return StreamingResponse(events(), media_type=SSE, headers=STREAM_HEADERS)


@router.get(
    "/truncated-download",
    summary="Download cut short: fewer bytes than Content-Length",
    description=(
        "Declares `Content-Length: size`, sends the first `sent` bytes of `/download?size=size`"
        " and closes the connection (a mid-body reset from the client's point of view)."
    ),
    **docs("application/octet-stream", "<binary>",
           try_it="/faults/truncated-download?size=10485760&sent=5242880"),
)
async def truncated_download(
    stop: Stop,
    size: Annotated[int, Query(ge=1, le=MAX_SIZE, description="Declared size in bytes.")] = 1048576,
    sent: Annotated[int, Query(ge=0, le=MAX_SIZE, description="Bytes sent before the cut.")] = 524288,
) -> Response:
    """Why: "body shorter than Content-Length" must not pass for a finished download."""
    async def body() -> AsyncIterator[bytes]:
        for offset, length in content.iter_blocks(size, 0, min(sent, size - 1)):
            if await wait_or_stop(stop, 0):
                break
            yield content.block(size, offset, length)
        raise DeliberateDisconnect

    return StreamingResponse(body(), media_type="application/octet-stream",
                             headers={"Content-Length": str(size), "ETag": content.etag(size)})


@router.get(
    "/invalid-utf8",
    summary="SSE with invalid UTF-8 bytes",
    description=(
        "Events with invalid bytes, a truncated multi-byte sequence and a character split "
        "across two writes; a WHATWG parser shows U+FFFD for the invalid bytes."
    ),
    **docs(SSE, "id: 1\ndata: valid UTF-8: café\n\n", try_it="/faults/invalid-utf8"),
)
async def invalid_utf8(stop: Stop, interval: Interval = 0.05) -> Response:
    """Why: decoders must replace bad bytes, not crash or drop the event."""
    return _chunks_response(INVALID_UTF8_CHUNKS, interval, stop)


@router.get(
    "/big-event",
    summary="One SSE event of several MiB",
    description=(
        "`id: 1`, `event: big` and one data line of `size` bytes (ASCII, written in 256 KiB "
        "pieces), then a small event `id: 2`."
    ),
    **docs(SSE, "id: 1\nevent: big\ndata: abcdefghij...\n\n", try_it="/faults/big-event?size=8388608"),
)
async def big_event(
    stop: Stop,
    size: Annotated[int, Query(ge=1, le=MAX_EVENT, description="Bytes of data (at most 64 MiB).")] = 4 * 1024 * 1024,
) -> Response:
    """Why: a parser must stay linear in the line length and the view must not freeze."""
    async def frames() -> AsyncIterator[bytes]:
        yield b"id: 1\nevent: big\ndata: "
        left = size
        while left > 0:
            if await wait_or_stop(stop, 0):
                return
            yield _BIG_PIECE[:left]
            left -= min(left, len(_BIG_PIECE))
        yield b"\n\nid: 2\ndata: after the big event\n\n"

    return StreamingResponse(frames(), media_type=SSE, headers=STREAM_HEADERS)


def big_event_data(size: int) -> str:
    """The data of ``/faults/big-event?size=size``: the alphabet repeated, for tests to compare."""
    return (_ALPHABET * (size // len(_ALPHABET) + 1))[:size].decode()


@router.get(
    "/gzip-sse",
    summary="SSE compressed with gzip, flushed per event",
    description=(
        "`Content-Encoding: gzip`; each event is compressed and sync-flushed on its own, so the "
        "stream still arrives event by event once decompressed."
    ),
    **docs(SSE, "<gzip of: id: 1\\ndata: compressed event 1 of 10\\n\\n>",
           try_it="/faults/gzip-sse?count=20&interval=0.3"),
)
async def gzip_sse(
    stop: Stop,
    count: Count = 10,
    interval: Interval = 0.2,
) -> Response:
    """Why: compression must not make a client wait for the end of the stream."""
    async def frames() -> AsyncIterator[bytes]:
        gzip = zlib.compressobj(wbits=31)
        async for n in paced(count, interval, stop):
            event = f"id: {n}\ndata: compressed event {n} of {count}\n\n".encode()
            yield gzip.compress(event) + gzip.flush(zlib.Z_SYNC_FLUSH)
        yield gzip.flush()

    return StreamingResponse(frames(), media_type=SSE,
                             headers=STREAM_HEADERS | {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})


@router.get(
    "/status/{code}",
    summary="An error status with a JSON body",
    description="Answers with status `code` (400-599) and a JSON body; 429 and 503 add `Retry-After: 1`.",
    responses={404: {"content": {"application/json": {"example": {
        "status": 404, "error": "Not Found", "detail": "deliberate error from the demo server"}}}}},
    openapi_extra={"x-try-it": {"path": "/faults/status/503"}},
)
async def status(code: Annotated[int, Path(ge=400, le=599, description="HTTP status code.")]) -> Response:
    """Why: the client must show error statuses with their body, not as an empty failure."""
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = "Error"
    headers = {"Retry-After": "1"} if code in (429, 503) else {}
    return JSONResponse({"status": code, "error": phrase,
                         "detail": "deliberate error from the demo server"},
                        status_code=code, headers=headers)


@router.get(
    "/resume",
    summary="SSE that drops every N events and resumes from Last-Event-ID",
    description=(
        "Events `id: 1`..`id: count` after `retry: <retry>`; the connection is cut after "
        "every id that is a multiple of `drop_every`. A reconnection with `Last-Event-ID: k` "
        "resumes at k+1; past the end the answer is 204 (per the SSE standard: stop "
        "reconnecting). Every request is logged (see `/faults/resume/log`)."
    ),
    **docs(SSE, "retry: 200\n\nid: 1\ndata: event 1 of 10\n\n",
           try_it="/faults/resume?drop_every=3&count=10&interval=0.3"),
)
async def resume(
    request: Request,
    stop: Stop,
    drop_every: Annotated[int, Query(ge=1, le=MAX_COUNT, description="Cut after every N-th id.")] = 3,
    count: Annotated[int, Query(ge=1, le=MAX_COUNT, description="Last event id.")] = 10,
    interval: Interval = 0.1,
    retry: Annotated[int, Query(ge=0, le=600_000, description="`retry:` in milliseconds.")] = 200,
    tag: Annotated[str, Query(max_length=100, description="Label of the log entries.")] = "",
    last_event_id: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    """Why: reconnection with Last-Event-ID is the SSE feature clients most often get wrong."""
    log: list[dict[str, Any]] = request.app.state.resume_log
    log.append({"tag": tag, "last_event_id": last_event_id, "time": time.time(),
                "monotonic": time.monotonic()})
    del log[:-RESUME_LOG_LIMIT]
    first = int(last_event_id) + 1 if last_event_id and last_event_id.isdigit() else 1
    if first > count:
        return Response(status_code=204)

    async def events() -> AsyncIterator[bytes]:
        yield f"retry: {retry}\n\n".encode()
        async for k in paced(count - first + 1, interval, stop):
            n = first + k - 1
            yield f"id: {n}\ndata: event {n} of {count}\n\n".encode()
            if n % drop_every == 0 and n < count:
                raise DeliberateDisconnect

    return StreamingResponse(events(), media_type=SSE, headers=STREAM_HEADERS)


@router.get(
    "/resume/log",
    summary="Requests seen by /faults/resume",
    description=(
        "The `Last-Event-ID` header (or null) and arrival time of each request to "
        "`/faults/resume`, oldest first, optionally only those with `tag`."
    ),
    responses={200: {"content": {"application/json": {"example": {"entries": [
        {"tag": "t1", "last_event_id": "3", "time": 1795000000.0, "monotonic": 1234.5}]}}}}},
)
async def resume_log(request: Request, tag: Annotated[str | None, Query(max_length=100)] = None,
                     ) -> dict[str, list[dict[str, Any]]]:
    """Why: lets reconnection tests observe, server-side, the headers and delays of a client."""
    log: list[dict[str, Any]] = request.app.state.resume_log
    return {"entries": [e for e in log if tag is None or e["tag"] == tag]}


@router.get(
    "/no-blank-line",
    summary="SSE ending without the final blank line",
    description="One complete event, then an unfinished one: a conforming parser never dispatches it.",
    **docs(SSE, NO_BLANK_LINE.decode(), try_it="/faults/no-blank-line"),
)
async def no_blank_line(stop: Stop) -> Response:
    """Why: an unfinished event at the end of the stream must be discarded."""
    return _chunks_response((NO_BLANK_LINE,), 0.0, stop)


@router.get(
    "/crlf-mixed",
    summary="SSE with CRLF, CR and LF line ends mixed",
    description="Four events with CRLF, CR and LF line ends, and a CR and LF split across two writes.",
    **docs(SSE, CRLF_MIXED_CHUNKS[0].decode(), try_it="/faults/crlf-mixed"),
)
async def crlf_mixed(stop: Stop, interval: Interval = 0.05) -> Response:
    """Why: every line end must work, also when a CRLF straddles two network reads."""
    return _chunks_response(CRLF_MIXED_CHUNKS, interval, stop)
