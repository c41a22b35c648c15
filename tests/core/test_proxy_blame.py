"""A request through a proxy blames the right party (issue 25.17): a refused, unreachable or
refusing proxy is named, with the environment variable that set it, never the server that
was not even reached; a malformed proxy URL is one clear error, with nothing sent. Loopback
only: the proxies here are raw sockets or nothing at all."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from stream_core.net.errors import Failure, ViaProxy, classify
from stream_core.net.spec import RequestSpec
from tests.core.conftest import Capture, collect
from tests.core.rawserver import Conn, RawServer, head, reply

VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
             "ALL_PROXY", "NO_PROXY")
BODY = b"data: up\n\n"
WIRE = head("200 OK", "Content-Type: text/event-stream", f"Content-Length: {len(BODY)}") + BODY
REFUSING = "127.0.0.1:1"  # nothing listens there: connecting is refused


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy variable but those a test sets."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def target() -> Iterator[RawServer]:
    """A server that is up (and counts whether anybody reached it)."""
    with RawServer(reply(WIRE)) as server:
        yield server


def only_error(cap: Capture) -> tuple[str, str]:
    assert len(cap.errors) == 1, cap.errors
    return cap.errors[0]


@pytest.mark.parametrize(("variable", "value"), [
    ("HTTP_PROXY", f"http://{REFUSING}"),
    ("http_proxy", REFUSING),  # no scheme: http://, as curl reads it
    ("ALL_PROXY", f"socks5://{REFUSING}"),
])
def test_a_refused_proxy_is_named_with_its_variable(env: pytest.MonkeyPatch, target: RawServer,
                                                    variable: str, value: str) -> None:
    env.setenv(variable, value)
    cap = collect(RequestSpec(f"{target.url}/events", trust_env=True))
    kind, message = only_error(cap)
    assert kind == "connect"
    assert message == (f"could not connect to the proxy {REFUSING} (from {variable}): "
                       "connection refused")
    assert f"127.0.0.1:{target.port}" not in message and target.connections == 0


def test_the_requests_own_proxy_is_named_without_a_variable(env: pytest.MonkeyPatch,
                                                            target: RawServer) -> None:
    env.setenv("HTTP_PROXY", "http://127.0.0.1:2")  # the request's own proxy comes first
    cap = collect(RequestSpec(f"{target.url}/events", proxy=f"http://user:pw@{REFUSING}"))
    assert only_error(cap) == ("connect", f"could not connect to the proxy {REFUSING}: "
                                          "connection refused")


@pytest.mark.parametrize(("value", "why"), [
    ("http://[::1", "Invalid port: ':1'"),
    ("http://127.0.0.1:99999", "port 99999 is out of range (1-65535)"),
    ("http://127.0.0.1:0", "port 0 is out of range (1-65535)"),
    ("ftp://127.0.0.1:21", "scheme 'ftp' is not supported"),
    ("http://:3128", "no valid host name"),
    ("http://proxy host:3128", "no valid host name"),
])
def test_a_malformed_proxy_url_is_one_clear_error_and_nothing_is_sent(
        env: pytest.MonkeyPatch, target: RawServer, value: str, why: str) -> None:
    env.setenv("HTTPS_PROXY", "http://127.0.0.1:2")  # not for http://: not read
    env.setenv("HTTP_PROXY", value)
    cap = collect(RequestSpec(f"{target.url}/events", trust_env=True))
    kind, message = only_error(cap)
    assert kind == "connect"
    assert message.startswith(f"HTTP_PROXY {value!r} is not a proxy URL: {why}")
    assert "\n" not in message and "InvalidURL" not in message
    assert cap.types == ["error", "end"] and target.connections == 0


def test_a_malformed_proxy_url_never_shows_its_password(env: pytest.MonkeyPatch,
                                                        target: RawServer) -> None:
    env.setenv("http_proxy", "http://me:s3cr3t@[::1")
    cap = collect(RequestSpec(f"{target.url}/events", trust_env=True))
    _, message = only_error(cap)
    assert message.startswith("http_proxy 'http://***@[::1' is not a proxy URL")
    assert "s3cr3t" not in message


def test_a_proxy_refusing_the_tunnel_is_named(env: pytest.MonkeyPatch) -> None:
    with RawServer(reply(head("502 Bad Gateway", "Content-Length: 0"))) as proxy:
        env.setenv("HTTPS_PROXY", proxy.url)
        cap = collect(RequestSpec("https://127.0.0.1:1/events", trust_env=True))
    assert proxy.requests[0].startswith(b"CONNECT 127.0.0.1:1 HTTP/1.1\r\n")
    assert only_error(cap) == ("connect", f"the proxy 127.0.0.1:{proxy.port} (from HTTPS_PROXY)"
                                          " refused to open a tunnel to 127.0.0.1:1: it answered"
                                          " 502 Bad Gateway")


def test_a_proxy_that_does_not_answer_is_named(env: pytest.MonkeyPatch) -> None:
    def close(conn: Conn) -> None:  # reads the request, says nothing, closes
        pass

    with RawServer(close) as proxy:
        env.setenv("HTTP_PROXY", proxy.url)
        env.setenv("HTTPS_PROXY", proxy.url)
        forwarded = collect(RequestSpec("http://127.0.0.1:1/events", trust_env=True))
        tunnelled = collect(RequestSpec("https://127.0.0.1:1/events", trust_env=True))
    assert only_error(forwarded) == (  # the request went to the proxy: its silence
        "protocol", f"the proxy 127.0.0.1:{proxy.port} (from HTTP_PROXY) closed the connection"
                    " without sending a complete HTTP response (asked for 127.0.0.1:1)")
    assert only_error(tunnelled) == (  # CONNECT or the server behind: the error says not which
        "protocol", f"the proxy 127.0.0.1:{proxy.port} (from HTTPS_PROXY), or 127.0.0.1:1"
                    " behind it, closed the connection without sending a complete HTTP response")


def test_a_failure_past_the_proxy_says_the_proxy_was_on_the_way(env: pytest.MonkeyPatch) -> None:
    short = head("200 OK", "Content-Type: text/event-stream", "Content-Length: 100") + BODY
    with RawServer(reply(short)) as proxy:
        env.setenv("HTTP_PROXY", proxy.url)
        cap = collect(RequestSpec("http://127.0.0.1:1/events", trust_env=True))
    assert only_error(cap) == (
        "protocol", f"connection to 127.0.0.1:1 closed after {len(BODY)} bytes, Content-Length"
                    f" said 100 (through the proxy 127.0.0.1:{proxy.port} (from HTTP_PROXY))")


def test_a_proxy_host_name_that_does_not_resolve_is_the_proxys() -> None:
    # Built, not looked up: a real lookup would leave loopback.
    exc = httpx.ConnectError("[Errno -2] Name or service not known")
    exc.__cause__ = socket.gaierror(-2, "Name or service not known")
    via = ViaProxy("http://proxy.example:3128", "HTTPS_PROXY")
    assert classify(exc, "https://api.example/v1", proxy=via) == Failure(
        "connect", "could not resolve the host name of the proxy proxy.example:3128 (from"
                   " HTTPS_PROXY)")
    assert classify(exc, "https://api.example/v1").message == (
        "could not resolve host name 'api.example'")  # no proxy: the host's, as before


def test_a_socks_proxy_that_cannot_reach_the_target_says_so(env: pytest.MonkeyPatch) -> None:
    def refuse(conn: Conn) -> None:  # SOCKS5, no auth; the CONNECT answered "refused" (5)
        conn.sock.recv(3)
        conn.send(b"\x05\x00")
        conn.sock.recv(10)  # 05 01 00 01, IPv4 address, port
        conn.send(b"\x05\x05\x00\x01" + bytes(6))

    with RawServer(refuse, read_request=False) as proxy:
        env.setenv("ALL_PROXY", f"socks5://127.0.0.1:{proxy.port}")
        cap = collect(RequestSpec("http://127.0.0.1:1/events", trust_env=True))
    assert only_error(cap) == (
        "connect", f"the proxy 127.0.0.1:{proxy.port} (from ALL_PROXY) could not connect to"
                   " 127.0.0.1:1: connection refused")


def test_a_proxy_that_does_not_accept_in_time_is_the_proxys() -> None:
    # Built: a connect timeout needs a host that drops packets, which loopback never does.
    via = ViaProxy("socks5://127.0.0.1", "")
    assert classify(httpx.ConnectTimeout(""), "http://127.0.0.1:8000/", connect_timeout=10,
                    proxy=via) == Failure("timeout", "could not connect to the proxy"
                                                     " 127.0.0.1:1080 within 10 s")
