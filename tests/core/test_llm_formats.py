"""Every provider's stream shape reassembled by ``LLMAssembler``: text, reasoning, tool
calls, finish reason, usage; broken streams named at the event that broke them; timing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stream_core.analysis.llm import FORMATS, LLMAssembler, check_call, declared_tools, timing
from stream_core.analysis.llm.state import ToolCall

Frame = tuple[str, Any]  # (SSE event name, data object or raw string)


def run(frames: list[Frame], *, fmt: str = "", ndjson: bool = False, step: float = 0.05,
        body: Any = None) -> LLMAssembler:
    llm = LLMAssembler.for_request(json.dumps(body) if body else None, fmt=fmt)
    for i, (event, data) in enumerate(frames):
        if ndjson:
            llm.feed_value(data, i * step, i)
        else:
            llm.feed(event, data if isinstance(data, str) else json.dumps(data), i * step, i)
    llm.close()
    return llm


def chat_chunk(delta: dict[str, Any], finish: str | None = None) -> Frame:
    return ("message", {"id": "c", "object": "chat.completion.chunk", "model": "m",
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


OPENAI_CHAT = [
    chat_chunk({"role": "assistant", "content": ""}),
    chat_chunk({"reasoning_content": "Think"}), chat_chunk({"reasoning_content": "ing."}),
    chat_chunk({"content": "Hel"}), chat_chunk({"content": "lo"}),
    chat_chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                "function": {"name": "get_weather", "arguments": ""}}]}),
    chat_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city"'}}]}),
    chat_chunk({"tool_calls": [{"index": 0, "function": {"arguments": ': "Oslo"}'}}]}),
    chat_chunk({}, "tool_calls"),
    ("message", {"id": "c", "object": "chat.completion.chunk", "choices": [],
                 "usage": {"prompt_tokens": 3, "completion_tokens": 6, "total_tokens": 9}}),
    ("message", "[DONE]"),
]

RESPONSES = [
    ("response.created", {"type": "response.created", "sequence_number": 0,
                          "response": {"id": "r", "model": "gpt", "status": "in_progress"}}),
    ("response.output_item.added", {"type": "response.output_item.added", "output_index": 0,
                                    "item": {"type": "reasoning", "id": "rs_1"}}),
    ("response.reasoning_summary_text.delta", {
        "type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "output_index": 0,
        "summary_index": 0, "delta": "Plan."}),
    ("response.output_item.added", {"type": "response.output_item.added", "output_index": 1,
                                    "item": {"type": "message", "id": "msg_1"}}),
    ("response.output_text.delta", {"type": "response.output_text.delta", "item_id": "msg_1",
                                    "output_index": 1, "content_index": 0, "delta": "Hi "}),
    ("response.output_text.delta", {"type": "response.output_text.delta", "item_id": "msg_1",
                                    "output_index": 1, "content_index": 0, "delta": "there"}),
    ("response.output_item.added", {"type": "response.output_item.added", "output_index": 2,
                                    "item": {"type": "function_call", "id": "fc_1",
                                             "call_id": "call_9", "name": "lookup",
                                             "arguments": ""}}),
    ("response.function_call_arguments.delta", {
        "type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 2,
        "delta": '{"q":'}),
    ("response.function_call_arguments.delta", {
        "type": "response.function_call_arguments.delta", "item_id": "fc_1", "output_index": 2,
        "delta": ' "x"}'}),
    ("response.function_call_arguments.done", {
        "type": "response.function_call_arguments.done", "item_id": "fc_1", "output_index": 2,
        "arguments": '{"q": "x"}'}),
    ("response.completed", {"type": "response.completed", "response": {
        "id": "r", "model": "gpt", "status": "completed",
        "usage": {"input_tokens": 5, "output_tokens": 7, "total_tokens": 12}}}),
]

ANTHROPIC = [
    ("message_start", {"type": "message_start", "message": {
        "id": "m", "model": "claude", "usage": {"input_tokens": 4, "output_tokens": 1}}}),
    ("content_block_start", {"type": "content_block_start", "index": 0,
                             "content_block": {"type": "thinking", "thinking": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "thinking_delta", "thinking": "Hmm."}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "signature_delta", "signature": "sig=="}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("content_block_start", {"type": "content_block_start", "index": 1,
                             "content_block": {"type": "text", "text": ""}}),
    ("ping", {"type": "ping"}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1,
                             "delta": {"type": "text_delta", "text": "Sure."}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 1}),
    ("content_block_start", {"type": "content_block_start", "index": 2, "content_block": {
        "type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 2, "delta": {
        "type": "input_json_delta", "partial_json": '{"city": '}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 2, "delta": {
        "type": "input_json_delta", "partial_json": '"Oslo"}'}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 2}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use"},
                       "usage": {"output_tokens": 12}}),
    ("message_stop", {"type": "message_stop"}),
]

GEMINI = [
    ("message", {"candidates": [{"content": {"role": "model", "parts": [
        {"text": "Considering.", "thought": True}]}, "index": 0}], "modelVersion": "gemini"}),
    ("message", {"candidates": [{"content": {"role": "model", "parts": [{"text": "It is "}]},
                                 "index": 0}], "modelVersion": "gemini"}),
    ("message", {"candidates": [{"content": {"role": "model", "parts": [
        {"text": "sunny."}, {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}}]},
        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 4,
                          "thoughtsTokenCount": 2, "totalTokenCount": 9},
        "modelVersion": "gemini"}),
]

OLLAMA_CHAT = [
    ("", {"model": "qwen3", "created_at": "t", "message": {"role": "assistant", "content": "",
                                                           "thinking": "Let me see."},
          "done": False}),
    ("", {"model": "qwen3", "created_at": "t", "message": {"role": "assistant",
                                                           "content": "Hello"}, "done": False}),
    ("", {"model": "qwen3", "created_at": "t", "message": {
        "role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}]},
        "done": False}),
    ("", {"model": "qwen3", "created_at": "t", "message": {"role": "assistant", "content": ""},
          "done": True, "done_reason": "stop", "total_duration": 900, "prompt_eval_count": 5,
          "eval_count": 30, "eval_duration": 1_500_000_000}),
]

OLLAMA_GENERATE = [
    ("", {"model": "llama", "created_at": "t", "response": "Hi", "done": False}),
    ("", {"model": "llama", "created_at": "t", "response": " you", "done": False}),
    ("", {"model": "llama", "created_at": "t", "response": "", "done": True,
          "done_reason": "length", "eval_count": 2, "eval_duration": 10_000_000}),
]

TGI = [
    ("message", {"index": 1, "token": {"id": 1, "text": "Hel", "logprob": -0.1,
                                       "special": False}, "generated_text": None, "details": None}),
    ("message", {"index": 2, "token": {"id": 2, "text": "lo", "logprob": -0.1,
                                       "special": False}, "generated_text": None, "details": None}),
    ("message", {"index": 3, "token": {"id": 0, "text": "</s>", "logprob": 0, "special": True},
                 "generated_text": "Hello", "details": {"finish_reason": "eos_token",
                                                        "generated_tokens": 3, "seed": None}}),
]

COHERE = [
    ("message-start", {"id": "x", "type": "message-start", "delta": {"message": {
        "role": "assistant", "content": [], "tool_plan": "", "tool_calls": []}}}),
    ("tool-plan-delta", {"type": "tool-plan-delta", "delta": {"message": {
        "tool_plan": "I will look it up."}}}),
    ("tool-call-start", {"type": "tool-call-start", "index": 0, "delta": {"message": {
        "tool_calls": {"id": "t1", "type": "function", "function": {
            "name": "get_weather", "arguments": ""}}}}}),
    ("tool-call-delta", {"type": "tool-call-delta", "index": 0, "delta": {"message": {
        "tool_calls": {"function": {"arguments": '{"city":"Oslo"}'}}}}}),
    ("tool-call-end", {"type": "tool-call-end", "index": 0}),
    ("content-start", {"type": "content-start", "index": 0, "delta": {"message": {
        "content": {"type": "text", "text": ""}}}}),
    ("content-delta", {"type": "content-delta", "index": 0, "delta": {"message": {
        "content": {"text": "Done"}}}}),
    ("content-end", {"type": "content-end", "index": 0}),
    ("message-end", {"type": "message-end", "delta": {"finish_reason": "TOOL_CALL", "usage": {
        "billed_units": {"input_tokens": 3, "output_tokens": 9},
        "tokens": {"input_tokens": 30, "output_tokens": 9}}}}),
]

CASES = {
    # name: (frames, ndjson, text, reasoning, calls, finish, output tokens)
    "openai": (OPENAI_CHAT, False, "Hello", "Thinking.", [("get_weather", {"city": "Oslo"})],
               "tool_calls", 6),
    "openai-responses": (RESPONSES, False, "Hi there", "Plan.", [("lookup", {"q": "x"})],
                         "completed", 7),
    "anthropic": (ANTHROPIC, False, "Sure.", "Hmm.", [("get_weather", {"city": "Oslo"})],
                  "tool_use", 12),
    "gemini": (GEMINI, False, "It is sunny.", "Considering.",
               [("get_weather", {"city": "Oslo"})], "STOP", 6),
    "ollama": (OLLAMA_CHAT, True, "Hello", "Let me see.", [("get_weather", {"city": "Oslo"})],
               "stop", 30),
    "tgi": (TGI, False, "Hello", "", [], "eos_token", 3),
    "cohere": (COHERE, False, "Done", "I will look it up.",
               [("get_weather", {"city": "Oslo"})], "TOOL_CALL", 9),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_format_is_detected_and_assembled(name: str) -> None:
    frames, ndjson, text, reasoning, calls, finish, tokens = CASES[name]
    llm = run(frames, ndjson=ndjson)
    assert llm.kind == name and llm.title == FORMATS[name].title
    assert llm.text == text
    assert llm.reasoning == reasoning
    assert [(c.name, c.parsed()[0]) for c in llm.tool_calls.values()] == calls
    assert llm.finish_reason == finish
    assert llm.provider_output_tokens() == tokens
    assert llm.problems == [], [str(p) for p in llm.problems]
    assert llm.first_token_t is not None and (llm.model or name in ("tgi", "cohere"))


def test_ollama_generate_and_server_rate() -> None:
    from stream_core.analysis.llm import server_rate
    llm = run(OLLAMA_GENERATE, ndjson=True)
    assert (llm.kind, llm.text, llm.finish_reason) == ("ollama", "Hi you", "length")
    assert server_rate(llm.usage) == pytest.approx(200.0)
    assert server_rate(run(OLLAMA_CHAT, ndjson=True).usage) == pytest.approx(20.0)


def test_anthropic_signature_and_error_event() -> None:
    assert run(ANTHROPIC).signature == "sig=="
    broken = ANTHROPIC[:3] + [("error", {"type": "error", "error": {
        "type": "overloaded_error", "message": "Overloaded"}})]
    llm = run(broken)
    assert llm.error == "overloaded_error: Overloaded"
    assert [str(p) for p in llm.problems] == [
        "event 3: the provider reported an error: overloaded_error: Overloaded"]


def test_refusal_is_kept_apart() -> None:
    llm = run([chat_chunk({"refusal": "I can't "}), chat_chunk({"refusal": "help."}, "stop"),
               ("message", "[DONE]")])
    assert (llm.text, llm.refusal, llm.problems) == ("", "I can't help.", [])


def test_responses_failed_and_error() -> None:
    failed = RESPONSES[:1] + [("response.failed", {"type": "response.failed", "response": {
        "status": "failed", "error": {"code": "server_error", "message": "boom"}}})]
    llm = run(failed)
    assert (llm.error, llm.finish_reason) == ("boom", "failed")
    llm = run(RESPONSES[:1] + [("error", {"type": "error", "code": "rate_limit",
                                          "message": "slow down"})])
    assert llm.error == "slow down" and llm.kind == "openai-responses"


@pytest.mark.parametrize("frames, expected", [
    # a malformed Anthropic stream: text deltas of the wrong type, out of order, cut short
    ([ANTHROPIC[0], ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                             "delta": {"type": "text_delta", "text": 5}})],
     ["event 1: text_delta for block 0 before its content_block_start",
      "event 1: delta.text is number, expected string",
      "the stream ended without message_stop (cut short?)"]),
    ([ANTHROPIC[1], *ANTHROPIC[2:5], *ANTHROPIC[13:]],
     ["event 0: content_block_start before message_start"]),
    ([("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {
        "type": "text_delta", "text": "x"}}), ("message_stop", {"type": "message_stop"})],
     ["event 0: content_block_delta before message_start",
      "event 0: text_delta for block 0 before its content_block_start"]),
    # OpenAI chat with the wrong types, then cut short
    ([("message", {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {
        "content": ["x"]}}]}), ("message", {"object": "chat.completion.chunk",
                                           "choices": "nope"})],
     ["event 0: choices[0].delta.content is array, expected string",
      "event 1: choices is string, expected array",
      "the stream ended before any finish_reason (cut short?)"]),
    ([chat_chunk({"content": "a"}, "stop"), ("message", "oops")],
     ["event 1: data is not a JSON object: 'oops'",
      "the stream ended without data: [DONE]"]),
    # Responses: deltas before the item, and a done that disagrees
    ([RESPONSES[0], RESPONSES[7], RESPONSES[9], RESPONSES[10]],
     ["event 1: response.function_call_arguments.delta for item 'fc_1' before its "
      "response.output_item.added",
      "event 2: response.function_call_arguments.done: the deltas add up to '{\"q\":', "
      "but arguments is '{\"q\": \"x\"}'"]),
    # Ollama: wrong types and no done record
    ([("", {"model": "m", "created_at": "t", "message": {"content": 1}, "done": False})],
     ["event 0: message.content is number, expected string",
      "the stream ended without a done: true record (cut short?)"]),
])
def test_broken_streams_say_what_and_where(frames: list[Frame], expected: list[str]) -> None:
    ndjson = frames[0][0] == ""
    llm = run(frames, ndjson=ndjson)
    assert llm.detected
    assert [str(p) for p in llm.problems] == expected


def test_a_forced_format_reports_a_stream_of_another_shape() -> None:
    llm = run(OPENAI_CHAT[:3], fmt="anthropic")
    assert llm.kind == "anthropic" and llm.text == ""
    assert str(llm.problems[0]) == "event 0: type is missing"
    assert llm.problems[-1].seq == -1


def test_ndjson_records_feed_the_aggregate() -> None:
    from stream_core.analysis.aggregate import StreamAggregate
    from stream_core.records import End, Record
    agg = StreamAggregate()
    recs: list[Any] = [Record(i, i * 0.1, json.dumps(v), v, None, True)
                       for i, (_e, v) in enumerate(OLLAMA_CHAT)]
    agg.feed([*recs, End(1.0, 0, 0, 4, 1.0, True)])
    assert agg.llm.kind == "ollama" and agg.llm.text == "Hello" and agg.llm.closed
    agg.set_llm_choice("", "message.content", recs)
    assert agg.llm.kind == "custom" and agg.llm.text == "Hello"


def test_timing_figures_and_burst() -> None:
    paced = timing([1.0, 1.1, 1.2, 1.3, 1.5])
    assert paced.ttft == 1.0 and not paced.burst
    assert paced.tokens_per_s == pytest.approx(4 / 0.5)
    assert paced.gap_p50 == pytest.approx(0.1) and paced.gap_max == pytest.approx(0.2)
    assert paced.gap_p95 == pytest.approx(0.185)
    assert sum(paced.histogram) == 4
    # 200 tokens read at once (a buffering proxy): no rate, a burst
    burst = timing([2.0] * 199 + [2.0001])
    assert burst.burst and burst.tokens_per_s is None
    assert timing([1.0]).tokens_per_s is None and not timing([1.0]).burst
    assert timing([]).ttft is None
    # the provider's count over the same span
    assert timing([0.0, 1.0, 2.0], tokens=21).tokens_per_s == pytest.approx(10.0)


def test_tool_arguments_checked_against_the_declared_schema() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"},
                                               "days": {"type": "integer"}},
              "required": ["city"]}
    body = {"tools": [{"type": "function", "function": {"name": "get_weather",
                                                        "parameters": schema}}]}
    tools = declared_tools(json.dumps(body))
    assert tools == {"get_weather": schema}
    assert check_call(ToolCall(0, name="get_weather", arguments='{"city":"Oslo"}'), tools) == []
    assert check_call(ToolCall(0, name="get_weather", arguments='{"days":"3"}'), tools) == [
        "(arguments): 'city' is a required property", "days: '3' is not of type 'integer'"]
    assert check_call(ToolCall(0, name="nope", arguments="{}"), tools) == [
        "the request declared no tool named 'nope' (declared: get_weather)"]
    assert check_call(ToolCall(0, name="x", arguments='{"a":'), {})[0].startswith(
        "arguments are not valid JSON")
    # every provider's way of declaring a tool
    for decl in ({"name": "t", "input_schema": schema}, {"type": "function", "name": "t",
                                                         "parameters": schema},
                 {"functionDeclarations": [{"name": "t", "parameters": {
                     "type": "OBJECT", "properties": {"city": {"type": "STRING"},
                                                      "days": {"type": "INTEGER"}},
                     "required": ["city"]}}]},
                 {"functionDeclarations": [{"name": "t", "parameters_json_schema": schema}]}):
        assert declared_tools(json.dumps({"tools": [decl]})) == {"t": schema}
    # an assembler made for the request checks its calls
    llm = run(OPENAI_CHAT, body={"tools": [{"type": "function", "function": {
        "name": "get_weather", "parameters": {**schema, "required": ["city", "days"]}}}]})
    assert llm.tool_problems() == {0: ["(arguments): 'days' is a required property"]}
    record = llm.to_record(1.0)
    assert record["tool_calls"] == [{"id": "call_1", "name": "get_weather",
                                     "arguments": {"city": "Oslo"},
                                     "errors": ["(arguments): 'days' is a required property"]}]


@pytest.mark.parametrize("frames, pieces", [
    (OPENAI_CHAT, ["", "Think", "ing.", "Hel", "lo", "get_weather", '{"city"', ': "Oslo"}']),
    (RESPONSES, ["Plan.", "Hi ", "there", '{"q":', ' "x"}']),
    (ANTHROPIC, ["Hmm.", "Sure.", '{"city": ', '"Oslo"}']),
    (GEMINI, ["Considering.", "It is ", "sunny."]),
    (OLLAMA_CHAT, ["Let me see.", "Hello"]),
    (OLLAMA_GENERATE, ["Hi", " you"]),
    (TGI, ["Hel", "lo", "</s>"]),
    (COHERE, ["", "I will look it up.", "get_weather", '{"city":"Oslo"}', "", "Done"]),
])
def test_the_events_table_preview_of_each_format(frames: list[Frame], pieces: list[str]) -> None:
    """The piece each event adds, as the events table previews it (other events: None)."""
    from stream_core.analysis.llm import llm_delta
    got = [llm_delta(data if isinstance(data, str) else json.dumps(data)) for _e, data in frames]
    assert [p for p in got if p is not None] == pieces
