"""Helpers shared by the endpoint modules: stop-aware waiting, bounds, OpenAPI docs.

Why a module of its own: every streaming generator must notice the server's stop event
quickly (shutdown within a second with endless streams open), and every endpoint documents
itself the same way so the window can list it from ``/openapi.json``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response

__all__ = [
    "MAX_COUNT",
    "MAX_INTERVAL",
    "MAX_SIZE",
    "Count",
    "Interval",
    "STOP_POLL",
    "STREAM_HEADERS",
    "Stop",
    "DeliberateDisconnect",
    "docs",
    "install_log_filter",
    "paced",
    "stop_event",
    "wait_or_stop",
]

MAX_SIZE = 16 * 1024**3
"""Largest download, in bytes (16 GiB): generated on the fly, so only time bounds it."""
MAX_COUNT = 10_000_000
"""Largest event or line count of a finite stream."""
MAX_INTERVAL = 60.0
"""Longest pause between two events, in seconds."""
Interval = Annotated[float, Query(ge=0, le=MAX_INTERVAL, examples=[0.2],
                                  description="Seconds between items (0 to 60).")]
"""Query parameter type of every pause between events, lines or frames."""
Count = Annotated[int, Query(ge=1, le=MAX_COUNT, description="Number of items (1 to 10,000,000).")]
"""Query parameter type of every event or line count."""
STOP_POLL = 0.05
"""Longest single sleep of a generator, so the stop event is seen within 50 ms."""

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
"""Headers of hand-written streams: no caching, no proxy buffering (nginx)."""


async def stop_event(request: Request) -> threading.Event:
    """The app's stop event (a dependency), set when the server shuts down.

    ``async`` on purpose: FastAPI runs plain-function dependencies in a worker thread,
    and the server must not start threads per request.
    """
    event: threading.Event = request.app.state.stop
    return event


Stop = Annotated[threading.Event, Depends(stop_event)]
"""Endpoint parameter type: the app's stop event, injected."""


async def wait_or_stop(stop: threading.Event, seconds: float) -> bool:
    """Sleep ``seconds`` in short slices; True as soon as ``stop`` is set.

    Why slices: the stop event is a ``threading.Event`` set from another thread, so an
    asyncio sleep cannot be woken by it; polling every 50 ms keeps shutdown quick.
    """
    if seconds <= 0:
        # Still yield to the loop: a generator that never awaits starves every other
        # connection (sending does not suspend while the socket keeps up).
        await asyncio.sleep(0)
        return stop.is_set()
    if stop.is_set():
        return True
    deadline = time.monotonic() + seconds
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return stop.is_set()
        await asyncio.sleep(min(STOP_POLL, remaining))
        if stop.is_set():
            return True


async def paced(count: int | None, interval: float, stop: threading.Event) -> AsyncIterator[int]:
    """Yield 1, 2, ... (up to ``count``, endless if None) with ``interval`` between them.

    The first item comes at once and there is no pause after the last, so a finite stream
    ends as soon as its last item is out; the stop event ends it early.
    """
    n = 0
    while count is None or n < count:
        if stop.is_set():
            return
        n += 1
        yield n
        if (count is None or n < count) and await wait_or_stop(stop, interval):
            return


class DeliberateDisconnect(Exception):
    """Raised inside a response generator to cut the connection mid-body on purpose.

    uvicorn closes the transport when an application fails after the response started,
    which leaves a truncated chunked body (or a body shorter than its Content-Length) on
    the wire: exactly the fault the client must report. The log filter below keeps this
    intended failure out of the server's error log.
    """


class _DropDeliberateDisconnect(logging.Filter):
    """Drops uvicorn's "Exception in ASGI application" records that are no bugs.

    Those are deliberate disconnects, and responses cancelled by a shutdown that could
    not wait for them (a client that stopped reading a flood); uvicorn still logs one line
    saying how many tasks it cancelled.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not _contains(exc, (DeliberateDisconnect, asyncio.CancelledError))


def _contains(exc: BaseException | None,
              kind: type[BaseException] | tuple[type[BaseException], ...]) -> bool:
    """Whether ``exc``, its causes or the groups it holds (anyio task groups) include ``kind``."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return True
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        todo.extend((current.__cause__, current.__context__))
    return False


def install_log_filter() -> None:
    """Install the deliberate-disconnect filter on uvicorn's error logger, once."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropDeliberateDisconnect) for f in logger.filters):
        logger.addFilter(_DropDeliberateDisconnect())


def docs(media_type: str, example: Any, *, try_it: str | None = None,
         body: Any = None) -> dict[str, Any]:
    """Route keyword arguments documenting a streaming response with an example.

    ``try_it`` (a path with query) and ``body`` land in the ``x-try-it`` OpenAPI extension:
    a request the window can send as is to show the endpoint at work quickly.
    """
    extra: dict[str, Any] = {}
    if try_it is not None:
        extra["x-try-it"] = {"path": try_it} | ({"body": body} if body is not None else {})
    return {
        "responses": {200: {"content": {media_type: {"example": example}},
                            "description": "The stream, as it arrives."}},
        "response_class": Response,
        "openapi_extra": extra or None,
    }
