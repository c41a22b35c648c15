"""LLM chat streams: OpenAI-style deltas and tool calls, Anthropic-style named events, the
Responses API, Gemini and Ollama shapes, reasoning, and tool calls built from the schema."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from server_helpers import parse_sse, receive

from embedded_server.endpoints.llm import ChatMessage, expected_reply

SCHEMA = {"type": "object", "properties": {"location": {"type": "string"}},
          "required": ["location"]}


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
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"location": {"type": "string"}},
        "required": ["location"]}}}]
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
                           json=_body("weather in Oslo", tools=[{"name": "get_weather",
                                                                 "input_schema": SCHEMA}]))
    block = response.json()["content"][0]
    assert block["type"] == "tool_use" and block["input"] == {"location": "Oslo"}


def test_chat_rejects_a_bad_body(demo_server: str, client: httpx.Client) -> None:
    response = client.post(f"{demo_server}/v1/chat/completions", json={"messages": "nope"})
    assert response.status_code == 422


def test_tool_arguments_follow_the_declared_schema(demo_server: str,
                                                   client: httpx.Client) -> None:
    schema = {"type": "object", "required": ["city", "days", "units", "detailed", "tags"],
              "properties": {"city": {"type": "string"}, "days": {"type": "integer",
                                                                   "minimum": 2},
                             "units": {"type": "string", "enum": ["metric", "imperial"]},
                             "detailed": {"type": "boolean"},
                             "tags": {"type": "array", "items": {"type": "string"}},
                             "optional": {"type": "string"}}}
    tools = [{"type": "function", "function": {"name": "forecast", "parameters": schema}},
             {"type": "function", "function": {"name": "get_weather", "parameters": SCHEMA}}]
    body = client.post(f"{demo_server}/v1/chat/completions",
                       json=_body("Forecast in Bergen", tools=tools)).json()
    call = body["choices"][0]["message"]["tool_calls"][0]["function"]
    assert call["name"] == "forecast"  # the first declared tool, whatever its name
    assert json.loads(call["arguments"]) == {"city": "Bergen", "days": 2, "units": "metric",
                                             "detailed": True, "tags": ["example tags"]}


def _sse_objects(text: str) -> list[tuple[str, Any]]:
    return [(name, json.loads(data)) for name, data, _id in parse_sse(text).events]


def test_responses_stream(demo_server: str, client: httpx.Client) -> None:
    got = receive(client, "POST", f"{demo_server}/v1/responses?delay=0",
                  json={"model": "demo", "stream": True, "input": "Tell me about streams",
                        "reasoning": {"effort": "low", "summary": "auto"}})
    events = _sse_objects(got.text)
    assert all(name == obj["type"] for name, obj in events)
    assert [obj["sequence_number"] for _n, obj in events] == list(range(len(events)))
    names = [name for name, _o in events]
    assert names[:3] == ["response.created", "response.in_progress",
                         "response.output_item.added"]
    assert names[-1] == "response.completed"
    reply = expected_reply([ChatMessage(role="user", content="Tell me about streams")],
                           reasoning=True)
    text = "".join(o["delta"] for n, o in events if n == "response.output_text.delta")
    thought = "".join(o["delta"] for n, o in events
                      if n == "response.reasoning_summary_text.delta")
    assert (text, thought) == (reply.text, reply.reasoning)
    assert events[-1][1]["response"]["usage"]["output_tokens"] > 0


def test_gemini_stream_and_its_function_call(demo_server: str, client: httpx.Client) -> None:
    url = f"{demo_server}/v1beta/models/demo:streamGenerateContent?alt=sse&delay=0"
    got = receive(client, "POST", url, json={
        "contents": [{"role": "user", "parts": [{"text": "weather in Rome"}]}],
        "tools": [{"functionDeclarations": [{"name": "get_weather", "parameters": {
            "type": "OBJECT", "properties": {"location": {"type": "STRING"}},
            "required": ["location"]}}]}]})
    events = _sse_objects(got.text)
    (last,) = [o for _n, o in events if o["candidates"][0].get("finishReason")]
    assert last["candidates"][0]["content"]["parts"] == [
        {"functionCall": {"name": "get_weather", "args": {"location": "Rome"}}}]
    assert last["usageMetadata"]["totalTokenCount"] > 0
    assert client.post(url.replace("alt=sse", "alt=json"), json={}).status_code == 422


@pytest.mark.parametrize("route, body, key", [
    ("/api/chat", {"model": "demo", "think": True,
                   "messages": [{"role": "user", "content": "hi there"}]}, "message"),
    ("/api/generate", {"model": "demo", "think": True, "prompt": "hi there"}, "response"),
])
def test_ollama_ndjson(demo_server: str, client: httpx.Client, route: str,
                       body: dict[str, Any], key: str) -> None:
    got = receive(client, "POST", f"{demo_server}{route}?delay=0.01", json=body)
    assert got.headers["content-type"] == "application/x-ndjson"
    records = [json.loads(line) for line in got.text.splitlines()]
    assert [r["done"] for r in records] == [False] * (len(records) - 1) + [True]
    reply = expected_reply([ChatMessage(role="user", content="hi there")], reasoning=True)
    if key == "message":
        text = "".join(r["message"]["content"] for r in records)
        thought = "".join(r["message"].get("thinking", "") for r in records)
    else:
        text = "".join(r["response"] for r in records)
        thought = "".join(r.get("thinking", "") for r in records)
    assert (text, thought) == (reply.text, reply.reasoning)
    final = records[-1]
    assert final["eval_count"] == len(records) - 1 and final["eval_duration"] > 0


@pytest.mark.parametrize("route", ["/v1/responses", "/api/chat", "/api/generate",
                                   "/v1beta/models/demo:streamGenerateContent?alt=sse&"])
def test_new_routes_bound_their_delay(demo_server: str, client: httpx.Client,
                                      route: str) -> None:
    sep = "" if route.endswith("&") else "?"
    response = client.post(f"{demo_server}{route}{sep}delay=11", json={})
    assert response.status_code == 422 and "delay" in response.text
