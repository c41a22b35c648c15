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
from pathlib import Path
from typing import Any
from urllib.parse import quote

from stream_core.records import loads_bounded
from stream_core.requests.auth import Auth, apply_auth
from stream_core.requests.collection import CollectionImportError, Imported, Names
from stream_core.requests.har_import import import_har
from stream_core.requests.httpfile import HttpRequest
from stream_core.userfiles import UserFileError, read_user_text

__all__ = ["CollectionImportError", "Imported", "import_file", "import_har", "import_postman"]

log = logging.getLogger(__name__)

MAX_DEPTH = 32  # Postman folders nested deeper than this are reported, not followed


MAX_FILE = 256 * 1024 * 1024
#: What newman leaves as it is in a query value, a path segment, a form field (the rest is
#: percent-encoded; ``{}`` stay so that ``{{variables}}`` resolve at send time)
_QUERY_SAFE = "!$'()*+,;=:@/?{}%[]|^`~-._"
_PATH_SAFE = "!$&'()*+,;=:@{}%-._~"
_FORM_SAFE = "!'()*-._~{}"
BOUNDARY = "StreamInspectorFormBoundary7MA4YWxkTrZu0gW"


def import_file(path: str | Path) -> Imported:
    """Read ``path``, a Postman v2.0/2.1 collection or a HAR 1.2 file (a BOM is fine; only a
    regular file is read)."""
    path = Path(path)
    try:
        doc = loads_bounded(read_user_text(path, "collection", MAX_FILE))
    except UserFileError as exc:
        raise CollectionImportError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise CollectionImportError(f"{path.name} is not JSON: {exc.msg} (line {exc.lineno},"
                                    f" column {exc.colno})") from None
    except ValueError as exc:  # nested deeper than any collection is
        raise CollectionImportError(f"{path.name} is not a collection: {exc}") from None
    try:
        if isinstance(doc, dict) and isinstance(doc.get("log"), dict):
            return import_har(doc, path.stem)
        if isinstance(doc, dict) and isinstance(doc.get("info"), dict) and "item" in doc:
            return import_postman(doc)
    except CollectionImportError as exc:
        raise CollectionImportError(f"{path.name}: {exc}") from None
    raise CollectionImportError(f"{path.name} is neither a Postman collection (info + item)"
                                " nor a HAR file (log.entries)")


# -- Postman -----------------------------------------------------------------------------------
def _kv(items: Any) -> list[dict[str, Any]]:
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _text(value: Any) -> str:
    """A Postman value as text (numbers and booleans as JSON writes them; null as empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return json.dumps(value)


def _auth(auth: Any, where: str, report: list[str]) -> Auth | None:
    """The Postman auth object as an ``Auth``; None for none/inherit-nothing."""
    if not isinstance(auth, dict):
        return None
    kind = auth.get("type")
    if not isinstance(kind, str):
        report.append(f"{where}: auth type {kind!r} is not a name, auth not carried over")
        return None
    values = {_text(p.get("key")): _text(p.get("value", "")) for p in _kv(auth.get(kind))}
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


def _query(items: list[dict[str, Any]]) -> str:
    pairs = []
    for q in items:
        if q.get("disabled"):
            continue
        key = quote(_text(q.get("key")), safe=_QUERY_SAFE.replace("=", ""))
        pairs.append(key if q.get("value") is None else
                     f"{key}={quote(_text(q.get('value')), safe=_QUERY_SAFE)}")
    return "&".join(pairs)


def _url(url: Any) -> str:
    """The URL newman sends: from the parts when there are parts (``url.raw`` can miss the
    query entries), path variables (``/:action``) filled from ``url.variable``."""
    if isinstance(url, str):
        return url
    if not isinstance(url, dict):
        return ""
    host = url.get("host")
    if host is None:
        return _text(url.get("raw"))
    host = ".".join(_text(h) for h in host) if isinstance(host, list) else _text(host)
    values = {_text(v.get("key")): _text(v.get("value")) for v in _kv(url.get("variable"))}
    path = url.get("path", [])
    segments = path if isinstance(path, list) else _text(path).strip("/").split("/")
    filled = []
    for segment in (_text(p) for p in segments):
        if segment.startswith(":") and segment[1:] in values:
            segment = quote(values[segment[1:]], safe=_PATH_SAFE)
        filled.append(segment)
    protocol = _text(url.get("protocol")) or ("" if "://" in host or host.startswith("{{")
                                              else "https")
    base = f"{protocol}://{host}" if protocol else host
    if url.get("port"):
        base += f":{_text(url['port'])}"
    if filled:
        base += "/" + "/".join(filled)
    query = _query(_kv(url.get("query")))
    if query:
        base += f"?{query}"
    if url.get("hash"):
        base += f"#{_text(url['hash'])}"
    return base


def _form(items: list[dict[str, Any]], label: str, report: list[str]) -> str | None:
    """A ``formdata`` body as a multipart body of the ``.http`` format (``< file`` parts)."""
    lines: list[str] = []
    for item in items:
        if item.get("disabled"):
            continue
        name = _text(item.get("key")).replace('"', "%22")
        lines.append(f"--{BOUNDARY}")
        if item.get("type") == "file":
            src = item.get("src")
            if not isinstance(src, str) or not src:
                report.append(f"{label}: form file {name!r} has no file (src), left out")
                lines.pop()
                continue
            lines += [f'Content-Disposition: form-data; name="{name}"; filename='
                      f'"{Path(src).name}"', "", f"< {src}"]
        else:
            lines += [f'Content-Disposition: form-data; name="{name}"', "",
                      _text(item.get("value"))]
    return "\n".join([*lines, f"--{BOUNDARY}--"]) if lines else None


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
        raw = _text(body.get("raw"))
        options = body.get("options")
        raw_options = options.get("raw") if isinstance(options, dict) else None
        language = raw_options.get("language") if isinstance(raw_options, dict) else None
        if language == "json" and raw:  # newman adds it only to a body that is there
            content_type("application/json")
        return raw or None
    if mode == "urlencoded":
        fields = [f"{quote(_text(p.get('key')), safe=_FORM_SAFE)}="
                  f"{quote(_text(p.get('value')), safe=_FORM_SAFE)}"
                  for p in _kv(body.get(mode)) if not p.get("disabled")]
        if fields:
            content_type("application/x-www-form-urlencoded")
        return "&".join(fields) or None
    if mode == "formdata":
        form = _form(_kv(body.get(mode)), label, report)
        if form is not None:
            headers[:] = [(k, v) for k, v in headers if k.lower() != "content-type"]
            headers.append(("Content-Type", f"multipart/form-data; boundary={BOUNDARY}"))
        return form
    if mode == "graphql":
        gql = body.get("graphql", {}) if isinstance(body.get("graphql"), dict) else {}
        content_type("application/json")
        variables = gql.get("variables") or "{}"
        try:
            parsed = loads_bounded(variables) if isinstance(variables, str) else variables
        except ValueError:
            parsed = {}
            report.append(f"{label}: GraphQL variables are not JSON, left out")
        return json.dumps({"query": _text(gql.get("query", "")), "variables": parsed})
    report.append(f"{label}: a {mode!r} body (a file upload?) not carried over")
    return None


def import_postman(doc: dict[str, Any]) -> Imported:
    info = doc["info"]
    result = Imported(_text(info.get("name", "postman")) or "postman")
    schema = _text(info.get("schema", ""))
    if schema and "v2." not in schema:
        result.report.append(f"schema {schema} is not v2.x: read as v2.1")
    for var in _kv(doc.get("variable")):
        if var.get("disabled"):
            continue
        result.variables[_text(var.get("key"))] = _text(var.get("value", ""))
    names = Names()
    if doc.get("event"):
        result.report.append("collection: pre-request/test scripts not carried over (not run)")
    root_auth = _auth(doc.get("auth"), "collection", result.report)

    def walk(items: Any, prefix: str, auth: Auth | None, depth: int) -> None:
        for item in _kv(items):
            name = _text(item.get("name", "request"))
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
                headers.append((_text(h.get("key", "")), _text(h.get("value", ""))))
            url = _url(request.get("url"))
            body = _body(request.get("body"), label, headers, result.report)
            req_auth = _auth(request.get("auth"), label, result.report) if request.get(
                "auth") else effective
            if req_auth is not None:
                try:
                    url, headers = apply_auth(req_auth, url, headers)
                except ValueError as exc:
                    result.report.append(f"{label}: auth not carried over: {exc}")
            method = _text(request.get("method", "GET")).upper() or "GET"
            result.requests.append(HttpRequest(
                name=names.unique(label), method=method, url=url, headers=headers, body=body))

    walk(doc.get("item"), "", root_auth, 0)
    return result
