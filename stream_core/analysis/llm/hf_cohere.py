"""Two more SSE shapes: Hugging Face TGI ``/generate_stream`` and Cohere v2 chat.

TGI: ``data: {"index":n,"token":{"id","text","logprob","special"},"generated_text":null,
"details":null}``, the last one with ``generated_text`` (the whole reply) and ``details``
(``finish_reason``, ``generated_tokens``); ``{"error": ..}`` on failure. Special tokens are
not part of the text, as in ``generated_text``.

Cohere v2: events typed ``message-start``, ``content-start`` / ``content-delta``
(``delta.message.content.text`` or ``.thinking``) / ``content-end``, ``tool-plan-delta``
(the plan is shown as reasoning), ``tool-call-start`` / ``tool-call-delta`` / ``tool-call-end``
(``delta.message.tool_calls.function``), ``message-end`` (``finish_reason``, ``usage``).
"""

from __future__ import annotations

from typing import Any

from stream_core.analysis.llm.state import Format, ReplyState, expect, type_name

__all__ = ["COHERE", "TGI"]


# -- TGI ----------------------------------------------------------------------------------------
def _tgi_detect(event: str, obj: dict[str, Any]) -> bool:
    token = obj.get("token")
    return isinstance(token, dict) and "text" in token and "generated_text" in obj


def _tgi_feed(s: ReplyState, event: str, obj: dict[str, Any], t: float) -> None:
    if s.stream_error(obj):
        return
    if s.ended:
        s.problem("a token after the one with generated_text")
    token = expect(s, obj, "token", "object", "")
    if token is not None and not token.get("special"):
        s.token(expect(s, token, "text", "string", "token."), t)
    full = obj.get("generated_text")
    if full is not None:
        s.ended = True
        if not isinstance(full, str):
            s.problem(f"generated_text is {type_name(full)}, expected string")
        elif full != s.text:
            s.problem(f"the tokens add up to {len(s.text)} characters, but generated_text "
                      f"has {len(full)}")
        details = obj.get("details")
        if isinstance(details, dict):
            s.finish(details.get("finish_reason"))
            s.set_usage({k: v for k, v in details.items() if isinstance(v, int)})
        s.changed = True


def _tgi_close(s: ReplyState) -> None:
    if not s.ended:
        s.problem("the stream ended without generated_text (cut short?)", -1)


TGI = Format("tgi", "Hugging Face TGI", _tgi_detect, _tgi_feed, _tgi_close)


# -- Cohere v2 ----------------------------------------------------------------------------------
_COHERE_TYPES = ("message-start", "content-start", "content-delta", "content-end",
                 "tool-plan-delta", "tool-call-start", "tool-call-delta", "tool-call-end",
                 "citation-start", "citation-end", "message-end", "debug")


def _cohere_detect(event: str, obj: dict[str, Any]) -> bool:
    return obj.get("type") in _COHERE_TYPES and obj.get("type") != "debug"


def _message(s: ReplyState, obj: dict[str, Any], kind: str) -> dict[str, Any]:
    delta = expect(s, obj, "delta", "object", kind + ".")
    message = expect(s, delta, "message", "object", kind + ".delta.") if delta else None
    return message or {}


def _cohere_feed(s: ReplyState, event: str, obj: dict[str, Any], t: float) -> None:
    kind = s.typed(event, obj, _COHERE_TYPES)
    if kind is None:
        return
    if s.ended:
        s.problem(f"{kind} after message-end")
    if kind == "message-start":
        s.scratch["started"] = True
        return
    if not s.scratch.get("started"):
        s.scratch["started"] = True
        s.problem(f"{kind} before message-start")
    if kind == "content-delta":
        content = _message(s, obj, kind).get("content")
        if not isinstance(content, dict):
            s.problem(f"{kind}.delta.message.content is {type_name(content)}, expected object")
            return
        s.think(content.get("thinking"), t, "content.thinking")
        s.token(content.get("text"), t, "content.text")
    elif kind == "tool-plan-delta":
        s.think(_message(s, obj, kind).get("tool_plan"), t, "tool_plan")
    elif kind in ("tool-call-start", "tool-call-delta"):
        index = expect(s, obj, "index", "integer", kind + ".")
        raw = _message(s, obj, kind).get("tool_calls")
        if index is None:
            return
        if not isinstance(raw, dict):
            s.problem(f"{kind}.delta.message.tool_calls is {type_name(raw)}, expected object")
            return
        if kind == "tool-call-delta" and index not in s.tool_calls:
            s.problem(f"tool-call-delta for call {index} before its tool-call-start")
        call = s.call(index)
        if isinstance(raw.get("id"), str):
            call.id = raw["id"]
        fn = raw.get("function")
        if isinstance(fn, dict):
            if isinstance(fn.get("name"), str) and fn["name"]:
                call.name = fn["name"]
            s.arguments(call, fn.get("arguments"), t, "function.arguments")
    elif kind == "message-end":
        s.ended = True
        delta = obj.get("delta")
        if isinstance(delta, dict):
            s.finish(delta.get("finish_reason"))
            s.set_usage(delta.get("usage"))
            if delta.get("error"):
                s.fail(str(delta["error"]))
        s.changed = True


def _cohere_close(s: ReplyState) -> None:
    if not s.ended:
        s.problem("the stream ended without message-end (cut short?)", -1)


COHERE = Format("cohere", "Cohere v2 chat", _cohere_detect, _cohere_feed, _cohere_close)
