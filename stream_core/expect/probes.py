"""What each name measures, kept up to date from a stream's records as they arrive.

A probe answers ``reading()`` at any moment: the final value, or a lower bound that only grows
(with ``since``: it grows with time alone, as ``now - since``), or nothing known yet. The
evaluator turns readings into verdicts; the probes know records, not predicates.

Definitions worth knowing (README, *Stream expectations*):
- ``ttfb``: the first body byte (as the Timeline's "time to first byte"); ``first_event``: the
  first SSE event or NDJSON/text record; times count from the request's start (``t``).
- ``gap.max``: the longest time without an event once the first one came, the silence
  before the end included (a stall is a gap); ``gap.pNN``: percentiles of the gaps between
  consecutive events, exact, known at the end.
- ``comment.every``: the longest time without an SSE comment (a keep-alive) from the response
  to the end.
- ``status``, ``header``...: the first response that is not a redirect hop.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any

from stream_core.analysis.aggregate import to_llm
from stream_core.analysis.llm import LLMAssembler
from stream_core.analysis.llm.timing import percentile
from stream_core.expect.jsonpath import MISSING, select
from stream_core.expect.predicates import said
from stream_core.expect.syntax import TIME, Expectation
from stream_core.records import (
    Chunk,
    Comment,
    End,
    Error,
    Event,
    Reconnect,
    Record,
    Response,
    header_text,
)

__all__ = ["BOUND", "FINAL", "UNKNOWN", "Probe", "Reading", "Shared", "probe_for"]

FINAL, BOUND, UNKNOWN = "final", "bound", "unknown"
ITEMS = (Event, Record)


@dataclass(slots=True)
class Reading:
    """``state`` FINAL: ``value`` is it; BOUND: it is at least ``value``, and at least
    ``now - since`` when ``since`` is set; UNKNOWN: nothing yet."""

    state: str
    value: Any = None
    since: float | None = None
    note: str = ""

    def low(self, now: float) -> Any:
        if self.since is None:
            return self.value
        return max(self.value, now - self.since)


class Shared:
    """What several probes read: the LLM reply assembled as the LLM view does."""

    def __init__(self, request_body: bytes | str | None, llm: bool) -> None:
        self.llm = LLMAssembler.for_request(request_body) if llm else None

    def feed(self, rec: Any) -> None:
        if self.llm is not None and isinstance(rec, ITEMS):
            to_llm(self.llm, rec)

    def finish(self) -> None:
        if self.llm is not None:
            self.llm.close()


class Probe:
    """Base: fed the records of ``listens``, then ``finish(end)`` once."""

    listens: tuple[type, ...] = ()
    kind = ""

    def feed(self, rec: Any) -> None:
        """One record of a type in ``listens``."""

    def finish(self, end: End) -> None:
        """The stream ended: every reading becomes final."""

    def reading(self) -> Reading:
        raise NotImplementedError

    def pending(self, low: Any) -> str:
        """A bound's value in words, for a verdict reached before the value is known."""
        return f"at least {said(low, self.kind)} so far"


class _Fixed(Probe):
    """A value known once (a response field, a first time, a final figure)."""

    def __init__(self) -> None:
        self.final: Reading | None = None

    def reading(self) -> Reading:
        return self.final if self.final is not None else self.waiting()

    def waiting(self) -> Reading:
        return Reading(UNKNOWN)


class ResponseField(_Fixed):
    listens = (Response,)

    def __init__(self, field: str, header: str = "") -> None:
        super().__init__()
        self.field, self.header = field, header

    def feed(self, rec: Response) -> None:
        if self.final is not None or rec.mode == "redirect":
            return
        if self.field == "header":
            values = [header_text(v) for k, v in rec.headers if k.lower() == self.header]
            self.final = Reading(FINAL, ", ".join(values) if values else None,
                                 note="" if values else f"no {self.header} header")
        else:
            self.final = Reading(FINAL, getattr(rec, self.field))

    def finish(self, end: End) -> None:
        if self.final is None:
            self.final = Reading(FINAL, None, note="no response")


class FirstTime(_Fixed):
    """When the first record of ``listens`` came; waiting, the time so far is a bound."""

    kind = TIME

    def __init__(self, listens: tuple[type, ...], what: str) -> None:
        super().__init__()
        self.listens, self.what = listens, what

    def feed(self, rec: Any) -> None:
        if self.final is None:
            self.final = Reading(FINAL, rec.t)

    def waiting(self) -> Reading:
        return Reading(BOUND, 0.0, since=0.0)

    def pending(self, low: Any) -> str:
        return f"no {self.what} yet after {said(low, TIME)}"

    def finish(self, end: End) -> None:
        if self.final is None:
            self.final = Reading(FINAL, None, note=f"no {self.what}")


class Duration(_Fixed):
    kind = TIME

    def waiting(self) -> Reading:
        return Reading(BOUND, 0.0, since=0.0)

    def pending(self, low: Any) -> str:
        return f"still running after {said(low, TIME)}"

    def finish(self, end: End) -> None:
        self.final = Reading(FINAL, end.duration)


class GapMax(Probe):
    listens: tuple[type, ...] = ITEMS
    kind = TIME

    def __init__(self) -> None:
        self.last: float | None = None
        self.longest = 0.0
        self.after = -1  # the event before the longest gap so far
        self.seq = -1
        self.final: Reading | None = None

    def feed(self, rec: Any) -> None:
        if self.last is not None and rec.t - self.last > self.longest:
            self.longest, self.after = rec.t - self.last, self.seq
        self.last, self.seq = rec.t, rec.seq

    def reading(self) -> Reading:
        if self.final is not None:
            return self.final
        if self.last is None:
            return Reading(BOUND, 0.0)
        return Reading(BOUND, self.longest, since=self.last)

    def pending(self, low: Any) -> str:
        return f"no event for {said(low, TIME)} after event {self.seq}"

    def finish(self, end: End) -> None:
        if self.last is None:
            self.final = Reading(FINAL, None, note="no events")
            return
        if end.t - self.last > self.longest:
            self.final = Reading(FINAL, end.t - self.last,
                                 note=f"from event {self.seq} to the end")
        else:
            self.final = Reading(FINAL, self.longest, note=f"after event {self.after}")


class GapPercentile(_Fixed):
    listens = ITEMS
    kind = TIME

    def __init__(self, q: float) -> None:
        super().__init__()
        self.q = q
        self.gaps = array("d")
        self.last: float | None = None

    def feed(self, rec: Any) -> None:
        if self.last is not None:
            self.gaps.append(rec.t - self.last)
        self.last = rec.t

    def finish(self, end: End) -> None:
        gaps = sorted(self.gaps)
        self.final = Reading(FINAL, percentile(gaps, self.q) if gaps else None,
                             note=f"of {len(gaps)} gaps" if gaps else "fewer than two events")


class Count(_Fixed):
    """How many records of a kind (or bytes): a bound that only grows until the end."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name, self.n = name, 0
        self.listens = {"events": ITEMS, "chunks": (Chunk,), "bytes": (Chunk,),
                        "errors": (Error,), "decode_errors": (Error, Record),
                        "reconnects": (Reconnect,), "comments": (Comment,)}[name]

    def feed(self, rec: Any) -> None:
        name = self.name
        if name == "bytes":
            self.n += len(rec.data)
        elif name == "errors":
            self.n += rec.kind != "cancelled"
        elif name == "decode_errors":
            self.n += rec.kind == "decode" if isinstance(rec, Error) else rec.error is not None
        else:
            self.n += 1

    def waiting(self) -> Reading:
        return Reading(BOUND, self.n)

    def pending(self, low: Any) -> str:
        return f"{low} so far"

    def finish(self, end: End) -> None:
        self.final = Reading(FINAL, self.n)


class CommentEvery(GapMax):
    """The longest time without a comment, from the response on."""

    listens = (Response, Comment)

    def feed(self, rec: Any) -> None:
        if isinstance(rec, Response):
            if self.last is None and rec.mode != "redirect":
                self.last = rec.t
            return
        self.seq += 1
        if self.last is not None and rec.t - self.last > self.longest:
            self.longest, self.after = rec.t - self.last, self.seq
        self.last = rec.t

    def pending(self, low: Any) -> str:
        return f"no comment for {said(low, TIME)}"

    def finish(self, end: End) -> None:
        if self.last is None:
            self.final = Reading(FINAL, None, note="no response")
            return
        self.final = Reading(FINAL, max(self.longest, end.t - self.last),
                             note=f"{self.seq + 1} comments")


class Complete(_Fixed):
    def finish(self, end: End) -> None:
        stopped = end.extra.get("stopped")
        self.final = Reading(FINAL, end.complete, note=f"stopped: {stopped}" if stopped else "")


class LLMFirstToken(FirstTime):
    """The first token of the assembled reply (what the LLM view calls time to first token)."""

    def __init__(self, shared: Shared) -> None:
        super().__init__(ITEMS, "token")
        self.shared = shared

    def feed(self, rec: Any) -> None:
        llm = self.shared.llm
        if self.final is None and llm is not None and llm.first_token_t is not None:
            self.final = Reading(FINAL, llm.first_token_t)


#: ``llm.usage.output_tokens`` / ``input_tokens`` under each provider's own name.
_USAGE_ALIASES = {"input_tokens": ("prompt_tokens", "prompt_eval_count", "promptTokenCount")}


class LLMFigure(_Fixed):
    """A figure of the assembled reply, known at the end."""

    def __init__(self, shared: Shared, name: str, path: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.shared, self.name, self.path = shared, name, path

    def finish(self, end: End) -> None:
        llm = self.shared.llm
        assert llm is not None
        value, note = self.figure(llm)
        self.final = Reading(FINAL, value, note=note)

    def figure(self, llm: LLMAssembler) -> tuple[Any, str]:
        name = self.name.removeprefix("llm.")
        if name == "tokens_per_s":
            timing = llm.timing()
            return timing.tokens_per_s, "delivered in one burst" if timing.burst else ""
        if name == "tokens":
            return llm.deltas, ""
        if name == "format":
            return llm.kind, ""
        if name in ("tool_calls", "problems"):
            items = llm.tool_calls if name == "tool_calls" else llm.problems
            return len(items), ""
        if name == "tool_calls.valid":
            wrong = [f"call {i} ({llm.tool_calls[i].name}): {p[0]}"
                     for i, p in llm.tool_problems().items() if p]
            return not wrong, wrong[0] if wrong else f"{len(llm.tool_calls)} tool calls"
        if name == "usage":
            return self.usage(llm), ""
        return getattr(llm, name), ""

    def usage(self, llm: LLMAssembler) -> Any:
        value = select(llm.usage or {}, self.path) if llm.usage is not None else None
        if value is MISSING and self.path in (("output_tokens",), ("input_tokens",)):
            if self.path[0] == "output_tokens":
                return llm.provider_output_tokens()
            for alias in _USAGE_ALIASES["input_tokens"]:
                value = (llm.usage or {}).get(alias, MISSING)
                if value is not MISSING:
                    break
        return value


def probe_for(exp: Expectation, shared: Shared) -> Probe:
    """The probe of a scalar expectation (not ``every``/``any``/...)."""
    s = exp.subject
    if s in ("status", "http_version", "mode"):
        return ResponseField(s)
    if s == "header":
        return ResponseField("header", exp.arg)
    if s == "ttfb":
        return FirstTime((Chunk,), "body byte")
    if s == "first_event":
        return FirstTime(ITEMS, "event")
    if s == "duration":
        return Duration()
    if s == "gap.max":
        return GapMax()
    if s == "gap.pNN":
        return GapPercentile(exp.arg)
    if s.startswith("gap.p"):
        return GapPercentile(int(s.removeprefix("gap.p")) / 100)
    if s == "comment.every":
        return CommentEvery()
    if s == "complete":
        return Complete()
    if s == "llm.ttft":
        return LLMFirstToken(shared)
    if s.startswith("llm."):
        return LLMFigure(shared, s, tuple(exp.arg or ()))
    return Count(s)
