"""Ollama ``/api/chat`` and ``/api/generate``: NDJSON records, ``message.content`` /
``response`` pieces, ``message.thinking`` / ``thinking``, whole ``message.tool_calls``
(arguments an object), then a ``done: true`` record with ``done_reason`` and the server's own
counts (``eval_count``, ``eval_duration`` in ns, ``prompt_eval_count``...), kept as the usage.
"""

from __future__ import annotations

from typing import Any

from stream_core.analysis.llm.state import Format, ReplyState, expect, type_name

__all__ = ["OLLAMA", "server_rate"]

_COUNTS = ("prompt_eval_count", "eval_count", "eval_duration", "prompt_eval_duration",
           "total_duration", "load_duration")


def _detect(event: str, obj: dict[str, Any]) -> bool:
    return "model" in obj and "created_at" in obj and "done" in obj and (
        "message" in obj or "response" in obj)


def _feed(s: ReplyState, event: str, obj: dict[str, Any], t: float) -> None:
    if s.stream_error(obj):
        return
    if s.ended:
        s.problem("a record after the one with done: true")
    if isinstance(obj.get("model"), str):
        s.model = obj["model"]
    if "message" in obj:
        message = expect(s, obj, "message", "object", "")
        if message is not None:
            s.think(message.get("thinking"), t, "message.thinking")
            s.token(message.get("content"), t, "message.content")
            calls = message.get("tool_calls")
            if calls is not None:
                if isinstance(calls, list):
                    for k, raw in enumerate(calls):
                        _call(s, raw, t, f"message.tool_calls[{k}].")
                else:
                    s.problem(f"message.tool_calls is {type_name(calls)}, expected array")
    else:
        s.think(obj.get("thinking"), t, "thinking")
        s.token(expect(s, obj, "response", "string", ""), t)
    done = expect(s, obj, "done", "boolean", "")
    if done:
        s.ended = True
        s.finish(obj.get("done_reason") or "stop")
        s.set_usage({k: obj[k] for k in _COUNTS if isinstance(obj.get(k), int)})


def _call(s: ReplyState, raw: Any, t: float, where: str) -> None:
    if not isinstance(raw, dict):
        s.problem(f"{where[:-1]} is {type_name(raw)}, expected object")
        return
    fn = expect(s, raw, "function", "object", where)
    if fn is None:
        return
    s.whole_call(expect(s, fn, "name", "string", where + "function."), raw.get("id"),
                 fn.get("arguments"), t, where + "function.arguments")


def _close(s: ReplyState) -> None:
    if not s.ended and s.error is None:
        s.problem("the stream ended without a done: true record (cut short?)", -1)


def server_rate(usage: dict[str, Any] | None) -> float | None:
    """Tokens/s as the Ollama server measured it: ``eval_count / eval_duration``."""
    if not usage:
        return None
    count, ns = usage.get("eval_count"), usage.get("eval_duration")
    if isinstance(count, int) and isinstance(ns, int) and ns > 0:
        return count / (ns / 1e9)
    return None


OLLAMA = Format("ollama", "Ollama", _detect, _feed, _close)
