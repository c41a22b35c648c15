"""Evaluate expectations live: fed a stream's records in arrival order, each expectation gets
one verdict (pass, fail, or skip when the stream was stopped first) as soon as it is known.

Why a deadline: a stream that sends nothing sends no record to decide on, yet
``first_event < 500ms`` has failed at 500 ms. ``deadline()`` is the stream time at which time
alone decides something; the runner waits for it and calls ``advance(now)``. Records carry
their arrival time, so a verdict reached on a record is exact; one reached on a deadline is
as late as the runner's timer (tests check it within 100 ms).

Costs: each record goes only to the expectations that read its type (a flood of chunks
touches ``ttfb``, ``chunks`` and ``bytes`` alone); an event's data is parsed as JSON at most
once whatever the number of expectations that look into it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stream_core.expect.jsonpath import MISSING, select
from stream_core.expect.predicates import (
    NOT_JSON,
    STRICT,
    bound_outcome,
    quick,
    said,
    shown,
    test,
    threshold,
)
from stream_core.expect.probes import BOUND, FINAL, ITEMS, Probe, Shared, probe_for
from stream_core.expect.syntax import BOOL, DATA, Expectation
from stream_core.records import End, Error, Expect, loads_bounded

__all__ = ["Evaluator", "Verdict"]

PASS, FAIL, SKIP = "pass", "fail", "skip"
INF = float("inf")


@dataclass(slots=True)
class Verdict:
    """The outcome of one expectation: ``result`` pass, fail or skip; ``t`` when it was
    decided (stream time); ``value`` what was seen (JSON)."""

    expectation: Expectation
    result: str
    t: float
    value: Any
    message: str

    @property
    def failed(self) -> bool:
        return self.result == FAIL

    def record(self) -> Expect:
        e = self.expectation
        return Expect(self.t, e.text, self.result, self.value, self.message, e.source)


class _Check:
    """One expectation being evaluated."""

    listens: tuple[type, ...] = ()
    timed = False

    def __init__(self, exp: Expectation) -> None:
        self.exp = exp
        self.verdict: Verdict | None = None

    def feed(self, rec: Any, item_json: Any) -> Verdict | None:
        raise NotImplementedError

    def at(self, now: float) -> Verdict | None:
        return None

    def deadline(self) -> float | None:
        return None

    def finish(self, end: End) -> Verdict:
        raise NotImplementedError

    def decide(self, result: str, t: float, value: Any, message: str) -> Verdict:
        self.verdict = Verdict(self.exp, result, t, shown(value, self.exp.kind), message)
        return self.verdict

    def wanted(self) -> str:
        return " or ".join(p.text for p in self.exp.predicates)


class _Scalar(_Check):
    """A name and its predicates, decided on the probe's readings."""

    def __init__(self, exp: Expectation, probe: Probe) -> None:
        super().__init__(exp)
        self.probe = probe
        self.listens = probe.listens
        self.timed = exp.timed
        #: the values at which a growing bound decides a predicate, smallest first
        self.marks = sorted(m for p in exp.predicates if (m := threshold(p)) is not None)
        self.decides = self.marks[0] - STRICT if self.marks else None

    def feed(self, rec: Any, item_json: Any) -> Verdict | None:
        probe = self.probe
        probe.feed(rec)
        if probe.final is None:  # below every mark, a bound decides nothing: no need to look
            if not probe.bounded or self.decides is None:
                return None
            since = probe.since
            low = probe.base if since is None or probe.base > rec.t - since else rec.t - since
            if low < self.decides:
                return None
        return self.at(rec.t)

    def at(self, now: float) -> Verdict | None:
        reading = self.probe.reading()
        if reading.state == FINAL:
            return self.judge(now, reading.value, reading.note)
        if reading.state != BOUND:
            return None
        low = reading.low(now)
        outcomes = [bound_outcome(p, low) for p in self.exp.predicates]
        if True in outcomes:
            result = PASS
        elif all(o is False for o in outcomes):
            result = FAIL
        else:
            return None
        said_ = f"{self.exp.label}: {self.probe.pending(low)}"
        return self.decide(result, now, low, said_ if result == PASS
                           else f"{said_}, expected {self.wanted()}")

    def judge(self, t: float, value: Any, note: str) -> Verdict:
        results = [test(p, value) for p in self.exp.predicates]
        ok = any(r[0] for r in results)
        if self.exp.kind == BOOL:
            words = self.exp.label if value else f"not {self.exp.label}"
            if self.exp.subject == "llm.tool_calls.valid":
                words = "tool calls valid" if value else "tool call arguments invalid"
            message = f"{words} ({note})" if note else words
        else:
            message = f"{self.exp.label} {said(value, self.exp.kind)}"
            if note:
                message += f" ({note})"
            if not ok:
                why = next((r[1] for r in results if r[1] and r[1] != "none"), "")
                message += f": {why}" if why else ""
                message += f", expected {self.wanted()}"
        return self.decide(PASS if ok else FAIL, t, value, message)

    def deadline(self) -> float | None:
        probe = self.probe
        if probe.final is not None or probe.since is None:
            return None
        for mark in self.marks:
            if mark >= probe.base:
                return probe.since + mark
        return None

    def finish(self, end: End) -> Verdict:
        self.probe.finish(end)
        reading = self.probe.reading()
        return self.judge(end.t, reading.value, reading.note)


class _Quantified(_Check):
    """``every``/``any``/``no``/``first``/``last`` over the stream's events (or records)."""

    listens = ITEMS

    def __init__(self, exp: Expectation) -> None:
        super().__init__(exp)
        self.seen = 0
        self.last: tuple[int, float, Any, Any] | None = None  # seq, t, value, its JSON
        self.quick = [quick(p) for p in exp.predicates]

    def value_of(self, rec: Any, item_json: Any) -> tuple[Any, Any] | None:
        """(the value tested, the JSON for ``is json``/``matches``), or None to skip."""
        exp = self.exp
        if exp.subject == "event.data":
            data = rec.data if rec.type == "event" else rec.text
            if exp.path is None:
                return data, item_json
            if item_json is NOT_JSON:
                return None  # a JSONPath looks into JSON events only
            value = select(item_json, exp.path)
            return value, value
        if exp.subject == "event.type":
            return (rec.event if rec.type == "event" else "record"), MISSING
        return (rec.id if rec.type == "event" else ""), MISSING

    def test(self, value: Any, parsed: Any) -> tuple[bool, str]:
        results = [test(p, value, parsed) for p in self.exp.predicates]
        ok = any(r[0] for r in results)
        return ok, "" if ok else next((r[1] for r in results if r[1]), "")

    def feed(self, rec: Any, item_json: Any) -> Verdict | None:
        found = self.value_of(rec, item_json)
        if found is None:
            return None
        value, parsed = found
        self.seen += 1
        q = self.exp.quantifier
        if q == "last":
            self.last = (rec.seq, rec.t, value, parsed)
            return None
        ok = any(f(value, parsed) for f in self.quick)
        if q == "first" or (q == "every" and not ok) or (q in ("any", "no") and ok):
            ok, why = self.test(value, parsed)
            result = PASS if (ok if q != "no" else not ok) else FAIL
            return self.decide(result, rec.t, value, self.about(rec.seq, value, why, result))
        return None

    def about(self, seq: int, value: Any, why: str, result: str) -> str:
        label = self.exp.label.split(" ", 1)[-1]  # "event.data $.x", without the quantifier
        text = f"event {seq}: {label} {said(value, self.exp.kind if self.exp.kind != DATA else '')}"
        if why and why != "none":
            text += f": {why}"
        return text if result == PASS else f"{text}, expected {self.wanted()}"

    def finish(self, end: End) -> Verdict:
        q, n = self.exp.quantifier, self.seen
        of = f"{n} event{'s' if n != 1 else ''}" + (" with JSON data" if self.exp.path else "")
        if q == "last":
            if self.last is None:
                return self.decide(FAIL, end.t, None, f"no events, expected {self.wanted()}")
            seq, _t, value, parsed = self.last
            ok, why = self.test(value, parsed)
            result = PASS if ok else FAIL
            return self.decide(result, end.t, value, self.about(seq, value, why, result))
        if q == "first":
            return self.decide(FAIL, end.t, None, f"no events, expected {self.wanted()}")
        if q == "any":
            return self.decide(FAIL, end.t, n, f"none of {of}, expected {self.wanted()}")
        return self.decide(PASS, end.t, n, f"all {of}" if q == "every" else f"none of {of}")


class Evaluator:
    """The verdicts of ``expectations`` over one stream.

    ``feed`` each record in arrival order (it returns the verdicts reached), ``advance`` to a
    time when ``deadline()`` has passed without a record, ``finish`` with the ``End`` record
    (``stopped``: the stream was cut before its end, by a failure or by the user, and what is
    still open is skipped rather than judged on half a stream).
    """

    def __init__(self, expectations: Iterable[Expectation],
                 request_body: bytes | str | None = None) -> None:
        self.expectations = list(expectations)
        self.shared = Shared(request_body, any(e.subject.startswith("llm.")
                                               for e in self.expectations))
        self.checks: list[_Check] = [
            _Quantified(e) if e.quantifier else _Scalar(e, probe_for(e, self.shared))
            for e in self.expectations]
        self.verdicts: list[Verdict] = []
        self._by_type: dict[type, list[_Check]] = {}
        self._json = any(e.subject == "event.data" and (e.path is not None or any(
            p.op in ("is json", "is not json", "matches") for p in e.predicates))
            for e in self.expectations)
        self._timed = [c for c in self.checks if c.timed]
        #: no timed expectation is due before this (maybe later: ``advance`` looks again)
        self.due = INF
        #: timed expectations without a deadline yet: once one has one, it only moves later
        self._undated: set[int] = set()
        self._rescan()
        self.cancelled = False

    @property
    def open(self) -> list[Expectation]:
        return [c.exp for c in self.checks if c.verdict is None]

    @property
    def failed(self) -> bool:
        return any(v.failed for v in self.verdicts)

    @property
    def done(self) -> bool:
        return all(c.verdict is not None for c in self.checks)

    def _readers(self, cls: type) -> list[_Check]:
        readers = self._by_type.get(cls)
        if readers is None:
            readers = self._by_type[cls] = [c for c in self.checks
                                            if issubclass(cls, c.listens)]
        return readers

    def feed(self, rec: Any) -> list[Verdict]:
        """One record (not ``End``: see ``finish``); the verdicts it brought."""
        out: list[Verdict] = []
        if isinstance(rec, Error) and rec.kind == "cancelled":
            self.cancelled = True
        readers = self._readers(type(rec))
        item = isinstance(rec, ITEMS)
        if item:
            self.shared.feed(rec)  # LLM figures are read at the end: fed every item
        if readers:
            item_json: Any = MISSING
            if item and self._json:
                item_json = _json_of(rec)
            for check in readers:
                if check.verdict is None:
                    if (v := check.feed(rec, item_json)) is not None:
                        out.append(v)
                    elif check.timed and id(check) in self._undated \
                            and (due := check.deadline()) is not None:
                        self._undated.discard(id(check))  # the first event's gap, say
                        self.due = min(self.due, due)
        if rec.t >= self.due:
            out += self.advance(rec.t)
        if out:
            self.verdicts += out
        return out

    def advance(self, now: float) -> list[Verdict]:
        """The verdicts that time alone brought by ``now`` (stream time)."""
        out = []
        for check in self._timed:
            if check.verdict is None:
                due = check.deadline()
                if due is not None and due <= now and (v := check.at(now)) is not None:
                    out.append(v)
        self._rescan()
        return out

    def _rescan(self) -> None:
        due, self._undated = INF, set()
        for check in self._timed:
            if check.verdict is None:
                d = check.deadline()
                if d is None:
                    self._undated.add(id(check))
                else:
                    due = min(due, d)
        self.due = due

    def tick(self, now: float) -> list[Verdict]:
        """``advance`` for the runner's timer (the verdicts are kept)."""
        out = self.advance(now)
        self.verdicts += out
        return out

    def deadline(self) -> float | None:
        """The stream time at which time alone may decide an open expectation, if any (never
        later than the true one; ``tick`` then looks again)."""
        return None if self.due == INF else self.due

    def finish(self, end: End, *, stopped: str = "") -> list[Verdict]:
        """The stream ended: every open expectation is decided (or skipped when the stream
        was ``stopped`` before its end: "by a failed expectation", or cancelled)."""
        self.shared.finish()
        out: list[Verdict] = []
        why = stopped or ("by the user" if self.cancelled else "")
        for check in self.checks:
            if check.verdict is not None:
                continue
            if why:
                out.append(check.decide(SKIP, end.t, None,
                                        f"not decided: the stream was stopped {why}"))
            else:
                out.append(check.finish(end))
        self.verdicts += out
        return out


def _json_of(rec: Any) -> Any:
    if rec.type == "record":
        return rec.value if rec.parsed else NOT_JSON
    data = rec.data
    if not data or data[0] not in '{["-0123456789tfn \t\r\n':
        return NOT_JSON
    try:
        return loads_bounded(data)
    except ValueError:
        return NOT_JSON
