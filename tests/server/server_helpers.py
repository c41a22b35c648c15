"""Helpers of the server tests: read streams over the real socket, parse SSE text.

The SSE parser here is deliberately tiny and independent of ``stream_core`` (the server tests
check the server, not the engine); it follows the WHATWG rules the tour and faults exercise.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx


@dataclass
class Parsed:
    """Events ``(event, data, last event id)`` and valid ``retry`` values of an SSE text."""

    events: list[tuple[str, str, str]] = field(default_factory=list)
    retries: list[int] = field(default_factory=list)


def parse_sse(text: str) -> Parsed:
    """Parse a whole event stream (WHATWG "Interpreting an event stream")."""
    out = Parsed()
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not text.endswith("\n"):
        lines = lines[:-1]  # an unfinished last line is not a line
    else:
        lines = lines[:-1]
    data: list[str] = []
    event, last_id = "", ""
    for line in lines:
        if line == "":
            if data:
                out.events.append((event or "message", "\n".join(data), last_id))
            data, event = [], ""
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value.isdigit():
            out.retries.append(int(value))
    return out


@dataclass
class Received:
    """A response read to its end: status, headers, raw body and when each read came."""

    status: int
    headers: httpx.Headers
    body: bytes
    reads: list[tuple[float, bytes]]
    started: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def receive(client: httpx.Client, method: str, url: str, **kwargs: object) -> Received:
    """Stream ``url`` and keep every raw read with its arrival time (monotonic)."""
    started = time.monotonic()
    reads: list[tuple[float, bytes]] = []
    with client.stream(method, url, **kwargs) as response:  # type: ignore[arg-type]
        for raw in response.iter_raw():
            reads.append((time.monotonic(), raw))
        return Received(response.status_code, response.headers, b"".join(r for _, r in reads),
                        reads, started)
