"""The SSE tour: every framing feature of Server-Sent Events, written by hand.

Why by hand: a library (sse-starlette) only emits the framing it knows; the tour has to show
what parsers must cope with: comments, ``retry:`` (valid and not), named events, multi-line
data, fields without a colon, ids kept across events, an event without an id after ids, an
empty id that resets, an event with no data (not dispatched), unknown fields, keep-alive pings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from .._shared import STREAM_HEADERS, Interval, Stop, docs, wait_or_stop

router = APIRouter(tags=["sse"])

PING = ": ping\n\n"
"""Keep-alive comment sent between the tour's frames while it pauses."""

TOUR_FRAMES: tuple[str, ...] = (
    ": welcome to the Stream Inspector SSE tour (this line is a comment)\n\n",
    "retry: 3000\n\n",
    "id: 1\ndata: a plain message with an id\n\n",
    'id: 2\nevent: greeting\ndata: {"hello": "world"}\n\n',
    "id: 3\nevent: poem\ndata: first line\ndata: second line\ndata: third line\n\n",
    "event: note\ndata: this event has no id field: the last event id stays 3\n\n",
    "id: 5\ndata:no space after the colon\n\n",
    "id: 6\ndata:  two spaces after the colon: one is kept\n\n",
    "id: 7\ndata\n\n",
    "id: 8\nevent: never-dispatched\n\n",
    "id: 9\ndata: unknown fields are ignored\nfoo: bar\n\n",
    "retry: soon\nid: 10\ndata: a retry that is not all digits is ignored\n\n",
    "id\ndata: an id field without a value resets the last event id\n\n",
    "id: 12\nevent: done\ndata: end of the tour\n\n",
)
"""The frames of the tour, in order, exactly as written on the wire (LF line ends)."""

TOUR_EVENTS: tuple[tuple[str, str, str], ...] = (
    ("message", "a plain message with an id", "1"),
    ("greeting", '{"hello": "world"}', "2"),
    ("poem", "first line\nsecond line\nthird line", "3"),
    ("note", "this event has no id field: the last event id stays 3", "3"),
    ("message", "no space after the colon", "5"),
    ("message", " two spaces after the colon: one is kept", "6"),
    ("message", "", "7"),
    ("message", "unknown fields are ignored", "9"),
    ("message", "a retry that is not all digits is ignored", "10"),
    ("message", "an id field without a value resets the last event id", ""),
    ("done", "end of the tour", "12"),
)
"""What a WHATWG-conforming parser dispatches for the tour: ``(event, data, last event id)``.

The only valid ``retry`` is 3000 (``retry: soon`` is ignored); frame 8 has no data and is
not dispatched, although its ``id: 8`` takes effect until frame 9 sets 9.
"""


@router.get(
    "/sse/tour",
    summary="SSE tour: every framing feature",
    description=(
        "Hand-written `text/event-stream`: comments, `retry:`, ids, named events, multi-line "
        "data, a field without a colon, an event without an id after ids, an empty id, an "
        "event without data, unknown fields and `: ping` keep-alives between frames. "
        "`interval` is the pause between frames."
    ),
    **docs("text/event-stream", "".join(TOUR_FRAMES[:4]), try_it="/sse/tour?interval=0.3"),
)
async def sse_tour(
    stop: Stop,
    interval: Interval = 0.5,
) -> Response:
    """Why: one stream that shows every rule of the SSE parser at work."""
    async def frames() -> AsyncIterator[bytes]:
        for n, frame in enumerate(TOUR_FRAMES):
            if stop.is_set():
                return
            yield frame.encode()
            if n + 1 < len(TOUR_FRAMES) and interval > 0:
                if await wait_or_stop(stop, interval / 2):
                    return
                yield PING.encode()
                if await wait_or_stop(stop, interval / 2):
                    return

    return StreamingResponse(frames(), media_type="text/event-stream", headers=STREAM_HEADERS)
