"""The recording proxy under hostile or careless clients (issue 25 items 1, 3, 5, 6; 28.3).

Real sockets on 127.0.0.1: raw-socket targets and clients, so that a request line, a header
section or a close can be exactly what the probe needs; the proxy in its thread.
"""

from __future__ import annotations

import json
import logging
import socket
import threading

import httpx
import pytest

from stream_core.net.proxy_http import MAX_HEADER_BYTES, MAX_HEADERS
from stream_core.records import End
from tests.core.rawserver import Conn, RawServer
from tests.core.test_proxy import proxy


def _ok(conn: Conn) -> None:
    """A target that serves one request per connection (and says so: no reuse race)."""
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
              b"Connection: close\r\n\r\nok")


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def exchange(port: int, head: bytes) -> tuple[int, bytes]:
    """Send ``head`` (which asks ``Connection: close``); the status and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head)
        reply = b""
        while more := s.recv(65536):
            reply += more
    status_line, _, rest = reply.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("asked", ["@127.0.0.1:{other}/count", ":{other}/count",
                                   "http://127.0.0.1:{other}/count",
                                   "127.0.0.1:{other}", "count"])
def test_a_request_target_cannot_choose_the_host_or_port(asked: str) -> None:
    """The issue's probes: joined as text, ``@host:port/x`` reached another port (with the
    target's host:port as Basic credentials) and ``:port/x`` chose the port of a target
    without one. Only paths are forwarded; anything else is 400 and reaches no one."""
    with RawServer(_ok) as target, RawServer(_ok) as other:
        for base in (target.url, "http://127.0.0.1"):  # with and without a port
            with proxy(base) as (url, rec):
                line = asked.format(other=other.port).encode()
                status, body = exchange(_port(url), b"GET " + line + b" HTTP/1.1\r\n"
                                        b"Host: x\r\nConnection: close\r\n\r\n")
                records = rec.wait_end()
            assert status == 400, body
            answer = json.loads(body)
            assert answer["error"] == "bad request" and "only paths" in answer["message"]
            assert [r.type for r in records] == ["error", "end"]
        assert other.connections == 0 and target.connections == 0


def test_paths_go_to_the_target_byte_for_byte_and_options_star_too() -> None:
    with RawServer(_ok) as target, proxy(target.url + "/v1") as (url, rec):
        for line in (b"/v1/x?a=1&b=%2F", b"//127.0.0.1:1/x", b"/a%00b/../c"):
            status, _ = exchange(_port(url), b"GET " + line + b" HTTP/1.1\r\nHost: x\r\n"
                                 b"Connection: close\r\n\r\n")
            assert status == 200
        status, _ = exchange(_port(url), b"OPTIONS * HTTP/1.1\r\nHost: x\r\n"
                             b"Connection: close\r\n\r\n")
        assert status == 200
        rec.wait_end(4)
    lines = [r.split(b"\r\n", 1)[0] for r in target.requests]
    assert lines == [b"GET /v1/x?a=1&b=%2F HTTP/1.1", b"GET //127.0.0.1:1/x HTTP/1.1",
                     b"GET /a%00b/../c HTTP/1.1", b"OPTIONS * HTTP/1.1"]
    assert all(f"host: 127.0.0.1:{target.port}\r\n".encode() in r for r in target.requests)
    assert all(b"authorization" not in r.lower() for r in target.requests)


@pytest.mark.parametrize(("head", "status"), [
    (b"GET http://127.0.0.1:1/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400),
    (b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 414),
    (b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"
     b"Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400),
], ids=["absolute-url", "100-KB-path", "CL-and-TE"])
def test_malformed_requests_get_a_json_answer_and_an_end(
        head: bytes, status: int, caplog: pytest.LogCaptureFixture) -> None:
    """They got 500 and a traceback (the URL error was not caught; CL + TE forwarded the
    client's Content-Length with the de-chunked body, and that exchange never ended)."""
    with RawServer(_ok) as target, proxy(target.url) as (url, rec), \
            caplog.at_level(logging.ERROR):
        got, body = exchange(_port(url), head)
        records = rec.wait_end()
    assert got == status, body
    assert json.loads(body)["kind"] == "protocol"
    assert [r.type for r in records] == ["error", "end"]
    assert target.connections == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest.mark.parametrize("shape", ["count", "size"])
def test_too_many_or_too_large_headers_get_431(shape: str) -> None:
    if shape == "count":
        fields = b"".join(b"X-%d: 1\r\n" % i for i in range(MAX_HEADERS + 1))
    else:
        fields = b"X-Big: " + b"b" * (MAX_HEADER_BYTES + 1) + b"\r\n"
    with RawServer(_ok) as target, proxy(target.url) as (url, rec):
        status, body = exchange(_port(url), b"GET /x HTTP/1.1\r\nHost: x\r\n" + fields
                                + b"Connection: close\r\n\r\n")
        rec.wait_end()
        ok, _ = exchange(_port(url), b"GET /x HTTP/1.1\r\nHost: x\r\n"
                         + b"".join(b"X-%d: 1\r\n" % i for i in range(100))
                         + b"Connection: close\r\n\r\n")
    assert status == 431 and "at most" in json.loads(body)["message"]
    assert ok == 200 and target.connections == 1


def test_the_proxy_keeps_no_cookies() -> None:
    """9,000 Set-Cookie headers filled the proxy client's cookie jar, and every later
    exchange walked it (2-3 s each). They go to the client; the proxy keeps none."""
    from stream_core.net.proxy_server import ProxyThread

    cookies = b"".join(b"Set-Cookie: c%d=1; Path=/\r\n" % i for i in range(3000))

    def script(conn: Conn) -> None:
        conn.send(b"HTTP/1.1 200 OK\r\n" + cookies + b"Content-Length: 2\r\n\r\nok")

    ended = threading.Event()

    def on_exchange(_exchange: object):  # type: ignore[no-untyped-def]
        return lambda record: ended.set() if isinstance(record, End) else None

    with RawServer(script) as target:
        thread = ProxyThread(target.url, on_exchange)
        url = thread.start()
        try:
            r = httpx.get(url + "/login", timeout=10)
            assert ended.wait(10)
            kept = len(list(thread.app.client.cookies.jar))
        finally:
            thread.stop()
    assert len(r.headers.get_list("set-cookie")) == 3000
    assert kept == 0


def test_clients_leaving_a_silent_target_close_its_requests_and_end_their_exchanges() -> None:
    """Ten clients left a target that never answered: minutes later the ten upstream
    connections were still open and no exchange had ended."""
    n = 10
    arrived = threading.Semaphore(0)
    closed = threading.Semaphore(0)

    def script(conn: Conn) -> None:
        arrived.release()
        try:
            while conn.sock.recv(65536):  # the proxy sends nothing more: EOF when it closes
                pass
        except OSError:
            return
        closed.release()

    with RawServer(script) as target, proxy(target.url) as (url, rec):
        clients = [socket.create_connection(("127.0.0.1", _port(url))) for _ in range(n)]
        for i, c in enumerate(clients):
            c.sendall(b"POST /v1/chat HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
                      if i % 2 else b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        for _ in range(n):
            assert arrived.acquire(timeout=10)
        for c in clients:
            c.close()
        ends = [rec.wait_end(i)[-1] for i in range(1, n + 1)]
        for _ in range(n):
            assert closed.acquire(timeout=10), "an upstream request was left open"
    for end in ends:
        assert isinstance(end, End) and not end.complete and end.stopped == "client"
    assert all(r.type != "error" for i in range(1, n + 1) for r in rec.records[i])


def test_a_client_that_leaves_after_the_last_byte_had_a_complete_exchange() -> None:
    """An SDK closes on ``data: [DONE]``; the target's end-of-body marker comes after that
    (here: only once the client has gone). 1 of 14 such streams was recorded as cancelled."""
    rounds = 200
    left = [threading.Event() for _ in range(rounds)]
    served = iter(left)

    def script(conn: Conn) -> None:
        gone = next(served)
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"  # (and this
                  b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"  # connection only)
                  b"f\r\ndata: {\"a\":1}\n\n\r\n" b"e\r\ndata: [DONE]\n\n\r\n")
        if gone.wait(10):
            conn.send(b"0\r\n\r\n")

    with RawServer(script) as target, proxy(target.url) as (url, rec):
        for i in range(rounds):
            with socket.create_connection(("127.0.0.1", _port(url))) as c:
                c.sendall(b"GET /v1/stream HTTP/1.1\r\nHost: x\r\n\r\n")
                got = b""
                while b"[DONE]" not in got:
                    more = c.recv(65536)
                    assert more, got
                    got += more
            left[i].set()
            rec.wait_end(i + 1)
    for i in range(1, rounds + 1):
        records = rec.records[i]
        end = records[-1]
        assert isinstance(end, End) and end.complete, (i, records[-3:])
        assert not end.stopped and end.events == 2
        assert [r.type for r in records].count("error") == 0


def test_a_client_that_leaves_before_the_rest_of_the_body_is_stopped_by_the_client() -> None:
    """The grace above is for the end marker only: data the client never got ends the
    exchange at once, incomplete, and the request to the target is closed."""
    left = threading.Event()
    closed = threading.Event()

    def script(conn: Conn) -> None:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n8\r\ndata: 1\n\r\n")
        if left.wait(10):
            conn.send(b"9\r\ndata: 2\n\n\r\n")
        try:
            while conn.sock.recv(65536):
                pass
        except OSError:
            return
        closed.set()

    with RawServer(script) as target, proxy(target.url) as (url, rec):
        with socket.create_connection(("127.0.0.1", _port(url))) as c:
            c.sendall(b"GET /s HTTP/1.1\r\nHost: x\r\n\r\n")
            got = b""
            while b"data: 1" not in got:
                got += c.recv(65536)
        left.set()
        records = rec.wait_end()
        assert closed.wait(10)
    end = records[-1]
    assert isinstance(end, End) and not end.complete and end.stopped == "client"


def test_a_response_header_with_bytes_past_ascii_is_forwarded_and_recorded() -> None:
    """``X-Served-By: café-01`` in raw UTF-8 broke the recorder (httpx.Headers wants ASCII
    from a str), which then cut the exchange."""
    def script(conn: Conn) -> None:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Served-By: caf\xc3\xa9-01"
                  b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    with RawServer(script) as target, proxy(target.url) as (url, rec):
        r = httpx.get(url + "/x", timeout=10)
        records = rec.wait_end()
    assert r.status_code == 200 and r.content == b"ok"
    assert (b"X-Served-By", b"caf\xc3\xa9-01") in r.headers.raw
    end = records[-1]
    assert isinstance(end, End) and end.complete
