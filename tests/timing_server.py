"""A server that knows when its bytes left: SSE events 10 ms apart, each send bracketed by the
wall clock read just before and just after it, over HTTP/1.1, TLS and HTTP/2 (TLS, ALPN h2).

``python tests/timing_server.py CERT KEY`` prints ``plain http://... tls https://...`` once it
listens, and stops when its stdin closes (its parent is gone). ``GET /timing?interval=S&
count=N&log=PATH`` sends N events ``data: {"n": n, "sent_ns": ...}`` and, before ending the
body, writes ``n before_ns after_ns`` per event to PATH.

Why brackets, and a process of its own: on loopback the bytes reach the client's socket inside
the server's send call, so their arrival lies between the two readings whatever the machine's
load does to this process (a busy server sends late, but its brackets say when); and a server
thread in the test's process would share the GIL with the very client a test blocks.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit


def frame(n: int) -> tuple[bytes, int]:
    before = time.time_ns()
    return f"id: {n}\ndata: {json.dumps({'n': n, 'sent_ns': before})}\n\n".encode(), before


def read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        if not more:
            raise ConnectionError("closed before the request ended")
        data += more
    return data


def paced(interval: float, count: int) -> list[float]:
    start = time.monotonic()
    return [start + i * interval for i in range(count)]


def wait_until(deadline: float) -> None:
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(left)


def http1(sock: socket.socket) -> None:
    head = read_head(sock).split(b"\r\n", 1)[0].decode()
    query = parse_qs(urlsplit(head.split()[1]).query)
    interval, count = float(query["interval"][0]), int(query["count"][0])
    stamps = []
    sock.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                 b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n")
    for n, deadline in enumerate(paced(interval, count), 1):
        wait_until(deadline)
        data, before = frame(n)
        sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))
        stamps.append((n, before, time.time_ns()))
    log(query["log"][0], stamps)
    sock.sendall(b"0\r\n\r\n")


def http2(sock: socket.socket) -> None:
    """Every request of the connection served at once, each from a thread of its own."""
    import h2.config
    import h2.connection
    import h2.events

    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    lock = threading.Lock()  # the connection's state and its socket, one thread at a time
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    senders: list[threading.Thread] = []

    def stream(stream_id: int, path: str) -> None:
        query = parse_qs(urlsplit(path).query)
        interval, count = float(query["interval"][0]), int(query["count"][0])
        with lock:
            conn.send_headers(stream_id, [(":status", "200"),
                                          ("content-type", "text/event-stream")])
            sock.sendall(conn.data_to_send())
        stamps = []
        for n, deadline in enumerate(paced(interval, count), 1):
            wait_until(deadline)
            with lock:
                data, before = frame(n)
                conn.send_data(stream_id, data)
                sock.sendall(conn.data_to_send())
                stamps.append((n, before, time.time_ns()))
        log(query["log"][0], stamps)
        with lock:
            conn.end_stream(stream_id)
            sock.sendall(conn.data_to_send())

    while True:
        try:
            data = sock.recv(65536)
        except OSError:
            break
        if not data:
            break
        with lock:
            events = conn.receive_data(data)
            sock.sendall(conn.data_to_send())
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                path = dict(event.headers)[b":path"].decode()
                sender = threading.Thread(target=stream, args=(event.stream_id, path),
                                          daemon=True)
                sender.start()
                senders.append(sender)
    for sender in senders:
        sender.join(5)


def log(path: str, stamps: list[tuple[int, int, int]]) -> None:
    with open(path, "w", encoding="ascii") as f:
        f.writelines(f"{n} {before} {after}\n" for n, before, after in stamps)


def serve(sock: socket.socket, context: ssl.SSLContext | None) -> None:
    try:
        if context is not None:
            sock = context.wrap_socket(sock, server_side=True)
            if sock.selected_alpn_protocol() == "h2":  # type: ignore[attr-defined]
                http2(sock)
                return
        http1(sock)
    except (OSError, ValueError, KeyError):
        pass
    finally:
        sock.close()


def listen(server: socket.socket, context: ssl.SSLContext | None) -> None:
    while True:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(conn, context), daemon=True).start()


def main(cert: str, key: str) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["h2", "http/1.1"])
    servers = []
    for ctx in (None, context):
        server = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=listen, args=(server, ctx), daemon=True).start()
        servers.append(server)
    ports = [s.getsockname()[1] for s in servers]
    print(f"plain http://127.0.0.1:{ports[0]} tls https://127.0.0.1:{ports[1]}", flush=True)
    sys.stdin.buffer.read()  # until the parent closes it (or dies)
    for server in servers:
        server.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
