"""Google Gemini ``streamGenerateContent?alt=sse``: each event a ``GenerateContentResponse``
(``candidates[0].content.parts[]`` with ``text`` (``thought: true`` for the reasoning
summary) and ``functionCall`` {name, args}; ``finishReason``; ``usageMetadata``), or an
``{"error": {...}}`` object.

A function call arrives whole (its ``args`` an object), so its arguments are that object
written as JSON.
"""

from __future__ import annotations

from typing import Any

from stream_core.analysis.llm.state import Format, ReplyState, expect, type_name

__all__ = ["GEMINI"]


def _detect(event: str, obj: dict[str, Any]) -> bool:
    return isinstance(obj.get("candidates"), list) or (
        "usageMetadata" in obj and "modelVersion" in obj)


def _feed(s: ReplyState, event: str, obj: dict[str, Any], t: float) -> None:
    if s.stream_error(obj):
        return
    if s.ended:
        s.problem("a response after the one with finishReason")
    if isinstance(obj.get("modelVersion"), str):
        s.model = obj["modelVersion"]
    if "usageMetadata" in obj:
        s.set_usage(expect(s, obj, "usageMetadata", "object", ""))
    feedback = obj.get("promptFeedback")
    if isinstance(feedback, dict) and feedback.get("blockReason"):
        s.ended = True
        s.finish(str(feedback["blockReason"]))
        s.fail(f"the prompt was blocked: {feedback['blockReason']}")
    candidates = obj.get("candidates")
    if candidates is None:
        if "usageMetadata" not in obj and feedback is None:
            s.problem("candidates is missing")
        return
    if not isinstance(candidates, list):
        s.problem(f"candidates is {type_name(candidates)}, expected array")
        return
    for i, cand in enumerate(candidates):
        if not isinstance(cand, dict):
            s.problem(f"candidates[{i}] is {type_name(cand)}, expected object")
            continue
        if cand.get("index", 0) != 0:
            continue
        where = f"candidates[{i}]."
        content = expect(s, cand, "content", "object", where, required="finishReason" not in cand)
        parts = expect(s, content, "parts", "array", where + "content.",
                       required="finishReason" not in cand) if content is not None else None
        for k, part in enumerate(parts or ()):
            _part(s, part, t, f"{where}content.parts[{k}].")
        reason = cand.get("finishReason")
        if reason is not None:
            s.finish(reason)
            s.ended = True


def _part(s: ReplyState, part: Any, t: float, where: str) -> None:
    if not isinstance(part, dict):
        s.problem(f"{where[:-1]} is {type_name(part)}, expected object")
        return
    if "text" in part:
        if part.get("thought") is True:
            s.think(part["text"], t, where + "text")
        else:
            s.token(part["text"], t, where + "text")
    call = part.get("functionCall")
    if call is not None:
        if not isinstance(call, dict):
            s.problem(f"{where}functionCall is {type_name(call)}, expected object")
            return
        s.whole_call(expect(s, call, "name", "string", where + "functionCall."),
                     call.get("id"), call.get("args"), t, where + "functionCall.args")


def _close(s: ReplyState) -> None:
    if not s.ended and s.error is None:
        s.problem("the stream ended before any finishReason (cut short?)", -1)


GEMINI = Format("gemini", "Google Gemini", _detect, _feed, _close)
