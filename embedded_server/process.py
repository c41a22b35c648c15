"""Run the demo server in a child process: the window's fast start.

Why a process: fastapi, pydantic and uvicorn take a few hundred ms to import. In a thread
they would hold the GIL while the window imports its own modules and shows itself; in a
child they load on another core. The parent binds the socket itself and hands it down, so
the URL is known at once (connections queue in the backlog until uvicorn accepts them);
the child prints its ``listening`` record (one JSON line) on its stdout when it serves.

The child never outlives its parent: it stops when its stdin reaches EOF, which happens on
``stop()`` and also when the parent dies, however it dies (on Linux the parent-death signal
backs this up). Importing this module imports neither fastapi nor uvicorn.
"""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from types import TracebackType
from typing import IO

from .listening import Listening

__all__ = ["ServerProcess", "supported"]

_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def supported() -> bool:
    """Whether a listening socket can be handed to a child process here (POSIX)."""
    return os.name == "posix"


class ServerProcess(Listening):
    """The demo server on ``host:port`` (port 0: a free one) in a child Python process.

    Same use as ``ServerThread``: ``url = server.start()`` ... ``server.stop()``, or
    ``with ServerProcess() as s:``; ``start(wait=False)`` returns once the socket is bound
    and ``wait_ready()`` waits for the child's ``listening`` record.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._lock = threading.Lock()  # wait_ready() may run in a worker thread

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self, timeout: float = 10.0, *, wait: bool = True) -> str:
        """Bind, start the child, wait (unless ``wait=False``) until it serves; the base URL.

        Raises OSError when the address cannot be bound and RuntimeError when the child
        does not serve within ``timeout`` seconds (it is stopped then).
        """
        if self._proc is not None:
            raise RuntimeError("server already started")
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._requested_port))
            sock.listen(2048)  # connections queue until the child's uvicorn accepts them
            self._port = sock.getsockname()[1]
            fd = sock.fileno()
            args = [sys.executable, "-m", "embedded_server", "--fd", str(fd), "--stop-on-eof"]
            if threading.current_thread() is threading.main_thread():
                # The parent-death signal follows the thread that forked: only the main one
                # lives as long as the process.
                args.append("--pdeathsig")
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
            # Own process group: a Ctrl-C in the terminal goes to the window, which then
            # stops the server in order (streams first).
            self._proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          pass_fds=(fd,), env=env, process_group=0)
        # The child holds the socket now; the parent's copy is closed, so the port is
        # released as soon as the child ends.
        if wait:
            self.wait_ready(timeout)
        return self.url

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Block until the child serves; RuntimeError (child stopped) if it fails or times out."""
        proc = self._proc
        if proc is None:
            raise RuntimeError("server not started")
        with self._lock:
            if self._ready:
                return
            assert proc.stdout is not None
            line = b"" if proc.stdout.closed else _readline(proc.stdout, timeout)
            self._ready = line.startswith(b'{"type":"listening"')
        if not self._ready:
            self.stop()  # (after the lock: stop() takes it too)
            raise RuntimeError(f"demo server failed to start (exit {proc.returncode}, "
                               f"said {line[:200]!r})")

    def stop(self, timeout: float = 1.0) -> None:
        """Stop within about ``timeout`` seconds (SIGKILL after twice that); idempotent."""
        proc = self._proc
        if proc is None:
            return
        if proc.stdin is not None and not proc.stdin.closed:
            proc.stdin.close()  # EOF: the child stops its server like on Ctrl-C
        try:
            proc.wait(timeout + 1.0)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            with self._lock:  # a wait_ready() in another thread has seen EOF by now
                proc.stdout.close()

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _readline(stream: IO[bytes], timeout: float) -> bytes:
    """One line from the child's stdout, or b"" on EOF or after ``timeout`` seconds."""
    fd = stream.fileno()
    buf = b""
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                break
            piece = os.read(fd, 4096)
            if not piece:
                break
            buf += piece
    return buf.split(b"\n", 1)[0]

