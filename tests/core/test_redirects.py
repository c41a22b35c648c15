"""Redirects are followed hop by hop: each hop has its request and response records, and a
hop to another origin carries none of the secret-looking headers."""

from __future__ import annotations

import pytest

from stream_core.net.spec import Mode, RequestSpec, Timeouts
from stream_core.records import is_secret_name
from tests.core.conftest import collect
from tests.core.rawserver import Conn, RawServer, head, reply

SECRETS = [("Authorization", "Bearer s1"), ("X-Api-Key", "s2"),
           ("Ocp-Apim-Subscription-Key", "s3"), ("X-Goog-Api-Key", "s4"), ("Api-Key", "s5"),
           ("Proxy-Authorization", "Basic s6"), ("X-Amz-Security-Token", "s7"),
           ("Cookie", "sid=s8"), ("X-Session-Id", "s9"), ("X-Signature", "s10"),
           ("X-Client-Secret", "s11"), ("X-Credential", "s12"), ("X-Password", "s13")]
PLAIN = [("X-Trace", "t1"), ("Accept", "text/plain")]
BODY = b"ok\n"


def final(conn: Conn) -> None:
    conn.send(head("200 OK", "Content-Type: text/plain", f"Content-Length: {len(BODY)}") + BODY)


def spec(url: str) -> RequestSpec:
    return RequestSpec(url, headers=SECRETS + PLAIN, mode=Mode.LINES,
                       timeouts=Timeouts(connect=5, read=5, total=20))


def test_secret_name_pattern() -> None:
    assert all(is_secret_name(k) for k, _ in SECRETS)
    assert not any(is_secret_name(k) for k in ("X-Trace", "Accept", "Content-Type", "Host",
                                               "Last-Event-ID", "Range", "If-Range"))
    assert all(is_secret_name(k) for k in ("access_token", "client_secret", "sig", "passwd",
                                            "api_key", "session"))


def test_cross_origin_hop_drops_every_secret_header_and_is_recorded() -> None:
    with RawServer(final) as target:
        location = f"{target.url}/final?x=1"
        with RawServer(reply(head("302 Found", f"Location: {location}",
                                  "Content-Length: 0"))) as origin:
            cap = collect(spec(f"{origin.url}/start"))
    sent = target.requests[0].decode("latin-1").lower()
    for name, value in SECRETS:
        assert value.lower() not in sent, f"{name} crossed to another origin"
    for name, value in PLAIN:
        assert f"{name}: {value}".lower() in sent
    assert cap.errors == [] and cap.end.complete
    assert cap.types[:4] == ["request", "response", "request", "response"]
    first, hop = cap.of("response")
    assert (first.status, first.mode) == (302, "redirect")
    assert (hop.status, hop.mode) == (200, "lines")
    urls = [r.url for r in cap.of("request")]
    assert urls == [f"{origin.url}/start", location], "the final URL is recorded"
    names = {k.lower() for k, _ in cap.of("request")[1].headers}
    assert not any(is_secret_name(k) for k in names)
    assert [r.text for r in cap.of("record")] == ["ok"]


def test_same_origin_hop_keeps_the_headers() -> None:
    def script(conn: Conn) -> None:
        if b" /start " in conn.request:
            conn.send(head("307 Temporary Redirect", "Location: /final", "Content-Length: 0"))
        else:
            final(conn)

    with RawServer(script) as srv:
        cap = collect(spec(f"{srv.url}/start"))
    sent = srv.requests[1].decode("latin-1").lower()
    assert "x-api-key: s2" in sent and "authorization: bearer s1" in sent
    assert [r.status for r in cap.of("response")] == [307, 200]
    assert cap.of("request")[1].url == f"{srv.url}/final"


@pytest.mark.parametrize("follow", [True, False])
def test_redirect_loop_and_no_redirects(follow: bool) -> None:
    loop = reply(head("302 Found", "Location: /again", "Content-Length: 0"))
    with RawServer(loop) as srv:
        cap = collect(RequestSpec(f"{srv.url}/", follow_redirects=follow, mode=Mode.LINES,
                                  timeouts=Timeouts(connect=5, read=5, total=20)))
    if follow:
        [(kind, message)] = cap.errors
        assert kind == "http" and "too many redirects" in message
        assert len(cap.of("request")) == 21 and len(cap.of("response")) == 21
    else:
        assert cap.errors == [] and [r.status for r in cap.of("response")] == [302]
        assert cap.of("response")[0].mode == "lines"
