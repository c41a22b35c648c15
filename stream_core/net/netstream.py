"""A buffered asyncio network backend for httpcore: fewer event-loop round trips per read.

httpcore's default backend (anyio) resumes the socket's reader before every read and pauses
it after, and yields to the event loop even when data is already there. In plain asyncio that
is cheap; under qasync each resume/pause makes and drops a ``QSocketNotifier`` and each yield is
a trip through Qt's event dispatcher, on the GUI thread. At 64 KiB per read that is ~16,000
round trips per GiB, and for an SSE server that sends one event per write, one per event.

This backend keeps the socket reading into a buffer (paused only past ``HIGH_WATER``), serves
``read()`` from the buffer without suspending, and yields to the loop when ``YIELD_AFTER_S``
has passed since it last did, so that a reader that never runs dry (a flood: the caller's work
per read, not the read, is the cost) cannot hold the loop, and the window, for long.
Everything else follows httpcore's backend contract: timeouts and errors map to httpcore's
exceptions, ``read()`` returns at most ``max_bytes`` and ``b""`` at the end of the stream.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from httpcore import AsyncNetworkBackend, AsyncNetworkStream

__all__ = ["BufferedBackend", "BufferedStream", "buffered_transport"]

HIGH_WATER = 1024 * 1024  # pause the socket reader with this much unread
LOW_WATER = 256 * 1024  # and resume it below this
YIELD_AFTER_S = 0.004  # hand the loop a turn after this long without one

SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


class _Protocol(asyncio.Protocol):
    """Collects what the transport reads; wakes the one reader and the one writer."""

    def __init__(self) -> None:
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.eof = False
        self.error: BaseException | None = None
        self.paused = False
        self.transport: asyncio.Transport | None = None
        self.read_waiter: asyncio.Future[None] | None = None
        self.write_waiter: asyncio.Future[None] | None = None
        self.writing_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake_reader()
        return False  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        if exc is not None and self.error is None:
            self.error = exc
        self._wake_reader()
        self._wake_writer(exc)

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._wake_writer(None)

    def _wake_reader(self) -> None:
        waiter, self.read_waiter = self.read_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_writer(self, exc: BaseException | None) -> None:
        waiter, self.write_waiter = self.write_waiter, None
        if waiter is not None and not waiter.done():
            if exc is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(_mapped(httpcore.WriteError, exc))


def _mapped(kind: type[Exception], exc: BaseException) -> Exception:
    """``kind`` wrapping ``exc``, chained as context too: httpcore's pool re-raises its
    exceptions ``from None``, which drops the cause but keeps the context (the OS error that
    tells a reset from a plain close)."""
    mapped = kind(str(exc) or type(exc).__name__)
    mapped.__cause__ = mapped.__context__ = exc
    return mapped


async def _wait(waiter: asyncio.Future[None], timeout: float | None,
                timeout_error: type[Exception]) -> None:
    """Await ``waiter``; after ``timeout`` seconds fail it with ``timeout_error``.

    A timer handle instead of ``asyncio.wait_for``, which would wrap every read in a task.
    """
    if timeout is None:
        await waiter
        return
    loop = asyncio.get_running_loop()

    def expire() -> None:
        if not waiter.done():
            waiter.set_exception(timeout_error(f"timed out after {timeout:g} s"))

    handle = loop.call_later(timeout, expire)
    try:
        await waiter
    finally:
        handle.cancel()


def take(head: bytes, pos: int, max_bytes: int) -> bytes:
    """At most ``max_bytes`` of ``head`` from ``pos`` on (``head`` itself when it fits)."""
    return head if pos == 0 and len(head) <= max_bytes else head[pos:pos + max_bytes]


class BufferedStream(AsyncNetworkStream):
    """One connection: an asyncio transport plus the protocol buffering what it reads."""

    #: Why this stream's times are read times (``get_extra_info("clock_reason")``): the
    #: backend of ``stream_core.net.arrival`` says why it fell back to this one.
    clock_reason = "no arrival reader"

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._head = b""  # the chunk being served, from _pos on
        self._pos = 0
        self._turn = time.monotonic()  # when the loop last had a turn
        self._closed = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        p = self._protocol
        if time.monotonic() - self._turn >= YIELD_AFTER_S:
            await asyncio.sleep(0)
            self._turn = time.monotonic()
        if self._pos >= len(self._head) and not p.chunks:
            if self._closed:
                raise httpcore.ReadError("the connection is closed")
            if p.eof:
                if p.error is not None:
                    raise _mapped(httpcore.ReadError, p.error)
                return b""
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            p.read_waiter = waiter
            try:
                await _wait(waiter, timeout, httpcore.ReadTimeout)
            finally:
                p.read_waiter = None
            self._turn = time.monotonic()
            return await self.read(max_bytes, timeout)
        if self._pos >= len(self._head):
            self._head, self._pos = p.chunks.popleft(), 0
        data = take(self._head, self._pos, max_bytes)
        self._pos += len(data)
        p.buffered -= len(data)
        if p.paused and p.buffered < LOW_WATER and not self._transport.is_closing():
            p.paused = False
            self._transport.resume_reading()
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        p = self._protocol
        if self._closed or self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        if p.writing_paused:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            p.write_waiter = waiter
            await _wait(waiter, timeout, httpcore.WriteTimeout)

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            transport = self._transport
            transport.close()  # what is buffered goes out, and TLS sends its close_notify
            await asyncio.sleep(0)
            transport.abort()  # but the peer's side of a TLS shutdown is not waited for

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        protocol = _Protocol()
        try:
            transport = await loop.start_tls(self._transport, protocol, ssl_context,
                                             server_hostname=server_hostname,
                                             ssl_handshake_timeout=timeout)
        except TimeoutError as exc:
            self._transport.abort()
            raise httpcore.ConnectTimeout(str(exc) or "TLS handshake timed out") from exc
        except OSError as exc:  # ssl.SSLError included
            self._transport.abort()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        if transport is None:
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        assert isinstance(transport, asyncio.Transport)
        protocol.connection_made(transport)
        stream = BufferedStream(transport, protocol)
        stream.clock_reason = self.clock_reason
        return stream

    def get_extra_info(self, info: str) -> Any:
        t = self._transport
        if info == "ssl_object":
            return t.get_extra_info("ssl_object")
        if info == "client_addr":
            return t.get_extra_info("sockname")
        if info == "server_addr":
            return t.get_extra_info("peername")
        if info == "socket":
            return t.get_extra_info("socket")
        if info == "is_readable":
            return self._readable()
        if info == "clock_reason":
            return self.clock_reason
        return None

    def _readable(self) -> bool:
        """True when an idle connection has something to say: data, EOF or an error."""
        p = self._protocol
        if self._pos < len(self._head) or p.chunks or p.eof or self._transport.is_closing():
            return True
        sock = self._transport.get_extra_info("socket")
        if sock is None or sock.fileno() < 0:
            return True
        poller = select.poll()  # not select(): it fails for descriptors past 1023
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))


class BufferedBackend(AsyncNetworkBackend):
    """Opens :class:`BufferedStream` connections on the running asyncio loop."""

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[SocketOption] | None = None,
                          ) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        return await self._connect(
            loop.create_connection(_Protocol, host, port, local_addr=local), timeout,
            socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[SocketOption] | None = None,
                                  ) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        return await self._connect(loop.create_unix_connection(_Protocol, path), timeout,
                                   socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    @staticmethod
    async def _connect(opening: Any, timeout: float | None,
                       socket_options: Iterable[SocketOption] | None) -> BufferedStream:
        try:
            transport, protocol = await asyncio.wait_for(opening, timeout)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc) or "connect timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock: socket.socket | None = transport.get_extra_info("socket")
        if sock is not None:
            for option in socket_options or ():
                sock.setsockopt(*option)
        return BufferedStream(transport, protocol)


def buffered_transport(*, verify: bool | ssl.SSLContext, http2: bool,
                       limits: httpx.Limits, proxy: str | None = None,
                       backend: AsyncNetworkBackend | None = None) -> httpx.AsyncHTTPTransport:
    """httpx's own transport (TLS, HTTP/2, error mapping, an HTTP or SOCKS proxy) over
    ``backend``: the arrival reader's (``stream_core.net.arrival.ArrivalBackend``), or
    :class:`BufferedBackend` when None.

    httpx does not take a network backend, so it is set on the transport's connection pool
    (httpcore's proxy pools are connection pools too), which hands it to every connection.
    """
    transport = httpx.AsyncHTTPTransport(verify=verify, http2=http2, limits=limits,
                                         proxy=httpx.Proxy(proxy) if proxy else None)
    pool = transport._pool
    if isinstance(pool, httpcore.AsyncConnectionPool):
        pool._network_backend = backend or BufferedBackend()
    return transport
