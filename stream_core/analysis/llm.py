"""Reassemble LLM chat streams: merged text, tool calls, finish reason, usage, timing.

Why: a chat completion arrives as hundreds of JSON deltas; what a developer wants to read is
the reply they add up to, the tool-call arguments as one JSON document, why it stopped and
what it cost. Two shapes are understood out of the box:

* OpenAI ``chat.completion.chunk``: ``choices[i].delta.content``, ``delta.tool_calls[k]``
  (``index``, ``id``, ``function.name``, ``function.arguments`` pieces), ``finish_reason``,
  a final ``usage`` object;
* Anthropic messages: ``message_start`` (usage), ``content_block_start`` (text or
  ``tool_use``), ``content_block_delta`` (``text_delta`` / ``input_json_delta``),
  ``message_delta`` (``stop_reason``, usage).

Any other provider: a simple dotted path into each event's JSON (``choices.0.delta.content``,
``candidates.0.content.parts.0.text``) names the text piece.

Cheap on streams that are not chat: :meth:`LLMAssembler.feed` gives up looking after
``DETECT_EVENTS`` events that are neither shape (unless a path is set). No Qt, no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from stream_core.records import loads_bounded

__all__ = ["DETECT_EVENTS", "LLMAssembler", "ToolCall", "llm_delta", "parse_path", "pick"]

DETECT_EVENTS = 20
"""Events looked at before deciding a stream is not an LLM chat stream."""


@dataclass(slots=True)
class ToolCall:
    """One tool call being assembled: arguments grow piece by piece."""

    index: int
    id: str = ""
    name: str = ""
    arguments: str = ""

    def parsed(self) -> tuple[Any, str | None]:
        """(value, None) when the arguments are valid JSON, else (None, the parse error)."""
        if not self.arguments.strip():
            return {}, None
        try:
            return loads_bounded(self.arguments), None
        except ValueError as exc:
            return None, str(exc)

    def pretty(self) -> str:
        """The arguments as indented JSON when valid, as received otherwise."""
        value, error = self.parsed()
        return self.arguments if error is not None else json.dumps(value, indent=2,
                                                                   ensure_ascii=False)


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


@dataclass(slots=True)
class LLMAssembler:
    """Feed it each SSE event (name, data, t); read the assembled reply at any time.

    ``kind`` is ``"openai"``, ``"anthropic"``, ``"custom"`` (a path is set) or None (not
    recognised yet). ``changed`` is set by every feed that changed something (the view clears it).
    """

    path: str = ""
    kind: str | None = None
    text_parts: list[str] = field(default_factory=list)
    tool_calls: dict[int, ToolCall] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    model: str | None = None
    first_token_t: float | None = None
    last_token_t: float | None = None
    deltas: int = 0
    events_seen: int = 0
    given_up: bool = False
    changed: bool = False
    _path: list[str | int] = field(default_factory=list)
    _block_call: dict[int, int] = field(default_factory=dict)  # Anthropic block -> call index

    def __post_init__(self) -> None:
        self._path = parse_path(self.path)
        if self._path:
            self.kind = "custom"

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    @property
    def detected(self) -> bool:
        return self.kind is not None

    def completion_tokens(self) -> int:
        """Output tokens: from the usage block when given, else the number of deltas."""
        if self.usage:
            for key in ("completion_tokens", "output_tokens"):
                value = self.usage.get(key)
                if isinstance(value, int) and value > 0:
                    return value
        return self.deltas

    def tokens_per_second(self) -> float | None:
        first, last = self.first_token_t, self.last_token_t
        if first is None or last is None or last <= first:
            return None
        return self.completion_tokens() / (last - first)

    # -- feeding -----------------------------------------------------------------------------
    def feed(self, event: str, data: str, t: float) -> None:
        """One event of the stream (``event`` is the SSE event type, "message" by default)."""
        if self.given_up:
            return
        self.events_seen += 1
        if not data.startswith("{"):
            self._maybe_give_up()
            return
        try:
            obj = loads_bounded(data)
        except ValueError:
            self._maybe_give_up()
            return
        if not isinstance(obj, dict):
            self._maybe_give_up()
            return
        if self.kind == "custom":
            piece = pick(obj, self._path)
            if isinstance(piece, str | int | float) and not isinstance(piece, bool):
                self._token(str(piece), t)
            return
        if self.kind is None:
            self.kind = _shape(event, obj)
            if self.kind is None:
                self._maybe_give_up()
                return
            self.changed = True
        if self.kind == "openai":
            self._openai(obj, t)
        else:
            self._anthropic(obj, t)

    def _maybe_give_up(self) -> None:
        if self.kind is None and self.events_seen >= DETECT_EVENTS:
            self.given_up = True

    def _token(self, piece: str, t: float) -> None:
        if not piece:
            return
        self.text_parts.append(piece)
        self._delta(t)

    def _delta(self, t: float) -> None:
        self.deltas += 1
        if self.first_token_t is None:
            self.first_token_t = t
        self.last_token_t = t
        self.changed = True

    def _call(self, index: int) -> ToolCall:
        call = self.tool_calls.get(index)
        if call is None:
            call = self.tool_calls[index] = ToolCall(index)
        return call

    def _openai(self, obj: dict[str, Any], t: float) -> None:
        if isinstance(obj.get("model"), str):
            self.model = obj["model"]
        usage = obj.get("usage")
        if isinstance(usage, dict):
            self.usage = usage
            self.changed = True
        choices = obj.get("choices")
        if not isinstance(choices, list):
            return
        for choice in choices:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue  # the first choice is the reply; n > 1 is rare in streams
            delta = choice.get("delta")
            if isinstance(delta, dict):
                content = delta.get("content")
                if isinstance(content, str):
                    self._token(content, t)
                calls = delta.get("tool_calls")
                if isinstance(calls, list):
                    for raw in calls:
                        if isinstance(raw, dict):
                            self._openai_call(raw, t)
            reason = choice.get("finish_reason")
            if isinstance(reason, str):
                self.finish_reason = reason
                self.changed = True

    def _openai_call(self, raw: dict[str, Any], t: float) -> None:
        index = raw.get("index", 0)
        call = self._call(index if isinstance(index, int) else 0)
        if isinstance(raw.get("id"), str) and raw["id"]:
            call.id = raw["id"]
        fn = raw.get("function")
        if isinstance(fn, dict):
            if isinstance(fn.get("name"), str) and fn["name"]:
                call.name = fn["name"]
            args = fn.get("arguments")
            if isinstance(args, str) and args:
                call.arguments += args
                self._delta(t)
        self.changed = True

    def _anthropic(self, obj: dict[str, Any], t: float) -> None:
        kind = obj.get("type")
        if kind == "message_start":
            message = obj.get("message")
            if isinstance(message, dict):
                if isinstance(message.get("model"), str):
                    self.model = message["model"]
                if isinstance(message.get("usage"), dict):
                    self.usage = dict(message["usage"])
            self.changed = True
        elif kind == "content_block_start":
            block = obj.get("content_block")
            index = obj.get("index", 0)
            if isinstance(block, dict) and block.get("type") == "tool_use":
                call = self._call(len(self.tool_calls))
                call.id = str(block.get("id") or "")
                call.name = str(block.get("name") or "")
                self._block_call[index if isinstance(index, int) else 0] = call.index
                self.changed = True
            elif isinstance(block, dict) and isinstance(block.get("text"), str):
                self._token(block["text"], t)
        elif kind == "content_block_delta":
            delta = obj.get("delta")
            if not isinstance(delta, dict):
                return
            if isinstance(delta.get("text"), str):
                self._token(delta["text"], t)
            elif isinstance(delta.get("partial_json"), str):
                index = obj.get("index", 0)
                which = self._block_call.get(index if isinstance(index, int) else 0)
                call = self._call(which if which is not None else len(self.tool_calls))
                call.arguments += delta["partial_json"]
                self._delta(t)
        elif kind == "message_delta":
            delta = obj.get("delta")
            if isinstance(delta, dict) and isinstance(delta.get("stop_reason"), str):
                self.finish_reason = delta["stop_reason"]
            usage = obj.get("usage")
            if isinstance(usage, dict):
                self.usage = {**(self.usage or {}), **usage}
            self.changed = True


def _shape(event: str, obj: dict[str, Any]) -> str | None:
    """Which known chat stream shape ``obj`` belongs to, if any."""
    if obj.get("object") == "chat.completion.chunk":
        return "openai"
    choices = obj.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict) \
            and isinstance(choices[0].get("delta"), dict):
        return "openai"
    kind = obj.get("type")
    if kind in ("message_start", "content_block_start", "content_block_delta",
                "message_delta") or event in ("message_start", "content_block_delta"):
        return "anthropic"
    return None


def llm_delta(text: str) -> str | None:
    """The text piece of an LLM streaming chunk (OpenAI or Anthropic style), else None.

    Why: in a chat stream every row starts with the same ``{"id":"chatcmpl-...`` prefix; the
    piece of text each event adds is what a developer scans for.
    """
    if not text.startswith("{") or ('"delta"' not in text):
        return None
    try:
        obj = loads_bounded(text)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    delta: Any = None
    choices = obj.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        delta = choices[0].get("delta")
    elif isinstance(obj.get("delta"), dict):
        delta = obj["delta"]
    if not isinstance(delta, dict):
        return None
    for key in ("content", "text", "partial_json"):
        piece = delta.get(key)
        if isinstance(piece, str):
            return piece
    calls = delta.get("tool_calls")
    if isinstance(calls, list) and calls and isinstance(calls[0], dict):
        fn = calls[0].get("function") or {}
        if isinstance(fn, dict):
            return f"{fn.get('name') or ''}{fn.get('arguments') or ''}"
    return None
