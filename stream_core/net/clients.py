"""httpx plumbing for the engine: shared clients, per-request timeouts, content decoding.

Kept apart from ``session`` so that the stream logic there reads without the httpx details.
"""

from __future__ import annotations

import contextlib
import os
import re
import ssl
import urllib.request
import zlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Protocol, cast
from urllib.parse import urlsplit

import httpx
from httpx._decoders import ContentDecoder

from stream_core.net.arrival import ArrivalBackend, ArrivalReader
from stream_core.net.errors import StreamError, ViaProxy
from stream_core.net.netstream import buffered_transport
from stream_core.net.spec import DecodeGuard, RequestSpec

__all__ = ["BodyDecoder", "ClientCertificateError", "ClientSource", "Clients", "ProxyURLError",
           "content_decoder", "environment_proxy", "proxy_for", "raw_body", "raw_headers",
           "request_timeout", "tls_context"]


class ClientSource(Protocol):
    """What a stream needs to get its client: ``Clients``, or the window's lazy stand-in."""

    def for_spec(self, spec: RequestSpec) -> httpx.AsyncClient: ...

    async def prepare(self, spec: RequestSpec) -> None:
        """The client of ``spec`` made and the arrival reader reading: ready to send."""

    async def aclose(self) -> None: ...


class Clients:
    """Shared ``httpx.AsyncClient`` objects, one per (TLS verification, HTTP/2, client
    certificate, proxy) combination.

    httpx fixes ``verify``, ``http2``, the certificate and the proxy per client, so streams that differ there cannot share
    one; everything else (timeouts, redirects) is set per request. Clients are made on first
    use, so an app that never streams opens nothing. They all read through one arrival reader
    (``stream_core.net.arrival``), started with the first client. Call ``aclose()`` on quit.
    """

    def __init__(self, *, limits: httpx.Limits | None = None) -> None:
        self._limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20,
                                               keepalive_expiry=5.0)
        self._clients: dict[tuple[bool | str, bool, str | None, str | None, str | None],
                            httpx.AsyncClient] = {}
        self.arrival = ArrivalReader()

    def for_spec(self, spec: RequestSpec) -> httpx.AsyncClient:
        via = proxy_for(spec)  # ProxyURLError for a proxy URL that is not one
        proxy = via.url if via is not None else None
        key = (spec.verify, spec.http2, spec.cert, spec.cert_key, proxy)
        client = self._clients.get(key)
        if client is None:
            verify: bool | ssl.SSLContext = spec.verify if isinstance(spec.verify, bool) \
                else ssl.create_default_context(cafile=spec.verify)
            if spec.cert:
                verify = tls_context(spec)
            self.arrival.start()
            transport = buffered_transport(verify=verify, http2=spec.http2, limits=self._limits,
                                           proxy=proxy, backend=ArrivalBackend(self.arrival))
            client = httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(30.0))
            self._clients[key] = client
        return client

    async def prepare(self, spec: RequestSpec) -> None:
        self.for_spec(spec)
        await self.arrival.ready()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        try:
            for client in clients:
                await client.aclose()
        finally:
            await self.arrival.aclose()


class ClientCertificateError(ValueError):
    """A client certificate or key that cannot be loaded; the message names the file."""


def tls_context(spec: RequestSpec) -> ssl.SSLContext:
    """The TLS context of a request with a client certificate (mutual TLS)."""
    if spec.verify is False:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx = ssl.create_default_context(
            cafile=spec.verify if isinstance(spec.verify, str) else None)
    if spec.cert:
        try:
            ctx.load_cert_chain(spec.cert, spec.cert_key or None)
        except (OSError, ssl.SSLError) as exc:  # ssl.SSLError is an OSError
            raise ClientCertificateError(f"cannot load the client certificate {spec.cert!r}: "
                                         f"{exc}") from None
    return ctx


class ProxyURLError(ValueError):
    """A proxy URL that cannot be used; the message names it, and the variable it came from."""


_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
_HOST = re.compile(r"[A-Za-z0-9._~-]+")


def proxy_for(spec: RequestSpec) -> ViaProxy | None:
    """The proxy ``spec`` goes through (its own, else the environment's when it trusts it),
    checked; ProxyURLError, naming where it was set, when it is not a proxy URL."""
    if spec.proxy:
        return ViaProxy(check_proxy_url(spec.proxy, "the proxy"))
    if not spec.trust_env:
        return None
    found = _environment_proxy(spec.url)
    if found is None:
        return None
    name, value = found
    return ViaProxy(check_proxy_url(value, name), name)


def check_proxy_url(text: str, where: str) -> str:
    """``text`` as a proxy URL (``http://`` added when it has no scheme, as curl does), or
    ProxyURLError saying what is wrong: httpx would raise InvalidURL when the client is made,
    or fail at connect time with a message about the request's host instead."""
    value = text.strip()
    url = value if "://" in value else f"http://{value}"
    shown = repr(re.sub(r"^([^/]*//)[^/]*@", r"\1***@", value))  # user info may be a password
    expected = "use http://HOST:PORT, https://HOST:PORT or socks5://HOST:PORT"
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ProxyURLError(f"{where} {shown} is not a proxy URL: {exc}; {expected}") from None
    if parsed.scheme not in _PROXY_SCHEMES:
        raise ProxyURLError(f"{where} {shown} is not a proxy URL: scheme {parsed.scheme!r} is"
                            f" not supported; {expected}")
    host = parsed.host
    if not host or not (":" in host or _HOST.fullmatch(parsed.raw_host.decode("ascii"))):
        raise ProxyURLError(f"{where} {shown} is not a proxy URL: no valid host name; {expected}")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise ProxyURLError(f"{where} {shown} is not a proxy URL: port {parsed.port} is out of"
                            " range (1-65535)")
    try:
        httpx.Proxy(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ProxyURLError(f"{where} {shown} is not a proxy URL: {exc}") from None
    return url


def environment_proxy(url: str) -> str | None:
    """The proxy the environment names for ``url`` (``http_proxy``, ``https_proxy``,
    ``all_proxy``, upper case too), or None when there is none or ``no_proxy`` excludes the
    host: the rules curl and httpx follow, read through the standard library."""
    found = _environment_proxy(url)
    if found is None:
        return None
    proxy = found[1]
    return proxy if "://" in proxy else f"http://{proxy}"


def _environment_proxy(url: str) -> tuple[str, str] | None:
    """``(variable name, value)`` of the environment's proxy for ``url``, or None."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    key = parts.scheme if proxies.get(parts.scheme) else "all"
    proxy = proxies.get(key)
    if not proxy or not parts.hostname:
        return None
    if _bypassed(parts.hostname, proxies.get("no", "")):
        return None
    return _variable(key, proxy), proxy


def _variable(key: str, value: str) -> str:
    """The environment variable ``getproxies_environment`` took ``value`` from for ``key``
    (its lower-case name wins over the upper-case one, any other case comes last)."""
    for name in (f"{key}_proxy", f"{key.upper()}_PROXY"):
        if os.environ.get(name) == value:
            return name
    return next((name for name, v in os.environ.items()
                 if name.lower() == f"{key}_proxy" and v == value), f"{key.upper()}_PROXY")


def _bypassed(host: str, no_proxy: str) -> bool:
    """``no_proxy`` as curl reads it: ``*``, or host names matching exactly or as a domain
    suffix (a leading dot optional), ports ignored."""
    host = host.lower().strip("[]")
    for entry in no_proxy.split(","):
        name = entry.strip().lower()
        if name == "*":
            return True
        name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
        name = name.strip("[]").lstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def request_timeout(spec: RequestSpec) -> httpx.Timeout:
    """Per-request timeouts: ``read`` bounds every wait for data, the first byte included."""
    t = spec.timeouts
    return httpx.Timeout(connect=t.connect, read=t.read, write=60.0, pool=t.connect)


_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


class _Inflate:
    """One zlib layer, as httpx decodes it (``deflate`` may come without its zlib header)."""

    __slots__ = ("_retry_raw", "_z")

    def __init__(self, name: str) -> None:
        self._z = zlib.decompressobj(_WBITS[name])
        self._retry_raw = name == "deflate"

    def decode(self, data: bytes, limit: int) -> bytes:
        """At most ``limit`` bytes (0: no limit) of what ``data`` inflates to."""
        try:
            out = self._z.decompress(data, limit)
        except zlib.error as exc:
            if not self._retry_raw:
                raise httpx.DecodingError(str(exc)) from exc
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._z.decompress(data, limit)  # (a second failure is final)
        self._retry_raw = False
        return out

    def flush(self) -> bytes:
        try:
            return self._z.flush()
        except zlib.error as exc:
            raise httpx.DecodingError(str(exc)) from exc


class BodyDecoder(ContentDecoder):
    """A response's Content-Encoding undone, read by read, with a decompression guard.

    Once the decoded bytes pass ``guard.max_decoded`` they may be at most ``guard.max_ratio``
    times the wire bytes so far; past that the body is a decompression bomb: ``decode``
    StreamError. Each layer is asked for at most the bytes still allowed (zlib's
    ``max_length``), so a bomb costs no more memory than the guard allows, never what it
    would inflate to. Same results as httpx's decoders (``aiter_bytes``) otherwise.
    """

    def __init__(self, names: list[str], guard: DecodeGuard | None = None) -> None:
        self._layers = [_Inflate(n) for n in reversed(names)]  # the last coding applied first
        self._names = ", ".join(names)
        self._guard = guard if guard is not None and guard.enabled else None
        self.wire = 0
        self.decoded = 0

    def _allowed(self) -> int:
        guard = self._guard
        if guard is None:
            return 0
        by_ratio = int(self.wire * guard.max_ratio) if guard.max_ratio else 0
        return max(guard.max_decoded, by_ratio) - self.decoded

    def decode(self, data: bytes) -> bytes:
        self.wire += len(data)
        allowed = self._allowed()
        for layer in self._layers:
            data = layer.decode(data, allowed + 1 if self._guard is not None else 0)
            if self._guard is not None and len(data) > allowed:
                self._bomb()
        self.decoded += len(data)
        return data

    def flush(self) -> bytes:
        allowed = self._allowed()
        limit = allowed + 1 if self._guard is not None else 0
        data = b""
        for layer in self._layers:
            data = layer.flush() if not data else layer.decode(data, limit) + layer.flush()
        self.decoded += len(data)
        if self._guard is not None and self._allowed() < 0:
            self._bomb()
        return data

    def _bomb(self) -> None:
        guard = self._guard
        assert guard is not None
        raise StreamError("decode", f"the {self._names} body inflates to more than "
                                    f"{guard.max_ratio:g} times its {self.wire} bytes on the "
                                    f"wire, past {guard.max_decoded} bytes: stopped as a "
                                    "decompression bomb (--max-ratio, --max-decoded)")


def content_decoder(headers: httpx.Headers,
                    guard: DecodeGuard | None = None) -> BodyDecoder | None:
    """A decoder for the response's Content-Encoding, or None when the body is not encoded.

    Chunks stay the wire bytes while the framing decoders get the decoded ones.
    """
    names = [v.strip().lower() for v in headers.get_list("content-encoding", split_commas=True)]
    names = [n for n in names if n and n != "identity"]
    if not names:
        return None
    unknown = [n for n in names if n not in _WBITS]
    if unknown:
        raise StreamError("decode", f"cannot decode Content-Encoding {unknown[0]!r}; "
                                    "request the stream uncompressed (--identity)")
    return BodyDecoder(names, guard)


def raw_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw]


@contextlib.asynccontextmanager
async def raw_body(response: httpx.Response) -> AsyncIterator[AsyncIterator[bytes]]:
    """``response.aiter_raw()``; on every way out (the end, an error, a cancellation, a
    caller that stops early) the response is closed, then the iterator, on the running loop.

    The order matters, and rests on how httpx and httpcore (both bounded in pyproject) build
    the iterator: nested async generators, one per byte stream. Closing the outer one only
    drops the inner ones, which Python then closes synchronously where they are dropped or
    collected; their exception handlers close the response, which awaits httpcore's locks.
    Under a loop that finalizes no async generator (qasync installs no hooks) such a close
    stops at its first wait ("async generator ignored GeneratorExit"): the connection stays
    busy in the pool, and the half-run close fails with "no running event loop" when it is
    collected after the loop closed (at the window's exit). With the response closed first,
    those handlers find nothing left to await. A body read to its end was already closed by
    httpx: both closes are no-ops then. Guarded by tests/core/test_body_closing.py.
    """
    chunks = cast(AsyncGenerator[bytes, None], response.aiter_raw())
    try:
        yield chunks
    finally:
        try:
            await response.aclose()
        finally:
            await chunks.aclose()
