"""Expectations over a running stream, on the asyncio loop that runs it (``capture``,
``test``, the window's qasync loop alike).

``LiveExpectations.observer(downstream)`` wraps a stream's observer: every record goes
downstream first, then to the evaluator; verdicts are reported as they come; a timer waits
for the evaluator's next deadline, so an expectation that time alone decides fails on time
with no record arriving; and the first failure asks the stream to stop (``stop``) unless
``keep_going``. The stream's ``End`` then says ``"stopped": "expectation"``, and the
``cancelled`` error record that stopping makes is not passed on (nothing went wrong with
the stream).

Timing: records carry arrival times; the timer fires ``GRACE`` after a deadline so that
bytes that arrived just before it, and are still on their way to a record, are seen first.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any

from stream_core.expect.evaluator import Evaluator, Verdict
from stream_core.expect.syntax import Expectation
from stream_core.records import AnyRecord, End, Error, Observer, Request

__all__ = ["GRACE", "LiveExpectations"]

INF = float("inf")

GRACE = 0.02
"""Seconds the timer waits past a deadline before judging on it (see the module's text)."""


class LiveExpectations:
    """The expectations of one stream, evaluated live; ``failed`` once any failed."""

    def __init__(self, expectations: Iterable[Expectation], *,
                 report: Callable[[Verdict], None],
                 stop: Callable[[], None] | None = None, keep_going: bool = False,
                 request_body: bytes | str | None = None) -> None:
        self.evaluator = Evaluator(expectations, request_body)
        self.report = report
        self.stop = stop
        self.keep_going = keep_going
        self.stopping = False
        self.origin: float | None = None  # time.monotonic() of the stream's t = 0
        self._timer: asyncio.TimerHandle | None = None
        self._due = INF  # the timer's deadline (INF: no timer)
        self._ended = False

    @property
    def verdicts(self) -> list[Verdict]:
        return self.evaluator.verdicts

    @property
    def failed(self) -> bool:
        return self.evaluator.failed

    def observer(self, downstream: Observer) -> Observer:
        """``downstream``, with the records also evaluated."""

        evaluator = self.evaluator
        feed = evaluator.feed

        def observe(rec: AnyRecord) -> None:
            if isinstance(rec, End):
                self._end(rec, downstream)
                return
            if isinstance(rec, Request) and self.origin is None:
                # The stream's clock started rec.t ago, at the latest: judging by this
                # origin is never early.
                self.origin = time.monotonic() - rec.t
            if self.stopping and isinstance(rec, Error) and rec.kind == "cancelled":
                return
            downstream(rec)
            if not self._ended:
                verdicts = feed(rec)
                if verdicts or evaluator.due < self._due:  # else nothing new to wait for
                    self._after(verdicts)

        return observe

    def _end(self, end: End, downstream: Observer) -> None:
        self.close()
        if not self._ended:
            self._ended = True
            stopped = "by a failed expectation" if self.stopping else ""
            for verdict in self.evaluator.finish(end, stopped=stopped):
                self.report(verdict)
        if self.stopping:
            end = dataclasses.replace(end, complete=False, stopped="expectation")
        downstream(end)

    def _after(self, verdicts: list[Verdict]) -> None:
        for verdict in verdicts:
            self.report(verdict)
            if verdict.failed and not self.keep_going and not self.stopping:
                self.stopping = True
                if self.stop is not None:
                    self.stop()
        if not self.stopping:
            self._schedule()

    def _schedule(self) -> None:
        due = self.evaluator.deadline()
        if due is None or self.origin is None:
            return
        if self._timer is not None:
            if self._due <= due:
                return  # the earlier timer looks again when it fires
            self._timer.cancel()
            self._timer, self._due = None, INF
        self._due = due
        delay = self.origin + due + GRACE - time.monotonic()
        # at least 1 ms: a deadline that time does not settle (a bound just at its mark) is
        # looked at again after a while, not in a loop
        self._timer = asyncio.get_running_loop().call_later(max(delay, 0.001), self._tick)

    def _tick(self) -> None:
        self._timer, self._due = None, INF
        if self._ended or self.stopping or self.origin is None:
            return
        self._after(self.evaluator.tick(time.monotonic() - self.origin))

    def close(self) -> None:
        """Stop waiting for deadlines (the stream ended, or the caller gives up on it)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer, self._due = None, INF


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    """The ``expect`` record of a verdict, as ``capture`` prints it."""
    return verdict.record().to_json()
