"""Small helpers around one event: a dotted JSON path, and the text piece an event adds.

Why: in a chat stream every row starts with the same ``{"id":"chatcmpl-...`` prefix; the
piece of text each event adds is what a developer scans for in the events table. Providers
whose chunks have no known shape are read with a dotted path (``choices.0.delta.text``).
"""

from __future__ import annotations

from typing import Any

from stream_core.records import loads_bounded

__all__ = ["llm_delta", "parse_path", "pick"]

_MARKERS = ('"delta"', '"candidates"', '"token"', '"message"', '"response"')


def parse_path(path: str) -> list[str | int]:
    """``choices.0.delta.content`` -> ``["choices", 0, "delta", "content"]``."""
    out: list[str | int] = []
    for part in path.strip().split("."):
        if not part:
            continue
        out.append(int(part) if part.isdigit() else part)
    return out


def pick(value: Any, path: list[str | int]) -> Any:
    """Follow ``path`` into nested dicts/lists; None when any step is missing."""
    for step in path:
        if isinstance(step, int) and isinstance(value, list):
            if not -len(value) <= step < len(value):
                return None
            value = value[step]
        elif isinstance(value, dict):
            value = value.get(str(step))
        else:
            return None
    return value


def _delta_piece(delta: Any) -> str | None:
    if isinstance(delta, str):  # Responses: {"type":"response.output_text.delta","delta":".."}
        return delta
    if not isinstance(delta, dict):
        return None
    message = delta.get("message")
    if isinstance(message, dict):  # Cohere v2: delta.message.content.text / tool_calls
        content = message.get("content")
        if isinstance(content, dict):
            return _first_str(content, ("text", "thinking"))
        calls = message.get("tool_calls")
        if isinstance(calls, dict) and isinstance(calls.get("function"), dict):
            fn = calls["function"]
            return f"{fn.get('name') or ''}{fn.get('arguments') or ''}"
        return _first_str(message, ("tool_plan",))
    piece = _first_str(delta, ("content", "reasoning_content", "reasoning", "text",
                               "thinking", "partial_json", "refusal"))
    if piece is not None:
        return piece
    calls = delta.get("tool_calls")
    if isinstance(calls, list) and calls and isinstance(calls[0], dict):
        fn = calls[0].get("function") or {}
        if isinstance(fn, dict):
            return f"{fn.get('name') or ''}{fn.get('arguments') or ''}"
    return None


def _first_str(obj: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if isinstance(obj.get(key), str):
            return str(obj[key])
    return None


def llm_delta(text: str) -> str | None:
    """The text piece of an LLM streaming chunk of any known format, else None."""
    if not text.startswith("{") or not any(m in text for m in _MARKERS):
        return None
    try:
        obj = loads_bounded(text)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    choices = obj.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return _delta_piece(choices[0].get("delta"))
    if "delta" in obj:
        return _delta_piece(obj["delta"])
    candidates = obj.get("candidates")
    if isinstance(candidates, list) and candidates and isinstance(candidates[0], dict):
        parts = pick(candidates[0], ["content", "parts"])
        if isinstance(parts, list):
            pieces = [p.get("text") for p in parts if isinstance(p, dict)]
            return "".join(p for p in pieces if isinstance(p, str)) or None
        return None
    token = obj.get("token")
    if isinstance(token, dict) and isinstance(token.get("text"), str):
        return str(token["text"])
    message = obj.get("message")
    if "done" in obj:  # Ollama: /api/chat (message) or /api/generate
        where = message if isinstance(message, dict) else obj
        piece = where.get("content", where.get("response"))
        return (piece if isinstance(piece, str) and piece else None) or _first_str(
            where, ("thinking",))
    return None
