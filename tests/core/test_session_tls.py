"""TLS: certificate checks on by default, ``--insecure`` and a custom CA bundle."""

from __future__ import annotations

import ssl

from stream_core.net.spec import RequestSpec
from tests.core.conftest import collect
from tests.core.rawserver import RawServer, head, reply

BODY = b"data: over tls\n\n"
WIRE = head("200 OK", "Content-Type: text/event-stream", f"Content-Length: {len(BODY)}") + BODY


def server_context(files: tuple[str, str]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*files)
    return ctx


def test_untrusted_certificate(tls_files: tuple[str, str]) -> None:
    with RawServer(reply(WIRE), tls=server_context(tls_files)) as srv:
        cap = collect(RequestSpec(f"https://127.0.0.1:{srv.port}/"))
    [(kind, message)] = cap.errors
    assert kind == "tls"
    assert message.startswith(f"TLS certificate of 127.0.0.1:{srv.port} is not trusted: ")
    assert "self-signed" in message


def test_insecure_and_ca_bundle(tls_files: tuple[str, str]) -> None:
    with RawServer(reply(WIRE), tls=server_context(tls_files)) as srv:
        url = f"https://127.0.0.1:{srv.port}/"
        for verify in (False, tls_files[0]):
            for http2 in (False, True):  # no ALPN h2 on this server: HTTP/1.1 either way
                cap = collect(RequestSpec(url, verify=verify, http2=http2))
                assert cap.errors == [], (verify, http2)
                assert [e.data for e in cap.of("event")] == ["over tls"]
                assert cap.of("response")[0].http_version == "HTTP/1.1"


def test_unreadable_ca_bundle() -> None:
    cap = collect(RequestSpec("https://127.0.0.1:1/", verify="/nonexistent/ca.pem"))
    assert cap.types == ["error", "end"]
    [(kind, message)] = cap.errors
    assert kind == "tls" and "/nonexistent/ca.pem" in message
