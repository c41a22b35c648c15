"""Fixtures of the server tests: one httpx client per test, over the real socket."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A plain httpx client (real sockets, long enough timeouts, no ASGITransport)."""
    with httpx.Client(timeout=httpx.Timeout(10.0)) as c:
        yield c
