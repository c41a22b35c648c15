"""Secrets out of saved and exported artifacts: masking by name pattern, everywhere.

Headers, query and fragment parameters with secret-looking names (``records.is_secret_name``)
and URL user info are masked; ``Masker`` also learns each request's secret values and masks
them wherever else they appear in a saved string (error messages, reconnect reasons, URLs
inside texts). Used by capture files, HAR, exports and copied code "without secrets".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from stream_core.records import (
    AnyRecord,
    Error,
    Headers,
    Reconnect,
    Request,
    Response,
    is_secret_name,
)

__all__ = ["MASK", "Masker", "mask_headers", "mask_request", "mask_url", "masked"]

MASK = "***"
#: Secret values shorter than this are not searched for in texts (they would mask words).
MIN_SECRET = 4
_URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.I)
_VALUE_PARTS = re.compile(r"[\s;,]+")


def mask_headers(headers: Iterable[tuple[str, str]]) -> Headers:
    """Headers with the value of every secret-looking name (``is_secret_name``) masked."""
    return [(k, MASK if is_secret_name(k) else v) for k, v in headers]


def _mask_params(text: str) -> str:
    """``a=1&token=x`` -> ``a=1&token=***``: secret-looking names masked, the rest as written."""
    if "=" not in text:
        return text
    out = []
    for part in text.split("&"):
        name, sep, _value = part.partition("=")
        out.append(f"{name}={MASK}" if sep and is_secret_name(unquote_plus(name)) else part)
    return "&".join(out)


def mask_url(url: str) -> str:
    """The URL with its user info (``TOKEN@``, ``user:***@``) and the values of secret-looking
    query and fragment parameters (``?api_key=***``, ``#access_token=***``) masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if sep else f"{MASK}@{host}"
    query, fragment = _mask_params(parts.query), _mask_params(parts.fragment)
    if (netloc, query, fragment) == (parts.netloc, parts.query, parts.fragment):
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def _url_secrets(url: str) -> set[str]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return set()
    found: set[str] = set()
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        user, sep, password = userinfo.partition(":")
        found.update([password] if sep else [user])
    for text in (parts.query, parts.fragment):
        for part in text.split("&"):
            name, sep, value = part.partition("=")
            if sep and is_secret_name(unquote_plus(name)):
                found.add(value)
    return found | {unquote_plus(v) for v in found}


def _header_secrets(value: str) -> set[str]:
    """A secret header's value and its parts: ``Bearer X`` -> X, ``a=X; b=Y`` -> X, Y."""
    found = {value}
    words = [w for w in _VALUE_PARTS.split(value) if w]
    if len(words) > 1 and words[0].isalpha():
        words = words[1:]  # the scheme of ``Bearer X`` / ``Basic X`` is not a secret
    for word in words:
        name, sep, rest = word.partition("=")
        found.add(rest if sep and name else word)
    return found


class Masker:
    """Masks a stream's secrets in every string of its records (for saved files and exports).

    Secret-looking header names, query and fragment parameters and URL user info are masked
    where they stand (``mask_url``, ``mask_headers``); their values, learnt from each
    ``Request``, are also masked wherever else they appear (error messages, reconnect
    reasons, response headers, any URL inside a text). Bodies and events are left as they came.
    """

    def __init__(self) -> None:
        self._values: list[str] = []  # longest first: a secret containing another goes whole

    def learn(self, request: Request) -> None:
        found = _url_secrets(request.url)
        for name, value in request.headers:
            if is_secret_name(name):
                found |= _header_secrets(value)
        new = {v for v in found if len(v) >= MIN_SECRET} - set(self._values)
        if new:
            self._values = sorted({*self._values, *new}, key=len, reverse=True)

    def text(self, text: str) -> str:
        if "://" in text:
            text = _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def headers(self, headers: Iterable[tuple[str, str]]) -> Headers:
        return [(k, MASK if is_secret_name(k) else self.text(v)) for k, v in headers]

    def record(self, r: AnyRecord) -> AnyRecord:
        """``r`` with its secrets masked (a copy; ``r`` itself when it holds none)."""
        if isinstance(r, Request):
            self.learn(r)
            return Request(r.t, r.method, self.text(mask_url(r.url)), self.headers(r.headers))
        if isinstance(r, Response):
            return Response(r.t, r.status, self.text(r.reason), r.http_version,
                            self.headers(r.headers), r.mode, r.clock)
        if isinstance(r, Error):
            return Error(r.t, r.kind, self.text(r.message))
        if isinstance(r, Reconnect) and r.reason:
            return Reconnect(r.t, r.attempt, r.delay_ms, r.last_event_id, self.text(r.reason))
        return r


def mask_request(method: str, url: str,
                 headers: Iterable[tuple[str, str]]) -> tuple[str, Headers]:
    """A request's URL and headers without its secrets (Copy as curl / httpx without them)."""
    masker = Masker()
    request = masker.record(Request(0.0, method, url, list(headers)))
    assert isinstance(request, Request)
    return request.url, request.headers


def masked(records: Iterable[AnyRecord]) -> list[AnyRecord]:
    """The records with every secret of the stream masked in every string (for exports)."""
    records = list(records)
    masker = Masker()
    for r in records:
        if isinstance(r, Request):
            masker.learn(r)  # a secret of a later request is masked in earlier texts too
    return [masker.record(r) for r in records]
