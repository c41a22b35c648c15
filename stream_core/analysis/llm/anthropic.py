"""Anthropic Messages: named events ``message_start``, ``content_block_start`` (text,
``thinking``, ``tool_use``), ``content_block_delta`` (``text_delta``, ``thinking_delta``,
``signature_delta``, ``input_json_delta``), ``content_block_stop``, ``message_delta``
(``stop_reason``, usage), ``message_stop``, ``ping`` and ``error``.

Blocks are checked in order: a delta for a block that was never started, or of another kind
than its block, is a problem named with the event it came in.
"""

from __future__ import annotations

from typing import Any

from stream_core.analysis.llm.state import Format, ReplyState, expect

__all__ = ["ANTHROPIC"]

_TYPES = ("message_start", "content_block_start", "content_block_delta", "content_block_stop",
          "message_delta", "message_stop", "ping", "error")
_DELTA_OF = {"text": "text_delta", "thinking": "thinking_delta", "tool_use": "input_json_delta",
             "server_tool_use": "input_json_delta"}


def _detect(event: str, obj: dict[str, Any]) -> bool:
    kind = obj.get("type")
    if kind == "error":
        return event == "error" and isinstance(obj.get("error"), dict)
    return kind in _TYPES and kind != "ping"


def _feed(s: ReplyState, event: str, obj: dict[str, Any], t: float) -> None:
    kind = s.typed(event, obj, _TYPES)
    if kind is None:
        return
    if kind == "error":
        error = obj.get("error")
        s.ended = True
        s.fail(f"{error.get('type', 'error')}: {error.get('message', '')}"
               if isinstance(error, dict) else str(error))
        return
    if s.ended:
        s.problem(f"{kind} after message_stop")
    started = s.scratch.get("started", False)
    if kind == "message_start":
        if started:
            s.problem("a second message_start")
        s.scratch["started"] = True
        message = expect(s, obj, "message", "object", "message_start.")
        if message is not None:
            if isinstance(message.get("model"), str):
                s.model = message["model"]
            s.set_usage(message.get("usage"))
        return
    if not started and kind != "ping":
        s.scratch["started"] = True
        s.problem(f"{kind} before message_start")
    blocks: dict[int, str] = s.scratch.setdefault("blocks", {})
    calls: dict[int, int] = s.scratch.setdefault("calls", {})
    if kind == "content_block_start":
        index = expect(s, obj, "index", "integer", kind + ".")
        block = expect(s, obj, "content_block", "object", kind + ".")
        if index is None or block is None:
            return
        if index in blocks:
            s.problem(f"content_block_start for block {index} a second time")
        btype = str(block.get("type"))
        blocks[index] = btype
        if btype in ("tool_use", "server_tool_use"):
            call = s.new_call()
            call.id = str(block.get("id") or "")
            call.name = str(block.get("name") or "")
            if not call.name:
                s.problem(f"tool_use block {index} has no name")
            calls[index] = call.index
        elif btype == "text":
            s.token(block.get("text"), t, "content_block.text")
        elif btype == "thinking":
            s.think(block.get("thinking"), t, "content_block.thinking")
    elif kind == "content_block_delta":
        index = expect(s, obj, "index", "integer", kind + ".")
        delta = expect(s, obj, "delta", "object", kind + ".")
        if index is None or delta is None:
            return
        dtype = delta.get("type")
        have = blocks.get(index)
        if have is None:
            s.problem(f"{dtype or 'a delta'} for block {index} before its content_block_start")
        elif have == "done":
            s.problem(f"{dtype or 'a delta'} for block {index} after its content_block_stop")
        elif dtype != "signature_delta" and _DELTA_OF.get(have, dtype) != dtype \
                and dtype != "citations_delta":
            s.problem(f"{dtype} in a {have} block {index}")
        where = "delta."
        if dtype == "text_delta":
            s.token(expect(s, delta, "text", "string", where), t)
        elif dtype == "thinking_delta":
            s.think(expect(s, delta, "thinking", "string", where), t)
        elif dtype == "signature_delta":
            s.signature_parts.append(expect(s, delta, "signature", "string", where) or "")
            s.changed = True
        elif dtype == "input_json_delta":
            which = calls.get(index)
            call = s.tool_calls[which] if which is not None else s.new_call()
            calls[index] = call.index
            s.arguments(call, expect(s, delta, "partial_json", "string", where), t)
        elif dtype != "citations_delta":
            s.problem(f"unknown delta type {dtype!r}")
    elif kind == "content_block_stop":
        index = expect(s, obj, "index", "integer", kind + ".")
        if index is not None:
            if index not in blocks:
                s.problem(f"content_block_stop for block {index}, which never started")
            blocks[index] = "done"
    elif kind == "message_delta":
        delta = expect(s, obj, "delta", "object", kind + ".")
        if delta is not None:
            s.finish(delta.get("stop_reason"))
        s.set_usage(obj.get("usage"), merge=True)
    elif kind == "message_stop":
        s.ended = True
        s.changed = True


def _close(s: ReplyState) -> None:
    if s.error is not None:
        return
    open_blocks = [i for i, b in s.scratch.get("blocks", {}).items() if b != "done"]
    if open_blocks:
        s.problem(f"block(s) {open_blocks} never got their content_block_stop", -1)
    if not s.ended:
        s.problem("the stream ended without message_stop (cut short?)", -1)


ANTHROPIC = Format("anthropic", "Anthropic Messages", _detect, _feed, _close)
