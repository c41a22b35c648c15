"""What the recording proxy checks and rewrites in a request before it forwards it.

Why a module of its own: these rules are the proxy's security boundary (the target it was
started for is the only host it may reach) and its faithfulness rules (what is forwarded as
it came), and each is tested on its own without a socket.

- The request target must be origin-form (``/path?query``; ``*`` for ``OPTIONS``, RFC 9112
  3.2): anything else (``@host:port/x``, ``:port/x``, ``http://host/x``) would let a client
  choose the host or port the proxy connects to, so it is refused with 400. The upstream URL
  is built from the target's scheme, host and port only, never by joining texts.
- ``Content-Length`` together with ``Transfer-Encoding`` is refused with 400 (RFC 9112 6.3:
  the two disagree about where the body ends; a proxy that forwards one of them smuggles).
- The header section is bounded (count and bytes: 431), the request target too (414), so one
  request cannot make the proxy (or the target behind it) work without bound.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["HOP_BY_HOP", "MAX_HEADER_BYTES", "MAX_HEADERS", "MAX_HEAD_READ", "MAX_TARGET", "Refusal",
           "base_url_hint", "check_target", "forward_request_headers",
           "forward_response_headers", "refusal", "request_target"]

#: Headers that belong to one connection, not to the message (RFC 9110 7.6.1), never forwarded.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
                        "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"})
#: At most this many header fields in a request (431 beyond; Node.js allows 2,000, Apache 100).
MAX_HEADERS = 1000
#: At most this many bytes of header names and values in a request (431 beyond).
MAX_HEADER_BYTES = 64 * 1024
#: The most of a request's head read before it is judged (beyond: the HTTP parser's 400).
MAX_HEAD_READ = 1024 * 1024
#: The longest request target (path and query) forwarded: httpx's own URL limit (414 beyond).
MAX_TARGET = 65536


def check_target(target: str) -> str:
    """The target base URL without a trailing slash; ValueError when it is not http(s)."""
    try:
        parts = urlsplit(target)
        _port = parts.port  # ValueError for a port that is not a number or out of range
    except ValueError as exc:
        raise ValueError(f"the target is not a valid URL ({target!r}): {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the target must be an http:// or https:// URL, not {target!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"the target is a base URL: no query or fragment ({target!r})")
    return target.rstrip("/")


def base_url_hint(target: str, proxy_url: str) -> str:
    """The line to give an app: ``OPENAI_BASE_URL=...`` for a ``/v1`` target, else ``BASE_URL``."""
    name, value = base_url(target, proxy_url)
    return f"{name}={value}"


def base_url(target: str, proxy_url: str) -> tuple[str, str]:
    """The environment variable an app reads its base URL from, and its value."""
    path = urlsplit(target).path.rstrip("/")
    name = "OPENAI_BASE_URL" if path.endswith("/v1") else "BASE_URL"
    return name, f"{proxy_url}{path}"


def _connection_tokens(headers: Sequence[tuple[bytes, bytes]]) -> set[str]:
    """Header names listed in ``Connection`` (hop-by-hop for this message too)."""
    out: set[str] = set()
    for k, v in headers:
        if k.lower() == b"connection":
            out.update(t.strip().lower() for t in v.decode("latin-1").split(",") if t.strip())
    return out


def forward_request_headers(headers: Sequence[tuple[bytes, bytes]],
                            host: str) -> list[tuple[bytes, bytes]]:
    """The client's headers as they go to the target: hop-by-hop dropped, ``Host`` rewritten."""
    drop = HOP_BY_HOP | _connection_tokens(headers) | {"host"}
    out = [(b"host", host.encode("latin-1"))]
    out += [(k, v) for k, v in headers if k.decode("latin-1").lower() not in drop]
    return out


def forward_response_headers(headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    drop = HOP_BY_HOP | _connection_tokens(headers)
    return [(k, v) for k, v in headers if k.decode("latin-1").lower() not in drop]


def request_target(scope: MutableMapping[str, Any]) -> bytes:
    """The request target as the client sent it (path and query, bytes as received)."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("latin-1")
    query: bytes = scope.get("query_string", b"")
    return raw_path + (b"?" + query if query else b"")


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the proxy answers a request itself instead of forwarding it."""

    status: int
    reason: str  # the status's phrase, for the JSON body's ``error``
    message: str


def refusal(scope: MutableMapping[str, Any]) -> Refusal | None:
    """The reason to refuse this request (None: forward it). See the module's docstring."""
    target = request_target(scope)
    method = scope["method"]
    if len(target) > MAX_TARGET:
        return Refusal(414, "uri too long", f"the request target is {len(target):,} bytes long;"
                       f" the proxy forwards at most {MAX_TARGET:,}")
    if not (target.startswith(b"/") or (method == "OPTIONS" and target == b"*")):
        shown = target[:80].decode("latin-1") + ("..." if len(target) > 80 else "")
        why = ("an absolute URL: the proxy is not an HTTP proxy (HTTP_PROXY); give the app"
               " the proxy's URL as its base URL instead") if b"://" in target[:16] else \
            "not a path"
        return Refusal(400, "bad request", f"the request target {shown!r} is {why}; the proxy "
                       "forwards only paths (/...) to its target")
    headers: Sequence[tuple[bytes, bytes]] = scope["headers"]
    if len(headers) > MAX_HEADERS:
        return Refusal(431, "request header fields too large", f"the request has "
                       f"{len(headers):,} header fields; the proxy forwards at most "
                       f"{MAX_HEADERS:,}")
    size = sum(len(k) + len(v) for k, v in headers)
    if size > MAX_HEADER_BYTES:
        return Refusal(431, "request header fields too large", f"the request's headers hold "
                       f"{size:,} bytes; the proxy forwards at most {MAX_HEADER_BYTES:,}")
    names = {k.lower() for k, _v in headers}
    if b"content-length" in names and b"transfer-encoding" in names:
        return Refusal(400, "bad request", "the request has both Content-Length and "
                       "Transfer-Encoding (RFC 9112 6.3: the body's end is ambiguous)")
    return None
