"""httpx plumbing for the engine: shared clients, per-request timeouts, content decoding.

Kept apart from ``session`` so that the stream logic there reads without the httpx details.
"""

from __future__ import annotations

import ssl

import httpx
from httpx._decoders import SUPPORTED_DECODERS, ContentDecoder, MultiDecoder

from stream_core.net.errors import StreamError
from stream_core.net.netstream import buffered_transport
from stream_core.net.spec import RequestSpec

__all__ = ["Clients", "content_decoder", "raw_headers", "request_timeout"]


class Clients:
    """Shared ``httpx.AsyncClient`` objects, one per (TLS verification, HTTP/2) combination.

    httpx fixes ``verify`` and ``http2`` per client, so streams that differ there cannot share
    one; everything else (timeouts, redirects) is set per request. Clients are made on first
    use, so an app that never streams opens nothing. Call ``aclose()`` on quit.
    """

    def __init__(self, *, limits: httpx.Limits | None = None) -> None:
        self._limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20,
                                               keepalive_expiry=5.0)
        self._clients: dict[tuple[bool | str, bool], httpx.AsyncClient] = {}

    def for_spec(self, spec: RequestSpec) -> httpx.AsyncClient:
        key = (spec.verify, spec.http2)
        client = self._clients.get(key)
        if client is None:
            verify: bool | ssl.SSLContext = spec.verify if isinstance(spec.verify, bool) \
                else ssl.create_default_context(cafile=spec.verify)
            transport = buffered_transport(verify=verify, http2=spec.http2, limits=self._limits)
            client = httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(30.0))
            self._clients[key] = client
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


def request_timeout(spec: RequestSpec) -> httpx.Timeout:
    """Per-request timeouts: ``read`` bounds every wait for data, the first byte included."""
    t = spec.timeouts
    return httpx.Timeout(connect=t.connect, read=t.read, write=60.0, pool=t.connect)


def content_decoder(headers: httpx.Headers) -> ContentDecoder | None:
    """A decoder for the response's Content-Encoding, or None when the body is not encoded.

    httpx's own decoders are reused (same behaviour as ``aiter_bytes``) because chunks must be
    the wire bytes while the framing decoders need the decoded ones.
    """
    names = [v.strip().lower() for v in headers.get_list("content-encoding", split_commas=True)]
    names = [n for n in names if n and n != "identity"]
    if not names:
        return None
    unknown = [n for n in names if n not in SUPPORTED_DECODERS]
    if unknown:
        raise StreamError("decode", f"cannot decode Content-Encoding {unknown[0]!r}; "
                                    "request the stream uncompressed (--identity)")
    return MultiDecoder([SUPPORTED_DECODERS[n]() for n in names])


def raw_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw]
