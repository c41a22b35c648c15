"""Secrets out of saved and exported artifacts: masking by name pattern, everywhere.

Headers, query and fragment parameters with secret-looking names (``records.is_secret_name``)
and URL user info are masked; ``Masker`` also learns each request's secret values and masks
them wherever else they appear: in texts (error messages, reconnect reasons, URLs inside
texts) as ``***``, and in what the server sent back (bodies, events, NDJSON records,
comments) as one ``*`` per character, so that sizes, offsets and framing stay exact
(``body_masking`` for the bytes of a body, compressed ones included). Used by capture files,
the proxy's records, HAR, exports and copied code "without secrets".
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from stream_core.capture.body_masking import BodyMasker, blank, find_all
from stream_core.records import (
    AnyRecord,
    Chunk,
    Comment,
    End,
    Error,
    Event,
    Headers,
    Notice,
    Reconnect,
    Record,
    Request,
    Response,
    is_secret_name,
)

__all__ = ["MASK", "Masker", "mask_headers", "mask_request", "mask_url", "masked",
           "masked_request_body", "masked_value"]

MASK = "***"
#: Secret values shorter than this are not searched for in texts (they would mask words).
MIN_SECRET = 4
_URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.I)
_VALUE_PARTS = re.compile(r"[\s;,]+")


def mask_headers(headers: Iterable[tuple[str, str]]) -> Headers:
    """Headers with the value of every secret-looking name (``is_secret_name``) masked."""
    return [(k, masked_value(k, v) if is_secret_name(k) else v) for k, v in headers]


_AUTH_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*) +\S")


def masked_value(name: str, value: str) -> str:
    """A secret header's value as masked: ``***``, but an ``Authorization`` (or
    ``Proxy-Authorization``) keeps its scheme, ``Bearer ***``: the scheme is no secret and a
    copied request that says it can be completed (issue 23.19)."""
    if name.lower() in ("authorization", "proxy-authorization"):
        scheme = _AUTH_SCHEME.match(value)
        if scheme is not None:
            return f"{scheme.group(1)} {MASK}"
    return MASK


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
    """A secret header's value and its parts: ``Bearer X`` -> X, ``a=X; b=Y`` -> X, Y;
    ``Basic X`` -> X and what it encodes (``user:password``, the password)."""
    found = {value}
    words = [w for w in _VALUE_PARTS.split(value) if w]
    if len(words) > 1 and words[0].isalpha():
        if words[0].lower() == "basic":
            found |= _basic_secrets(words[1])
        words = words[1:]  # the scheme of ``Bearer X`` / ``Basic X`` is not a secret
    for word in words:
        name, sep, rest = word.partition("=")
        found.add(rest if sep and name else word)
    return found


def _basic_secrets(token: str) -> set[str]:
    try:
        pair = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return set()
    _user, sep, password = pair.partition(":")
    return {pair, password} if sep else {pair}


def _forms(secret: str) -> set[str]:
    """How a secret may be written in what a server sends back: as it is, JSON-escaped,
    percent-encoded."""
    return {secret, json.dumps(secret)[1:-1], quote(secret, safe="")}


class Masker:
    """Masks a stream's secrets in every string of its records (for saved files and exports).

    Secret-looking header names, query and fragment parameters and URL user info are masked
    where they stand (``mask_url``, ``mask_headers``); their values, learnt from each
    ``Request``, are also masked wherever else they appear: in texts (error messages,
    reconnect reasons, response headers, any URL inside a text) as ``***``, and in what the
    server sent (chunks, events, records, comments) one ``*`` per character or byte.

    ``record`` masks one record on its own; ``feed`` (then ``flush``) masks a stream exactly,
    a secret split across reads included, holding a read back until the next one settles it
    (records after a held read wait with it, so their order is kept).
    """

    def __init__(self) -> None:
        self._values: list[str] = []  # longest first: a secret containing another goes whole
        self._forms: list[str] = []  # every way each value may be written, longest first
        self._needles: list[bytes] = []
        self._body: BodyMasker | None = None
        self._queue: list[AnyRecord] = []  # from the first held read on, in order

    def learn(self, request: Request) -> None:
        found = _url_secrets(request.url)
        for name, value in request.headers:
            if is_secret_name(name):
                found |= _header_secrets(value)
        new = {v for v in found if len(v) >= MIN_SECRET} - set(self._values)
        if new:
            self._values = sorted({*self._values, *new}, key=len, reverse=True)
            forms = {f for v in self._values for f in _forms(v)}
            self._forms = sorted(forms, key=len, reverse=True)
            self._needles = sorted({f.encode("utf-8", "surrogateescape") for f in forms},
                                   key=len, reverse=True)

    def text(self, text: str) -> str:
        if "://" in text:
            text = _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def blank(self, text: str) -> str:
        """``text`` with each secret value (in any of its forms) turned to as many ``*``."""
        for form in self._forms:
            if form in text:
                text = text.replace(form, "*" * len(form))
        return text

    def blank_bytes(self, data: bytes) -> bytes:
        """``data`` (a whole body) with each secret value turned to as many ``*``."""
        return blank(data, find_all(data, self._needles)) if self._needles else data

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.blank(value)
        if isinstance(value, list):
            return [self._value(v) for v in value]
        if isinstance(value, dict):
            return {self.blank(k): self._value(v) for k, v in value.items()}
        return value

    def headers(self, headers: Iterable[tuple[str, str]]) -> Headers:
        return [(k, masked_value(k, v) if is_secret_name(k) else self.text(v))
                for k, v in headers]

    def record(self, r: AnyRecord) -> AnyRecord:
        """``r`` with its secrets masked (a copy; ``r`` itself when it holds none). A chunk is
        blanked on its own here: ``feed`` also finds a secret split across chunks."""
        if isinstance(r, Request):
            self.learn(r)
            return Request(r.t, r.method, self.text(mask_url(r.url)), self.headers(r.headers))
        if isinstance(r, Response):
            return Response(r.t, r.status, self.text(r.reason), r.http_version,
                            self.headers(r.headers), r.mode, r.clock)
        if isinstance(r, Error):
            return Error(r.t, r.kind, self.text(r.message))
        if isinstance(r, Reconnect) and r.reason:
            return Reconnect(r.t, r.attempt, r.delay_ms, self.blank(r.last_event_id),
                             self.text(r.reason))
        if not self._needles:
            return r
        if isinstance(r, Chunk):
            alone = BodyMasker(self._needles)
            return [*alone.feed(r), *alone.flush()][0]
        if isinstance(r, Event):
            return Event(r.seq, r.t, self.blank(r.event), self.blank(r.data), self.blank(r.id),
                         r.first_chunk, r.last_chunk)
        if isinstance(r, Record):
            return Record(r.seq, r.t, self.blank(r.text), self._value(r.value),
                          r.error and self.text(r.error), r.parsed, r.first_chunk,
                          r.last_chunk)
        if isinstance(r, Comment):
            return Comment(r.t, self.blank(r.text), r.chunk)
        if isinstance(r, Notice):  # its detail is text from the body (a field name, a value)
            return Notice(r.t, r.code, self.blank(r.detail), r.chunk)
        return r

    def feed(self, r: AnyRecord) -> list[AnyRecord]:
        """The records now settled, masked, in order (none while a read is held back)."""
        if isinstance(r, Chunk):
            if self._body is None:
                self._body = BodyMasker(self._needles)
            self._queue.append(r)  # its place; the masked copy comes from the body masker
            return self._drain(self._body.feed(r))
        if isinstance(r, Request | Response | Reconnect | End):  # a body ends before these
            out = self.flush()
            if isinstance(r, Response):
                self._body = BodyMasker(self._needles, r.headers)
            out.append(self.record(r))
            return out
        masked = self.record(r)
        if not self._queue:
            return [masked]
        self._queue.append(masked)
        return []

    def _drain(self, chunks: list[Chunk]) -> list[AnyRecord]:
        """The queue up to the first chunk still held; ``chunks`` are the oldest held ones,
        masked, in order."""
        out: list[AnyRecord] = []
        released = iter(chunks)
        while self._queue:
            if isinstance(self._queue[0], Chunk):
                chunk = next(released, None)
                if chunk is None:
                    break
                out.append(chunk)
            else:
                out.append(self._queue[0])
            del self._queue[0]
        return out

    def flush(self) -> list[AnyRecord]:
        """Everything still held (the end of a body, or of the stream)."""
        chunks = self._body.flush() if self._body is not None else []
        self._body = None
        return self._drain(chunks)


def mask_request(method: str, url: str,
                 headers: Iterable[tuple[str, str]]) -> tuple[str, Headers]:
    """A request's URL and headers without its secrets (Copy as curl / httpx without them)."""
    masker = Masker()
    request = masker.record(Request(0.0, method, url, list(headers)))
    assert isinstance(request, Request)
    return request.url, request.headers


def _learnt(records: Iterable[AnyRecord]) -> Masker:
    masker = Masker()
    for r in records:
        if isinstance(r, Request):
            masker.learn(r)  # a secret of a later request is masked in earlier texts too
    return masker


def masked_request_body(records: Iterable[AnyRecord], body: bytes | None) -> bytes | None:
    """The body the request sent with the stream's secret values blanked (one ``*`` per
    byte: sizes stay exact), for an export that carries it (HAR ``postData``)."""
    return _learnt(records).blank_bytes(body) if body else body


def masked(records: Iterable[AnyRecord]) -> list[AnyRecord]:
    """The records with every secret of the stream masked in every string and body (for
    exports)."""
    records = list(records)
    masker = _learnt(records)
    out: list[AnyRecord] = []
    for r in records:
        out.extend(masker.feed(r))
    out.extend(masker.flush())
    return out
