"""Import a HAR 1.2 file (browser DevTools' *Save all as HAR*) as ``.http`` requests.

Why apart from Postman: a HAR is a log of exchanges, not a collection; its requests are taken
as the browser sent them. Fields are checked for their JSON types (a HAR is input from
outside: ``headers: 5`` or ``null`` is a clear import error, never a traceback), repeated
``cookie`` entries of an HTTP/2 HAR become one ``Cookie`` header joined with ``"; "`` (RFC 9113
8.2.3), and names are made unique in one pass (10,000 entries for one URL import linearly).
"""

from __future__ import annotations

from typing import Any

from stream_core.requests.collection import CollectionImportError, Imported, Names
from stream_core.requests.httpfile import HttpRequest

__all__ = ["import_har"]

#: Headers a client computes itself, and HTTP/2 pseudo-headers: not worth saving.
SKIP_HEADERS = {"content-length", "host", "connection", "accept-encoding", "transfer-encoding"}


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CollectionImportError(f"{where} is {type(value).__name__}, not a list")
    return value


def _headers(req: dict[str, Any], where: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    cookies: list[str] = []
    for n, h in enumerate(_list(req.get("headers"), f"{where}.headers")):
        if not isinstance(h, dict) or not isinstance(h.get("name"), str):
            raise CollectionImportError(f"{where}.headers[{n}] is not a {{name, value}} object")
        name, value = h["name"], h.get("value", "")
        if not isinstance(value, (str, int, float)):
            raise CollectionImportError(f"{where}.headers[{n}].value is not text")
        if not name or name.startswith(":") or name.lower() in SKIP_HEADERS:
            continue
        if name.lower() == "cookie":
            cookies.append(str(value))
            continue
        out.append((name, str(value)))
    if cookies:
        out.append(("Cookie", "; ".join(cookies)))
    return out


def import_har(doc: dict[str, Any], name: str = "har") -> Imported:
    result = Imported(name)
    names = Names()
    log = doc["log"]
    for i, entry in enumerate(_list(log.get("entries"), "log.entries")):
        where = f"log.entries[{i}].request"
        req = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(req, dict) or not isinstance(req.get("url"), str):
            result.report.append(f"entry {i}: no request URL, skipped")
            continue
        method = req.get("method", "GET")
        if not isinstance(method, str):
            raise CollectionImportError(f"{where}.method is not text")
        method, url = method.upper(), req["url"]
        headers = _headers(req, where)
        label = f"{method} {url.split('?')[0].split('://', 1)[-1]}"
        body = None
        post = req.get("postData")
        if post is not None and not isinstance(post, dict):
            raise CollectionImportError(f"{where}.postData is not an object")
        if isinstance(post, dict):
            if isinstance(post.get("text"), str):
                body = post["text"]
            elif post.get("params"):
                result.report.append(f"{label}: form fields (postData.params) not carried over")
            if post.get("encoding") == "base64":
                result.report.append(f"{label}: a base64 (binary) body not carried over")
                body = None
        result.requests.append(HttpRequest(name=names.unique(label), method=method, url=url,
                                           headers=headers, body=body or None))
    return result
