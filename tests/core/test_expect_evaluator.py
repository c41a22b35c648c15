"""The evaluator on synthetic records: each kind decided when it is known (a pass or a failure
on the record that settles it, a deadline for what time alone settles), the rest at the end,
and skipped when the stream was stopped first."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stream_core.expect.evaluator import Evaluator, Verdict
from stream_core.expect.syntax import parse
from stream_core.records import (
    Chunk,
    Comment,
    End,
    Error,
    Event,
    Record,
    Request,
    Response,
)

SSE = [("content-type", "text/event-stream")]


def stream(events: list[tuple[float, str]], *, end: float | None = None, status: int = 200,
           comments: tuple[float, ...] = ()) -> list[Any]:
    """Request, Response, then a chunk and an event per ``(t, data)``, comments, End."""
    out: list[Any] = [Request(0.0, "GET", "http://x/", []),
                      Response(0.01, status, "OK", "HTTP/1.1", SSE, "sse")]
    timed: list[Any] = []
    for i, (t, data) in enumerate(events):
        timed += [Chunk(i, t, i * 10, b"x" * 10), Event(i, t, "message", data, "")]
    timed += [Comment(t, "ping") for t in comments]
    out += sorted(timed, key=lambda r: r.t)
    last = end if end is not None else (events[-1][0] if events else 0.02) + 0.001
    out.append(End(last, 10 * len(events), len(events), len(events), last, True))
    return out


def run(texts: list[str], records: list[Any], body: Any = None
        ) -> dict[str, Verdict]:
    ev = Evaluator([parse(t) for t in texts],
                   json.dumps(body).encode() if body is not None else None)
    for rec in records[:-1]:
        ev.feed(rec)
    ev.finish(records[-1])
    assert len(ev.verdicts) == len(texts)
    return {v.expectation.text: v for v in ev.verdicts}


def result(texts: list[str], records: list[Any], body: Any = None) -> dict[str, str]:
    return {k: v.result for k, v in run(texts, records, body).items()}


OK = stream([(0.1, '{"n": 1}'), (0.2, '{"n": 2}'), (0.3, "[DONE]")])


@pytest.mark.parametrize("text, expected", [
    ("status == 200", "pass"), ("status in [201, 204]", "fail"),
    ("header content-type ~ event-stream", "pass"), ("header x-nope exists", "fail"),
    ("ttfb < 300ms", "pass"), ("ttfb < 50ms", "fail"),
    ("first_event < 500ms", "pass"), ("first_event <= 100ms", "pass"),
    ("first_event < 100ms", "fail"),
    ("gap.max < 150ms", "pass"), ("gap.max < 50ms", "fail"),
    ("gap.p50 <= 100ms", "pass"), ("gap.p99 < 90ms", "fail"),
    ("events >= 3", "pass"), ("events > 3", "fail"), ("events == 3", "pass"),
    ("duration < 1s", "pass"), ("duration < 100ms", "fail"),
    ("complete", "pass"), ("not complete", "fail"),
    ("no decode_errors", "pass"), ("no errors", "pass"), ("chunks == 3", "pass"),
    ("every event.data is json", "fail"), ('every event.data is json or == "[DONE]"', "pass"),
    ("every event.type in [message, done]", "pass"), ("every event.type in [done]", "fail"),
    ('last event.data == "[DONE]"', "pass"), ('first event.data == "[DONE]"', "fail"),
    ('any event.data contains "DONE"', "pass"), ('no event.data contains "DONE"', "fail"),
    ("any event.data $.n == 2", "pass"), ("every event.data $.n < 2", "fail"),
    ("every event.data $.n exists", "pass"), ("every event.data $.m exists", "fail"),
])
def test_each_kind_passes_and_fails(text: str, expected: str) -> None:
    assert result([text], OK)[text] == expected


def test_verdicts_come_when_known() -> None:
    """A verdict at the record that settles it, not at the end."""
    verdicts = run(["events >= 2", "every event.data is json", "first_event < 500ms",
                    "any event.data $.n == 2", "gap.max < 2s"], OK)
    assert verdicts["events >= 2"].t == 0.2
    assert verdicts["every event.data is json"].t == 0.3  # the [DONE]
    assert verdicts["every event.data is json"].message.startswith('event 2: event.data "[DONE]"')
    assert verdicts["first_event < 500ms"].t == 0.1
    assert verdicts["any event.data $.n == 2"].t == 0.2
    assert verdicts["gap.max < 2s"].t == OK[-1].t  # a gap can still come: at the end


def test_deadlines_decide_without_records() -> None:
    ev = Evaluator([parse(t) for t in ("first_event < 500ms", "duration < 2s",
                                       "gap.max < 1s", "first_event > 100ms")])
    for rec in stream([])[:-1]:
        ev.feed(rec)
    assert ev.deadline() == pytest.approx(0.1, abs=1e-5)  # first_event > 100ms passes, no event yet
    assert ev.tick(0.1) == []  # an event at 100 ms could still come (with the read then)
    assert [v.result for v in ev.tick(0.11)] == ["pass"]
    assert ev.deadline() == 0.5
    assert ev.tick(0.49) == []
    (late,) = ev.tick(0.5)
    assert (late.result, late.t, late.value) == ("fail", 0.5, 0.5)
    assert late.message == "first_event: no event yet after 500 ms, expected < 500ms"
    ev.feed(Event(0, 0.6, "message", "x", ""))
    assert ev.deadline() == 1.6  # gap.max: one second after the event
    (gap,) = ev.tick(1.7)
    assert gap.result == "fail" and gap.value == pytest.approx(1.1)
    assert ev.deadline() == 2.0
    assert [v.expectation.text for v in ev.tick(2.0)] == ["duration < 2s"]
    assert ev.deadline() is None and ev.done


def test_a_late_record_decides_before_its_deadline_is_waited_for() -> None:
    ev = Evaluator([parse("first_event < 500ms")])
    ev.feed(Request(0.0, "GET", "http://x/", []))
    (v,) = ev.feed(Event(0, 0.7, "message", "x", ""))
    assert (v.result, v.value, v.message) == ("fail", 0.7,
                                              "first_event 700 ms, expected < 500ms")


def test_comment_every_on_keepalives() -> None:
    """SSE comments are ``Comment`` records: the longest time without one, from the response
    to the end, the silence before the end included."""
    pings = stream([(3.5, "{}")], comments=(0.5, 1.0, 1.5, 2.0, 2.5, 3.0), end=3.55)
    assert result(["comment.every < 600ms"], pings)["comment.every < 600ms"] == "pass"
    assert result(["comments >= 6"], pings)["comments >= 6"] == "pass"
    gap = stream([(3.5, "{}")], comments=(0.5, 1.0, 2.5), end=3.6)
    v = run(["comment.every < 600ms"], gap)["comment.every < 600ms"]
    assert (v.result, v.t, v.value) == ("fail", 2.5, pytest.approx(1.5))  # on that comment
    ev = Evaluator([parse("comment.every < 600ms")])
    for rec in gap[:2]:
        ev.feed(rec)
    assert ev.deadline() == pytest.approx(0.61)  # from the response, at 0.01
    for rec in gap[2:4]:
        ev.feed(rec)
    assert ev.deadline() == pytest.approx(1.6)
    (late,) = ev.tick(1.65)
    assert late.result == "fail" and late.message.startswith("comment.every: no comment for")


def test_ndjson_records_and_decode_errors() -> None:
    records: list[Any] = [Request(0.0, "GET", "http://x/", []),
                          Response(0.01, 200, "OK", "HTTP/1.1", [], "ndjson"),
                          Record(0, 0.1, '{"a":1}', {"a": 1}, None, True),
                          Record(1, 0.2, "oops", None, "not JSON", False),
                          End(0.3, 10, 1, 2, 0.3, True)]
    got = result(["every event.data is json", "no decode_errors", "any event.data $.a == 1",
                  "every event.type == record"], records)
    assert got == {"every event.data is json": "fail", "no decode_errors": "fail",
                   "any event.data $.a == 1": "pass", "every event.type == record": "pass"}
    errs = stream([(0.1, "x")])
    errs.insert(-1, Error(0.15, "decode", "line too long"))
    assert result(["decode_errors == 1"], errs)["decode_errors == 1"] == "pass"


def test_stopped_streams_skip_what_is_open() -> None:
    ev = Evaluator([parse(t) for t in ("first_event < 1s", "events >= 5", "complete")])
    for rec in OK[:4]:
        ev.feed(rec)
    ev.feed(Error(0.15, "cancelled", "stopped"))
    verdicts = ev.finish(End(0.16, 10, 1, 1, 0.16, False))
    assert [v.result for v in verdicts] == ["skip", "skip"]
    assert verdicts[0].message == "not decided: the stream was stopped by the user"
    assert [v.result for v in ev.verdicts] == ["pass", "skip", "skip"]


def test_no_response_fails_response_expectations() -> None:
    records: list[Any] = [Request(0.0, "GET", "http://x/", []),
                          Error(0.01, "connect", "refused"),
                          End(0.01, 0, 0, 0, 0.01, False)]
    verdicts = run(["status == 200", "first_event < 1s", "every event.data is json"],
                   records)
    assert verdicts["status == 200"].message == "status none (no response), expected == 200"
    assert verdicts["first_event < 1s"].result == "fail"
    assert verdicts["every event.data is json"].result == "pass"  # no events: vacuous


def openai(*deltas: str, finish: str | None = "stop", usage: int | None = 3,
           tool_args: str | None = None) -> list[Any]:
    frames: list[dict[str, Any]] = [{"choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
    frames += [{"choices": [{"index": 0, "delta": {"content": d}}]} for d in deltas]
    if tool_args is not None:
        frames.append({"choices": [{"index": 0, "delta": {"tool_calls": [{
            "index": 0, "id": "c1", "type": "function",
            "function": {"name": "plan", "arguments": tool_args}}]}}]})
    frames.append({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    if usage is not None:
        frames.append({"choices": [], "usage": {"prompt_tokens": 2,
                                                "completion_tokens": usage}})
    data = [json.dumps(f) for f in frames] + ["[DONE]"]
    return stream([(0.1 + 0.05 * i, d) for i, d in enumerate(data)])


TOOLS = {"tools": [{"type": "function", "function": {"name": "plan", "parameters": {
    "type": "object", "properties": {"days": {"type": "integer"}}, "required": ["days"]}}}]}


def test_llm_expectations_use_the_llm_assembly() -> None:
    reply = openai("Hel", "lo ", "Oslo")
    got = run(["llm.ttft < 200ms", "llm.tokens_per_s > 5", "llm.finish_reason == stop",
               'llm.text contains "Oslo"', "llm.usage.output_tokens <= 3",
               "llm.usage.input_tokens == 2", "llm.format == openai", "no llm.problems",
               "llm.tool_calls valid", "llm.tokens == 3"], reply)
    assert {k: v.result for k, v in got.items() if v.result != "pass"} == {}
    assert got["llm.ttft < 200ms"].t == pytest.approx(0.15)  # the first content delta
    bad = result(["llm.finish_reason == stop", "llm.usage.output_tokens <= 2",
                  'llm.text contains "Paris"', "llm.ttft < 100ms"],
                 openai("Hel", "lo", finish="length", usage=5))
    assert set(bad.values()) == {"fail"}


def test_tool_calls_checked_against_the_declared_schema() -> None:
    good = result(["llm.tool_calls valid", "llm.tool_calls == 1"],
                  openai(tool_args='{"days": 2}', finish="tool_calls"), TOOLS)
    assert good == {"llm.tool_calls valid": "pass", "llm.tool_calls == 1": "pass"}
    v = run(["llm.tool_calls valid"], openai(tool_args='{"days": "two"}',
                                             finish="tool_calls"), TOOLS)
    (verdict,) = v.values()
    assert verdict.result == "fail"
    assert verdict.message == "tool call arguments invalid (call 0 (plan): days: 'two' is not" \
                              " of type 'integer')"
