"""The recording proxy's server side: uvicorn's HTTP/1.1 protocol around ``proxy.ProxyApp``,
the listening socket, and a thread of its own for the window.

Why apart from the app: the forwarding (``proxy``) knows nothing of sockets or threads; the
command (``capture.proxy_command``) and the window (``gui.window.proxy_actions``) start it
here, each its own way.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

from stream_core.net.proxy import ProxyApp
from stream_core.net.proxy_http import MAX_HEAD_READ
from stream_core.net.proxy_records import ExchangeObserver

__all__ = ["ProxyThread", "bind", "serve"]

log = logging.getLogger(__name__)

_CUT = "ASGI callable returned without completing response."


def _is_cut_message(record: logging.LogRecord) -> bool:
    return record.getMessage() != _CUT


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
                          date_header=False, timeout_graceful_shutdown=1,
                          # The whole head is read however it arrives, so that a target or
                          # headers over the proxy's bounds get its 414 / 431 answer (h11's
                          # 16 KiB default answered a head that came in pieces with a bare
                          # 400, the connection reset under the client's unsent bytes).
                          h11_max_incomplete_event_size=MAX_HEAD_READ)


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
    """A listening socket on ``host:port`` (SO_REUSEADDR, as the demo server's: a failure
    says the bare reason, "Address already in use", as ``serve`` does)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
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
