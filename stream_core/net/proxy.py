"""A recording reverse proxy: forwards each request to a target and streams the answer back
read by read, while reporting every exchange as the engine reports a stream (records.py).

Why a raw ASGI app under uvicorn rather than a server of our own: uvicorn (h11) already does
HTTP/1.1 parsing, keep-alive, pipelining, flow control and timeouts, and its ``send`` of a body
chunk is flushed: it frames the chunk and calls ``transport.write`` at once (asyncio writes to
the socket right away when nothing is queued), waiting only when the client stops reading
(``tests/core/test_proxy.py`` checks that each piece reaches the client before the target sends
the next). The server side lives in ``proxy_server``, the records in ``proxy_records``, the
request checks in ``proxy_http``.

The forwarding path does the least per read: the bytes go to the client first, and only then
are they recorded (a ``Chunk``, and what the decoders make of them). Records go to an observer
per exchange, called on the proxy's loop; it must not block (the window's observer only
appends to a deque, see ``gui.window.proxy_actions``).

Faithfulness: method, path, query and body go to the target unchanged, headers too except the
hop-by-hop ones (RFC 9110 7.6.1) and ``Host``, which names the target; httpx adds nothing (the
request is built without client defaults, and the client keeps no cookies). The request target
goes out byte for byte (httpcore's ``target`` extension), to the target's scheme, host and port
only: a request target that is not a path is refused (``proxy_http.refusal``). Header names
arrive lowercased (uvicorn follows ASGI, which lowercases them; HTTP names are
case-insensitive), values byte for byte. The response comes back with its status, headers
(hop-by-hop dropped; ``Content-Length`` and ``Content-Encoding`` kept, the body is forwarded as
it came) and body. A target that cannot be reached gives 502 with a JSON body naming the cause;
a target that cuts the body cuts it for the client too (the connection is closed mid-body).

Every exchange ends with exactly one ``End``. A client that leaves stops its exchange: the
request to the target is closed (also while waiting for its answer) and the ``End`` says
``"stopped": "client"``. A client that leaves right after the last byte of a body, before the
target's end-of-body marker reached the proxy (an SDK that closes on ``data: [DONE]``), has
had the whole body: the proxy waits up to ``CLIENT_GONE_GRACE`` for that marker, forwarding
nothing more, and records the exchange as complete when it comes without more data.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import itertools
import json
import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from stream_core.net.arrival import ArrivalBackend, ArrivalReader, Origin
from stream_core.net.clients import raw_body, raw_headers
from stream_core.net.errors import Failure, classify
from stream_core.net.netstream import buffered_transport
from stream_core.net.proxy_http import (
    Refusal,
    base_url_hint,
    check_target,
    forward_request_headers,
    forward_response_headers,
    refusal,
    request_target,
)
from stream_core.net.proxy_records import Exchange, ExchangeObserver, ExchangeRecorder
from stream_core.records import Error

__all__ = ["CLIENT_GONE_GRACE", "MAX_RECORDED_BODY", "Exchange", "ExchangeObserver",
           "ExchangeRecorder", "ProxyApp", "base_url_hint", "check_target", "upstream_client"]

log = logging.getLogger(__name__)

#: Request bodies are kept for the records (captures' ``request_body_b64``) up to this size.
MAX_RECORDED_BODY = 16 * 1024 * 1024
#: How long a target may take, after its client left, to end a body the client had whole.
CLIENT_GONE_GRACE = 2.0

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class _NoCookies(http.cookiejar.CookieJar):
    """A cookie jar that keeps nothing: a proxy passes ``Set-Cookie`` on to its client and
    stores none (httpx's jar grew with every upstream ``Set-Cookie``, and each response then
    walked all of them: 9,000 cookies stalled every exchange for seconds)."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        return None


def upstream_client(verify: bool | str | ssl.SSLContext,
                    arrival: ArrivalReader | None = None) -> httpx.AsyncClient:
    """The proxy's one client to its target: the engine's buffered network backend (its reads
    timed by ``arrival``, when given), no environment proxies, no redirects followed, no
    cookies kept. Requests are made with
    ``httpx.Request`` directly, so none of the client's default headers (Accept,
    Accept-Encoding, User-Agent...) go out: only the app's."""
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=20,
                          keepalive_expiry=5.0)
    if isinstance(verify, str):  # a CA bundle
        verify = ssl.create_default_context(cafile=verify)
    return httpx.AsyncClient(
        transport=buffered_transport(
            verify=verify, http2=False, limits=limits,
            backend=ArrivalBackend(arrival) if arrival is not None else None),
        trust_env=False, follow_redirects=False, cookies=_NoCookies())


class _ClientGone(Exception):
    """The client left while sending its request body."""


class _Client:
    """The client's side of one exchange: its body as it comes, and whether it left.

    Only one task may wait on ASGI's ``receive``: the body's iterator while the body comes,
    then (``watch``) a watcher for ``http.disconnect``, which sets ``gone``.
    """

    def __init__(self, receive: Receive) -> None:
        self.receive = receive
        self.gone = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    def watch(self) -> None:
        if self._watcher is None:
            self._watcher = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        while (await self.receive())["type"] != "http.disconnect":
            pass
        self.gone.set()

    async def aclose(self) -> None:
        watcher = self._watcher
        if watcher is not None and not watcher.done():
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


class ProxyApp:
    """The ASGI app: forwards every HTTP request to ``target`` and records each exchange."""

    def __init__(self, target: str, on_exchange: ExchangeObserver, *,
                 verify: bool | str | ssl.SSLContext = True, connect_timeout: float = 10.0,
                 read_timeout: float | None = None) -> None:
        self.target = check_target(target)
        parts = urlsplit(self.target)
        # Where requests go: the target's scheme, host and port, nothing else. The proxy's
        # paths are the target's (/v1/chat/completions goes to the target's
        # /v1/chat/completions: its base path is what the app's base URL ends with).
        self.host = parts.netloc.rsplit("@", 1)[-1]
        self.origin = f"{parts.scheme}://{self.host}"
        self.upstream = httpx.URL(f"{parts.scheme}://{parts.netloc}/")  # user info: Basic auth
        self.on_exchange = on_exchange
        self.timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=60.0,
                                     pool=connect_timeout)
        # The target's bytes are read (and timed) by an arrival reader of the proxy's own,
        # started when the proxy serves (``proxy_server.serve``), closed with it (``aclose``).
        self.arrival = ArrivalReader()
        self.client = upstream_client(verify, self.arrival)
        self._ids = itertools.count(1)
        self._active: set[asyncio.Task[Any]] = set()  # exchanges under way
        self.stopping = False

    async def aclose(self) -> None:
        try:
            await self.client.aclose()
        finally:
            await self.arrival.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        await self.forward(scope, receive, send)

    def cut_all(self) -> None:
        """The proxy stops: end the exchanges under way (the clients see them cut)."""
        self.stopping = True
        for task in list(self._active):
            task.cancel()

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One exchange, whatever happens: exactly one ``End``, and never a traceback for
        the client (a failure of the proxy itself is logged and answered 502)."""
        target = request_target(scope)
        asked = target.decode("latin-1")
        refused = refusal(scope)
        origin = Origin.now()  # t = 0: ``started`` and the records' times read together
        exchange = Exchange(next(self._ids), scope["method"], asked,
                            "" if refused else self.origin + asked, origin.wall)
        rec = ExchangeRecorder(self.on_exchange(exchange), origin.mono)
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        try:
            if refused is not None:
                await self._refuse(send, rec, exchange, refused)
            else:
                await self._forward(scope, receive, send, rec, exchange, target)
        except asyncio.CancelledError:
            if not rec.ended:
                rec.emit(Error(rec.now(), "cancelled", "the proxy stopped"))
                rec.end(False, stopped="interrupted")
            if not self.stopping:
                raise
            # Stopped by ``cut_all``: returning mid-body makes uvicorn close the connection.
        except Exception as exc:  # a failure of the proxy itself (logged with its traceback)
            log.exception("exchange %d (%s %s) failed", exchange.id, exchange.method,
                          asked[:200])
            failure = Failure("protocol", f"the proxy failed: {type(exc).__name__}: {exc}")
            if exchange.status is None and not rec.ended:
                with contextlib.suppress(Exception):
                    await self._answer(send, 502, "bad gateway", failure)
                    exchange.status = 502
            if not rec.ended:
                rec.error(failure)
        finally:
            if task is not None:
                self._active.discard(task)
            if exchange.duration is None:
                exchange.duration = rec.now()
            if not rec.ended:
                rec.end(False)

    async def _forward(self, scope: Scope, receive: Receive, send: Send, rec: ExchangeRecorder,
                       exchange: Exchange, target: bytes) -> None:
        client = _Client(receive)
        try:
            first = await receive()
            body: bytes | AsyncIterator[bytes]
            if first.get("more_body") or first["type"] == "http.disconnect":
                body = self._body(first, client, exchange)
            else:
                body = exchange.request_body = first.get("body", b"")
                exchange.body_done = True
                client.watch()
            request = httpx.Request(exchange.method, self.upstream, content=body,
                                    headers=forward_request_headers(scope["headers"], self.host))
            # The request target as the client sent it, byte for byte (httpcore's ``target``
            # extension); scheme, host and port are the target's alone.
            request.extensions["target"] = target
            request.extensions["timeout"] = self.timeout.as_dict()
            rec.request(exchange.method, exchange.url, raw_headers(request.headers))
            response = await self._send(request, client, rec, exchange, send)
            if response is None:
                return
            try:
                await self._relay(response, client, send, rec, exchange)
            finally:
                await response.aclose()
        finally:
            await client.aclose()

    async def _send(self, request: httpx.Request, client: _Client, rec: ExchangeRecorder,
                    exchange: Exchange, send: Send) -> httpx.Response | None:
        """The target's response (headers); None when the exchange ended before it (the
        client left: the request to the target is closed; or 502 when it failed)."""
        sending = asyncio.ensure_future(self.client.send(request, stream=True))
        gone = asyncio.ensure_future(client.gone.wait())
        try:
            await asyncio.wait({sending, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            if not sending.done():
                sending.cancel()
            await asyncio.wait({sending, gone})
        if client.gone.is_set():
            if not sending.cancelled() and sending.exception() is None:
                await sending.result().aclose()
            exchange.duration = rec.now()
            rec.end(False, stopped="client")
            return None
        exc = sending.exception()
        if exc is None:
            return sending.result()
        if not isinstance(exc, httpx.HTTPError | OSError):
            raise exc
        failure = classify(exc, request.url, read_timeout=self.timeout.read,
                           connect_timeout=self.timeout.connect)
        await self._answer(send, 502, "bad gateway", failure)
        exchange.status = 502
        exchange.duration = rec.now()
        rec.error(failure)
        rec.end(False)
        return None

    async def _body(self, first: Message, client: _Client,
                    exchange: Exchange) -> AsyncIterator[bytes]:
        """The client's body as it comes (kept for the records up to MAX_RECORDED_BODY)."""
        kept: list[bytes] | None = []
        size = 0
        message = first
        while True:
            if message["type"] == "http.disconnect":
                client.gone.set()
                raise _ClientGone("the client closed the connection while sending its body")
            data = message.get("body", b"")
            size += len(data)
            if kept is not None:
                if size <= MAX_RECORDED_BODY:
                    kept.append(data)
                else:
                    kept = None
            if data:
                yield data
            if not message.get("more_body"):
                break
            message = await client.receive()
        exchange.request_body = b"".join(kept) if kept is not None else None
        exchange.body_done = True
        client.watch()

    async def _answer(self, send: Send, status: int, error: str, failure: Failure) -> None:
        """The proxy's own answer: a JSON body naming the cause; the connection is closed."""
        body = json.dumps({"error": error, "kind": failure.kind, "message": failure.message,
                           "target": self.target}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close"),
                                (b"x-stream-inspector-proxy", b"error")]})
        await send({"type": "http.response.body", "body": body})

    async def _refuse(self, send: Send, rec: ExchangeRecorder, exchange: Exchange,
                      refused: Refusal) -> None:
        failure = Failure("protocol", refused.message)
        await self._answer(send, refused.status, refused.reason, failure)
        exchange.status = refused.status
        exchange.duration = rec.now()
        rec.error(failure)
        rec.end(False)

    async def _relay(self, response: httpx.Response, client: _Client, send: Send,
                     rec: ExchangeRecorder, exchange: Exchange) -> None:
        exchange.status = response.status_code
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": forward_response_headers(response.headers.raw)})
        rec.response(response.status_code, response.reason_phrase, response.http_version,
                     raw_headers(response.headers), response.extensions.get("network_stream"))
        pump = asyncio.ensure_future(self._pump(response, send, rec, exchange, client))
        gone = asyncio.ensure_future(client.gone.wait())
        try:
            await asyncio.wait({pump, gone}, return_when=asyncio.FIRST_COMPLETED)
            if not pump.done():
                # The client left. If it had the whole body already, the target's end of it
                # is on its way: wait for it (the pump forwards nothing more meanwhile).
                await asyncio.wait({pump}, timeout=CLIENT_GONE_GRACE)
        finally:
            for task in (pump, gone):
                if not task.done():
                    task.cancel()
            await asyncio.wait({pump, gone})
        exchange.duration = rec.now()
        if not rec.ended:
            rec.end(False, stopped="client")

    async def _pump(self, response: httpx.Response, send: Send, rec: ExchangeRecorder,
                    exchange: Exchange, client: _Client) -> None:
        try:
            async with raw_body(response) as chunks:
                async for raw in chunks:
                    if client.gone.is_set():
                        return  # data the client never got: its exchange stops here
                    t = rec.arrived()  # before the client, which may be slow, takes it
                    await send({"type": "http.response.body", "body": raw, "more_body": True})
                    exchange.bytes += len(raw)
                    rec.chunk(raw, t)
        except (httpx.HTTPError, OSError) as exc:
            # Returning without the final body message makes uvicorn close the connection:
            # the client's body is cut where the target's was.
            rec.error(classify(exc, response.url, read_timeout=self.timeout.read))
            rec.end(False)
            return
        if not client.gone.is_set():
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        rec.end(True)
