"""Replay of saved captures: a recorded stream served again, as it came, at its own URL.

Why: a stream seen once (an LLM answer, an incident) can then be reproduced at will: the
original status and headers, the same chunk boundaries at the original timing (or N times
faster), and optional faults on top (cut at a byte, every byte its own write, a stall), so a
client can be tested against exactly what it once received.

Captures are read with the engine's one reader of the format, ``stream_core.capture.reader``
(header, version, bounded JSON lines): the only module of the engine the server imports.
What replay needs of the records, and its own checks of them, are here.

``add_replay(app, name, path_or_bytes)`` mounts ``/replay/{name}`` (tag ``replay``, listed in
``/openapi.json`` at once); ``PUT /replay/{name}`` with a capture file as the body does the same
over HTTP, from loopback clients only (the window uses it to replay its current stream).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import ipaddress
import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope, Send

from stream_core.capture.reader import CaptureError, open_lines, parse_line, read_capture_bytes

from ._shared import DeliberateDisconnect, Stop, wait_or_stop

__all__ = ["Replay", "ReplayError", "add_replay", "install", "parse_capture", "read_file"]

MAX_UPLOAD = 512 * 1024 * 1024
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: Not replayed as recorded: per-connection headers, the framing the server redoes, and
#: the headers uvicorn adds itself.
DROPPED = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
           "upgrade", "content-length", "date", "server"}
MAX_SPEED = 1000.0
MAX_STALL = 60.0


class ReplayError(ValueError):
    """The file cannot be replayed (not a capture, a newer major version, no response)."""


@dataclass(slots=True)
class Replay:
    """What a capture replays: the first response of the recorded stream."""

    name: str
    method: str
    url: str
    status: int
    headers: list[tuple[str, str]]
    header_delay: float  # seconds from the request to the response headers
    chunks: list[tuple[float, bytes]] = field(default_factory=list)  # (seconds after headers, bytes)

    @property
    def size(self) -> int:
        return sum(len(d) for _, d in self.chunks)

    @property
    def duration(self) -> float:
        return self.chunks[-1][0] if self.chunks else 0.0

    @property
    def content_type(self) -> str:
        found = next((v for k, v in self.headers if k.lower() == "content-type"), "")
        return found.split(";")[0].strip() or "application/octet-stream"

    def example(self, limit: int = 300) -> str:
        """The start of the body, for the OpenAPI document (``<binary>`` if not text)."""
        head = b"".join(d for _, d in self.chunks[:20])[:limit]
        encoded = any(k.lower() == "content-encoding" for k, _ in self.headers)
        try:
            return "<binary>" if encoded else head.decode("utf-8")
        except UnicodeDecodeError:
            return "<binary>"


def read_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of the capture file at ``path``, read by the engine's capture reader: a
    regular file of at most ``MAX_UPLOAD`` bytes (what ``PUT /replay/{name}`` takes), so that
    a capture linked to ``/dev/zero`` or a FIFO is refused at once instead of read without
    end or waited on forever. ReplayError naming the file otherwise."""
    try:
        return read_capture_bytes(path, MAX_UPLOAD)
    except CaptureError as exc:
        raise ReplayError(str(exc)) from None


def parse_capture(name: str, data: bytes) -> Replay:
    """The replay of a capture file's bytes; ReplayError when it cannot be replayed.

    Tolerant like the window's reader: a truncated last line and corrupted lines are skipped.
    Only the first connection is replayed (a capture with reconnects holds several). The
    response record is validated here, at load, naming its line: a header or status that
    HTTP cannot carry would otherwise fail every request later (a 500 or a dropped
    connection).
    """
    try:
        capture = open_lines(name, io.BytesIO(data))
    except CaptureError as exc:
        raise ReplayError(str(exc)) from None
    request_t = 0.0
    method, url = "GET", ""
    response: dict[str, Any] | None = None
    where = ""
    chunks: list[tuple[float, bytes]] = []
    for number, raw in capture.lines:
        try:
            obj = parse_line(raw)
        except (ValueError, UnicodeDecodeError):
            continue  # corrupted or cut: skipped, as the window skips it
        kind = obj.get("type")
        if kind == "request":
            if response is not None:
                break  # a reconnection: replay the first connection only
            request_t = _float(obj.get("t"))
            method, url = str(obj.get("method", "GET")), str(obj.get("url", ""))
        elif kind == "response" and response is None and obj.get("mode") == "redirect":
            continue  # a redirect hop: the next request and response are the stream's
        elif kind == "response" and response is None:
            response, where = obj, f"{name}, line {number} (the response record)"
        elif kind == "chunk" and response is not None:
            try:
                chunk = base64.b64decode(str(obj.get("data_b64", "")), validate=True)
            except (binascii.Error, ValueError):
                continue
            chunks.append((max(0.0, _float(obj.get("t")) - _float(response.get("t"))), chunk))
        elif kind == "reconnect" and response is not None:
            break
    if response is None:
        raise ReplayError(f"{name}: the capture holds no response to replay")
    status = _status(where, response.get("status"), any(d for _, d in chunks))
    headers = [(k, v) for k, v in _valid_headers(where, response.get("headers"))
               if k.lower() not in DROPPED]
    delay = max(0.0, _float(response.get("t")) - request_t)
    return Replay(name, method.upper(), url, status, headers, delay, chunks)


#: RFC 9110 field names (tokens), and values without control characters but HTAB.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _valid_headers(where: str, value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        raise ReplayError(f"{where}: headers is {type(value).__name__}, not a list of"
                          " [name, value] pairs")
    out: list[tuple[str, str]] = []
    for i, pair in enumerate(value):
        if not (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(x, str) for x in pair)):
            raise ReplayError(f"{where}: header #{i + 1} is not a [name, value] pair of"
                              f" strings: {json.dumps(pair)[:80]}")
        k, v = pair
        if not _TOKEN.fullmatch(k):
            raise ReplayError(f"{where}: header #{i + 1} has an invalid name {k[:80]!r}")
        if _BAD_VALUE.search(v):
            raise ReplayError(f"{where}: header {k} has a control character (CR, LF, ...)"
                              " in its value")
        try:
            v.encode("latin-1")
        except UnicodeEncodeError:
            raise ReplayError(f"{where}: header {k} has a value HTTP/1.1 cannot carry (not"
                              f" Latin-1): {v[:80]!r}") from None
        out.append((k, v))
    return out


def _status(where: str, status: Any, body: bool) -> int:
    if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
        raise ReplayError(f"{where}: status {status!r} cannot be replayed (a final status"
                          " from 200 to 599 is needed; 1xx are informational)")
    if body and status in (204, 304):
        raise ReplayError(f"{where}: a {status} response cannot carry the body bytes the"
                          " capture holds")
    return status


def _float(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


class ReplayResponse(Response):
    """Sends the recorded chunks, each its own write, at their recorded times (over ``speed``)."""

    def __init__(self, replay: Replay, stop: Any, *, speed: float, cut_at: int | None,
                 split: bool, stall: float, stall_at: int) -> None:
        super().__init__(status_code=replay.status)
        self.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1", "replace"))
                            for k, v in replay.headers]
        self.replay = replay
        self.stop = stop
        self.speed = speed
        self.cut_at = cut_at
        self.split = split
        self.stall = stall
        self.stall_at = stall_at

    def _scaled(self, seconds: float) -> float:
        return 0.0 if self.speed == 0 else seconds / self.speed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        r = self.replay
        if await wait_or_stop(self.stop, self._scaled(r.header_delay)):
            return
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        start = time.monotonic()
        sent = 0
        stalled = self.stall <= 0
        for at, data in r.chunks:
            wait = start + self._scaled(at) - time.monotonic()
            if await wait_or_stop(self.stop, wait):
                return
            pieces = [data[i:i + 1] for i in range(len(data))] if self.split else [data]
            for piece in pieces:
                if not stalled and sent + len(piece) > self.stall_at:
                    head = max(0, self.stall_at - sent)
                    if head:
                        await send({"type": "http.response.body", "body": piece[:head],
                                    "more_body": True})
                        sent, piece = sent + head, piece[head:]
                    stalled = True
                    paused = time.monotonic()
                    if await wait_or_stop(self.stop, self.stall):
                        return
                    start += time.monotonic() - paused  # later chunks keep their spacing
                if self.cut_at is not None and sent + len(piece) >= self.cut_at:
                    head = self.cut_at - sent
                    if head > 0:
                        await send({"type": "http.response.body", "body": piece[:head],
                                    "more_body": True})
                    await asyncio.sleep(0.01)  # let the piece reach the socket before the cut
                    raise DeliberateDisconnect(f"replay cut at byte {self.cut_at}")
                await send({"type": "http.response.body", "body": piece, "more_body": True})
                sent += len(piece)
                if self.split:
                    await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _endpoint(name: str) -> Any:
    async def replay(
        request: Request,
        stop: Stop,
        speed: Annotated[float, Query(ge=0, le=MAX_SPEED, description=(
            "Play N times faster (0.5 = half speed, 0 = as fast as possible).")
        )] = 1.0,
        cut_at: Annotated[int | None, Query(ge=0, description=(
            "Cut the connection after this many body bytes (a truncated body)."))] = None,
        split: Annotated[bool, Query(description="Send every byte as its own write.")] = False,
        stall: Annotated[float, Query(ge=0, le=MAX_STALL, description=(
            "Pause this many seconds at byte `stall_at`."))] = 0.0,
        stall_at: Annotated[int, Query(ge=0, description="Where the stall happens.")] = 0,
    ) -> Response:
        """Why: reproduce a recorded stream exactly, or with faults, for any client."""
        found: Replay | None = request.app.state.replays.get(name)
        if found is None:
            raise HTTPException(404, f"no replay named {name!r}")
        return ReplayResponse(found, stop, speed=speed, cut_at=cut_at, split=split,
                              stall=stall, stall_at=stall_at)
    return replay


def add_replay(app: FastAPI, name: str, source: str | os.PathLike[str] | bytes) -> Replay:
    """Serve a capture (a path or the file's bytes) at ``/replay/{name}``; replaces a same name.

    Raises ReplayError for a bad name or file (one that cannot be read too: ``read_file``).
    """
    if not NAME.fullmatch(name):
        raise ReplayError(f"bad replay name {name!r}: letters, digits, '.', '_', '-' (max 64)")
    data = source if isinstance(source, bytes) else read_file(source)
    replay = parse_capture(name, data)
    replays: dict[str, Replay] = app.state.replays
    path = f"/replay/{name}"
    if name in replays:  # replaced: its route (summary, methods) is made again
        app.router.routes[:] = [r for r in app.router.routes
                                if not (isinstance(r, APIRoute) and r.path == path)]
    replays[name] = replay
    for method in sorted({"GET", replay.method}):  # one route each: unique operation ids
        _route(app, path, name, method, replay)
    app.openapi_schema = None  # regenerated with the new route on the next request
    return replay


def _route(app: FastAPI, path: str, name: str, method: str, replay: Replay) -> None:
    app.add_api_route(
        path, _endpoint(name), methods=[method], tags=["replay"], response_class=Response,
        operation_id=f"replay_{name}_{method.lower()}",
        summary=f"Replay {name}: {replay.status}, {len(replay.chunks)} chunks,"
                f" {replay.duration:.2f} s",
        description=(f"The recorded stream of `{replay.method} {replay.url}` with its original"
                     " headers, chunk boundaries and timing. `speed=N` plays N times faster"
                     " (0 = at once); faults: `cut_at=BYTES`, `split=true`,"
                     " `stall=SECONDS` at `stall_at=BYTES`."),
        responses={200: {"description": "The recorded stream, as it came.",
                         "content": {replay.content_type: {"example": replay.example()}}}},
        openapi_extra={"x-try-it": {"path": path}},
    )


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


async def _read_upload(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes: counted as
    it arrives, so a chunked upload (no Content-Length) is never buffered beyond it."""
    too_large = HTTPException(413, f"capture too large to replay (over {limit:,} bytes)")
    try:
        if int(request.headers.get("content-length") or 0) > limit:
            raise too_large
    except ValueError:
        raise HTTPException(400, "invalid Content-Length") from None
    parts: list[bytes] = []
    size = 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise too_large
        parts.append(part)
    return b"".join(parts)


def install(app: FastAPI) -> None:
    """Give ``app`` its replay registry (``app.state.replays``) and the upload route."""
    app.state.replays = {}

    @app.put("/replay/{name}", include_in_schema=False)
    async def upload(name: str, request: Request) -> JSONResponse:
        """Why: the window replays its current stream on its own (running) server."""
        client = request.client.host if request.client else None
        own = request.scope.get("server") or (None,)
        if not (_is_loopback(client) or (client is not None and client == own[0])):
            raise HTTPException(403, "replays are uploaded from this machine only")
        data = await _read_upload(request, MAX_UPLOAD)
        try:
            replay = add_replay(app, name, data)
        except ReplayError as exc:
            raise HTTPException(422, str(exc)) from None
        return JSONResponse({"path": f"/replay/{name}", "status": replay.status,
                             "chunks": len(replay.chunks), "bytes": replay.size,
                             "duration": round(replay.duration, 6)})
