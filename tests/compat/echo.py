"""An echo server over a real socket that keeps every request exactly as it arrived.

Why its own: the comparison with the reference tools (httpyac, newman, curl) is about the
bytes each client puts on the wire, so the server must not normalise anything (header case,
order, repeated fields, chunked bodies). Every reply is a small JSON body with a header, so
that request references (``{{login.response.body.$.access_token}}``) have something to read.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

from tests.core.rawserver import Conn, RawServer

REPLY_BODY = b'{"access_token": "tok-123", "user": {"id": 7, "roles": ["a", "b"]}}'


@dataclass
class Seen:
    """One request as received."""

    method: str
    target: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def _parse(head: bytes) -> Seen:
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name, value.strip(" \t")))
    return Seen(method, target, headers)


def _read_chunked(sock: socket.socket, data: bytes) -> bytes:
    body = b""
    while True:
        while b"\r\n" not in data:
            data += sock.recv(65536)
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        while len(data) < size + 2:
            more = sock.recv(65536)
            if not more:
                return body + data
            data += more
        body += data[:size]
        data = data[size + 2:]
        if size == 0:
            return body


class EchoServer(RawServer):
    """Listens on 127.0.0.1:PORT; ``take()`` returns what arrived, in order."""

    def __init__(self) -> None:
        super().__init__(self._echo, read_request=False)
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    def take(self) -> list[Seen]:
        with self._lock:
            seen, self.seen = self.seen, []
        return seen

    def _echo(self, conn: Conn) -> None:
        sock = conn.sock
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                more = sock.recv(65536)
                if not more:
                    return
                data += more
            head, _, rest = data.partition(b"\r\n\r\n")
            seen = _parse(head)
            if any("chunked" in v.lower() for v in seen.header("transfer-encoding")):
                seen.body = _read_chunked(sock, rest)
            else:
                length = int((seen.header("content-length") or ["0"])[0])
                while len(rest) < length:
                    more = sock.recv(65536)
                    if not more:
                        break
                    rest += more
                seen.body = rest
            with self._lock:
                self.seen.append(seen)
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"X-Request-Id: r-42\r\nConnection: close\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(REPLY_BODY) + REPLY_BODY)
        except OSError:
            pass
