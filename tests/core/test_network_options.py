"""Network options per request: an HTTP or SOCKS proxy, the environment's proxies (with
NO_PROXY) only when asked, and a client certificate for mutual TLS. Loopback only."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from collections.abc import Iterator

import pytest

from stream_core.net.clients import environment_proxy
from stream_core.net.spec import RequestSpec
from tests.core.conftest import collect
from tests.core.rawserver import RawServer, head, reply

BODY = b"data: via proxy\n\n"
WIRE = head("200 OK", "Content-Type: text/event-stream", f"Content-Length: {len(BODY)}") + BODY
UNREACHABLE = "http://127.0.0.1:1/stream"  # nothing listens there: only a proxy can answer


def test_http_proxy_gets_the_absolute_form() -> None:
    with RawServer(reply(WIRE)) as proxy:
        cap = collect(RequestSpec(UNREACHABLE, proxy=proxy.url))
    assert cap.errors == [] and [e.data for e in cap.of("event")] == ["via proxy"]
    assert proxy.requests[0].startswith(b"GET http://127.0.0.1:1/stream HTTP/1.1\r\n")


def test_environment_proxy_only_when_trusted(monkeypatch: pytest.MonkeyPatch,
                                             demo_server: str) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY",
                 "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with RawServer(reply(WIRE)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        assert collect(RequestSpec(UNREACHABLE)).errors[0][0] == "connect"  # not trusted
        assert proxy.connections == 0
        cap = collect(RequestSpec(UNREACHABLE, trust_env=True))
        assert cap.errors == [] and proxy.connections == 1
        monkeypatch.setenv("NO_PROXY", "example.org,127.0.0.1")
        url = f"{demo_server}/events?count=1&interval=0"
        cap = collect(RequestSpec(url, trust_env=True))  # bypassed: straight to the server
        assert cap.errors == [] and len(cap.of("event")) == 1 and proxy.connections == 1


@pytest.mark.parametrize(("env", "url", "expected"), [
    ({"HTTPS_PROXY": "127.0.0.1:3128"}, "https://api.example/x", "http://127.0.0.1:3128"),
    ({"HTTPS_PROXY": "http://p:1"}, "http://api.example/x", None),
    ({"ALL_PROXY": "socks5://p:1"}, "http://api.example/x", "socks5://p:1"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": ".example"}, "http://api.example/x", None),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "*"}, "http://h/x", None),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "ample"}, "http://example/x", "http://p:1"),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "h:8080"}, "http://h:9/x", None),
])
def test_environment_proxy_rules(monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                 url: str, expected: str | None) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY",
                 "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert environment_proxy(url) == expected


class Socks5:
    """A minimal SOCKS5 server (no auth, CONNECT to IPv4) piping to the target: loopback."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.targets: list[tuple[str, int]] = []
        self.threads: list[threading.Thread] = []
        self.accepter = threading.Thread(target=self._accept, daemon=True)
        self.accepter.start()

    def _accept(self) -> None:
        try:
            client, _ = self.sock.accept()
        except OSError:
            return
        with client:
            client.recv(3)  # 05 01 00: version, one method, no auth
            client.sendall(b"\x05\x00")
            head = client.recv(4)
            assert head[:2] == b"\x05\x01" and head[3] == 1, head
            host = socket.inet_ntoa(client.recv(4))
            port = struct.unpack("!H", client.recv(2))[0]
            self.targets.append((host, port))
            upstream = socket.create_connection((host, port))
            client.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + b"\x00\x00")
            with upstream:
                pipe = threading.Thread(target=self._pipe, args=(upstream, client), daemon=True)
                pipe.start()
                self._pipe(client, upstream)
                pipe.join(5)

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self.sock.close()
        self.accepter.join(5)


@pytest.fixture()
def socks() -> Iterator[Socks5]:
    server = Socks5()
    yield server
    server.close()


def test_socks5_proxy(socks: Socks5, demo_server: str) -> None:
    url = f"{demo_server}/events?count=2&interval=0"
    cap = collect(RequestSpec(url, proxy=f"socks5://127.0.0.1:{socks.port}"))
    assert cap.errors == [] and len(cap.of("event")) == 2
    port = int(demo_server.rsplit(":", 1)[1])
    assert socks.targets == [("127.0.0.1", port)]


def test_client_certificate_mutual_tls(tls_files: tuple[str, str]) -> None:
    cert, key = tls_files
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cert)  # the self-signed certificate is its own CA
    with RawServer(reply(WIRE), tls=ctx) as srv:
        url = f"https://127.0.0.1:{srv.port}/"
        without = collect(RequestSpec(url, verify=cert))
        assert without.errors and without.errors[0][0] in ("tls", "connect", "protocol")
        cap = collect(RequestSpec(url, verify=cert, cert=cert, cert_key=key))
        assert cap.errors == [] and [e.data for e in cap.of("event")] == ["via proxy"]
    bad = collect(RequestSpec("https://127.0.0.1:1/", cert="/nonexistent/cert.pem"))
    assert bad.errors == [("tls", "cannot load the client certificate '/nonexistent/cert.pem':"
                                  " [Errno 2] No such file or directory")]
