"""Request references: ``{{login.response.body.$.access_token}}`` and friends.

The syntax of the VS Code REST Client (httpyac reads it too)::

    {{NAME.(response|request).(body|headers).(*|JSONPath|Header-Name)}}

reads a value from the latest exchange of the request named NAME in the same file: a JSONPath
into its body (``$.a.b[0]``, ``$['key']``), the whole body (``*``), or the first value of a
header (``[#n]`` for another one). Why here, Qt-free: ``capture --from`` and the window resolve
them the same way. Neither runs a request itself: ``spec_with_references``
(``requests.build``) is given a function that runs one and returns its ``Exchange``; the
window keeps the latest exchange of each request of the session and passes that function its
own sender, ``capture`` passes one that streams with the engine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from stream_core.records import loads_bounded

__all__ = ["REFERENCE", "Exchange", "NeedsResponse", "BadReference", "extract"]

#: ``{{name.response.body.$.x}}``; group 1 the request name, 2 the rest after it
REFERENCE = re.compile(
    r"\{\{\s*([A-Za-z_][\w\-]*)\.((?:response|request)\.(?:body|headers)(?:\.[^{}]*?)?)\s*\}\}")
_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[\s*(\d+)\s*\]|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]")
MAX_BODY = 16 * 1024 * 1024  # of a referenced response, kept for its references


class BadReference(ValueError):
    """A reference that cannot be read (no such value, a body that is not JSON...)."""


class NeedsResponse(BadReference):
    """The named request has not run yet in this session: run it first, then resolve again."""

    def __init__(self, name: str, reference: str) -> None:
        super().__init__(f"{{{{{reference}}}}} needs request {name!r} to run first")
        self.name = name


@dataclass(slots=True)
class Exchange:
    """One request as sent and its response, as references read them."""

    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: bytes = b""
    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    truncated: bool = False  # the body was longer than MAX_BODY and was cut


def _header(headers: list[tuple[str, str]], spec: str, reference: str) -> str:
    m = re.fullmatch(r"(.+?)(?:\[#?(\d+)\])?", spec.strip())
    name, index = (m.group(1), int(m.group(2) or 0)) if m else (spec, 0)
    values = [v for k, v in headers if k.lower() == name.strip().lower()]
    if index >= len(values):
        raise BadReference(f"{{{{{reference}}}}}: no header {name.strip()!r}"
                             + (f" number {index}" if index else ""))
    return values[index]


def _json_path(doc: Any, path: str, reference: str) -> Any:
    rest = path.strip()
    if not rest.startswith("$"):
        raise BadReference(f"{{{{{reference}}}}}: only JSONPath ($...) and * are read from a"
                             " body (XPath is not supported)")
    rest = rest[1:]
    node = doc
    while rest:
        m = _PATH_STEP.match(rest)
        if m is None:
            raise BadReference(f"{{{{{reference}}}}}: cannot read the JSONPath at {rest!r}")
        key, index = m.group(1) or m.group(3) or m.group(4), m.group(2)
        if index is not None and isinstance(node, list) and int(index) < len(node):
            node = node[int(index)]
        elif key is not None and isinstance(node, dict) and key in node:
            node = node[key]
        else:
            raise BadReference(f"{{{{{reference}}}}}: the body has no {path.strip()!r}")
        rest = rest[m.end():]
    return node


def extract(exchange: Exchange, name: str, rest: str) -> str:
    """The value ``{{name.rest}}`` reads from ``exchange``."""
    reference = f"{name}.{rest}"
    side, part, *tail = rest.split(".", 2)
    spec = tail[0] if tail else "*"
    if part == "headers":
        return _header(exchange.headers if side == "response" else exchange.request_headers,
                       spec, reference)
    body = exchange.body if side == "response" else exchange.request_body
    if spec.strip() == "*":
        return body.decode("utf-8", "replace")
    if exchange.truncated and side == "response":
        raise BadReference(f"{{{{{reference}}}}}: the response of {name!r} is larger than"
                             f" {MAX_BODY // 1024 // 1024} MiB")
    try:
        doc = loads_bounded(body)
    except ValueError:
        raise BadReference(f"{{{{{reference}}}}}: the {side} body of {name!r} is not"
                             " JSON") from None
    value = _json_path(doc, spec, reference)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
