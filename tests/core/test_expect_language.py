"""The expectation language: every form the issue lists parses, and every mistake is one
message with the column of the token at fault, before any request is sent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stream_core.expect.jsonpath import MISSING, JSONPathError, compile_path, select
from stream_core.expect.syntax import ExpectSyntaxError, parse

FORMS = [
    # response
    ("status == 200", "status", [("==", 200)]),
    ("header content-type ~ text/event-stream", "header", [("~", None)]),
    ("ttfb < 300ms", "ttfb", [("<", 0.3)]),
    # stream
    ("first_event < 500ms", "first_event", [("<", 0.5)]),
    ("gap.max < 2s", "gap.max", [("<", 2.0)]),
    ("gap.p99 < 200ms", "gap.p99", [("<", 0.2)]),
    ("events >= 10", "events", [(">=", 10)]),
    ("duration < 30s", "duration", [("<", 30.0)]),
    ("complete", "complete", [("is true", True)]),
    ("not complete", "complete", [("is false", False)]),
    ("no decode_errors", "decode_errors", [("==", 0)]),
    ("comment.every < 15s", "comment.every", [("<", 15.0)]),
    # content
    ("every event.data is json", "event.data", [("is json", None)]),
    ("every event.type in [message, done]", "event.type", [("in", ["message", "done"])]),
    ('last event.data == "[DONE]"', "event.data", [("==", "[DONE]")]),
    ('any event.data contains "Oslo"', "event.data", [("contains", "Oslo")]),
    ("any event.data $.choices[0].delta exists", "event.data", [("exists", None)]),
    ('every event.data is json or == "[DONE]"', "event.data", [("is json", None),
                                                               ("==", "[DONE]")]),
    # LLM
    ("llm.ttft < 800ms", "llm.ttft", [("<", 0.8)]),
    ("llm.tokens_per_s > 20", "llm.tokens_per_s", [(">", 20)]),
    ("llm.finish_reason == stop", "llm.finish_reason", [("==", "stop")]),
    ("llm.tool_calls valid", "llm.tool_calls.valid", [("is true", True)]),
    ('llm.text contains "hello"', "llm.text", [("contains", "hello")]),
    ("llm.usage.output_tokens <= 512", "llm.usage", [("<=", 512)]),
]


@pytest.mark.parametrize("text, subject, predicates", FORMS)
def test_every_form_parses(text: str, subject: str, predicates: list[tuple[str, object]]
                           ) -> None:
    exp = parse(text)
    assert exp.subject == subject and exp.text == text
    got = [(p.op, p.value if p.op not in ("~", "!~") else None) for p in exp.predicates]
    assert got == predicates


def test_units_and_paths() -> None:
    assert parse("ttfb < 250us").predicates[0].value == pytest.approx(250e-6)
    assert parse("duration < 1.5m").predicates[0].value == 90.0
    assert parse("first_event<500ms").predicates[0].value == 0.5  # no spaces needed
    exp = parse("every event.data $.choices[0]['a b'][-1] == true")
    assert exp.path == ("choices", 0, "a b", -1) and exp.predicates[0].value is True
    assert parse("gap.p42 < 1s").arg == 0.42


ERRORS = [
    ("first_evnt < 500ms", 1, "unknown name 'first_evnt' (did you mean 'first_event'?)"),
    ("first_event < 500", 15, "write it with a unit, such as 500ms or 500s"),
    ("status ~ 2..", 8, "status (a number) takes"),
    ("status = 200", 8, "use == to compare"),
    ("status == 200 and complete", 15, "unexpected 'and'"),
    ('any event.data contains "abc', 25, "unterminated string"),
    ("every event.type in [a, b", 26, "the list has no closing ]"),
    ("header content-type ~ '(['", 25, "bad regular expression"),
    ("every event.data $.a[*] == 1", 21, "only single-value paths"),
    ("events >= 1.5", 11, "expected a whole number"),
    ("llm.usage.output_tokens < ten", 27, "< compares numbers"),
    ("event.data is json", 1, "say which events"),
    ("every event.type is json", 18, "event.type (text) takes"),
    ("every event.type $.x == 1", 18, "a JSONPath follows event.data only"),
    ("no events.x", 4, "'no' takes a count"),
    ("status", 7, "expected a predicate after status"),
    ("   ", 1, "empty expectation"),
]


@pytest.mark.parametrize("text, column, message", ERRORS)
def test_mistakes_name_the_column(text: str, column: int, message: str) -> None:
    with pytest.raises(ExpectSyntaxError) as info:
        parse(text)
    assert info.value.column == column, str(info.value)
    assert message in info.value.message


def test_schema_files(tmp_path: Path) -> None:
    (tmp_path / "ok.schema.json").write_text(json.dumps({"type": "object",
                                                         "required": ["a"]}))
    (tmp_path / "bad.schema.json").write_text(json.dumps({"type": 12}))
    exp = parse("every event.data matches ok.schema.json", base_dir=tmp_path)
    assert exp.predicates[0].value.errors({"a": 1}) == []
    assert exp.predicates[0].value.errors({}) == ["(top): 'a' is a required property"]
    with pytest.raises(ExpectSyntaxError, match="is invalid") as info:
        parse("every event.data matches bad.schema.json", base_dir=tmp_path)
    assert info.value.column == 26
    with pytest.raises(ExpectSyntaxError, match="cannot read schema"):
        parse("every event.data matches missing.json", base_dir=tmp_path)


def test_jsonpath_subset() -> None:
    doc = {"choices": [{"delta": {"content": "hi"}}], "a b": [1, 2]}
    assert select(doc, compile_path("$.choices[0].delta.content")) == "hi"
    assert select(doc, compile_path('$["a b"][-1]')) == 2
    assert select(doc, compile_path("$.choices[3]")) is MISSING
    assert select(doc, compile_path("$")) is doc
    for bad, offset in (("$..x", 1), ("$.a[1:2]", 3), ("$.a[?(@.x)]", 3), ("x", 0)):
        with pytest.raises(JSONPathError) as info:
            compile_path(bad)
        assert info.value.offset == offset, bad
