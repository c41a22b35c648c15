"""A recording reverse proxy: forwards each request to a target and streams the answer back
read by read, while reporting every exchange as the engine reports a stream (records.py).

Why uvicorn with a raw ASGI app rather than a server of our own: uvicorn (h11) already does
HTTP/1.1 parsing, keep-alive, pipelining, flow control and timeouts, and its ``send`` of a body
chunk is flushed: it frames the chunk and calls ``transport.write`` at once (asyncio writes to
the socket right away when nothing is queued), waiting only when the client stops reading
(``tests/core/test_proxy.py`` checks that each piece reaches the client before the target sends
the next). httpx reads the target through the engine's buffered backend (``netstream``).

The forwarding path does the least per read: the bytes go to the client first, and only then
are they recorded (a ``Chunk``, and what the decoders make of them). Records go to an observer
per exchange, called on the proxy's loop; it must not block (the window's observer only
appends to a deque, see ``gui.window.proxy_actions``).

Faithfulness: method, path, query and body go to the target unchanged, headers too except the
hop-by-hop ones (RFC 9110 7.6.1) and ``Host``, which names the target; httpx adds nothing (the
request is built without client defaults). Header names arrive lowercased (uvicorn follows
ASGI, which lowercases them; HTTP names are case-insensitive), values byte for byte. The response comes back with its status, headers
(hop-by-hop dropped; ``Content-Length`` and ``Content-Encoding`` kept, the body is forwarded as
it came) and body. A target that cannot be reached gives 502 with a JSON body naming the cause;
a target that cuts the body cuts it for the client too (the connection is closed mid-body).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

import httpx

from stream_core.decode.detect import Mode, detect_mode, needs_sniff
from stream_core.decode.lines import LineDecoder, NDJSONDecoder
from stream_core.decode.sse import SSEDecoder
from stream_core.net.arrival import ArrivalBackend, ArrivalReader, Origin, Timed, clock_of
from stream_core.net.clients import content_decoder, raw_body, raw_headers
from stream_core.net.errors import Failure, StreamError, classify
from stream_core.net.netstream import buffered_transport
from stream_core.records import (
    AnyRecord,
    Chunk,
    End,
    Error,
    Event,
    Observer,
    Progress,
    Record,
    Request,
    Response,
)

__all__ = ["HOP_BY_HOP", "Exchange", "ExchangeRecorder", "ProxyApp", "ProxyThread",
           "base_url_hint", "check_target", "serve"]

log = logging.getLogger(__name__)

#: Headers that belong to one connection, not to the message (RFC 9110 7.6.1), never forwarded.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
                        "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"})
#: Request bodies are kept for the records (captures' ``request_body_b64``) up to this size.
MAX_RECORDED_BODY = 16 * 1024 * 1024
PROGRESS_INTERVAL = 0.1
_CUT = "ASGI callable returned without completing response."

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class _Decoder(Protocol):
    def feed(self, data: bytes, t: float, chunk_seq: int) -> Sequence[AnyRecord]: ...

    def close(self, t: float) -> Sequence[AnyRecord]: ...


def check_target(target: str) -> str:
    """The target base URL without a trailing slash; ValueError when it is not http(s)."""
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the target must be an http:// or https:// URL, not {target!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"the target is a base URL: no query or fragment ({target!r})")
    return target.rstrip("/")


def base_url_hint(target: str, proxy_url: str) -> str:
    """The line to give an app: ``OPENAI_BASE_URL=...`` for a ``/v1`` target, else ``BASE_URL``."""
    path = urlsplit(target).path.rstrip("/")
    name = "OPENAI_BASE_URL" if path.endswith("/v1") else "BASE_URL"
    return f"{name}={proxy_url}{path}"


def _connection_tokens(headers: Sequence[tuple[bytes, bytes]]) -> set[str]:
    """Header names listed in ``Connection`` (hop-by-hop for this message too)."""
    out: set[str] = set()
    for k, v in headers:
        if k.lower() == b"connection":
            out.update(t.strip().lower() for t in v.decode("latin-1").split(",") if t.strip())
    return out


def forward_request_headers(headers: Sequence[tuple[bytes, bytes]],
                            host: str) -> list[tuple[bytes, bytes]]:
    """The client's headers as they go to the target: hop-by-hop dropped, ``Host`` rewritten."""
    drop = HOP_BY_HOP | _connection_tokens(headers) | {"host"}
    out = [(b"host", host.encode("latin-1"))]
    out += [(k, v) for k, v in headers if k.decode("latin-1").lower() not in drop]
    return out


def forward_response_headers(headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    drop = HOP_BY_HOP | _connection_tokens(headers)
    return [(k, v) for k, v in headers if k.decode("latin-1").lower() not in drop]


@dataclass(slots=True)
class Exchange:
    """One request through the proxy, as the observer factory is told of it.

    ``request_body`` is set once the client's body has been read whole (None when larger than
    ``MAX_RECORDED_BODY``); ``status``, ``bytes`` and ``duration`` as the exchange goes.
    """

    id: int
    method: str
    target: str  # path and query as the client asked
    url: str  # the target URL it went to
    started: float  # wall clock
    request_body: bytes | None = None
    body_done: bool = False
    status: int | None = None
    bytes: int = 0
    duration: float | None = None


class ExchangeRecorder:
    """Turns one exchange into records, the engine's way (``session``): Request, Response (its
    ``mode`` resolved from the headers, or the first read when they do not tell), a Chunk per
    read with the decoders' Events/Records/Retries after it, Progress for downloads, Error when
    something fails, and exactly one End, last."""

    def __init__(self, emit: Observer, t0: float | None = None) -> None:
        self.emit = emit
        self.t0 = time.monotonic() if t0 is None else t0  # (monotonic) t = 0
        self.timed: Timed | None = None  # the target's connection, when its reads are timed
        self.chunks = self.offset = self.events = 0
        self.decoder: _Decoder | None = None
        self.decoding: Any = None  # httpx ContentDecoder for the records (wire bytes forwarded)
        self.mode: Mode | None = None
        self.pending: Response | None = None  # waits for the first read to resolve its mode
        self.download = False
        self.total: int | None = None
        self.last_progress = -1.0
        self.failed = False
        self.ended = False

    def now(self) -> float:
        return time.monotonic() - self.t0

    def arrived(self) -> float:
        """When the target's bytes last read arrived (arrival reader), else now."""
        return self.timed.last_t - self.t0 if self.timed is not None else self.now()

    def request(self, method: str, url: str, headers: list[tuple[str, str]]) -> None:
        self.emit(Request(self.now(), method, url, headers))

    def response(self, status: int, reason: str, http_version: str,
                 headers: list[tuple[str, str]], network_stream: Any = None) -> None:
        self.timed = clock_of(network_stream)
        h = httpx.Headers(headers)
        ctype, cdisp = h.get("content-type"), h.get("content-disposition")
        try:
            self.decoding = content_decoder(h)
        except StreamError:
            self.decoding = None  # forwarded as it is; the records show the wire bytes only
        record = Response(self.arrived(), status, reason, http_version, headers, "",
                          "arrival" if self.timed is not None else "read")
        length = h.get("content-length", "")
        self.total = int(length) if length.isdigit() else None
        if status >= 400:
            self._resolve(record, Mode.LINES)
        elif needs_sniff(ctype, cdisp):
            self.pending = record
        else:
            self._resolve(record, detect_mode(ctype, cdisp, b""))

    def _resolve(self, record: Response, mode: Mode) -> None:
        record.mode = mode.value
        self.mode, self.pending = mode, None
        self.download = mode is Mode.DOWNLOAD
        if mode is Mode.SSE:
            self.decoder = SSEDecoder()
        elif mode is Mode.NDJSON:
            self.decoder = NDJSONDecoder()
        elif mode is Mode.LINES:
            self.decoder = LineDecoder()
        self.emit(record)

    def _decoded(self, raw: bytes) -> bytes:
        if self.decoding is None:
            return raw
        try:
            return cast(bytes, self.decoding.decode(raw))
        except httpx.DecodingError as exc:
            self.decoding = None
            self.decoder = None
            self.error(Failure("decode", f"could not decode the body: {exc}"))
            return b""

    def chunk(self, raw: bytes, t: float) -> None:
        """One read of the target's body, which arrived at ``t``."""
        seq = self.chunks
        data = raw
        if self.pending is not None:
            data = self._decoded(raw)
            pending = self.pending
            h = httpx.Headers(pending.headers)
            self._resolve(pending, detect_mode(h.get("content-type"),
                                               h.get("content-disposition"), data))
        elif self.decoding is not None:
            data = self._decoded(raw)
        self.emit(Chunk(seq, t, self.offset, raw))
        self.chunks = seq + 1
        self.offset += len(raw)
        if self.decoder is not None and data:
            self._records(self.decoder.feed(data, t, seq))
        if self.download and t - self.last_progress >= PROGRESS_INTERVAL:
            self.progress(t)

    def _records(self, records: Sequence[AnyRecord]) -> None:
        for rec in records:
            if isinstance(rec, Event | Record):
                self.events += 1
            self.emit(rec)

    def progress(self, t: float) -> None:
        self.last_progress = t
        rate = self.offset / t if t > 0 else 0.0
        self.emit(Progress(t, self.offset, self.total, rate))

    def error(self, failure: Failure) -> None:
        self.failed = True
        self.emit(Error(self.now(), failure.kind, failure.message))

    def end(self, complete: bool) -> End:
        """The End record (once); flushes the decoders first for a complete body."""
        t = self.arrived() if complete and not self.failed else self.now()
        if self.pending is not None:
            self._resolve(self.pending, Mode.RAW)
        if complete and self.decoder is not None:
            tail = b""
            if self.decoding is not None:
                with contextlib.suppress(httpx.DecodingError):
                    tail = self.decoding.flush()
            out = list(self.decoder.feed(tail, t, self.chunks - 1)) if tail else []
            out.extend(self.decoder.close(t))
            self._records(out)
        if self.download:
            self.progress(t)
        end = End(t, self.offset, self.chunks, self.events, t, complete and not self.failed,
                  extra={"clock": "arrival" if self.timed is not None else "read"})
        self.ended = True
        self.emit(end)
        return end


#: Told of each new exchange; returns the observer of that exchange's records.
ExchangeObserver = Callable[[Exchange], Observer]


def _is_cut_message(record: logging.LogRecord) -> bool:
    return record.getMessage() != _CUT


class ProxyApp:
    """The ASGI app: forwards every HTTP request to ``target`` and records each exchange."""

    def __init__(self, target: str, on_exchange: ExchangeObserver, *,
                 verify: bool | str | ssl.SSLContext = True, connect_timeout: float = 10.0,
                 read_timeout: float | None = None) -> None:
        self.target = check_target(target)
        parts = urlsplit(self.target)
        self.host = parts.netloc.rsplit("@", 1)[-1]
        # The proxy's paths are the target's: /v1/chat/completions goes to the target's
        # /v1/chat/completions (its base path is what the app's base URL ends with).
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.on_exchange = on_exchange
        self.timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=60.0,
                                     pool=connect_timeout)
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=20,
                              keepalive_expiry=5.0)
        # Built without httpx's client defaults (Accept, Accept-Encoding, User-Agent...):
        # requests are made with httpx.Request directly, so only the client's headers go out.
        if isinstance(verify, str):  # a CA bundle
            verify = ssl.create_default_context(cafile=verify)
        # The target's bytes are read (and timed) by an arrival reader of the proxy's own,
        # started when the proxy serves (``serve``), closed with it (``aclose``).
        self.arrival = ArrivalReader()
        self.client = httpx.AsyncClient(
            transport=buffered_transport(verify=verify, http2=False, limits=limits,
                                         backend=ArrivalBackend(self.arrival)),
            trust_env=False, follow_redirects=False)
        self._ids = itertools.count(1)
        self._active: set[asyncio.Task[Any]] = set()  # exchanges streaming a response
        self.stopping = False
        self.exchanges: list[Exchange] = []

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

    def _url(self, scope: Scope) -> tuple[str, str]:
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        asked = path + (f"?{query}" if query else "")
        return asked, self.origin + asked

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked, url = self._url(scope)
        method = scope["method"]
        origin = Origin.now()  # t = 0: ``started`` and the records' times read together
        exchange = Exchange(next(self._ids), method, asked, url, origin.wall)
        self.exchanges.append(exchange)
        rec = ExchangeRecorder(self.on_exchange(exchange), origin.mono)
        headers = forward_request_headers(scope["headers"], self.host)
        first = await receive()
        body: bytes | AsyncIterator[bytes]
        if first.get("more_body"):
            body = self._body(first, receive, exchange)
        else:
            whole: bytes = first.get("body", b"")
            body = exchange.request_body = whole
            exchange.body_done = True
        try:
            request = httpx.Request(method, url, headers=headers, content=body)
        except (httpx.HTTPError, ValueError, TypeError) as exc:  # an URL httpx refuses
            await self._bad_gateway(send, rec, exchange, Failure("connect", f"cannot forward"
                                                                 f" {asked!r}: {exc}"))
            return
        request.extensions["timeout"] = self.timeout.as_dict()
        rec.request(method, url, raw_headers(request.headers))
        try:
            response = await self.client.send(request, stream=True)
        except (httpx.HTTPError, OSError) as exc:
            await self._bad_gateway(send, rec, exchange, classify(
                exc, url, read_timeout=self.timeout.read, connect_timeout=self.timeout.connect))
            return
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        try:
            await self._relay(response, receive, send, rec, exchange)
        except asyncio.CancelledError:
            if not rec.ended:
                rec.emit(Error(rec.now(), "cancelled", "the proxy stopped"))
                rec.end(False)
            if not self.stopping:
                raise
            # Stopped by ``cut_all``: returning mid-body makes uvicorn close the connection.
        finally:
            if task is not None:
                self._active.discard(task)
            await response.aclose()

    def cut_all(self) -> None:
        """The proxy stops: end the exchanges still streaming (the clients see them cut)."""
        self.stopping = True
        for task in list(self._active):
            task.cancel()

    async def _body(self, first: Message, receive: Receive,
                    exchange: Exchange) -> AsyncIterator[bytes]:
        kept: list[bytes] | None = []
        size = 0
        message = first
        while True:
            if message["type"] == "http.disconnect":
                raise httpx.ReadError("the client closed the connection while sending its body")
            data = message.get("body", b"")
            size += len(data)
            if kept is not None:
                kept = kept + [data] if size <= MAX_RECORDED_BODY else None
            if data:
                yield data
            if not message.get("more_body"):
                break
            message = await receive()
        exchange.request_body = b"".join(kept) if kept is not None else None
        exchange.body_done = True

    async def _bad_gateway(self, send: Send, rec: ExchangeRecorder, exchange: Exchange,
                           failure: Failure) -> None:
        rec.error(failure)
        exchange.status = 502
        body = json.dumps({"error": "bad gateway", "kind": failure.kind,
                           "message": failure.message, "target": self.target}).encode()
        await send({"type": "http.response.start", "status": 502,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"x-stream-inspector-proxy", b"error")]})
        await send({"type": "http.response.body", "body": body})
        exchange.duration = rec.now()
        rec.end(False)

    async def _relay(self, response: httpx.Response, receive: Receive, send: Send,
                     rec: ExchangeRecorder, exchange: Exchange) -> None:
        exchange.status = response.status_code
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": forward_response_headers(response.headers.raw)})
        rec.response(response.status_code, response.reason_phrase, response.http_version,
                     raw_headers(response.headers), response.extensions.get("network_stream"))
        pump = asyncio.ensure_future(self._pump(response, send, rec, exchange))
        # The client going away (http.disconnect) stops the exchange; uvicorn's send() is
        # silent after a disconnect, so without this an endless stream would run on.
        watch = asyncio.ensure_future(self._disconnected(receive, exchange)) \
            if exchange.body_done else None
        try:
            waiting = {pump} if watch is None else {pump, watch}
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pump, watch):
                if task is not None and not task.done():
                    task.cancel()
            await asyncio.wait({t for t in (pump, watch) if t is not None})
        exchange.duration = rec.now()
        if not rec.ended:  # the client left
            rec.emit(Error(rec.now(), "cancelled", "the client closed the connection"))
            rec.end(False)

    async def _disconnected(self, receive: Receive, exchange: Exchange) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    async def _pump(self, response: httpx.Response, send: Send, rec: ExchangeRecorder,
                    exchange: Exchange) -> None:
        try:
            async with raw_body(response) as chunks:
                async for raw in chunks:
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
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        rec.end(True)


#: Bytes the proxy may hold for a client that reads slower than the target sends, before it
#: waits (asyncio's default, 64 KiB, made the proxy stall and wake per 64 KiB of a download).
WRITE_HIGH_WATER = 1024 * 1024


def _protocol() -> Any:
    """uvicorn's h11 protocol with a larger write buffer on each client connection."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class _Protocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn narrows BaseTransport
            super().connection_made(transport)
            transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)

    return _Protocol


def _config(app: ProxyApp) -> Any:
    import uvicorn

    logging.getLogger("uvicorn.error").addFilter(_is_cut_message)
    return uvicorn.Config(app, http=_protocol(), lifespan="off", log_config=None,
                          log_level="warning", access_log=False, server_header=False,
                          date_header=False, timeout_graceful_shutdown=1)


def _server(app: ProxyApp, ready: Callable[[], None]) -> Any:
    import uvicorn

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            ready()

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            app.cut_all()  # streams never end by themselves: no graceful wait for them
            await super().shutdown(sockets=sockets)
            for connection in list(self.server_state.connections):
                transport = getattr(connection, "transport", None)
                if transport is not None:
                    transport.abort()
            await asyncio.sleep(0)

    return _Server(_config(app))


def bind(host: str, port: int) -> socket.socket:
    sock = socket.create_server((host, port), reuse_port=False)
    sock.listen(1024)
    return sock


async def serve(app: ProxyApp, sock: socket.socket, ready: Callable[[], None],
                server_out: list[Any] | None = None) -> None:
    """Serve ``app`` on the bound ``sock`` until the uvicorn server is told to exit."""
    server = _server(app, ready)
    if server_out is not None:
        server_out.append(server)
    app.arrival.start()
    try:
        await server.serve(sockets=[sock])
    finally:
        await app.aclose()


class ProxyThread:
    """The proxy in a thread of its own with its own asyncio loop (for the window).

    ``start()`` binds ``host:port`` (0: a free port), starts the thread and waits until the
    proxy accepts connections; ``stop()`` ends it within about a second, streams included.
    """

    def __init__(self, target: str, on_exchange: ExchangeObserver, *,
                 host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        self.app = ProxyApp(target, on_exchange, **options)
        self.host, self._port = host, port
        self._servers: list[Any] = []
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def port(self) -> int:
        return self._port

    def start(self, timeout: float = 10.0) -> str:
        sock = bind(self.host, self._port)
        self._port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._run, args=(sock,), daemon=False,
                                        name=f"proxy-{self._port}")
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise RuntimeError(f"the proxy did not start: {self.error!r}")
        return self.url

    def _run(self, sock: socket.socket) -> None:
        try:
            asyncio.run(serve(self.app, sock, self._ready.set, self._servers))
        except BaseException as exc:  # reported by start(); logged with its traceback
            self.error = exc
            log.exception("the proxy on port %s failed", self._port)
        finally:
            sock.close()
            self._ready.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        for server in self._servers:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                for server in self._servers:
                    server.force_exit = True
                self._thread.join(timeout)
