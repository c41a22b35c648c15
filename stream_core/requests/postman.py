"""Import a Postman Collection v2.1 or a HAR file as a collection of ``.http`` requests.

Why: people arrive with their requests in Postman, or with a HAR saved from browser DevTools.
Both become one ``.http`` file (``httpfile.write``) that the Collections panel opens and an
IDE's HTTP client reads too. What cannot be carried over (scripts, file uploads, auth types
the format has no words for, disabled headers, binary bodies) is listed in the report, one
line each, never dropped silently.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stream_core.records import loads_bounded
from stream_core.requests.auth import Auth, apply_auth
from stream_core.requests.httpfile import HttpRequest, parse, write

__all__ = ["CollectionImportError", "Imported", "import_file", "import_har", "import_postman"]

log = logging.getLogger(__name__)

#: Headers a client computes itself, and HTTP/2 pseudo-headers: not worth saving.
_SKIP_HEADERS = {"content-length", "host", "connection", "accept-encoding", "transfer-encoding"}
MAX_DEPTH = 32  # Postman folders nested deeper than this are reported, not followed


class CollectionImportError(ValueError):
    """A file that is neither a Postman collection nor a HAR, or is not JSON."""


@dataclass(slots=True)
class Imported:
    name: str
    requests: list[HttpRequest] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    report: list[str] = field(default_factory=list)  # what could not be carried over

    def text(self) -> str:
        """The ``.http`` file; a request the format cannot hold as it is (a body line that
        reads as a separator or a handler) is reported."""
        text = write(self.variables, self.requests)
        back = {r.name: r for r in parse(text).requests}
        for request in self.requests:
            if back.get(request.name) != request:
                self.report.append(f"{request.name}: does not read back the same from a .http"
                                   " file (a body line starting with ###, > or <?)")
        return text


def _unique(name: str, taken: set[str]) -> str:
    name = " ".join(name.replace("#", "").split()) or "request"
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name} ({n})"
    taken.add(candidate)
    return candidate


def import_file(path: str | Path) -> Imported:
    """Read ``path``, a Postman v2.0/2.1 collection or a HAR 1.2 file."""
    path = Path(path)
    try:
        doc = loads_bounded(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CollectionImportError(f"cannot read {path.name}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CollectionImportError(f"{path.name} is not JSON: {exc.msg} (line {exc.lineno})") from None
    except ValueError as exc:  # nested deeper than any collection is
        raise CollectionImportError(f"{path.name} is not a collection: {exc}") from None
    if isinstance(doc, dict) and isinstance(doc.get("log"), dict):
        return import_har(doc, path.stem)
    if isinstance(doc, dict) and isinstance(doc.get("info"), dict) and "item" in doc:
        return import_postman(doc)
    raise CollectionImportError(f"{path.name} is neither a Postman collection (info + item) nor a HAR"
                       " file (log.entries)")


# -- HAR ---------------------------------------------------------------------------------------
def import_har(doc: dict[str, Any], name: str = "har") -> Imported:
    result = Imported(name)
    taken: set[str] = set()
    entries = doc["log"].get("entries", [])
    if not isinstance(entries, list):
        raise CollectionImportError("log.entries is not a list")
    for i, entry in enumerate(entries):
        req = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(req, dict) or not isinstance(req.get("url"), str):
            result.report.append(f"entry {i}: no request URL, skipped")
            continue
        method = str(req.get("method", "GET")).upper()
        url = req["url"]
        headers = [(str(h.get("name", "")), str(h.get("value", "")))
                   for h in req.get("headers", []) if isinstance(h, dict)]
        headers = [(k, v) for k, v in headers
                   if k and not k.startswith(":") and k.lower() not in _SKIP_HEADERS]
        label = f"{method} {url.split('?')[0].split('://', 1)[-1]}"
        body = None
        post = req.get("postData")
        if isinstance(post, dict):
            if isinstance(post.get("text"), str):
                body = post["text"]
            elif post.get("params"):
                result.report.append(f"{label}: form fields (postData.params) not carried over")
            if post.get("encoding") == "base64":
                result.report.append(f"{label}: a base64 (binary) body not carried over")
                body = None
        result.requests.append(HttpRequest(name=_unique(label, taken), method=method, url=url,
                                           headers=headers, body=body or None))
    return result


# -- Postman -----------------------------------------------------------------------------------
def _kv(items: Any) -> list[dict[str, Any]]:
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _auth(auth: Any, where: str, report: list[str]) -> Auth | None:
    """The Postman auth object as an ``Auth``; None for none/inherit-nothing."""
    if not isinstance(auth, dict):
        return None
    kind = auth.get("type")
    values = {str(p.get("key")): str(p.get("value", "")) for p in _kv(auth.get(kind))}
    if kind == "noauth":
        return Auth()
    if kind == "bearer":
        return Auth("bearer", token=values.get("token", ""))
    if kind == "basic":
        return Auth("basic", user=values.get("username", ""), password=values.get("password", ""))
    if kind == "apikey":
        return Auth("apikey", key_name=values.get("key", "X-API-Key"),
                    key_value=values.get("value", ""), in_query=values.get("in") == "query")
    report.append(f"{where}: auth type {kind!r} not carried over")
    return None


def _url(url: Any) -> str:
    if isinstance(url, str):
        return url
    if isinstance(url, dict):
        if isinstance(url.get("raw"), str):
            return str(url["raw"])
        host = url.get("host", "")
        host = ".".join(host) if isinstance(host, list) else str(host)
        path = url.get("path", "")
        path = "/".join(str(p) for p in path) if isinstance(path, list) else str(path)
        query = "&".join(f"{q.get('key')}={q.get('value', '')}" for q in _kv(url.get("query"))
                         if not q.get("disabled"))
        base = f"{url.get('protocol', 'https')}://{host}/{path}"
        return f"{base}?{query}" if query else base
    return ""


def _body(body: Any, label: str, headers: list[tuple[str, str]],
          report: list[str]) -> str | None:
    if not isinstance(body, dict) or body.get("disabled"):
        return None
    mode = body.get("mode")
    names = {k.lower() for k, _ in headers}

    def content_type(value: str) -> None:
        if "content-type" not in names:
            headers.append(("Content-Type", value))

    if mode == "raw":
        language = body.get("options", {}).get("raw", {}).get("language") if isinstance(
            body.get("options"), dict) else None
        if language == "json":
            content_type("application/json")
        return str(body.get("raw", "")) or None
    if mode == "urlencoded":
        content_type("application/x-www-form-urlencoded")
        return "&".join(f"{p.get('key')}={p.get('value', '')}" for p in _kv(body.get(mode))
                        if not p.get("disabled")) or None
    if mode == "graphql":
        gql = body.get("graphql", {}) if isinstance(body.get("graphql"), dict) else {}
        content_type("application/json")
        variables = gql.get("variables") or "{}"
        try:
            parsed = loads_bounded(variables) if isinstance(variables, str) else variables
        except ValueError:
            parsed = {}
            report.append(f"{label}: GraphQL variables are not JSON, left out")
        return json.dumps({"query": gql.get("query", ""), "variables": parsed})
    report.append(f"{label}: a {mode!r} body (form data / file upload) not carried over")
    return None


def import_postman(doc: dict[str, Any]) -> Imported:
    info = doc["info"]
    result = Imported(str(info.get("name", "postman")))
    schema = str(info.get("schema", ""))
    if schema and "v2." not in schema:
        result.report.append(f"schema {schema} is not v2.x: read as v2.1")
    for var in _kv(doc.get("variable")):
        if var.get("disabled"):
            continue
        result.variables[str(var.get("key"))] = str(var.get("value", ""))
    taken: set[str] = set()
    if doc.get("event"):
        result.report.append("collection: pre-request/test scripts not carried over (not run)")
    root_auth = _auth(doc.get("auth"), "collection", result.report)

    def walk(items: Any, prefix: str, auth: Auth | None, depth: int) -> None:
        for item in _kv(items):
            name = str(item.get("name", "request"))
            label = f"{prefix}{name}"
            own = _auth(item.get("auth"), label, result.report) if "auth" in item else None
            effective = own if own is not None else auth
            if item.get("event"):
                result.report.append(f"{label}: scripts not carried over (not run)")
            if "item" in item:
                if depth >= MAX_DEPTH:
                    result.report.append(f"{label}: folders nested too deep, skipped")
                    continue
                walk(item["item"], f"{label} / ", effective, depth + 1)
                continue
            request = item.get("request")
            if isinstance(request, str):
                request = {"url": request, "method": "GET"}
            if not isinstance(request, dict):
                result.report.append(f"{label}: no request, skipped")
                continue
            headers = []
            for h in _kv(request.get("header")):
                if h.get("disabled"):
                    result.report.append(f"{label}: disabled header {h.get('key')!r} left out")
                    continue
                headers.append((str(h.get("key", "")), str(h.get("value", ""))))
            url = _url(request.get("url"))
            body = _body(request.get("body"), label, headers, result.report)
            req_auth = _auth(request.get("auth"), label, result.report) if request.get(
                "auth") else effective
            if req_auth is not None:
                try:
                    url, headers = apply_auth(req_auth, url, headers)
                except ValueError as exc:
                    result.report.append(f"{label}: auth not carried over: {exc}")
            result.requests.append(HttpRequest(
                name=_unique(label, taken), method=str(request.get("method", "GET")).upper(),
                url=url, headers=headers, body=body))

    walk(doc.get("item"), "", root_auth, 0)
    return result
