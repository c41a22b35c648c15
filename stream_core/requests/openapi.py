"""Endpoints from an OpenAPI document, as the picker lists them (no Qt here).

For each operation: tag, method, path, summary, and a ready-to-send example (URL with an
example query, example body, a mode guessed from the response media type). The embedded
server adds an ``x-try-it`` extension (a path with query, and a body) that wins when present.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin

from stream_core.net.spec import Mode

METHODS = ("get", "post", "put", "patch", "delete", "head", "options")

MEDIA_MODES = (
    ("text/event-stream", Mode.SSE),
    ("application/x-ndjson", Mode.NDJSON),
    ("application/jsonl", Mode.NDJSON),
    ("application/json-lines", Mode.NDJSON),
    ("application/octet-stream", Mode.DOWNLOAD),
    ("application/zip", Mode.DOWNLOAD),
    ("text/plain", Mode.LINES),
)


@dataclass(slots=True)
class Endpoint:
    tag: str
    method: str
    path: str
    summary: str
    description: str
    example_path: str
    body: str
    mode: Mode

    def url(self, base: str) -> str:
        return urljoin(base.rstrip("/") + "/", self.example_path.lstrip("/"))


def _param_example(param: dict[str, Any]) -> Any:
    if "example" in param:
        return param["example"]
    if param.get("examples"):
        examples = param["examples"]
        if isinstance(examples, dict):
            first = next(iter(examples.values()))
            return first.get("value") if isinstance(first, dict) else first
        if isinstance(examples, list):
            return examples[0]
    schema = param.get("schema") or {}
    if "example" in schema:
        return schema["example"]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if param.get("required") and "default" in schema:
        return schema["default"]
    return None


def _body_example(op: dict[str, Any]) -> str:
    content = (op.get("requestBody") or {}).get("content") or {}
    for media in content.values():
        if not isinstance(media, dict):
            continue
        value = media.get("example")
        if value is None and isinstance(media.get("examples"), dict) and media["examples"]:
            first = next(iter(media["examples"].values()))
            value = first.get("value") if isinstance(first, dict) else None
        if value is None:
            value = (media.get("schema") or {}).get("example")
        if value is not None:
            return value if isinstance(value, str) else json.dumps(value, indent=2)
    return ""


def _mode(op: dict[str, Any]) -> Mode:
    for response in (op.get("responses") or {}).values():
        if not isinstance(response, dict):
            continue
        for media in (response.get("content") or {}):
            low = media.lower()
            for prefix, mode in MEDIA_MODES:
                if low.startswith(prefix):
                    return mode
    return Mode.AUTO


def parse(doc: dict[str, Any]) -> list[Endpoint]:
    """All operations of ``doc``, in document order, grouped later by ``tag``."""
    out: list[Endpoint] = []
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            tags = op.get("tags") or ["default"]
            try_it = op.get("x-try-it") or {}
            example_path = try_it.get("path") if isinstance(try_it, dict) else None
            if not example_path:
                query = {}
                for param in op.get("parameters") or []:
                    if isinstance(param, dict) and param.get("in") == "query":
                        value = _param_example(param)
                        if value is not None:
                            query[param["name"]] = (str(value).lower() if isinstance(value, bool)
                                                    else value)
                example_path = path + ("?" + urlencode(query) if query else "")
            body = _body_example(op)
            if isinstance(try_it, dict) and try_it.get("body") is not None:
                raw = try_it["body"]
                body = raw if isinstance(raw, str) else json.dumps(raw, indent=2)
            out.append(Endpoint(
                tag=str(tags[0]), method=method.upper(), path=path,
                summary=str(op.get("summary") or ""),
                description=str(op.get("description") or ""),
                example_path=example_path, body=body, mode=_mode(op)))
    return out


def tag_order(doc: dict[str, Any], endpoints: list[Endpoint]) -> list[str]:
    """Tags in the document's declared order, then any undeclared ones as they appear."""
    order = [t["name"] for t in doc.get("tags") or [] if isinstance(t, dict) and "name" in t]
    for ep in endpoints:
        if ep.tag not in order:
            order.append(ep.tag)
    return [t for t in order if any(ep.tag == t for ep in endpoints)]
