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
    """Base: fed the records of ``listens``, then ``finish(end)`` once.

    State in plain attributes, read on every record without building anything: ``final``
    once the value is known; until then, when ``bounded``, the value is at least ``base``
    (and at least ``now - since`` when ``since`` is set)."""

    listens: tuple[type, ...] = ()
    kind = ""
    bounded = False

    def __init__(self) -> None:
        self.final: Reading | None = None
        self.base: Any = 0
        self.since: float | None = None

    def feed(self, rec: Any) -> None:
        """One record of a type in ``listens``."""

    def finish(self, end: End) -> None:
        """The stream ended: every reading becomes final."""

    def reading(self) -> Reading:
        if self.final is not None:
            return self.final
        if self.bounded:
            return Reading(BOUND, self.base, self.since)
        return Reading(UNKNOWN)

    def pending(self, low: Any) -> str:
        """A bound's value in words, for a verdict reached before the value is known."""
        return f"at least {said(low, self.kind)} so far"


class ResponseField(Probe):
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


class FirstTime(Probe):
    """When the first record of ``listens`` came; waiting, the time so far is a bound."""

    kind = TIME
    bounded = True

    def __init__(self, listens: tuple[type, ...], what: str) -> None:
        super().__init__()
        self.listens, self.what = listens, what
        self.base, self.since = 0.0, 0.0

    def feed(self, rec: Any) -> None:
        if self.final is None:
            self.final = Reading(FINAL, rec.t)

    def pending(self, low: Any) -> str:
        return f"no {self.what} yet after {said(low, TIME)}"

    def finish(self, end: End) -> None:
        if self.final is None:
            self.final = Reading(FINAL, None, note=f"no {self.what}")


class Duration(Probe):
    kind = TIME
    bounded = True

    def __init__(self) -> None:
        super().__init__()
        self.base, self.since = 0.0, 0.0

    def pending(self, low: Any) -> str:
        return f"still running after {said(low, TIME)}"

    def finish(self, end: End) -> None:
        self.final = Reading(FINAL, end.duration)


class GapMax(Probe):
    """The longest time without an event after the first: ``base`` the longest closed gap,
    ``since`` the last event (the open gap grows from it)."""

    listens: tuple[type, ...] = ITEMS
    kind = TIME
    bounded = True

    def __init__(self) -> None:
        super().__init__()
        self.base = 0.0
        self.after = -1  # the event before the longest gap so far
        self.seq = -1

    def feed(self, rec: Any) -> None:
        last = self.since
        if last is not None and rec.t - last > self.base:
            self.base, self.after = rec.t - last, self.seq
        self.since, self.seq = rec.t, rec.seq

    def pending(self, low: Any) -> str:
        return f"no event for {said(low, TIME)} after event {self.seq}"

    def finish(self, end: End) -> None:
        if self.since is None:
            self.final = Reading(FINAL, None, note="no events")
        elif end.t - self.since > self.base:
            self.final = Reading(FINAL, end.t - self.since,
                                 note=f"from event {self.seq} to the end")
        else:
            self.final = Reading(FINAL, self.base, note=f"after event {self.after}")


class GapPercentile(Probe):
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


class Count(Probe):
    """How many records of a kind (or bytes): a bound that only grows until the end."""

    bounded = True

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.listens = {"events": ITEMS, "chunks": (Chunk,), "bytes": (Chunk,),
                        "errors": (Error,), "decode_errors": (Error, Record),
                        "reconnects": (Reconnect,), "comments": (Comment,)}[name]

    def feed(self, rec: Any) -> None:
        name = self.name
        if name == "bytes":
            self.base += len(rec.data)
        elif name == "errors":
            self.base += rec.kind != "cancelled"
        elif name == "decode_errors":
            self.base += (rec.kind == "decode" if isinstance(rec, Error)
                          else rec.error is not None)
        else:
            self.base += 1

    def pending(self, low: Any) -> str:
        return f"{low} so far"

    def finish(self, end: End) -> None:
        self.final = Reading(FINAL, self.base)


class CommentEvery(GapMax):
    """The longest time without a comment, from the response on."""

    listens = (Response, Comment)

    def feed(self, rec: Any) -> None:
        if isinstance(rec, Response):
            if self.since is None and rec.mode != "redirect":
                self.since = rec.t
            return
        self.seq += 1
        last = self.since
        if last is not None and rec.t - last > self.base:
            self.base, self.after = rec.t - last, self.seq
        self.since = rec.t

    def pending(self, low: Any) -> str:
        return f"no comment for {said(low, TIME)}"

    def finish(self, end: End) -> None:
        if self.since is None:
            self.final = Reading(FINAL, None, note="no response")
            return
        self.final = Reading(FINAL, max(self.base, end.t - self.since),
                             note=f"{self.seq + 1} comments")


class Complete(Probe):
    def finish(self, end: End) -> None:
        stopped = end.stopped
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


class LLMFigure(Probe):
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
