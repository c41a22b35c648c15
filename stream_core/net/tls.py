"""TLS over a timed network stream, in memory: plaintext keeps the time its bytes arrived.

Why not ``loop.start_tls``: the arrival reader (``stream_core.net.arrival``) owns the socket's
reading, so there is no transport to wrap; and a chunk of plaintext must carry the arrival
time of the encrypted read that completed it. ``ssl.SSLObject`` over two ``MemoryBIO``s does
the TLS (handshake, records, close_notify) with the stream underneath for the bytes: every
read of the inner stream is fed whole, and the plaintext it yields is returned before the next
one is fed, so ``last_t`` is always the inner stream's time of the read that produced it.
asyncio's own TLS is built the same way (``sslproto``), so the cost is the same.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpcore
from httpcore import AsyncNetworkStream

from stream_core.net.h2times import H2Times
from stream_core.net.netstream import take

__all__ = ["TLSStream"]

READ_SIZE = 64 * 1024  # ciphertext asked of the inner stream at a time
PLAIN_SIZE = 256 * 1024  # plaintext taken out of the TLS object at a time


class TLSStream(AsyncNetworkStream):
    """A TLS connection over ``inner`` (an ``ArrivalStream``, or another ``TLSStream`` for
    TLS through an HTTPS proxy). ``last_t``, ``held`` and ``held_s`` follow ``inner``'s."""

    clock = "arrival"

    def __init__(self, inner: Any, sslobj: ssl.SSLObject, incoming: ssl.MemoryBIO,
                 outgoing: ssl.MemoryBIO) -> None:
        self._inner = inner
        self._ssl = sslobj
        self._in = incoming
        self._out = outgoing
        self._plain = b""
        self._pos = 0
        self._eof = False
        self._closed = False
        self.last_t: float = inner.last_t
        #: HTTP/2 (ALPN h2): each DATA frame's own arrival time, per stream (the connection
        #: is shared, so its latest read can be another response's).
        self.h2: H2Times | None = None

    @property
    def held(self) -> bool:
        return bool(self._inner.held)

    @property
    def held_s(self) -> float:
        return float(self._inner.held_s)

    @classmethod
    async def handshake(cls, inner: Any, context: ssl.SSLContext,
                        server_hostname: str | None, timeout: float | None) -> TLSStream:
        """The TLS handshake over ``inner``; httpcore's ConnectError / ConnectTimeout on
        failure (the SSL error chained, for ``stream_core.net.errors``)."""
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        try:
            sslobj = context.wrap_bio(incoming, outgoing, server_side=False,
                                      server_hostname=server_hostname)
        except (ssl.SSLError, ValueError) as exc:
            await inner.aclose()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        stream = cls(inner, sslobj, incoming, outgoing)
        try:
            while True:
                try:
                    sslobj.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    await stream._flush(timeout)
                    data = await inner.read(READ_SIZE, timeout)
                    if not data:
                        raise httpcore.ConnectError(
                            "the connection closed during the TLS handshake") from None
                    incoming.write(data)
            await stream._flush(timeout)
        except httpcore.ReadTimeout as exc:
            await inner.aclose()
            raise httpcore.ConnectTimeout(str(exc) or "TLS handshake timed out") from exc
        except (httpcore.ReadError, httpcore.WriteError) as exc:
            await inner.aclose()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        except ssl.SSLError as exc:
            await inner.aclose()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        except BaseException:
            await inner.aclose()
            raise
        stream.last_t = inner.last_t
        if sslobj.selected_alpn_protocol() == "h2":
            stream.h2 = H2Times()
        return stream

    async def _flush(self, timeout: float | None) -> None:
        """Send whatever the TLS object wrote (handshake, records, alerts)."""
        if self._out.pending:
            await self._inner.write(self._out.read(), timeout)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        while self._pos >= len(self._plain):
            if self._closed:
                raise httpcore.ReadError("the connection is closed")
            if self._eof:
                return b""
            try:
                self._plain, self._pos = self._ssl.read(PLAIN_SIZE), 0
                self.last_t = self._inner.last_t
                if not self._plain:
                    self._eof = True
                    continue
                if self.h2 is not None:
                    self.h2.feed(self._plain, self.last_t)
                if self._out.pending:  # a key update or an alert to answer
                    await self._flush(timeout)
                continue
            except ssl.SSLWantReadError:
                pass
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                self._eof = True  # close_notify, or a close without it (as asyncio allows)
                continue
            except ssl.SSLError as exc:
                raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc
            if self._out.pending:
                await self._flush(timeout)
            data = await self._inner.read(READ_SIZE, timeout)
            self.last_t = self._inner.last_t
            if not data:
                self._eof = True
                continue
            self._in.write(data)
        data = take(self._plain, self._pos, max_bytes)
        self._pos += len(data)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._closed:
            raise httpcore.WriteError("the connection is closed")
        try:
            self._ssl.write(buffer)
        except ssl.SSLError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc
        await self._flush(timeout)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._ssl.unwrap()  # queues our close_notify; the peer's is not waited for
        except ssl.SSLError:
            pass
        try:
            if self._out.pending:
                await self._inner.write(self._out.read(), 1.0)
        except (httpcore.WriteError, httpcore.WriteTimeout, OSError):
            pass
        finally:
            await self._inner.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> AsyncNetworkStream:
        return await TLSStream.handshake(self, ssl_context, server_hostname, timeout)

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._ssl
        if info == "arrival":
            return self
        if info == "is_readable":
            return self._pos < len(self._plain) or self._eof or self._closed \
                or bool(self._inner.get_extra_info("is_readable"))
        return self._inner.get_extra_info(info)
