"""The network stream and backend of the arrival reader (``stream_core.net.arrival``).

:class:`ArrivalStream` is what httpcore reads and writes: its bytes are the frames the reader's
child sends (never two frames in one ``read()``), its ``last_t`` the arrival time of the frame
it last returned; writes go straight to the socket, which the app connected on its own loop
(:class:`ArrivalBackend`) before handing a duplicate of it to the child.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import select
import socket
import time
from collections import deque
from collections.abc import Iterable
from typing import Any, Protocol

import httpcore
from httpcore import AsyncNetworkBackend, AsyncNetworkStream

from stream_core.net import arrival_child as child
from stream_core.net.h2times import H2Times
from stream_core.net.netstream import (
    YIELD_AFTER_S,
    BufferedBackend,
    BufferedStream,
    SocketOption,
    _mapped,
    _wait,
    take,
)

__all__ = ["HIGH_WATER", "LOW_WATER", "ArrivalBackend", "ArrivalStream", "Reader"]

HIGH_WATER = 1024 * 1024  # ask the child to hold a connection's frames past this much unread
LOW_WATER = 256 * 1024  # and to send them again below this


class Reader(Protocol):
    """What the streams and the backend need of ``stream_core.net.arrival.ArrivalReader``."""

    failed: str | None

    async def ready(self) -> bool: ...

    def attach(self, sock: socket.socket) -> ArrivalStream: ...

    def command(self, cid: int, op: int) -> None: ...

    def forget(self, cid: int) -> None: ...


class ArrivalStream(AsyncNetworkStream):
    """One connection read by the child: frames in, ``read()`` out, writes straight to the
    socket. ``last_t`` is the monotonic arrival time of what ``read()`` last returned;
    ``held_s`` the seconds the child left it unread (the app took too long), and ``held``
    whether some of its times may be late because of that."""

    clock = "arrival"
    h2: H2Times | None = None  # (HTTP/2 runs over TLS: see ``stream_core.net.tls``)

    def __init__(self, reader: Reader, cid: int, sock: socket.socket) -> None:
        self._reader = reader
        self._cid = cid
        self._sock = sock
        self._frames: deque[tuple[float, bytes]] = deque()
        self._buffered = 0
        self._paused = False
        self._head = b""
        self._pos = 0
        self._eof = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._turn = time.monotonic()
        self._closed = False
        self._added: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.last_t = time.monotonic()
        self.held = False
        self.held_s = 0.0

    def _frame(self, kind: int, flags: int, t: float, payload: bytes) -> None:
        if kind == child.DATA:
            self._frames.append((t, payload))
            self._buffered += len(payload)
            if flags & child.FLAG_HELD:
                self.held = True
            if self._buffered > HIGH_WATER and not self._paused:
                self._paused = True
                self._reader.command(self._cid, child.OP_PAUSE)
        elif kind == child.EOF:
            self._frames.append((t, b""))
            self._release()
        elif kind == child.ERROR:
            code = int(payload or b"0")
            self._error = OSError(code, os.strerror(code)) if code else OSError("read failed")
            self._frames.append((t, b""))
            self._release()
        elif kind == child.HELD:
            self.held = True
            self.held_s += float(payload)
            return
        elif kind == child.ADDED:
            if not self._added.done():
                self._added.set_result(None)
            return
        self._wake()

    def _release(self) -> None:
        """The peer closed (or the connection failed): let the socket go now, as an asyncio
        transport closes itself then (what is buffered is still read; a write now fails),
        so that a connection nobody closes, an idle one in a pool, does not keep it."""
        if not self._closed:
            self._reader.forget(self._cid)
            self._sock.close()

    def _lost(self, why: str) -> None:
        self._error = ConnectionAbortedError(errno.ECONNABORTED, why)
        self._frames.append((time.monotonic(), b""))
        self._wake()
        if not self._added.done():
            self._added.set_result(None)  # (``watched`` raises: the error is set)

    async def watched(self, timeout: float | None) -> None:
        """Wait until the child watches the socket: what arrives from then on is read (and
        stamped) as it arrives, so the request goes out only then."""
        try:
            await asyncio.wait_for(asyncio.shield(self._added), timeout)
        except TimeoutError as exc:
            self.close_now()
            raise httpcore.ConnectTimeout("the arrival reader did not take the connection "
                                          f"within {timeout:g} s") from exc
        except BaseException:
            self.close_now()
            raise
        if self._error is not None:
            self.close_now()
            raise _mapped(httpcore.ConnectError, self._error)

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if time.monotonic() - self._turn >= YIELD_AFTER_S:
            await asyncio.sleep(0)  # a flood must not hold the loop (see netstream)
            self._turn = time.monotonic()
        while self._pos >= len(self._head):
            if self._closed:
                raise httpcore.ReadError("the connection is closed")
            if self._eof:
                if self._error is not None:
                    raise _mapped(httpcore.ReadError, self._error)
                return b""
            if not self._frames:
                waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._waiter = waiter
                try:
                    await _wait(waiter, timeout, httpcore.ReadTimeout)
                finally:
                    self._waiter = None
                self._turn = time.monotonic()
                continue
            t, head = self._frames.popleft()
            self.last_t = t
            if not head:
                self._eof = True
                continue
            self._head, self._pos = head, 0
            self._buffered -= len(head)
            if self._paused and self._buffered < LOW_WATER:
                self._paused = False
                self._reader.command(self._cid, child.OP_RESUME)
        data = take(self._head, self._pos, max_bytes)
        self._pos += len(data)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._closed:
            raise httpcore.WriteError("the connection is closed")
        if self._sock.fileno() < 0:  # (released: the peer closed it)
            raise _mapped(httpcore.WriteError, self._error or ConnectionResetError(
                errno.ECONNRESET, "the connection was closed by the peer"))
        loop = asyncio.get_running_loop()
        try:
            if timeout is None:
                await loop.sock_sendall(self._sock, buffer)
            else:
                await asyncio.wait_for(loop.sock_sendall(self._sock, buffer), timeout)
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(f"timed out after {timeout:g} s") from exc
        except OSError as exc:
            raise _mapped(httpcore.WriteError, exc) from exc

    async def aclose(self) -> None:
        self.close_now()

    def close_now(self) -> None:
        """Close at once: the child forgets the socket, and it is shut down."""
        if self._closed:
            return
        self._closed = True
        self._reader.forget(self._cid)
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._frames.clear()
        self._wake()

    async def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                        timeout: float | None = None) -> AsyncNetworkStream:
        from stream_core.net.tls import TLSStream

        return await TLSStream.handshake(self, ssl_context, server_hostname, timeout)

    def get_extra_info(self, info: str) -> Any:
        if info == "arrival":
            return self
        if info == "socket":
            return self._sock
        if info in ("client_addr", "server_addr"):
            try:
                return self._sock.getsockname() if info == "client_addr" \
                    else self._sock.getpeername()
            except OSError:
                return None
        if info == "is_readable":
            return self._readable()
        return None

    def _readable(self) -> bool:
        """True when an idle connection has something to say: data, EOF or an error."""
        if self._pos < len(self._head) or self._frames or self._eof or self._closed:
            return True
        if self._sock.fileno() < 0:
            return True
        poller = select.poll()
        poller.register(self._sock, select.POLLIN)
        return bool(poller.poll(0))


class ArrivalBackend(AsyncNetworkBackend):
    """httpcore's network backend: connects on the running loop, then the reader reads.

    Falls back to :class:`BufferedBackend` (read times) when the reader cannot be used.
    """

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.fallback = BufferedBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[SocketOption] | None = None,
                          ) -> AsyncNetworkStream:
        if not await self.reader.ready():
            return self._read_by_app(await self.fallback.connect_tcp(
                host, port, timeout, local_address, socket_options))
        loop = asyncio.get_running_loop()
        try:
            # In this task, not wait_for's: on Python 3.11 a cancel that came as the connect
            # finished dropped the connected socket unclosed (wait_for's known race).
            async with asyncio.timeout(timeout):
                sock = await _open_tcp(loop, host, port, local_address, socket_options)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc) or "connect timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return await self._attach(sock, timeout)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[SocketOption] | None = None,
                                  ) -> AsyncNetworkStream:
        if not await self.reader.ready():
            return self._read_by_app(await self.fallback.connect_unix_socket(
                path, timeout, socket_options))
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            await asyncio.wait_for(loop.sock_connect(sock, path), timeout)
        except TimeoutError as exc:
            sock.close()
            raise httpcore.ConnectTimeout(str(exc) or "connect timed out") from exc
        except OSError as exc:
            sock.close()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return await self._attach(sock, timeout)

    def _read_by_app(self, stream: AsyncNetworkStream) -> AsyncNetworkStream:
        if isinstance(stream, BufferedStream):
            stream.clock_reason = self.reader.failed or "the arrival reader is not available"
        return stream

    async def _attach(self, sock: socket.socket, timeout: float | None) -> AsyncNetworkStream:
        if child.KERNEL_TS:  # the kernel stamps each segment as it arrives
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, child.TIMESTAMPNS, 1)
        try:
            stream = self.reader.attach(sock)
        except BaseException:
            sock.close()
            raise
        await stream.watched(timeout if timeout is not None else 10.0)
        return stream

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _open_tcp(loop: asyncio.AbstractEventLoop, host: str, port: int,
                    local_address: str | None,
                    socket_options: Iterable[SocketOption] | None) -> socket.socket:
    """A connected non-blocking TCP socket to the first address of ``host`` that answers
    (as asyncio's ``create_connection`` tries them, without a transport)."""
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not infos:
        raise OSError(f"getaddrinfo({host!r}) returned nothing")
    options = list(socket_options or ())
    errors: list[OSError] = []
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for option in options:
                sock.setsockopt(*option)
            if local_address:
                sock.bind((local_address, 0))
            await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            errors.append(exc)
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    if len(errors) == 1:
        raise errors[0]
    raise OSError(f"could not connect to any address of {host}:{port}: "
                  + "; ".join(str(e) for e in errors))
