"""The one interface the window, ``capture --llm`` and the tests use: :class:`LLMAssembler`.

Feed it each SSE event (``feed``) or NDJSON value (``feed_value``); it recognises the format
from the first events (or is told one), hands every event to that format's module, and at any
time holds the reply so far. ``close()`` at the end of the stream adds what the format says
is missing (no ``message_stop``, no ``[DONE]``...) to ``problems``.

Cheap on streams that are not chat: detection stops after ``DETECT_EVENTS`` events that
match no format (unless a format or a path is set).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stream_core.analysis.llm.anthropic import ANTHROPIC
from stream_core.analysis.llm.google import GEMINI
from stream_core.analysis.llm.hf_cohere import COHERE, TGI
from stream_core.analysis.llm.ollama import OLLAMA
from stream_core.analysis.llm.openai import CHAT, RESPONSES
from stream_core.analysis.llm.preview import parse_path, pick
from stream_core.analysis.llm.schema import check_call, declared_tools
from stream_core.analysis.llm.state import Format, ReplyState
from stream_core.analysis.llm.timing import Timing, figures
from stream_core.records import loads_bounded

__all__ = ["DETECT_EVENTS", "FORMATS", "LLMAssembler", "format_title"]

DETECT_EVENTS = 20
"""Events looked at before deciding a stream is not an LLM chat stream."""

FORMATS: dict[str, Format] = {f.name: f for f in (CHAT, RESPONSES, ANTHROPIC, GEMINI, OLLAMA,
                                                  TGI, COHERE)}
"""Every known format by name, in detection order (Responses before Anthropic: both type
their events, and ``response.*`` is unambiguous)."""

_OUTPUT_KEYS = ("completion_tokens", "output_tokens", "eval_count", "generated_tokens")


def format_title(name: str | None) -> str:
    if name == "custom":
        return "custom JSON path"
    fmt = FORMATS.get(name or "")
    return fmt.title if fmt is not None else "—"


@dataclass(slots=True)
class LLMAssembler(ReplyState):
    """Feed events; read text, reasoning, tool calls, usage, problems and timing.

    ``fmt`` forces a format by name (``""`` detects); ``path`` reads the text with a dotted
    JSON path instead (kind ``"custom"``). ``kind`` is the format in use, None until known.
    ``tools`` maps the tool names the request declared to their JSON schemas.
    """

    path: str = ""
    fmt: str = ""
    kind: str | None = None
    tools: dict[str, dict[str, Any]] = field(default_factory=dict)
    events_seen: int = 0
    given_up: bool = False
    closed: bool = False
    _path: list[str | int] = field(default_factory=list)
    _format: Format | None = None

    def __post_init__(self) -> None:
        self._path = parse_path(self.path)
        if self._path:
            self.kind = "custom"
        elif self.fmt:
            self._format = FORMATS[self.fmt]
            self.kind = self.fmt

    @classmethod
    def for_request(cls, body: bytes | str | None, *, path: str = "",
                    fmt: str = "") -> LLMAssembler:
        """An assembler that checks tool calls against the tools ``body`` declares."""
        return cls(path=path, fmt=fmt, tools=declared_tools(body))

    @property
    def detected(self) -> bool:
        return self.kind is not None

    @property
    def title(self) -> str:
        return format_title(self.kind)

    # -- feeding -----------------------------------------------------------------------------
    def feed(self, event: str, data: str, t: float, seq: int = -1) -> None:
        """One SSE event (``event`` is its type, "message" by default)."""
        if self.given_up:
            return
        self.seq = seq if seq >= 0 else self.events_seen
        self.events_seen += 1
        obj: Any = None
        if data.startswith("{"):
            try:
                obj = loads_bounded(data)
            except ValueError:
                obj = None
        if isinstance(obj, dict):
            self._apply(event, obj, t)
        elif self._format is not None and self._format.text is not None:
            self._format.text(self, data)
        elif self._format is not None and data.strip():
            self.problem(f"data is not a JSON object: {data[:60]!r}")
        elif self.kind is None:
            self._maybe_give_up()

    def feed_value(self, value: Any, t: float, seq: int = -1) -> None:
        """One NDJSON record's parsed value."""
        if self.given_up:
            return
        self.seq = seq if seq >= 0 else self.events_seen
        self.events_seen += 1
        if isinstance(value, dict):
            self._apply("message", value, t)
        elif self._format is not None:
            self.problem("the record is not a JSON object")
        elif self.kind is None:
            self._maybe_give_up()

    def _apply(self, event: str, obj: dict[str, Any], t: float) -> None:
        if self.kind == "custom":
            piece = pick(obj, self._path)
            if isinstance(piece, str | int | float) and not isinstance(piece, bool):
                self.token(str(piece), t)
            return
        fmt = self._format
        if fmt is None:
            fmt = next((f for f in FORMATS.values() if f.detect(event, obj)), None)
            if fmt is None:
                self._maybe_give_up()
                return
            self._format, self.kind, self.changed = fmt, fmt.name, True
        fmt.feed(self, event, obj, t)

    def _maybe_give_up(self) -> None:
        if self.kind is None and self.events_seen >= DETECT_EVENTS:
            self.given_up = True

    def close(self) -> None:
        """The stream ended: record what the format says is missing (once)."""
        if self.closed:
            return
        self.closed = True
        if self._format is not None:
            self._format.close(self)
        self.changed = True

    # -- figures -----------------------------------------------------------------------------
    def provider_output_tokens(self) -> int | None:
        """Output tokens as the provider counted them (its usage block), if it said."""
        usage = self.usage or {}
        for key in _OUTPUT_KEYS:
            value = usage.get(key)
            if isinstance(value, int) and value > 0:
                return value
        if isinstance(usage.get("candidatesTokenCount"), int):  # Gemini: answer + thoughts
            thoughts = usage.get("thoughtsTokenCount")
            return int(usage["candidatesTokenCount"]) + (
                thoughts if isinstance(thoughts, int) else 0)
        tokens = usage.get("tokens")  # Cohere v2: usage.tokens.output_tokens
        if isinstance(tokens, dict) and isinstance(tokens.get("output_tokens"), int | float):
            return int(tokens["output_tokens"])
        return None

    def completion_tokens(self) -> int:
        """Output tokens: the provider's count when given, else the number of deltas."""
        return self.provider_output_tokens() or self.deltas

    def timing(self) -> Timing:
        """The timing figures (the gaps sorted as they come, merged in linear time: the view
        reads these ~10 times a second while tokens stream in)."""
        return figures(self.token_times, self.sorted_gaps(), self.gap_bins, self.reads,
                       self.provider_output_tokens())

    def tokens_per_second(self) -> float | None:
        return self.timing().tokens_per_s

    def tool_problems(self) -> dict[int, list[str]]:
        """Per tool call: what is wrong with its arguments (JSON, declared schema)."""
        return {i: check_call(call, self.tools) for i, call in self.tool_calls.items()}

    def to_record(self, t: float) -> dict[str, Any]:
        """The ``capture --llm`` record."""
        checks = self.tool_problems()
        calls = []
        for i, call in self.tool_calls.items():
            value, error = call.parsed()
            entry: dict[str, Any] = {"id": call.id, "name": call.name,
                                     "arguments": call.arguments if error else value}
            if checks[i]:
                entry["errors"] = checks[i]
            calls.append(entry)
        timing_ = self.timing()
        return {"type": "llm", "t": round(t, 6), "format": self.kind, "model": self.model,
                "text": self.text, "reasoning": self.reasoning, "refusal": self.refusal,
                "tool_calls": calls, "finish_reason": self.finish_reason, "usage": self.usage,
                "tokens": self.deltas, **timing_.to_json(), "burst": timing_.burst,
                "error": self.error, "problems": [str(p) for p in self.problems]}
