"""The app's shared HTTP clients, with httpx imported at the first request.

Why: httpx and the engine take a few hundred ms to import (httpx pulls its CLI's rich and
click when they are installed); the window shows first and imports them after. Same two
methods as ``stream_core.net.session.Clients``, which does the work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from stream_core.net.session import Clients
    from stream_core.net.spec import RequestSpec

__all__ = ["LazyClients"]


class LazyClients:
    """``Clients`` made on first use; ``aclose()`` closes it if it was ever made."""

    def __init__(self) -> None:
        self._clients: Clients | None = None

    def for_spec(self, spec: RequestSpec) -> httpx.AsyncClient:
        if self._clients is None:
            from stream_core.net.session import Clients

            self._clients = Clients()
        return self._clients.for_spec(spec)

    async def prepare(self, spec: RequestSpec) -> None:
        self.for_spec(spec)
        assert self._clients is not None
        await self._clients.prepare(spec)

    async def aclose(self) -> None:
        if self._clients is not None:
            await self._clients.aclose()
