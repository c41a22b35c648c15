"""Tiny raw-socket servers on 127.0.0.1 that misbehave on purpose.

A real HTTP server will not send a truncated chunked body, lie in Content-Length, reset the
connection mid-body or answer in something that is not HTTP; these do, byte for byte, so the
engine's error handling is tested against the wire and not against mocks.

Each server is a context manager: it listens on a free port, runs each connection's script
in a thread of its own, and on exit closes everything and joins every thread (the test guard
fails a test that leaves one running). Scripts that must "hang" wait on ``server.stopping``.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from types import TracebackType

Script = Callable[["Conn"], None]


class Conn:
    """One accepted connection, with the request head already read."""

    def __init__(self, sock: socket.socket, server: RawServer) -> None:
        self.sock = sock
        self.server = server
        self.request = b""

    def read_request(self) -> bytes:
        """The request head and, when it has a Content-Length, its body."""
        data = b""
        while b"\r\n\r\n" not in data or len(data) < self._expected(data):
            try:
                more = self.sock.recv(65536)
            except OSError:
                break
            if not more:
                break
            data += more
        self.request = data
        return data

    @staticmethod
    def _expected(data: bytes) -> int:
        head, _, _ = data.partition(b"\r\n\r\n")
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                return len(head) + 4 + int(value)
        return 0

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError:
            pass

    def reset(self) -> None:
        """Close with RST instead of FIN (SO_LINGER 0): the client sees 'reset by peer'."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def hang(self) -> None:
        """Keep the connection open, silent, until the server stops."""
        self.server.stopping.wait()


class RawServer:
    """Serve ``script`` for every connection; ``requests`` collects the request heads."""

    def __init__(self, script: Script, *, read_request: bool = True,
                 tls: ssl.SSLContext | None = None) -> None:
        self.script = script
        self.tls = tls
        self.read_first = read_request
        self.stopping = threading.Event()
        self.requests: list[bytes] = []
        self.connections = 0
        self.accepted_at: list[float] = []  # time.monotonic() of each accepted connection
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, name="rawserver")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> RawServer:
        self._accepter.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stopping.set()
        self._accepter.join()
        for t in self._threads:
            t.join()
        self._listener.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self.accepted_at.append(time.monotonic())
            t = threading.Thread(target=self._serve, args=(sock,), name="rawserver-conn")
            self._threads.append(t)
            t.start()

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        if self.tls is not None:
            try:
                sock = self.tls.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError):  # the client refused our certificate
                sock.close()
                return
        conn = Conn(sock, self)
        try:
            if self.read_first:
                self.requests.append(conn.read_request())
            self.script(conn)
        finally:
            try:
                sock.close()
            except OSError:
                pass


def reply(data: bytes, *, reset: bool = False, hang: bool = False) -> Script:
    """A script that sends ``data`` then closes (FIN), resets (RST), or stays silent."""

    def script(conn: Conn) -> None:
        conn.send(data)
        if reset:
            conn.reset()
        elif hang:
            conn.hang()

    return script


def head(status: str = "200 OK", *headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")
