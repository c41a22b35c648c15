"""The official clients against the demo server: what each SDK assembles from a stream
(text, reasoning, tool calls) equals what our LLM assembler computes from the same request's
stream captured by the engine (``capture --llm``, in process).

The SDKs are test dependencies (``openai``, ``anthropic``, ``ollama``, ``google-genai``); the
request each one sent is recorded with an httpx event hook and sent again through the engine,
so both read the same bytes (the demo model is deterministic).
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx
import httpx2
import ollama
import openai
import pytest
from google import genai
from google.genai import types as gtypes

from stream_core.capture.command import capture
from stream_core.net.spec import Mode, RequestSpec

pytestmark = pytest.mark.slow  # left out of `make check`

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"},
                                           "days": {"type": "integer", "minimum": 2}},
          "required": ["city", "days"]}
SAID = "Plan a trip in Oslo"
FAST = {"delay": "0.005"}  # the demo server's pause between deltas, where a client can say
Assembled = tuple[str, str, list[tuple[str, Any]]]  # text, reasoning, [(tool, arguments)]


class Recorder:
    """The SDK's requests (URL and body), recorded by an httpx event hook."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def __call__(self, request: Any) -> None:
        self.sent.append((str(request.url), request.read()))

    def hooks(self) -> dict[str, Any]:
        return {"request": [self]}


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def engine(recorder: Recorder) -> tuple[Assembled, dict[str, Any]]:
    """The SDK's last request sent again through the engine with ``--llm``."""
    url, body = recorder.sent[-1]
    out = io.BytesIO()
    spec = RequestSpec(url, "POST", [("Content-Type", "application/json")], body, Mode.AUTO)
    assert asyncio.run(capture(spec, out, llm=True)) == 0
    (llm,) = [r for r in map(json.loads, out.getvalue().splitlines()) if r["type"] == "llm"]
    calls = [(c["name"], c["arguments"]) for c in llm["tool_calls"]]
    return (llm["text"], llm["reasoning"], calls), llm


# -- the SDKs -----------------------------------------------------------------------------------
def openai_chat(base: str, rec: Recorder, tools: bool) -> Assembled:
    with openai.OpenAI(base_url=f"{base}/v1", api_key="test", default_query=FAST,
                       http_client=httpx.Client(event_hooks=rec.hooks())) as client:
        extra: dict[str, Any] = {"tools": [{"type": "function", "function": {
            "name": "plan", "parameters": SCHEMA}}]} if tools else {"reasoning_effort": "low"}
        with client.chat.completions.stream(
                model="demo", messages=[{"role": "user", "content": SAID}], **extra) as stream:
            message = stream.get_final_completion().choices[0].message
    calls = [(c.function.name, json.loads(c.function.arguments))
             for c in message.tool_calls or ()]
    reasoning = (message.model_extra or {}).get("reasoning_content") or ""
    return message.content or "", reasoning, calls


def openai_responses(base: str, rec: Recorder, tools: bool) -> Assembled:
    with openai.OpenAI(base_url=f"{base}/v1", api_key="test", default_query=FAST,
                       http_client=httpx.Client(event_hooks=rec.hooks())) as client:
        extra: dict[str, Any] = {"tools": [{"type": "function", "name": "plan", "strict": False,
                                            "parameters": SCHEMA}]} if tools else {}
        with client.responses.stream(model="demo", input=SAID,
                                     reasoning={"effort": "low", "summary": "auto"},
                                     **extra) as stream:
            streamed = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
            response = stream.get_final_response()
    assert streamed == response.output_text  # the deltas and the final response agree
    reasoning = "".join(s.text for o in response.output if o.type == "reasoning"
                        for s in o.summary)
    calls = [(o.name, json.loads(o.arguments)) for o in response.output
             if o.type == "function_call"]
    return response.output_text, reasoning, calls


def anthropic_messages(base: str, rec: Recorder, tools: bool) -> Assembled:
    with anthropic.Anthropic(base_url=base, api_key="test", default_query=FAST,
                             http_client=httpx2.Client(event_hooks=rec.hooks())) as client:
        extra: dict[str, Any] = {"tools": [{"name": "plan", "input_schema": SCHEMA}]} \
            if tools else {}
        with client.messages.stream(model="demo", max_tokens=256,
                                    thinking={"type": "enabled", "budget_tokens": 1024},
                                    messages=[{"role": "user", "content": SAID}],
                                    **extra) as stream:
            message = stream.get_final_message()
    text = "".join(b.text for b in message.content if b.type == "text")
    reasoning = "".join(b.thinking for b in message.content if b.type == "thinking")
    calls = [(b.name, b.input) for b in message.content if b.type == "tool_use"]
    return text, reasoning, calls


def ollama_chat(base: str, rec: Recorder, tools: bool) -> Assembled:
    client = ollama.Client(host=base, event_hooks=rec.hooks())
    extra: dict[str, Any] = {"tools": [{"type": "function", "function": {
        "name": "plan", "parameters": SCHEMA}}]} if tools else {}
    text = reasoning = ""
    calls: list[tuple[str, Any]] = []
    try:
        for part in client.chat(model="demo", messages=[{"role": "user", "content": SAID}],
                                stream=True, think=True, **extra):
            text += part.message.content or ""
            reasoning += part.message.thinking or ""
            calls += [(c.function.name, dict(c.function.arguments))
                      for c in part.message.tool_calls or ()]
    finally:
        client._client.close()
    return text, reasoning, calls


def ollama_generate(base: str, rec: Recorder, tools: bool) -> Assembled:
    client = ollama.Client(host=base, event_hooks=rec.hooks())
    text = reasoning = ""
    try:
        for part in client.generate(model="demo", prompt=SAID, stream=True, think=True):
            text += part.response or ""
            reasoning += part.thinking or ""
    finally:
        client._client.close()
    return text, reasoning, []


def gemini(base: str, rec: Recorder, tools: bool) -> Assembled:
    client = genai.Client(api_key="test", http_options=gtypes.HttpOptions(
        base_url=base, client_args={"event_hooks": rec.hooks()}))
    config = gtypes.GenerateContentConfig(
        thinking_config=gtypes.ThinkingConfig(include_thoughts=True),
        tools=[gtypes.Tool(function_declarations=[gtypes.FunctionDeclaration(
            name="plan", parameters_json_schema=SCHEMA)])] if tools else None)
    text = reasoning = ""
    calls: list[tuple[str, Any]] = []
    try:
        for chunk in client.models.generate_content_stream(model="demo", contents=SAID,
                                                           config=config):
            for part in chunk.candidates[0].content.parts:  # type: ignore[index, union-attr]
                if part.function_call is not None:
                    calls.append((part.function_call.name, dict(part.function_call.args or {})))
                elif part.thought:
                    reasoning += part.text or ""
                else:
                    text += part.text or ""
    finally:
        client.close()
    return text, reasoning, calls


SDKS: dict[str, tuple[Callable[[str, Recorder, bool], Assembled], str]] = {
    "openai chat": (openai_chat, "openai"),
    "openai responses": (openai_responses, "openai-responses"),
    "anthropic": (anthropic_messages, "anthropic"),
    "ollama chat": (ollama_chat, "ollama"),
    "ollama generate": (ollama_generate, "ollama"),
    "gemini": (gemini, "gemini"),
}


def cases() -> Iterator[Any]:
    for name in SDKS:
        for tools in (False, True):
            if name == "ollama generate" and tools:
                continue  # /api/generate takes no tools
            yield pytest.param(name, tools, id=f"{name}-{'tools' if tools else 'text'}")


@pytest.mark.parametrize("name, tools", list(cases()))
def test_sdk_and_engine_assemble_the_same_reply(demo_server: str, recorder: Recorder,
                                                name: str, tools: bool) -> None:
    sdk, fmt = SDKS[name]
    got = sdk(demo_server, recorder, tools)
    ours, record = engine(recorder)
    assert record["format"] == fmt and record["problems"] == []
    assert ours == got
    text, reasoning, calls = got
    if tools:  # the demo model called the declared tool with its schema's required arguments
        days = 1 if name == "ollama chat" else 2  # the ollama client drops "minimum"
        assert calls == [("plan", {"city": "Oslo", "days": days})] and text == ""
        assert "errors" not in record["tool_calls"][0]
    else:
        assert text.startswith(f'You said: "{SAID}"') and not calls
    if name != "openai chat" or not tools:
        assert reasoning.startswith(f'The user said "{SAID}"')
