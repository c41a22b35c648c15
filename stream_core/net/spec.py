"""What to request and how to read it: the one request description every front end builds."""

from __future__ import annotations

from dataclasses import dataclass, field

from stream_core.decode.detect import Mode

__all__ = ["Mode", "RequestSpec", "Timeouts"]


@dataclass(slots=True)
class Timeouts:
    """Seconds; ``None`` waits forever.

    ``read`` bounds each wait for data (the first byte included), which is what a stream needs:
    an endless SSE stream is fine as long as something arrives every ``read`` seconds.
    """

    connect: float | None = 10.0
    read: float | None = 300.0
    total: float | None = None


@dataclass(frozen=True, slots=True)
class DecodeGuard:
    """The decompression guard: a compressed body may inflate to ``max_decoded`` bytes, and
    beyond that to at most ``max_ratio`` times its wire bytes (0: no ratio limit)."""

    max_decoded: int = 64 * 1024 * 1024
    max_ratio: float = 200.0
    enabled: bool = True


@dataclass(slots=True)
class RequestSpec:
    url: str
    method: str = "GET"
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    mode: Mode = Mode.AUTO
    timeouts: Timeouts = field(default_factory=Timeouts)
    follow_redirects: bool = True
    verify: bool | str = True  # False for --insecure, a path for a custom CA bundle
    http2: bool = False
    reconnect: bool = False
    max_reconnects: int | None = None  # reconnects before giving up (None: no limit)
    max_events: int | None = None
    max_line: int = 16 * 1024 * 1024  # one SSE event / NDJSON or text line, at most (MAX_LINE)
    decode_guard: DecodeGuard = field(default_factory=DecodeGuard)
    identity_encoding: bool = False  # send Accept-Encoding: identity
    output: str | None = None  # download destination
    # The response may rename ``output`` (same folder): Content-Disposition's name, or an
    # extension from Content-Type; ``output`` then holds the name chosen (the window's default).
    name_from_response: bool = False
    resume: bool = False
    cert: str | None = None  # client certificate (PEM; may hold the key too) for mutual TLS
    cert_key: str | None = None  # its private key, when in a file of its own
    proxy: str | None = None  # http://, https://, socks5:// proxy URL for this request
    trust_env: bool = False  # use HTTP(S)_PROXY / ALL_PROXY / NO_PROXY when no proxy is given
    decode: bool = False  # downloads: undo the Content-Encoding (else stored as sent)

    def header(self, name: str) -> str | None:
        low = name.lower()
        for k, v in self.headers:
            if k.lower() == low:
                return v
        return None
