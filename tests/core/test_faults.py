"""Faults over real sockets: every failure is one error record with a kind and a readable
message, after everything that arrived before it, and never a traceback."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Callable

import pytest

from stream_core.net.spec import Mode, RequestSpec, Timeouts
from stream_core.records import Chunk
from tests.core.conftest import collect
from tests.core.rawserver import Conn, RawServer, head, reply

Spec = Callable[..., RequestSpec]


def test_refused_connection(fast_spec: Spec) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    cap = collect(fast_spec(f"http://127.0.0.1:{port}/x"))
    assert cap.types == ["request", "error", "end"]
    assert cap.errors == [("connect", f"could not connect to 127.0.0.1:{port}: "
                                      "connection refused")]
    assert cap.end.complete is False


def test_unknown_host(fast_spec: Spec) -> None:
    cap = collect(fast_spec("http://no-such-host.invalid/"))
    [(kind, message)] = cap.errors
    assert kind == "connect"
    assert "no-such-host.invalid" in message


def test_tls_against_plain_http(fast_spec: Spec) -> None:
    def script(conn: Conn) -> None:
        conn.sock.recv(65536)  # the ClientHello, which a plain HTTP server calls a bad request
        conn.send(head("400 Bad Request", "Content-Length: 0", "Connection: close"))

    with RawServer(script, read_request=False) as srv:
        cap = collect(fast_spec(f"https://127.0.0.1:{srv.port}/"))
    [(kind, message)] = cap.errors
    assert kind == "tls"
    assert f"127.0.0.1:{srv.port}" in message


def test_truncated_chunked_body_keeps_what_arrived(fast_spec: Spec) -> None:
    body = b"data: one\n\n"
    wire = head("200 OK", "Content-Type: text/event-stream", "Transfer-Encoding: chunked") \
        + f"{len(body):x}\r\n".encode() + body + b"\r\n" + b"20\r\ndata: tw"
    with RawServer(reply(wire)) as srv:
        cap = collect(fast_spec(srv.url))
    assert [e.data for e in cap.of("event")] == ["one"]
    assert cap.errors == [("protocol", f"connection to 127.0.0.1:{srv.port} closed in the "
                                       "middle of the chunked body (incomplete chunked read)")]
    assert cap.types.index("event") < cap.types.index("error")


def test_content_length_mismatch(fast_spec: Spec) -> None:
    wire = head("200 OK", "Content-Type: text/plain", "Content-Length: 100") + b"line\n"
    with RawServer(reply(wire)) as srv:
        cap = collect(fast_spec(srv.url))
    assert [r.text for r in cap.of("record")] == ["line"]
    assert cap.errors == [("protocol", f"connection to 127.0.0.1:{srv.port} closed after "
                                       "5 bytes, Content-Length said 100")]


def test_reset_mid_body(fast_spec: Spec) -> None:
    wire = head("200 OK", "Content-Type: application/x-ndjson", "Content-Length: 1000") \
        + b'{"a": 1}\n'
    with RawServer(reply(wire, reset=True)) as srv:
        cap = collect(fast_spec(srv.url))
    assert [r.value for r in cap.of("record")] == [{"a": 1}]
    assert cap.errors == [("connect", f"connection to 127.0.0.1:{srv.port} reset by peer")]


def test_non_http_reply(fast_spec: Spec) -> None:
    with RawServer(reply(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")) as srv:
        cap = collect(fast_spec(srv.url))
    [(kind, message)] = cap.errors
    assert kind == "protocol"
    assert "did not reply with HTTP" in message and "SSH-2.0" in message


def test_slow_first_byte_times_out(fast_spec: Spec) -> None:
    def script(conn: Conn) -> None:
        conn.hang()

    with RawServer(script) as srv:
        cap = collect(fast_spec(srv.url, timeouts=Timeouts(connect=5, read=0.3)))
    assert cap.errors == [("timeout", f"no data for 0.3 s from 127.0.0.1:{srv.port}")]
    assert "response" not in cap.types


def test_headers_then_silence(fast_spec: Spec) -> None:
    wire = head("200 OK", "Content-Type: text/event-stream", "Transfer-Encoding: chunked") \
        + b"b\r\ndata: one\n\n\r\n"
    with RawServer(reply(wire, hang=True)) as srv:
        cap = collect(fast_spec(srv.url, timeouts=Timeouts(connect=5, read=0.3)))
    assert cap.types[:4] == ["request", "response", "chunk", "event"]
    assert cap.errors == [("timeout", f"no data for 0.3 s from 127.0.0.1:{srv.port}")]


@pytest.mark.parametrize("status", ["404 Not Found", "503 Service Unavailable"])
def test_error_status_body_is_shown(fast_spec: Spec, status: str) -> None:
    body = b'{"error": "nope"}\nsecond line\n'
    wire = head(status, "Content-Type: application/json",
                f"Content-Length: {len(body)}") + body
    with RawServer(reply(wire)) as srv:
        cap = collect(fast_spec(srv.url, mode=Mode.SSE))
    assert cap.of("response")[0].mode == "lines"
    assert [r.text for r in cap.of("record")] == ['{"error": "nope"}', "second line"]
    assert cap.errors == [("http", f"HTTP {status} from 127.0.0.1:{srv.port}")]
    assert cap.types[-2:] == ["error", "end"]


def test_invalid_gzip(fast_spec: Spec) -> None:
    good = gzip.compress(b"data: fine\n\n")
    body = good[:20] + b"\x00garbage-not-deflate" * 4
    wire = head("200 OK", "Content-Type: text/event-stream", "Content-Encoding: gzip",
                f"Content-Length: {len(body)}") + body
    with RawServer(reply(wire)) as srv:
        cap = collect(fast_spec(srv.url))
    [(kind, message)] = cap.errors
    assert kind == "decode"
    assert f"127.0.0.1:{srv.port}" in message
    assert cap.of("chunk"), "the raw bytes are still shown"


def test_gzip_chunks_are_wire_bytes(fast_spec: Spec) -> None:
    plain = b"".join(f"id: {i}\ndata: {i}\n\n".encode() for i in range(50))
    body = gzip.compress(plain)
    wire = head("200 OK", "Content-Type: text/event-stream", "Content-Encoding: gzip",
                f"Content-Length: {len(body)}") + body
    with RawServer(reply(wire)) as srv:
        cap = collect(fast_spec(srv.url))
    assert cap.errors == []
    assert b"".join(c.data for c in cap.of("chunk")) == body
    assert [e.data for e in cap.of("event")] == [str(i) for i in range(50)]
    assert cap.end.complete


def test_invalid_utf8_is_replaced_not_fatal(fast_spec: Spec) -> None:
    body = b"data: caf\xc3\n\ndata: ok \xff\xfe\n\n"
    wire = head("200 OK", "Content-Type: text/event-stream", f"Content-Length: {len(body)}") \
        + body
    with RawServer(reply(wire)) as srv:
        cap = collect(fast_spec(srv.url))
    assert [e.data for e in cap.of("event")] == ["caf\ufffd", "ok \ufffd\ufffd"]
    assert cap.errors == [] and cap.end.complete


def test_huge_single_line_is_streamed(fast_spec: Spec) -> None:
    size = 24 * 1024 * 1024

    def script(conn: Conn) -> None:
        conn.send(head("200 OK", "Content-Type: text/plain",
                       f"Content-Length: {size + 1}"))
        block = b"x" * (1024 * 1024)
        for _ in range(size // len(block)):
            conn.send(block)
        conn.send(b"\n")

    with RawServer(script) as srv:
        cap = collect(fast_spec(srv.url, mode=Mode.LINES, max_line=2 * size))  # (within it)
    [rec] = cap.of("record")
    assert len(rec.text) == size
    assert cap.end.bytes == size + 1
    assert len(cap.of("chunk")) > 10, "delivered read by read, not as one buffer"
    assert all(isinstance(c, Chunk) and c.size <= 1024 * 1024 for c in cap.of("chunk"))
