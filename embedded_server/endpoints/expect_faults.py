"""Streams that break a stream expectation on purpose (``capture --expect``, ``# @expect``,
``stream-inspector test``): a late first event, a long gap, invalid JSON, keep-alives that
stop, and an OpenAI-style chat stream with one fault of choice (no ``[DONE]``, no finish
reason, bad tool-call arguments...).

Why: each expectation kind needs a stream that fails it, exactly and repeatably, so that the
examples of the README and the tests show a failure as a user would meet it; with their
defaults changed the same streams pass.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import StreamingResponse

from .._shared import MAX_INTERVAL, STREAM_HEADERS, Interval, Stop, docs, wait_or_stop
from .llm import ChatRequest, Delay, openai_frames, wants_reasoning
from .llm_model import ToolCall, expected_reply

router = APIRouter(prefix="/expect", tags=["expect"])

SSE = "text/event-stream"
MAX_EVENTS = 10_000
Events = Annotated[int, Query(ge=1, le=MAX_EVENTS, description="Events in all (1 to 10,000).")]
Wait = Annotated[float, Query(ge=0, le=MAX_INTERVAL, description="Seconds (0 to 60).")]
BAD_DATA = '{"n": 2, "text": "this event is cut'
"""The data of the event that ``/expect/invalid-json`` breaks (not JSON: unterminated)."""


def event(n: int, data: str | None = None) -> bytes:
    """SSE event ``n`` with JSON data (or ``data`` as given)."""
    text = data if data is not None else json.dumps({"n": n, "text": f"event {n}"})
    return f"id: {n}\ndata: {text}\n\n".encode()


def _sse(frames: AsyncIterator[bytes]) -> Response:
    return StreamingResponse(frames, media_type=SSE, headers=STREAM_HEADERS)


async def _waits(stop: Stop, plan: list[tuple[float, bytes]]) -> AsyncIterator[bytes]:
    """Each frame after its pause; ends early when the server stops."""
    for pause, frame in plan:
        if await wait_or_stop(stop, pause):
            return
        yield frame


@router.get(
    "/late-first-event",
    summary="The first event comes late (after a comment at once)",
    description=(
        "A comment line at once (so the response and its first byte are prompt), then "
        "`count` JSON events, the first after `delay` seconds and the rest `interval` apart. "
        "Fails `first_event < 500ms` with the default `delay=1`; passes with `delay=0`."
    ),
    **docs(SSE, ": connected\n\nid: 1\ndata: {\"n\": 1, \"text\": \"event 1\"}\n\n",
           try_it="/expect/late-first-event?delay=1"),
)
async def late_first_event(stop: Stop, delay: Wait = 1.0, count: Events = 3,
                           interval: Interval = 0.05) -> Response:
    """Why: time to first event is the figure users of streaming APIs watch first."""
    plan = [(0.0, b": connected\n\n")]
    plan += [(delay if n == 1 else interval, event(n)) for n in range(1, count + 1)]
    return _sse(_waits(stop, plan))


@router.get(
    "/long-gap",
    summary="A long gap between two events",
    description=(
        "`count` JSON events `interval` apart, except for a pause of `gap` seconds after event "
        "`after`. Fails `gap.max < 2s` with the default `gap=3`."
    ),
    **docs(SSE, "id: 1\ndata: {\"n\": 1, \"text\": \"event 1\"}\n\n",
           try_it="/expect/long-gap?gap=3&after=2&count=4"),
)
async def long_gap(stop: Stop, gap: Wait = 3.0,
                   after: Annotated[int, Query(ge=1, le=MAX_EVENTS,
                                               description="Events before the gap.")] = 2,
                   count: Events = 4, interval: Interval = 0.05) -> Response:
    """Why: a stall mid-stream is what a timeout-happy proxy or a slow model looks like."""
    plan = [(0.0 if n == 1 else gap if n == after + 1 else interval, event(n))
            for n in range(1, count + 1)]
    return _sse(_waits(stop, plan))


@router.get(
    "/invalid-json",
    summary="One event whose data is not JSON",
    description=(
        "`count` events `interval` apart whose data is a JSON object, except event `bad` "
        f"(data `{BAD_DATA}`). Fails `every event.data is json`; `bad=0` breaks none."
    ),
    **docs(SSE, f"id: 2\ndata: {BAD_DATA}\n\n", try_it="/expect/invalid-json?count=4&bad=2"),
)
async def invalid_json(stop: Stop, count: Events = 4,
                       bad: Annotated[int, Query(ge=0, le=MAX_EVENTS, description=(
                           "The event (1-based) that is not JSON; 0 for none."))] = 2,
                       interval: Interval = 0.05) -> Response:
    """Why: one malformed event among good ones is what breaks a client's JSON parsing."""
    plan = [(0.0 if n == 1 else interval, event(n, BAD_DATA if n == bad else None))
            for n in range(1, count + 1)]
    return _sse(_waits(stop, plan))


@router.get(
    "/keepalive",
    summary="Keep-alive comments that stop for a while",
    description=(
        "An event, then `pings` comment lines (`: ping`) `ping` seconds apart, then `quiet` "
        "seconds of silence, then a last event. Fails `comment.every < 1s` with `quiet=2`, "
        "passes with the default `quiet=0` and `ping` under a second."
    ),
    **docs(SSE, ": ping\n\n", try_it="/expect/keepalive?ping=0.5&pings=4&quiet=2"),
)
async def keepalive(stop: Stop, ping: Annotated[float, Query(
                        gt=0, le=MAX_INTERVAL, description="Seconds between pings.")] = 0.5,
                    pings: Annotated[int, Query(ge=0, le=MAX_EVENTS,
                                                description="Pings in all.")] = 4,
                    quiet: Wait = 0.0) -> Response:
    """Why: proxies close idle connections; a server's keep-alives are what keeps them."""
    plan = [(0.0, event(1))] + [(ping, b": ping\n\n")] * pings
    plan.append((quiet or ping, event(2)))
    return _sse(_waits(stop, plan))


Fault = Literal["none", "no-done", "no-finish", "late-first", "long-gap", "bad-json",
                "bad-arguments"]


@router.post(
    "/chat",
    summary="OpenAI-style chat completion with one fault of choice",
    description=(
        "The stream of `POST /v1/chat/completions` for the same body, with `fault`: "
        "`no-done` (no `data: [DONE]`), `no-finish` (no `finish_reason`), `late-first` "
        "(`wait` seconds before the first chunk), `long-gap` (`wait` seconds half-way), "
        "`bad-json` (one chunk cut short), `bad-arguments` (the tool call's arguments are `{}`, "
        "missing what the declared schema requires: declare a tool), or `none`."
    ),
    **docs(SSE, 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{'
           '"index":0,"delta":{"content":" Hello"},"finish_reason":null}]}\n\n',
           try_it="/expect/chat?fault=no-done&delay=0.02",
           body={"model": "demo", "stream": True,
                 "messages": [{"role": "user", "content": "Tell me about streams"}]}),
)
async def chat(stop: Stop, body: ChatRequest, fault: Fault = "no-done", delay: Delay = 0.02,
               wait: Wait = 1.0) -> Response:
    """Why: LLM expectations (``[DONE]``, finish reason, tool-call schema) need LLM streams
    that break them."""
    reply = expected_reply(body.messages, body.tools, wants_reasoning(body.model_extra))
    if fault == "bad-arguments":
        if reply.tool_call is None:
            raise HTTPException(422, "fault=bad-arguments needs a tool declared in `tools`")
        reply = dataclasses.replace(reply, tool_call=ToolCall(reply.tool_call.id,
                                                              reply.tool_call.name, "{}"))
    frames = openai_frames(body, reply, int(time.time()))
    if fault == "no-done":
        frames = frames[:-1]
    elif fault == "no-finish":
        frames = [f.replace(b'"finish_reason":"stop"', b'"finish_reason":null')
                  .replace(b'"finish_reason":"tool_calls"', b'"finish_reason":null')
                  for f in frames]
    elif fault == "bad-json":
        middle = len(frames) // 2
        frames[middle] = frames[middle][:len(frames[middle]) // 2].rstrip(b"\n") + b"\n\n"
    pauses = [delay] * len(frames)
    pauses[0] = wait if fault == "late-first" else 0.0
    if fault == "long-gap":
        pauses[len(frames) // 2] = wait
    return _sse(_waits(stop, list(zip(pauses, frames, strict=True))))
