"""Exports of a recorded stream for other tools: HAR 1.2, the events as NDJSON, the raw body.

Why HAR: browser DevTools, HAR viewers and proxies import it, so a stream recorded here can be
shown to anyone. HAR has no chunks, so the body goes in whole (``content.text``, base64 when
it is not text) and the chunk times go in ``_chunks`` (custom fields start with ``_``).
One entry per connection: a stream that reconnected gives one entry per attempt.
"""

from __future__ import annotations

import base64
import codecs
import json
import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from stream_core.records import AnyRecord, Chunk, Error, Event, Record, Request, Response

__all__ = ["APP_NAME", "body_bytes", "events_ndjson", "to_har"]

APP_NAME = "Stream Inspector"
APP_VERSION = "0.1.0"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    low = name.lower()
    return next((v for k, v in headers if k.lower() == low), None)


def _nv(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in pairs]


def _request_cookies(headers: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for k, v in headers:
        if k.lower() == "cookie":
            for part in v.split(";"):
                name, sep, value = part.strip().partition("=")
                if name and sep:
                    out.append({"name": name, "value": value})
    return out


def _response_cookies(headers: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for k, v in headers:
        if k.lower() != "set-cookie":
            continue
        try:
            jar: SimpleCookie = SimpleCookie()
            jar.load(v)
        except CookieError:
            continue
        for morsel in jar.values():
            cookie: dict[str, Any] = {"name": morsel.key, "value": morsel.value}
            for attr in ("path", "domain", "expires"):
                if morsel[attr]:
                    cookie[attr] = morsel[attr]
            cookie["httpOnly"] = bool(morsel["httponly"])
            cookie["secure"] = bool(morsel["secure"])
            out.append(cookie)
    return out


def _decode(raw: bytes, encoding: str | None) -> bytes:
    """The body as a browser shows it: gzip / deflate undone (anything else left as is)."""
    enc = (encoding or "").strip().lower()
    try:
        if enc in ("gzip", "x-gzip"):
            return zlib.decompressobj(wbits=31).decompress(raw)
        if enc == "deflate":
            try:
                return zlib.decompressobj().decompress(raw)
            except zlib.error:
                return zlib.decompressobj(wbits=-15).decompress(raw)
    except zlib.error:
        return raw
    return raw


def _content(raw: bytes, headers: Sequence[tuple[str, str]]) -> dict[str, Any]:
    mime = _header(headers, "content-type") or "application/octet-stream"
    body = _decode(raw, _header(headers, "content-encoding"))
    content: dict[str, Any] = {"size": len(body), "mimeType": mime}
    if len(body) != len(raw):
        content["compression"] = len(body) - len(raw)
    try:
        content["text"] = _utf8(body)
    except UnicodeDecodeError:
        content["text"] = "".join(base64.b64encode(body[i:i + _PIECE]).decode("ascii")
                                  for i in range(0, len(body), _PIECE))
        content["encoding"] = "base64"
    return content


#: Bytes decoded or encoded per call (a multiple of 3: base64 pieces join to the whole).
_PIECE = 3 << 20


def _utf8(body: bytes) -> str:
    """``body.decode("utf-8")`` a piece at a time: the window exports in a worker thread,
    and one call over a 100 MB body holds the GIL (the GUI thread) for ~0.3 s."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    return "".join([*(decoder.decode(body[i:i + _PIECE]) for i in range(0, len(body), _PIECE)),
                    decoder.decode(b"", final=True)])


def _ms(seconds: float) -> float:
    return round(max(0.0, seconds) * 1000, 3)


def to_har(records: Sequence[AnyRecord], *, started: float, request_body: bytes | None = None,
           comment: str = "") -> dict[str, Any]:
    """A HAR 1.2 document of one stream's records; ``started`` is the wall time of ``t = 0``."""
    entries: list[dict[str, Any]] = []
    groups: list[list[AnyRecord]] = []
    for rec in records:
        if isinstance(rec, Request) or not groups:
            groups.append([])
        groups[-1].append(rec)
    for group in groups:
        request = next((r for r in group if isinstance(r, Request)), None)
        if request is None:
            continue
        response = next((r for r in group if isinstance(r, Response)), None)
        chunks = [r for r in group if isinstance(r, Chunk)]
        error = next((r for r in group if isinstance(r, Error)), None)
        entries.append(_entry(request, response, chunks, error, started, request_body))
    log: dict[str, Any] = {
        "version": "1.2",
        "creator": {"name": APP_NAME, "version": APP_VERSION},
        "pages": [],
        "entries": entries,
    }
    if comment:
        log["comment"] = comment
    return {"log": log}


def _entry(request: Request, response: Response | None, chunks: list[Chunk],
           error: Error | None, started: float, body: bytes | None) -> dict[str, Any]:
    version = response.http_version if response is not None else "HTTP/1.1"
    url = request.url
    har_request: dict[str, Any] = {
        "method": request.method, "url": url, "httpVersion": version,
        "cookies": _request_cookies(request.headers), "headers": _nv(request.headers),
        "queryString": _nv(parse_qsl(urlsplit(url).query, keep_blank_values=True)),
        "headersSize": -1, "bodySize": len(body) if body else 0,
    }
    if body:
        mime = _header(request.headers, "content-type") or "application/octet-stream"
        try:
            har_request["postData"] = {"mimeType": mime, "text": body.decode("utf-8"),
                                       "params": []}
        except UnicodeDecodeError:
            har_request["postData"] = {"mimeType": mime, "params": [],
                                       "text": base64.b64encode(body).decode("ascii"),
                                       "comment": "base64-encoded (not UTF-8)"}
    raw = b"".join(c.data for c in chunks)
    if response is not None:
        har_response: dict[str, Any] = {
            "status": response.status, "statusText": response.reason, "httpVersion": version,
            "cookies": _response_cookies(response.headers), "headers": _nv(response.headers),
            "content": _content(raw, response.headers),
            "redirectURL": _header(response.headers, "location") or "",
            "headersSize": -1, "bodySize": len(raw),
        }
        wait = response.t - request.t
        last = chunks[-1].t if chunks else response.t
        receive = last - response.t
    else:  # no answer: DevTools shows such entries with status 0
        har_response = {
            "status": 0, "statusText": "", "httpVersion": version, "cookies": [],
            "headers": [], "content": {"size": 0, "mimeType": "x-unknown"},
            "redirectURL": "", "headersSize": -1, "bodySize": -1,
        }
        wait = (error.t - request.t) if error is not None else 0.0
        receive = 0.0
    if error is not None and error.kind != "cancelled":
        har_response["_error"] = f"{error.kind}: {error.message}"
    timings = {"blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0.0,
               "wait": _ms(wait), "receive": _ms(receive)}
    return {
        "startedDateTime": _iso(started + request.t),
        "time": round(timings["send"] + timings["wait"] + timings["receive"], 3),
        "request": har_request, "response": har_response, "cache": {}, "timings": timings,
        "_chunks": [[_ms(c.t - request.t), c.size] for c in chunks],
    }


def events_ndjson(records: Iterable[AnyRecord]) -> bytes:
    """The parsed events (SSE) or records (NDJSON, lines), one ``capture`` JSON line each."""
    lines = [json.dumps(r.to_json(), ensure_ascii=False, separators=(",", ":"))
             for r in records if isinstance(r, Event | Record)]
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass") if lines else b""


def body_bytes(records: Iterable[AnyRecord]) -> bytes:
    """The response body exactly as received (still content-encoded, if it was)."""
    return b"".join(r.data for r in records if isinstance(r, Chunk))
