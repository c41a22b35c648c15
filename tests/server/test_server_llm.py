"""LLM chat streams: OpenAI-style deltas and tool calls, Anthropic-style named events."""

from __future__ import annotations

import json
from typing import Any

import httpx
from server_helpers import parse_sse, receive

from embedded_server.endpoints.llm import ChatMessage, expected_reply


def _body(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "demo", "messages": [{"role": "system", "content": "be brief"},
                                          {"role": "user", "content": text}], **extra}


def _chunks(text: str) -> list[Any]:
    datas = [e[1] for e in parse_sse(text).events]
    assert datas[-1] == "[DONE]"
    return [json.loads(d) for d in datas[:-1]]


def test_openai_stream_of_content_deltas(demo_server: str, client: httpx.Client) -> None:
    said = "Tell me about streams"
    got = receive(client, "POST", f"{demo_server}/v1/chat/completions?delay=0.01",
                  json=_body(said, stream=True))
    assert got.headers["content-type"].startswith("text/event-stream")
    assert got.headers["cache-control"] == "no-cache"
    assert b"\n\ndata: [DONE]\n\n" in got.body and got.body.endswith(b"data: [DONE]\n\n")
    chunks = _chunks(got.text)
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    deltas = [c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]]
    expected = expected_reply([ChatMessage(role="user", content=said)])
    assert "".join(deltas) == expected.text
    assert len(deltas) > 10  # word by word
    finals = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finals[-1] == "stop" and set(finals[:-1]) == {None}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
    assert got.reads[-1][0] - got.reads[0][0] >= 0.1  # deltas are paced, not one burst


def test_openai_tool_call_deltas(demo_server: str, client: httpx.Client) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather",
                                               "parameters": {"type": "object"}}}]
    said = "What is the weather in Lisbon?"
    got = receive(client, "POST", f"{demo_server}/v1/chat/completions?delay=0",
                  json=_body(said, stream=True, tools=tools))
    chunks = [c for c in _chunks(got.text) if c["choices"]]
    calls = [c["choices"][0]["delta"]["tool_calls"][0] for c in chunks
             if "tool_calls" in c["choices"][0]["delta"]]
    assert calls[0]["type"] == "function" and calls[0]["function"]["name"] == "get_weather"
    assert calls[0]["id"].startswith("call_")
    arguments = "".join(c["function"]["arguments"] for c in calls)
    assert json.loads(arguments) == {"location": "Lisbon"}
    assert len(calls) > 2  # arguments arrive in pieces
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    expected = expected_reply([ChatMessage(role="user", content=said)], tools)
    assert expected.tool_call is not None and expected.tool_call.arguments == arguments


def test_weather_question_calls_a_tool_without_tools(demo_server: str, client: httpx.Client) -> None:
    response = client.post(f"{demo_server}/v1/chat/completions",
                           json=_body("How is the weather today?"))
    body = response.json()
    assert body["object"] == "chat.completion"
    call = body["choices"][0]["message"]["tool_calls"][0]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"location": "Paris"}
    assert body["choices"][0]["finish_reason"] == "tool_calls"


def test_openai_non_streamed(demo_server: str, client: httpx.Client) -> None:
    response = client.post(f"{demo_server}/v1/chat/completions", json=_body("hi", stream=False))
    assert response.headers["content-type"] == "application/json"
    message = response.json()["choices"][0]["message"]
    assert message["content"] == expected_reply([ChatMessage(role="user", content="hi")]).text


def test_anthropic_stream(demo_server: str, client: httpx.Client) -> None:
    said = "Summarise this"
    got = receive(client, "POST", f"{demo_server}/v1/messages?delay=0",
                  json=_body(said, stream=True, max_tokens=100))
    events = parse_sse(got.text).events
    names = [e[0] for e in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    text = "".join(json.loads(e[1])["delta"]["text"] for e in events
                   if e[0] == "content_block_delta")
    assert text == expected_reply([ChatMessage(role="user", content=said)]).text


def test_anthropic_tool_use(demo_server: str, client: httpx.Client) -> None:
    response = client.post(f"{demo_server}/v1/messages",
                           json=_body("weather in Oslo", tools=[{"name": "get_weather"}]))
    block = response.json()["content"][0]
    assert block["type"] == "tool_use" and block["input"] == {"location": "Oslo"}


def test_chat_rejects_a_bad_body(demo_server: str, client: httpx.Client) -> None:
    response = client.post(f"{demo_server}/v1/chat/completions", json={"messages": "nope"})
    assert response.status_code == 422
