"""The recording reverse proxy (``stream_core.net.proxy``, ``stream-inspector proxy``).

Real sockets on 127.0.0.1: the demo server or a raw-socket target that misbehaves on purpose,
the proxy in a thread of its own (as the window runs it) or as the command, and plain httpx
or a raw socket as the client.
"""

from __future__ import annotations

import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from stream_core.net.proxy import Exchange, base_url_hint
from stream_core.net.proxy_server import ProxyThread
from stream_core.records import AnyRecord, End
from tests.core.rawserver import Conn, RawServer

ROOT = Path(__file__).resolve().parents[2]


class Recorded:
    """What the proxy reported: the records of each exchange, by id."""

    def __init__(self) -> None:
        self.exchanges: dict[int, Exchange] = {}
        self.records: dict[int, list[AnyRecord]] = {}
        self.ended = threading.Condition()

    def __call__(self, exchange: Exchange):  # type: ignore[no-untyped-def]
        self.exchanges[exchange.id] = exchange
        out = self.records.setdefault(exchange.id, [])

        def observer(record: AnyRecord) -> None:
            out.append(record)
            if isinstance(record, End):
                with self.ended:
                    self.ended.notify_all()
        return observer

    def wait_end(self, exchange: int = 1, timeout: float = 10.0) -> list[AnyRecord]:
        def done() -> bool:
            recs = self.records.get(exchange, [])
            return bool(recs) and isinstance(recs[-1], End)
        with self.ended:
            assert self.ended.wait_for(done, timeout), self.records.get(exchange)
        return self.records[exchange]

    def types(self, exchange: int = 1) -> list[str]:
        return [r.type for r in self.records[exchange]]


@contextmanager
def proxy(target: str, **options: object) -> Iterator[tuple[str, Recorded]]:
    recorded = Recorded()
    thread = ProxyThread(target, recorded, **options)
    url = thread.start()
    try:
        yield url, recorded
    finally:
        thread.stop()


def test_sse_through_the_proxy_is_the_direct_body_and_recorded(demo_server: str) -> None:
    path = "/events?interval=0.005&count=20"
    direct = httpx.get(demo_server + path, timeout=10).content
    with proxy(demo_server) as (url, rec):
        with httpx.Client(timeout=10) as client, client.stream("GET", url + path) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            body = b"".join(r.iter_raw())
        records = rec.wait_end()
    stamp = re.compile(rb'"timestamp": [0-9.]+')  # the one part that differs between runs
    assert stamp.sub(b"", body) == stamp.sub(b"", direct) and body.count(b"data:") == 20
    assert rec.types()[:2] == ["request", "response"]
    events = [r for r in records if r.type == "event"]
    assert [e.id for e in events] == [str(i) for i in range(1, 21)]
    chunks = [r for r in records if r.type == "chunk"]
    assert b"".join(c.data for c in chunks) == body
    end = records[-1]
    assert isinstance(end, End) and end.complete and end.bytes == len(body) and end.events == 20
    assert records[1].mode == "sse"  # type: ignore[union-attr]
    assert records[0].url == demo_server + path  # type: ignore[union-attr]


def test_each_read_reaches_the_client_before_the_target_sends_the_next() -> None:
    """No buffering, tested without timing: the target sends its second piece only once the
    client has received the first through the proxy."""
    got_first = threading.Event()

    def script(conn: Conn) -> None:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        conn.send(b"8\r\ndata: 1\n\r\n")
        if got_first.wait(10):
            conn.send(b"9\r\ndata: 2\n\n\r\n0\r\n\r\n")

    with RawServer(script) as target, proxy(target.url) as (url, rec):
        with httpx.Client(timeout=10) as client, client.stream("GET", url + "/s") as r:
            pieces = []
            for piece in r.iter_raw():
                pieces.append(piece)
                got_first.set()
        rec.wait_end()
    assert pieces == [b"data: 1\n", b"data: 2\n\n"]


def test_headers_and_body_reach_the_target_as_sent_with_credentials_masked_in_records() -> None:
    def script(conn: Conn) -> None:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                  b"Content-Length: 8\r\nConnection: keep-alive\r\nSet-Cookie: s=1\r\n\r\n"
                  b'{"a":1}\n')

    body = b'{"q": "x"}'
    with RawServer(script) as target, proxy(target.url + "/v1") as (url, rec):
        raw = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
        raw.sendall(b"POST /v1/x?api_key=k1&b=2 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Authorization: Bearer sk-SECRET\r\nX-Drop: 1\r\nConnection: X-Drop\r\n"
                    b"TE: trailers\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        reply = b""
        while not reply.endswith(b'{"a":1}\n'):
            more = raw.recv(65536)
            assert more, reply
            reply += more
        raw.close()
        records = rec.wait_end()
        head = target.requests[0]
    assert head.startswith(b"POST /v1/x?api_key=k1&b=2 HTTP/1.1\r\n")
    # Names arrive lowercased (ASGI's rule; HTTP names are case-insensitive), values untouched.
    assert f"host: 127.0.0.1:{target.port}\r\n".encode() in head
    assert b"authorization: Bearer sk-SECRET\r\n" in head
    assert b"x-drop" not in head.lower() and b"\r\nte:" not in head.lower()
    assert head.endswith(b"\r\n\r\n" + body)
    assert b"HTTP/1.1 200 OK\r\n" in reply and b"connection: keep-alive" not in reply.lower()
    assert b"Set-Cookie: s=1" in reply
    assert rec.exchanges[1].request_body == body
    assert [r.type for r in records] == ["request", "response", "chunk", "record", "end"]
    # Records keep what was sent; the CLI and captures mask it (see the command's test).
    assert ("authorization", "Bearer sk-SECRET") in records[0].headers  # type: ignore[union-attr]


def test_unreachable_target_gives_502_naming_the_cause() -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]  # closed below: nothing listens there
    with proxy(f"http://127.0.0.1:{port}") as (url, rec):
        r = httpx.get(url + "/v1/models", timeout=10)
        records = rec.wait_end()
    assert r.status_code == 502
    assert r.json()["kind"] == "connect"
    assert "connection refused" in r.json()["message"]
    assert [x.type for x in records] == ["request", "error", "end"]
    assert records[-1].complete is False  # type: ignore[union-attr]


@pytest.mark.parametrize("framing", ["chunked", "length"])
def test_a_target_cut_mid_body_is_cut_for_the_client(framing: str) -> None:
    def script(conn: Conn) -> None:
        if framing == "chunked":
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        else:
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      b"Content-Length: 100\r\n\r\nhello")
        time.sleep(0.05)
        conn.reset()

    got = b""
    with RawServer(script) as target, proxy(target.url) as (url, rec):
        with httpx.Client(timeout=10) as client, client.stream("GET", url + "/cut") as r:
            with pytest.raises(httpx.RemoteProtocolError):
                for piece in r.iter_raw():
                    got += piece
        records = rec.wait_end()
    assert got == b"hello"
    errors = [x for x in records if x.type == "error"]
    assert errors and errors[0].kind in ("connect", "protocol")  # type: ignore[attr-defined]
    assert records[-1].complete is False  # type: ignore[union-attr]


def test_client_leaving_ends_the_exchange(demo_server: str) -> None:
    with proxy(demo_server) as (url, rec):
        with httpx.Client(timeout=10) as client, client.stream(
                "GET", url + "/events?interval=0.01") as r:  # endless
            for n, _piece in enumerate(r.iter_raw()):
                if n == 2:
                    break
        records = rec.wait_end()
    # Leaving is the client's choice, not an error of the stream: the end says who stopped it.
    assert [x.type for x in records if x.type == "error"] == []
    end = records[-1]
    assert isinstance(end, End) and not end.complete and end.stopped == "client"


def test_https_target(tls_files: tuple[str, str]) -> None:
    cert, key = tls_files
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)

    def script(conn: Conn) -> None:
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                  b"Content-Length: 11\r\n\r\ndata: tls\n\n")

    with RawServer(script, tls=ctx) as target, proxy(
            f"https://127.0.0.1:{target.port}", verify=cert) as (url, rec):
        r = httpx.get(url + "/sse", timeout=10)
        records = rec.wait_end()
    assert r.content == b"data: tls\n\n"
    assert [x.data for x in records if x.type == "event"] == ["tls"]  # type: ignore[attr-defined]


def test_base_url_hint() -> None:
    assert base_url_hint("https://api.example.com/v1", "http://127.0.0.1:5") == \
        "OPENAI_BASE_URL=http://127.0.0.1:5/v1"
    assert base_url_hint("http://127.0.0.1:9/", "http://127.0.0.1:5") == \
        "BASE_URL=http://127.0.0.1:5"

