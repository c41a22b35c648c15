"""Turn whatever went wrong into an error kind and a sentence a person understands.

httpx wraps httpcore, which wraps anyio, h11, ssl and the socket layer; the useful fact (the
connection was refused, the certificate is not trusted, the body stopped 10 bytes short) is
usually a few ``__cause__`` links down. ``classify`` walks that chain once so that neither the
window nor the ``capture`` command ever shows a traceback or a bare ``ReadError('')``.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from stream_core.records import ErrorKind


@dataclass(frozen=True, slots=True)
class Failure:
    kind: ErrorKind
    message: str


@dataclass(frozen=True, slots=True)
class ViaProxy:
    """The proxy a request goes through, and who named it: ``source`` is the environment
    variable (``HTTP_PROXY``...) or "" for the request's own proxy setting.

    Why: a request through a proxy connects to the proxy, not to the URL's host; a refusal
    or a bad host name there is the proxy's, and saying "could not connect to <the URL's
    host>" sends the user to check a server that is up.
    """

    url: str
    source: str = ""

    @property
    def host_port(self) -> str:
        """``host:port`` of the proxy (never its user info: it may hold a password)."""
        u = httpx.URL(self.url)
        port = u.port or _PROXY_PORTS.get(u.scheme, 80)
        host = f"[{u.host}]" if ":" in u.host else u.host
        return f"{host}:{port}"

    def describe(self) -> str:
        where = f" (from {self.source})" if self.source else ""
        return f"the proxy {self.host_port}{where}"


_PROXY_PORTS = {"http": 80, "https": 443, "socks5": 1080, "socks5h": 1080}


class StreamError(Exception):
    """A failure the engine found itself (a status the mode cannot accept, a full disk...).

    Raised inside the engine with its kind already decided, so ``classify`` passes it through.
    """

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message


def host_port(url: httpx.URL | str) -> str:
    """``host:port`` as the user would type it, with the scheme's default port filled in."""
    u = url if isinstance(url, httpx.URL) else httpx.URL(url)
    port = u.port or (443 if u.scheme == "https" else 80)
    host = u.host
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes/contexts, and members of exception groups, nearest first."""
    todo = [exc]
    seen: set[int] = set()
    while todo and len(seen) < 32:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        if isinstance(e, BaseExceptionGroup):
            todo.extend(e.exceptions)
        nxt = e.__cause__ or e.__context__
        if nxt is not None:
            todo.append(nxt)


def _find(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    return next((e for e in _chain(exc) if isinstance(e, kind)), None)


def _seconds(value: float | None) -> str:
    return "ever" if value is None else f"{value:g} s"


def file_failure(exc: OSError, path: str) -> Failure:
    """An ``io`` failure for a local file, worded for the common causes."""
    code = exc.errno
    if code == errno.ENOSPC:
        return Failure("io", f"disk full writing {path}")
    if code in (errno.EACCES, errno.EPERM):
        return Failure("io", f"permission denied writing {path}")
    if code == errno.EROFS:
        return Failure("io", f"read-only file system writing {path}")
    if code == errno.ENOENT:
        return Failure("io", f"cannot write {path}: the folder does not exist")
    if code == errno.EISDIR:
        return Failure("io", f"cannot write {path}: it is a folder")
    reason = exc.strerror or str(exc) or type(exc).__name__
    return Failure("io", f"cannot write {path}: {reason}")


_LENGTH = re.compile(r"received (\d+) bytes, expected (\d+)")
#: What h11 says when the peer sent no response, or no HTTP (``_protocol_failure``).
_NO_RESPONSE = re.compile(r"without sending a response|illegal status line|h11", re.I)


def _tls_failure(err: ssl.SSLError, hp: str) -> Failure:
    if isinstance(err, ssl.SSLCertVerificationError):
        why = getattr(err, "verify_message", None) or getattr(err, "reason", None) or str(err)
        return Failure("tls", f"TLS certificate of {hp} is not trusted: {why}")
    reason = getattr(err, "reason", None) or str(err)
    hint = ""
    if reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"):
        hint = " (is it a plain HTTP server? try http://)"
    return Failure("tls", f"TLS handshake with {hp} failed: {reason}{hint}")


def _connect_failure(exc: BaseException, url: httpx.URL, hp: str) -> Failure:
    tls = _find(exc, ssl.SSLError)
    if tls is not None:
        assert isinstance(tls, ssl.SSLError)
        return _tls_failure(tls, hp)
    if _find(exc, socket.gaierror) is not None:
        return Failure("connect", f"could not resolve host name {url.host!r}")
    if _find(exc, ConnectionRefusedError) is not None:
        return Failure("connect", f"could not connect to {hp}: connection refused")
    if _find(exc, ConnectionResetError) is not None:
        return Failure("connect", f"could not connect to {hp}: connection reset by peer")
    os_err = next((e for e in _chain(exc) if isinstance(e, OSError) and e.errno), None)
    if isinstance(os_err, OSError):
        reason = (os_err.strerror or str(os_err)).lower()
        return Failure("connect", f"could not connect to {hp}: {reason}")
    return Failure("connect", f"could not connect to {hp}: {exc or type(exc).__name__}")


def _protocol_failure(exc: BaseException, hp: str) -> Failure:
    text = str(exc)
    m = _LENGTH.search(text)
    if m:
        return Failure("protocol", f"connection to {hp} closed after {m.group(1)} bytes, "
                                   f"Content-Length said {m.group(2)}")
    if "incomplete chunked read" in text:
        return Failure("protocol", f"connection to {hp} closed in the middle of the chunked "
                                   "body (incomplete chunked read)")
    if "without sending a response" in text:
        return Failure("protocol", f"{hp} closed the connection without sending "
                                   "a complete HTTP response")
    if "illegal status line" in text or "h11" in text.lower():
        return Failure("protocol", f"{hp} did not reply with HTTP: {text}")
    return Failure("protocol", f"malformed HTTP from {hp}: {text or type(exc).__name__}")


def _proxy_failure(exc: BaseException, url: httpx.URL, proxy: ViaProxy,
                   connect_timeout: float | None) -> Failure | None:
    """The failure when it is the proxy's: it could not be reached (every connection of a
    proxied request is to the proxy), or it refused to reach ``url`` for us (an HTTP
    CONNECT answered with an error status, a SOCKS reply); None when the proxy is not to
    blame (a TLS failure through the tunnel is the target's, what comes after is either's)."""
    who = proxy.describe()
    if isinstance(exc, httpx.ProxyError):
        text = str(exc)
        reason = text.removeprefix("Proxy Server could not connect: ").rstrip(".")
        if reason != text:  # SOCKS: the proxy could not reach the target
            return Failure("connect", f"{who} could not connect to {host_port(url)}: "
                                      f"{reason.lower()}")
        if re.match(r"\d{3} ", text):  # HTTP CONNECT: "502 Bad Gateway"
            return Failure("connect", f"{who} refused to open a tunnel to {host_port(url)}: "
                                      f"it answered {text}")
        return Failure("connect", f"{who} failed to reach {host_port(url)}: "
                                  f"{text or type(exc).__name__}")
    if isinstance(exc, httpx.ConnectTimeout):
        return Failure("timeout", f"could not connect to {who} within "
                                  f"{_seconds(connect_timeout)}")
    if isinstance(exc, httpx.RemoteProtocolError) and _NO_RESPONSE.search(str(exc)) \
            and httpx.URL(proxy.url).scheme in ("http", "https"):
        if url.scheme == "http":  # no tunnel: the request went to the proxy, which did not answer
            return Failure("protocol", f"{_protocol_failure(exc, who).message}"
                                       f" (asked for {host_port(url)})")
        # A tunnel: the proxy answering CONNECT, or the server behind it; the error says not
        # which (httpcore raises the same for both), so neither is blamed alone.
        return _protocol_failure(exc, f"{who}, or {host_port(url)} behind it,")
    if not isinstance(exc, httpx.ConnectError):
        return None
    tls = _find(exc, ssl.SSLError)
    if tls is not None:
        if httpx.URL(proxy.url).scheme == "https" and url.scheme == "http":
            assert isinstance(tls, ssl.SSLError)
            failure = _tls_failure(tls, proxy.host_port)  # no tunnel: the proxy's own TLS
            return Failure("tls", f"{failure.message} ({who})")
        return None
    if _find(exc, socket.gaierror) is not None:
        return Failure("connect", f"could not resolve the host name of {who}")
    return _connect_failure(exc, url, who)  # (its TLS and host name cases are handled above)


def classify(exc: BaseException, url: httpx.URL | str, *, read_timeout: float | None = None,
             connect_timeout: float | None = None, proxy: ViaProxy | None = None) -> Failure:
    """Map any exception raised while streaming ``url`` to a kind and a message.

    ``proxy``: the proxy the request went through. A failure that is the proxy's names it
    (and where it was set); any other network failure says that the proxy was on the way.
    """
    u = url if isinstance(url, httpx.URL) else httpx.URL(url)
    failure = _classify(exc, u, read_timeout=read_timeout, connect_timeout=connect_timeout)
    if proxy is None or isinstance(exc, StreamError):
        return failure
    blamed = _proxy_failure(exc, u, proxy, connect_timeout)
    if blamed is not None:
        return blamed
    return Failure(failure.kind, f"{failure.message} (through {proxy.describe()})")


def _classify(exc: BaseException, u: httpx.URL, *, read_timeout: float | None,
              connect_timeout: float | None) -> Failure:
    hp = host_port(u)
    if isinstance(exc, StreamError):
        return Failure(exc.kind, exc.message)
    if isinstance(exc, httpx.ConnectTimeout):
        return Failure("timeout", f"could not connect to {hp} within {_seconds(connect_timeout)}")
    if isinstance(exc, httpx.ReadTimeout):
        return Failure("timeout", f"no data for {_seconds(read_timeout)} from {hp}")
    if isinstance(exc, httpx.WriteTimeout):
        return Failure("timeout", f"could not send the request to {hp} in time")
    if isinstance(exc, httpx.PoolTimeout):
        return Failure("timeout", f"no free connection to {hp} in time")
    if isinstance(exc, httpx.ConnectError):
        return _connect_failure(exc, u, hp)
    if isinstance(exc, httpx.DecodingError):
        return Failure("decode", f"could not decode the body from {hp}: {exc}")
    if isinstance(exc, httpx.ProtocolError):
        return _protocol_failure(exc, hp)
    if isinstance(exc, httpx.ReadError | httpx.WriteError | httpx.CloseError):
        what = "lost while sending the request" if isinstance(exc, httpx.WriteError) else "lost"
        if _find(exc, ConnectionResetError) is not None:
            return Failure("connect", f"connection to {hp} reset by peer")
        tls = _find(exc, ssl.SSLError)
        if isinstance(tls, ssl.SSLError):
            return _tls_failure(tls, hp)
        detail = str(exc)
        return Failure("connect", f"connection to {hp} {what}" + (f": {detail}" if detail else ""))
    if isinstance(exc, httpx.TooManyRedirects):
        return Failure("http", f"too many redirects from {hp}")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return Failure("connect", f"cannot request {u}: {exc}")
    if isinstance(exc, ssl.SSLError):
        return _tls_failure(exc, hp)
    if isinstance(exc, TimeoutError):
        return Failure("timeout", f"timed out talking to {hp}")
    if isinstance(exc, OSError):
        return _connect_failure(exc, u, hp)
    return Failure("protocol", f"unexpected {type(exc).__name__} talking to {hp}: {exc}")
