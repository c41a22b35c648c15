"""OpenAI's two streaming shapes: Chat Completions and the Responses API.

Chat Completions (also what DeepSeek, vLLM, llama.cpp, Ollama's and TGI's OpenAI-compatible
routes send): ``data: {chat.completion.chunk}`` with ``choices[0].delta`` holding ``content``,
``reasoning_content`` (or ``reasoning``), ``refusal`` and ``tool_calls[k]`` pieces, a
``finish_reason``, an optional last ``usage`` chunk, then ``data: [DONE]``.

Responses: typed events (``response.created``, ``response.output_item.added``,
``response.output_text.delta``, ``response.function_call_arguments.delta`` / ``.done``,
``response.reasoning_summary_text.delta``, ``response.completed`` with the usage,
``response.failed``, ``error``), each ``data`` object's ``type`` equal to the SSE event name.
"""

from __future__ import annotations

from typing import Any

from stream_core.analysis.llm.state import Format, ReplyState, expect, type_name

__all__ = ["CHAT", "RESPONSES"]


# -- Chat Completions ---------------------------------------------------------------------------
def _chat_detect(event: str, obj: dict[str, Any]) -> bool:
    if obj.get("object") == "chat.completion.chunk":
        return True
    choices = obj.get("choices")
    return isinstance(choices, list) and bool(choices) and isinstance(choices[0], dict) \
        and isinstance(choices[0].get("delta"), dict)


def _chat_feed(s: ReplyState, event: str, obj: dict[str, Any], t: float) -> None:
    if s.ended:
        s.problem("a chunk after data: [DONE]")
    if isinstance(obj.get("model"), str):
        s.model = obj["model"]
    error = obj.get("error")
    if error is not None:  # OpenAI-compatible servers report a failure mid-stream this way
        message = error.get("message") if isinstance(error, dict) else error
        s.fail(str(message))
        return
    usage = obj.get("usage")
    if usage is not None:
        if isinstance(usage, dict):
            s.set_usage(usage)
        else:
            s.problem(f"usage is {type_name(usage)}, expected object")
    choices = expect(s, obj, "choices", "array", "")
    for i, choice in enumerate(choices or ()):
        if not isinstance(choice, dict):
            s.problem(f"choices[{i}] is {type_name(choice)}, expected object")
            continue
        if choice.get("index", 0) != 0:
            continue  # the first choice is the reply; n > 1 is rare in streams
        delta = expect(s, choice, "delta", "object", f"choices[{i}].",
                       required="finish_reason" not in choice)
        if delta is not None:
            where = f"choices[{i}].delta."
            s.token(delta.get("content"), t, where + "content")
            for key in ("reasoning_content", "reasoning"):
                s.think(delta.get(key), t, where + key)
            s.refuse(delta.get("refusal"), t, where + "refusal")
            calls = delta.get("tool_calls")
            if calls is not None:
                if not isinstance(calls, list):
                    s.problem(f"{where}tool_calls is {type_name(calls)}, expected array")
                else:
                    for k, raw in enumerate(calls):
                        _chat_call(s, raw, t, f"{where}tool_calls[{k}].")
        s.finish(choice.get("finish_reason"))


def _chat_call(s: ReplyState, raw: Any, t: float, where: str) -> None:
    if not isinstance(raw, dict):
        s.problem(f"{where[:-1]} is {type_name(raw)}, expected object")
        return
    index = expect(s, raw, "index", "integer", where)
    call = s.call(index if index is not None else 0)
    if isinstance(raw.get("id"), str) and raw["id"]:
        call.id = raw["id"]
    fn = raw.get("function")
    if fn is None:
        return
    if not isinstance(fn, dict):
        s.problem(f"{where}function is {type_name(fn)}, expected object")
        return
    if isinstance(fn.get("name"), str) and fn["name"]:
        call.name = fn["name"]
    s.arguments(call, fn.get("arguments"), t, where + "function.arguments")
    if not call.name:
        s.problem(f"{where}function.name is missing in the call's first delta")
        call.name = "?"
    s.changed = True


def _chat_text(s: ReplyState, data: str) -> None:
    if data.strip() == "[DONE]":
        s.ended = True
        s.changed = True
    else:
        s.problem(f"data is not a JSON object: {data[:60]!r}")


def _chat_close(s: ReplyState) -> None:
    if s.finish_reason is None and s.error is None:
        s.problem("the stream ended before any finish_reason (cut short?)", -1)
    elif not s.ended and s.error is None:
        s.problem("the stream ended without data: [DONE]", -1)


CHAT = Format("openai", "OpenAI Chat Completions", _chat_detect, _chat_feed, _chat_close,
              _chat_text)


# -- Responses API ------------------------------------------------------------------------------
def _resp_detect(event: str, obj: dict[str, Any]) -> bool:
    kind = obj.get("type")
    return isinstance(kind, str) and kind.startswith("response.")


def _resp_call(s: ReplyState, obj: dict[str, Any], kind: str) -> Any:
    """The tool call an arguments event is about (by ``item_id``, else ``output_index``)."""
    calls: dict[Any, int] = s.scratch.setdefault("calls", {})
    key = obj.get("item_id", obj.get("output_index"))
    index = calls.get(key)
    if index is None:
        s.problem(f"{kind} for item {key!r} before its response.output_item.added")
        call = s.new_call()
        calls[key] = call.index
        return call
    return s.tool_calls[index]


def _resp_feed(s: ReplyState, event: str, obj: dict[str, Any], t: float) -> None:
    kind = s.typed(event, obj)
    if kind is None:
        return
    if s.ended:
        s.problem(f"{kind} after the response ended")
    if kind == "response.created":
        s.scratch["started"] = True
    elif not s.scratch.get("started") and kind != "error":
        s.scratch["started"] = True
        s.problem(f"{kind} before response.created")
    response = obj.get("response")
    if isinstance(response, dict) and isinstance(response.get("model"), str):
        s.model = response["model"]
    if kind == "response.output_text.delta":
        s.token(expect(s, obj, "delta", "string", kind + "."), t)
    elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
        s.think(expect(s, obj, "delta", "string", kind + "."), t)
    elif kind == "response.refusal.delta":
        s.refuse(expect(s, obj, "delta", "string", kind + "."), t)
    elif kind == "response.output_item.added":
        item = expect(s, obj, "item", "object", kind + ".")
        if item is not None and item.get("type") == "function_call":
            call = s.new_call()
            s.scratch.setdefault("calls", {})[item.get("id", obj.get("output_index"))] = \
                call.index
            call.id = str(item.get("call_id") or item.get("id") or "")
            call.name = str(item.get("name") or "")
            if not call.name:
                s.problem(f"{kind}: the function_call item has no name")
            s.arguments(call, item.get("arguments") or None, t)
    elif kind == "response.function_call_arguments.delta":
        s.arguments(_resp_call(s, obj, kind), expect(s, obj, "delta", "string", kind + "."), t)
    elif kind == "response.function_call_arguments.done":
        call = _resp_call(s, obj, kind)
        full = expect(s, obj, "arguments", "string", kind + ".")
        if isinstance(obj.get("name"), str) and obj["name"] and not call.name:
            call.name = obj["name"]
        if full is not None and full != call.arguments:
            if call.arguments:
                s.problem(f"{kind}: the deltas add up to {call.arguments!r}, "
                          f"but arguments is {full!r}")
            call.arguments = full
            s.changed = True
    elif kind in ("response.completed", "response.incomplete", "response.failed"):
        s.ended = True
        if not isinstance(response, dict):
            s.problem(f"{kind}.response is missing")
            return
        s.set_usage(response.get("usage"))
        details = response.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, dict) else None
        s.finish(reason or response.get("status") or kind.rsplit(".", 1)[1])
        if kind == "response.failed":
            error = response.get("error")
            s.fail(str(error.get("message") if isinstance(error, dict) else error or "failed"))


def _resp_close(s: ReplyState) -> None:
    if not s.ended:
        s.problem("the stream ended without response.completed (cut short?)", -1)


def _resp_feed_any(s: ReplyState, event: str, obj: dict[str, Any], t: float) -> None:
    if obj.get("type") == "error":  # {"type":"error","code":..,"message":..}
        s.ended = True
        s.fail(str(obj.get("message") or obj.get("code") or "error"))
        return
    _resp_feed(s, event, obj, t)


RESPONSES = Format("openai-responses", "OpenAI Responses", _resp_detect, _resp_feed_any,
                   _resp_close)
