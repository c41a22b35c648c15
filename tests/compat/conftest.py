"""Fixtures of the compatibility tests: an echo server, and sending a saved request with the
engine exactly as ``capture --from`` does."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from stream_core.net.session import Clients, run
from stream_core.net.spec import RequestSpec
from tests.compat.echo import EchoServer, Seen


@pytest.fixture()
def echo() -> Iterator[EchoServer]:
    with EchoServer() as server:
        yield server


def send(spec: RequestSpec, server: EchoServer) -> Seen:
    """Send ``spec`` with the engine; what the echo server received."""

    async def go() -> None:
        clients = Clients()
        try:
            await run(clients, spec, lambda _record: None)
        finally:
            await clients.aclose()

    asyncio.run(go())
    seen = server.take()
    assert len(seen) == 1, seen
    return seen[0]
