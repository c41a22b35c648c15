"""Run the demo server in a thread of its own, with its own event loop.

Why a thread: the window's qasync loop must never be starved by a flood the server sends,
and tests need a real socket. The runner binds the socket itself so that port 0 works and
the real port is known before uvicorn starts, waits until uvicorn accepts connections, and
stops within about a second even while clients hold endless streams open: the app's
generators watch the stop event, and uvicorn cancels whatever is left after a short grace.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, cast

from .listening import Listening

if TYPE_CHECKING:
    import uvicorn

__all__ = ["ServerThread"]

log = logging.getLogger(__name__)

# uvicorn needs these: the main loop ticks every 0.1 s and shutdown sleeps 0.1 s before it
# waits for connections, so the graceful wait gets what remains of the stop budget.
_UVICORN_OVERHEAD = 0.35
_MIN_GRACE = 0.1


def _make_server(stop: threading.Event, ready: Callable[[], None]) -> uvicorn.Server:
    """uvicorn serving the demo app; imported here, in the server's thread, because fastapi and
    uvicorn take a few hundred ms to import and the window need not wait for them."""
    import uvicorn

    from .app import create_app, warm

    app = create_app(stop)

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            await warm(app)
            ready()

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            await _shutdown(self, sockets)

    # ws="none": the demo has no WebSocket endpoint, and uvicorn's WebSocket protocol module
    # costs ~20 ms of the window's server start.
    config = uvicorn.Config(app, log_level="warning", access_log=False,
                            lifespan="on", ws="none")
    return _Server(config)


async def _shutdown(server: uvicorn.Server, sockets: list[socket.socket] | None) -> None:
    """uvicorn's shutdown, then abort the connections it could only ask to close.

    A connection whose client stopped reading keeps unsent data, so ``close()`` never
    completes; aborting it frees the socket before the loop closes (no leaked fd).
    """
    import uvicorn

    await uvicorn.Server.shutdown(server, sockets=sockets)
    for connection in list(server.server_state.connections):
        transport = getattr(connection, "transport", None)
        if transport is not None:
            transport.abort()
    await asyncio.sleep(0)  # let connection_lost run for the aborted transports


class ServerThread(Listening):
    """The demo server on ``host:port`` (port 0: a free one) in a non-daemon thread.

    Usage: ``url = server.start()`` ... ``server.stop()``, or ``with ServerThread() as s:``.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 sock: socket.socket | None = None) -> None:
        """``sock``: serve on this bound socket (one a parent process handed down) instead of
        binding ``host:port``; ``host`` and ``port`` then come from the socket."""
        self._sock = sock
        if sock is not None:
            host, port = sock.getsockname()[:2]
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self._stop = threading.Event()
        self._server: uvicorn.Server | None = None
        self._ready = threading.Event()  # uvicorn accepts connections
        self._settled = threading.Event()  # ready, or the thread ended
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._finished = threading.Event()

    @property
    def stop_event(self) -> threading.Event:
        """The event the app's generators watch; set by ``stop()``."""
        return self._stop

    def start(self, timeout: float = 10.0, *, wait: bool = True) -> str:
        """Bind, start uvicorn in its thread, wait until it accepts connections; the base URL.

        Raises OSError when the address cannot be bound and RuntimeError when uvicorn fails
        to start within ``timeout`` seconds. With ``wait=False`` it returns once the socket is
        bound (the URL is known, connections queue in the backlog) and ``wait_ready()`` waits.
        """
        if self._thread is not None:
            raise RuntimeError("server already started")
        sock = self._sock if self._sock is not None else self._bind()
        self._sock = None
        sock.listen(2048)  # connections queue until uvicorn accepts them
        self._port = sock.getsockname()[1]
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name=f"demo-server-{self._port}", daemon=False
        )
        self._thread.start()
        if wait:
            self.wait_ready(timeout)
        return self.url

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Block until uvicorn accepts connections; RuntimeError (server stopped) if it fails."""
        self._settled.wait(timeout)
        if not self._ready.is_set():
            self.stop()
            raise RuntimeError(f"demo server failed to start: {self._error!r}")

    def _bind(self) -> socket.socket:
        """A socket bound to host:port; uvicorn listens on it (SO_REUSEADDR for restarts)."""
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._requested_port))
        except OSError:
            sock.close()
            raise
        return sock

    def _run(self, sock: socket.socket) -> None:
        """Thread body: import and build uvicorn + the app, run it on a fresh loop until it exits.

        SIGINT and SIGTERM are blocked in this thread so that the kernel delivers them to
        the main thread, whose handlers (Ctrl-C in ``serve``, the window's) must see them.
        """
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            server = _make_server(self._stop, self._set_ready)
            self._server = server
            if not self._stop.is_set():
                server.run(sockets=[sock])
        except BaseException as exc:  # SystemExit from a failed startup included
            self._error = exc
            log.exception("demo server thread failed")
        finally:
            sock.close()
            self._finished.set()
            self._settled.set()

    def _set_ready(self) -> None:
        self._ready.set()
        self._settled.set()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop within about ``timeout`` seconds, open streams or not; idempotent.

        Sets the stop event (generators end their streams), asks uvicorn to exit with a
        graceful-shutdown wait of what remains of ``timeout``, then joins the thread.
        """
        self._stop.set()
        thread = self._thread
        if thread is None:
            return
        while self._server is None and thread.is_alive():
            thread.join(0.01)  # still importing uvicorn and the app
        server = self._server
        if server is None:
            return
        grace = max(_MIN_GRACE, timeout - _UVICORN_OVERHEAD)
        # uvicorn annotates this as int but hands it to asyncio.wait_for, which takes floats.
        server.config.timeout_graceful_shutdown = cast(int, grace)
        server.should_exit = True
        thread.join(timeout + 0.5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(2.0)
        if thread.is_alive():
            log.warning("demo server thread did not stop in time")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server thread ends (or ``timeout``); True if it ended."""
        if self._thread is None:
            return True
        # An event, not Thread.join: a KeyboardInterrupt inside join() can leave the thread
        # marked as stopped while it still runs (CPython 3.11), and stop() must join it.
        return self._finished.wait(timeout)

    def __enter__(self) -> ServerThread:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
