"""``stream_core.analysis.llm``: OpenAI and Anthropic streams reassembled exactly; custom paths."""

from __future__ import annotations

import json
from typing import Any

import pytest

from embedded_server.endpoints.llm import (
    ChatMessage,
    ChatRequest,
    anthropic_frames,
    expected_reply,
    openai_frames,
)
from stream_core.analysis.llm import LLMAssembler, ToolCall, parse_path, pick
from stream_core.decode.sse import SSEDecoder


def feed_frames(frames: list[bytes], path: str = "") -> LLMAssembler:
    decoder = SSEDecoder()
    llm = LLMAssembler(path=path)
    for i, frame in enumerate(frames):
        for ev in decoder.feed(frame, i * 0.01, i):
            if hasattr(ev, "data"):
                llm.feed(ev.event, ev.data, ev.t)
    return llm


@pytest.mark.parametrize("said", ["Tell me about streams", "What is the weather in Oslo?"])
@pytest.mark.parametrize("style", ["openai", "anthropic"])
def test_reassembles_what_the_server_streamed(style: str, said: str) -> None:
    body = ChatRequest(messages=[ChatMessage(role="user", content=said)], stream=True)
    reply = expected_reply(body.messages)
    frames = openai_frames(body, reply, 0) if style == "openai" else anthropic_frames(body, reply)
    llm = feed_frames(frames)
    assert llm.kind == style
    if reply.tool_call is None:
        assert llm.text == reply.text
        assert not llm.tool_calls
        assert llm.finish_reason in ("stop", "end_turn")
    else:
        assert llm.text == ""
        (call,) = llm.tool_calls.values()
        assert call.name == reply.tool_call.name and call.id == reply.tool_call.id
        assert call.parsed() == (json.loads(reply.tool_call.arguments), None)
        assert json.loads(call.pretty()) == json.loads(reply.tool_call.arguments)
        assert llm.finish_reason in ("tool_calls", "tool_use")
    assert llm.usage is not None
    assert llm.first_token_t is not None and llm.tokens_per_second() is not None


def test_custom_path_for_other_providers() -> None:
    llm = LLMAssembler(path="candidates.0.content.parts.0.text")
    for i, piece in enumerate(["Hel", "lo", " there"]):
        data = json.dumps({"candidates": [{"content": {"parts": [{"text": piece}]}}]})
        llm.feed("message", data, i * 0.1)
    assert llm.kind == "custom" and llm.text == "Hello there" and llm.deltas == 3


def test_gives_up_on_streams_that_are_not_chat() -> None:
    llm = LLMAssembler()
    for i in range(30):
        llm.feed("message", json.dumps({"n": i}), i)
    assert llm.given_up and not llm.detected


def test_path_helpers() -> None:
    assert parse_path("choices.0.delta.content") == ["choices", 0, "delta", "content"]
    assert pick({"a": [{"b": 1}]}, ["a", 0, "b"]) == 1
    assert pick({"a": []}, ["a", 3]) is None
    assert pick({"a": "x"}, ["a", "b"]) is None


def test_partial_tool_arguments_are_reported_invalid() -> None:
    llm = LLMAssembler()
    chunk = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {
        "tool_calls": [{"index": 0, "id": "c1", "function": {"name": "f", "arguments": '{"a": '}}]}}]}
    llm.feed("message", json.dumps(chunk), 0.0)
    value, error = llm.tool_calls[0].parsed()
    assert value is None and error
    assert llm.tool_calls[0].pretty() == '{"a": '


def test_deeply_nested_event_data_is_not_a_crash() -> None:
    llm = LLMAssembler()
    llm.feed("message", '{"choices":' + "[" * 100_000, 0.0)
    llm.feed("message", '{"choices":' + "[" * 300 + "]" * 300 + "}", 0.1)
    assert not llm.detected
    llm.tool_calls[0] = call = ToolCall(0, arguments="[" * 100_000)
    value, error = call.parsed()
    assert value is None and error == "nested deeper than 256 levels"


SCHEMA = {"type": "object", "properties": {"city": {"type": "string"},
                                           "days": {"type": "integer"}},
          "required": ["city", "days"]}


@pytest.mark.parametrize("tools", [None, [{"type": "function", "name": "forecast",
                                           "parameters": SCHEMA}]])
@pytest.mark.parametrize("style", ["openai", "anthropic", "openai-responses", "gemini",
                                   "ollama"])
def test_every_demo_format_reassembled_with_reasoning(style: str, tools: Any) -> None:
    from embedded_server.endpoints.llm import ResponsesRequest, responses_frames
    from embedded_server.endpoints.llm_more import GeminiRequest, gemini_frames, ollama_records
    said = "Forecast in Oslo"
    body = ChatRequest(messages=[ChatMessage(role="user", content=said)], stream=True)
    reply = expected_reply(body.messages, tools, reasoning=True)
    if style == "openai":
        frames = openai_frames(body, reply, 0)
    elif style == "anthropic":
        frames = anthropic_frames(body, reply)
    elif style == "openai-responses":
        frames = responses_frames(ResponsesRequest(input=said), reply, 0)
    elif style == "gemini":
        frames = gemini_frames(GeminiRequest(contents=[{"parts": [{"text": said}]}]), reply, "m")
    if style == "ollama":
        llm = LLMAssembler()
        for i, rec in enumerate(ollama_records("demo", reply, True)):
            llm.feed_value(rec, i * 0.01, i)
        llm.feed_value({"model": "demo", "created_at": "t", "message": {"content": ""},
                        "done": True, "eval_count": 3, "eval_duration": 10}, 1.0)
    else:
        llm = feed_frames(frames)
    llm.close()
    assert llm.kind == style
    assert llm.problems == [], [str(p) for p in llm.problems]
    assert llm.reasoning == reply.reasoning
    assert llm.text == (reply.text or "")
    calls = [(c.name, c.parsed()[0]) for c in llm.tool_calls.values()]
    expected = [(reply.tool_call.name, json.loads(reply.tool_call.arguments))] \
        if reply.tool_call else []
    assert calls == expected
    if tools:
        assert calls == [("forecast", {"city": "Oslo", "days": 1})]


def retained(root: object) -> int:
    """Objects reachable from ``root`` (classes, functions and modules left out)."""
    import gc
    import types

    seen: set[int] = set()
    todo = [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, type | types.ModuleType | types.FunctionType):
            continue
        seen.add(id(obj))
        todo.extend(gc.get_referents(obj))
    return len(seen)


def test_a_long_reply_keeps_few_objects_per_delta() -> None:
    """Issue 23.20: every delta kept a string and a float object (~80 bytes beyond its
    characters); 10,000 deltas are now held in a few hundred objects, whatever is asked."""
    deltas = 10_000
    llm = LLMAssembler()
    said: list[str] = []
    for i in range(deltas):
        piece = f" w{i}"
        said.append(piece)
        kind = "reasoning_content" if i % 2 else "content"
        llm.feed("message", json.dumps({"choices": [{"index": 0, "delta": {kind: piece}}]}),
                 i * 0.001)
        if i == deltas // 3:
            assert llm.text == "".join(said[0::2])  # read midway: the rest still comes
    assert llm.deltas == deltas and len(llm.token_times) == deltas
    assert retained(llm) < deltas // 20, "objects held per delta"
    assert llm.text == "".join(said[0::2]) and llm.reasoning == "".join(said[1::2])
    assert llm.text is llm.text  # read twice: one string, not joined again
    assert llm.first_token_t == 0.0 and llm.last_token_t == pytest.approx(9.999)
    figures = llm.timing()
    assert figures.tokens == deltas and figures.gap_max == pytest.approx(0.001)
