"""The reply being assembled, whatever the provider: the state every format parser writes.

Why one state for all formats: the view, ``capture --llm`` and the tests read the same fields
(text, reasoning, tool calls, finish reason, usage, token times, problems) whichever provider
sent the stream; a format module only knows how its events map onto them.
"""

from __future__ import annotations

import json
from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stream_core.analysis.llm.timing import HISTOGRAM_EDGES
from stream_core.records import loads_bounded

__all__ = ["JOIN_EVERY", "MAX_PROBLEMS", "Format", "Pieces", "Problem", "ReplyState", "ToolCall",
           "expect", "type_name"]

MAX_PROBLEMS = 50
"""Problems kept per stream: a stream broken at every event says so 50 times, not 300,000."""


def type_name(value: Any) -> str:
    """``"string"``, ``"number"``, ``"object"``...: how a JSON value's type is named."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    return "object"


def joined(parts: list[str]) -> str:
    """The text of ``parts``, joined once: the list is left holding the join, so reading a
    growing text after each of n pieces costs a copy per read, not n joins of n pieces.
    Why pieces at all: ``text += piece`` on an attribute copies the whole text every time
    (300,000 tool-call argument deltas took over 240 s)."""
    if len(parts) > 1:
        parts[:] = ["".join(parts)]
    return parts[0] if parts else ""


#: Pieces kept apart before ``Pieces`` joins them into one string.
JOIN_EVERY = 256


class Pieces:
    """Text that comes in many small pieces, kept as few strings.

    Why: an LLM reply is thousands of deltas of a few characters each, and every string
    object costs ~50 bytes beyond its characters (22,400 deltas: ~1.1 MB of object headers
    per tab, issue 23.20). Every ``JOIN_EVERY`` pieces become one string, and ``text()``
    keeps the whole it returns as the only block, so that the view and the state share it
    and asking again costs no join.
    """

    __slots__ = ("blocks", "loose")

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.loose: list[str] = []

    def append(self, piece: str) -> None:
        self.loose.append(piece)
        if len(self.loose) >= JOIN_EVERY:
            self.blocks.append("".join(self.loose))
            self.loose.clear()

    def text(self) -> str:
        if len(self.blocks) == 1 and not self.loose:
            return self.blocks[0]
        whole = "".join(self.blocks) + "".join(self.loose)
        self.blocks = [whole] if whole else []
        self.loose.clear()
        return whole


class ToolCall:
    """One tool call being assembled: arguments grow piece by piece (``add``), in linear
    time however many pieces; ``arguments`` is the text so far."""

    __slots__ = ("_parts", "id", "index", "name")

    def __init__(self, index: int, id: str = "", name: str = "",
                 arguments: str = "") -> None:
        self.index, self.id, self.name = index, id, name
        self._parts = [arguments] if arguments else []

    @property
    def arguments(self) -> str:
        return joined(self._parts)

    @arguments.setter
    def arguments(self, text: str) -> None:
        self._parts = [text] if text else []

    def add(self, piece: str) -> None:
        self._parts.append(piece)

    def __repr__(self) -> str:
        return (f"ToolCall(index={self.index!r}, id={self.id!r}, name={self.name!r}, "
                f"arguments={self.arguments!r})")

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


@dataclass(slots=True, frozen=True)
class Problem:
    """What was wrong with the stream (``seq`` the event or record, -1 for the stream)."""

    seq: int
    message: str

    def __str__(self) -> str:
        return f"event {self.seq}: {self.message}" if self.seq >= 0 else self.message


@dataclass(slots=True)
class ReplyState:
    """Text, reasoning, tool calls, finish reason, usage and token times of one reply.

    ``changed`` is set by every change (the view clears it); ``seq`` is the event being fed,
    so that a parser's :meth:`problem` names it.
    """

    text_parts: Pieces = field(default_factory=Pieces)
    reasoning_parts: Pieces = field(default_factory=Pieces)
    refusal_parts: list[str] = field(default_factory=list)
    # Anthropic's signature of the thinking (signature_delta), in pieces
    signature_parts: list[str] = field(default_factory=list)
    tool_calls: dict[int, ToolCall] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    model: str | None = None
    error: str | None = None
    problems: list[Problem] = field(default_factory=list)
    # Doubles, not a list of float objects (8 bytes a delta, not 32: issue 23.20).
    token_times: array[float] = field(default_factory=lambda: array("d"))
    # The timing's inputs, kept up to date per token so that reading them stays linear:
    # the gaps between tokens (doubles; sorted when read, ``sorted_gaps``: Timsort merges the
    # new tail in one pass), their histogram over HISTOGRAM_EDGES, and the number of distinct
    # arrival times.
    gaps: array[float] = field(default_factory=lambda: array("d"))
    gaps_sorted: int = 0  # how many of ``gaps`` (from the start) are in order
    gap_bins: list[int] = field(default_factory=lambda: [0] * (len(HISTOGRAM_EDGES) + 1))
    reads: int = 0
    deltas: int = 0
    seq: int = -1
    ended: bool = False  # the format's own last event (``[DONE]``, ``message_stop``...) came
    changed: bool = False
    scratch: dict[str, Any] = field(default_factory=dict)  # a format parser's bookkeeping

    @property
    def text(self) -> str:
        return self.text_parts.text()

    @property
    def reasoning(self) -> str:
        return self.reasoning_parts.text()

    @property
    def refusal(self) -> str:
        return joined(self.refusal_parts)

    @property
    def signature(self) -> str:
        return joined(self.signature_parts)

    def sorted_gaps(self) -> array[float]:
        """``gaps`` in ascending order (kept so: a read sorts only what came since)."""
        gaps = self.gaps
        if self.gaps_sorted != len(gaps):
            ordered = gaps.tolist()  # the sorted prefix is one run for Timsort
            ordered.sort()
            self.gaps = gaps = array("d", ordered)
            self.gaps_sorted = len(gaps)
        return gaps

    @property
    def first_token_t(self) -> float | None:
        return self.token_times[0] if self.token_times else None

    @property
    def last_token_t(self) -> float | None:
        return self.token_times[-1] if self.token_times else None

    # -- what parsers call -------------------------------------------------------------------
    def _text(self, piece: Any, what: str) -> str:
        """``piece`` when it is a string ("" for None, and a problem for another type)."""
        if piece is None or isinstance(piece, str):
            return piece or ""
        self.problem(f"{what} is {type_name(piece)}, expected string")
        return ""

    def token(self, piece: Any, t: float, what: str = "text") -> None:
        """A piece of the answer; ``what`` names the field in a problem if it is not text."""
        if text := self._text(piece, what):
            self.text_parts.append(text)
            self._tick(t)

    def think(self, piece: Any, t: float, what: str = "reasoning") -> None:
        """A piece of the reasoning (thinking) apart from the answer."""
        if text := self._text(piece, what):
            self.reasoning_parts.append(text)
            self._tick(t)

    def refuse(self, piece: Any, t: float, what: str = "refusal") -> None:
        """A piece of a refusal (the model declined): shown instead of an answer."""
        if text := self._text(piece, what):
            self.refusal_parts.append(text)
            self._tick(t)

    def call(self, index: int) -> ToolCall:
        """Tool call ``index``, created on first use."""
        call = self.tool_calls.get(index)
        if call is None:
            call = self.tool_calls[index] = ToolCall(index)
            self.changed = True
        return call

    def new_call(self) -> ToolCall:
        return self.call(len(self.tool_calls))

    def arguments(self, call: ToolCall, piece: Any, t: float, what: str = "arguments") -> None:
        """A piece of a tool call's JSON arguments."""
        if text := self._text(piece, what):
            call.add(text)
            self._tick(t)

    def whole_call(self, name: Any, call_id: Any, args: Any, t: float, where: str) -> None:
        """A tool call that arrives whole, its arguments an object (Gemini, Ollama); JSON
        text is taken as it is (some servers send it the OpenAI way)."""
        call = self.new_call()
        call.name = name if isinstance(name, str) and name else "?"
        call.id = str(call_id or "")
        if isinstance(args, str):
            self.arguments(call, args, t)
            return
        if args is not None and not isinstance(args, dict):
            self.problem(f"{where} is {type_name(args)}, expected object")
            args = None
        self.arguments(call, json.dumps(args or {}, ensure_ascii=False), t)

    def stream_error(self, obj: dict[str, Any]) -> bool:
        """An ``{"error": ...}`` object ends the reply with the provider's message."""
        error = obj.get("error")
        if error is None:
            return False
        self.ended = True
        self.fail(str(error.get("message", error) if isinstance(error, dict) else error))
        return True

    def typed(self, event: str, obj: dict[str, Any], known: tuple[str, ...] = ()) -> str | None:
        """The event's ``type``, checked against the SSE event name and ``known`` types."""
        kind: str | None = expect(self, obj, "type", "string", "")
        if kind is None:
            return None
        if event not in ("message", kind):
            self.problem(f"the SSE event is {event!r} but its data's type is {kind!r}")
        if known and kind not in known:
            self.problem(f"unknown event type {kind!r}")
            return None
        return kind

    def finish(self, reason: Any) -> None:
        if isinstance(reason, str) and reason:
            self.finish_reason = reason
            self.changed = True

    def set_usage(self, usage: Any, merge: bool = False) -> None:
        if isinstance(usage, dict):
            self.usage = {**(self.usage or {}), **usage} if merge else dict(usage)
            self.changed = True

    def fail(self, message: str) -> None:
        """The provider reported an error in the stream (an ``error`` event...)."""
        self.error = message
        self.problem(f"the provider reported an error: {message}")

    def problem(self, message: str, seq: int | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.seq if seq is None else seq, message))
        self.changed = True

    def _tick(self, t: float) -> None:
        self.deltas += 1
        times = self.token_times
        if times:
            last = times[-1]
            gap = t - last
            self.gaps.append(gap)
            self.gap_bins[bisect_right(HISTOGRAM_EDGES, gap)] += 1
            if t != last:
                self.reads += 1
        else:
            self.reads = 1
        times.append(t)
        self.changed = True


_KINDS: dict[str, type | tuple[type, ...]] = {
    "string": str, "object": dict, "array": list, "integer": int, "number": (int, float),
    "boolean": bool}


def expect(s: ReplyState, obj: dict[str, Any], key: str, kind: str, where: str,
           required: bool = True) -> Any:
    """``obj[key]`` when it is of JSON type ``kind``; else None, and a problem naming
    ``where.key`` (a missing key is a problem only when ``required``)."""
    value = obj.get(key)
    if value is None:
        if required:
            s.problem(f"{where}{key} is missing")
        return None
    if not isinstance(value, _KINDS[kind]) or (kind in ("integer", "number")
                                                and isinstance(value, bool)):
        s.problem(f"{where}{key} is {type_name(value)}, expected {kind}")
        return None
    return value


@dataclass(slots=True, frozen=True)
class Format:
    """One provider's stream format: how to recognise it and how its events build a reply.

    ``detect(event, obj)`` looks at one event (SSE event name, parsed JSON object);
    ``feed(state, event, obj, t)`` applies it; ``text(state, data)`` handles data that is not
    a JSON object (``[DONE]``); ``close(state)`` says what is missing at the end.
    """

    name: str
    title: str
    detect: Callable[[str, dict[str, Any]], bool]
    feed: Callable[[ReplyState, str, dict[str, Any], float], None]
    close: Callable[[ReplyState], None]
    text: Callable[[ReplyState, str], None] | None = None
