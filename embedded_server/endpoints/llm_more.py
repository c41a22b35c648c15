"""More LLM stream shapes from the same demo model: Google Gemini
``/v1beta/models/{model}:streamGenerateContent?alt=sse`` and Ollama ``/api/chat`` and
``/api/generate`` (NDJSON).

Why: the inspector reassembles every major provider's stream; the demo server lets each be
tried, and the official clients be tested, without an account.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict

from .._shared import STREAM_HEADERS, Stop, docs, paced
from .llm import Delay, paced_frames, sse, usage_of, wants_reasoning
from .llm_model import ChatMessage, Reply, expected_reply, tokens

__all__ = ["GeminiRequest", "OllamaChatRequest", "OllamaGenerateRequest", "gemini_frames",
           "ollama_records"]

router = APIRouter(tags=["llm"])

WEATHER_SCHEMA: dict[str, Any] = {"type": "object", "properties": {"location": {"type": "string"}},
                  "required": ["location"]}


# -- Gemini -----------------------------------------------------------------------------------
class GeminiRequest(BaseModel):
    """The parts of a Gemini ``generateContent`` request the demo model looks at."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "contents": [{"role": "user", "parts": [{"text": "What is the weather in Paris?"}]}],
        "tools": [{"functionDeclarations": [{"name": "get_weather",
                                             "parameters": WEATHER_SCHEMA}]}],
        "generationConfig": {"thinkingConfig": {"includeThoughts": True}},
    }]})
    contents: list[dict[str, Any]] = []
    tools: list[dict[str, Any]] | None = None

    def messages(self) -> list[ChatMessage]:
        out = []
        for content in self.contents:
            parts = content.get("parts")
            text = " ".join(str(p.get("text", "")) for p in parts if isinstance(p, dict)) \
                if isinstance(parts, list) else ""
            out.append(ChatMessage(role=str(content.get("role") or "user"), content=text))
        return out


def gemini_frames(body: GeminiRequest, reply: Reply, model: str) -> list[bytes]:
    """One ``GenerateContentResponse`` per delta; the last has finishReason and usage."""
    def chunk(parts: list[dict[str, Any]], **more: Any) -> bytes:
        return sse({"candidates": [{"content": {"role": "model", "parts": parts}, "index": 0,
                                    **more}], "modelVersion": model, "responseId": "demo"})

    frames: list[bytes] = [chunk([{"text": t, "thought": True}]) for t in tokens(reply.reasoning or "")
              if reply.reasoning]
    last: list[dict[str, Any]]
    if reply.tool_call is not None:
        last = [{"functionCall": {"name": reply.tool_call.name,
                                  "args": json.loads(reply.tool_call.arguments)}}]
    else:
        words = tokens(reply.text or "")
        frames += [chunk([{"text": t}]) for t in words[:-1]]
        last = [{"text": words[-1]}]
    usage = usage_of(" ".join(str(m.content) for m in body.messages()), reply)
    thoughts = usage["reasoning_tokens"]
    frames.append(sse({
        "candidates": [{"content": {"role": "model", "parts": last}, "finishReason": "STOP",
                        "index": 0}],
        "usageMetadata": {"promptTokenCount": usage["prompt_tokens"],
                          "candidatesTokenCount": usage["completion_tokens"] - thoughts,
                          "thoughtsTokenCount": thoughts,
                          "totalTokenCount": usage["total_tokens"]},
        "modelVersion": model, "responseId": "demo"}))
    return frames


@router.post(
    "/v1beta/models/{model}:streamGenerateContent",
    summary="Gemini-style streamGenerateContent (SSE with alt=sse)",
    description=(
        "Gemini-style body (`contents`, optional `tools` with `functionDeclarations`, "
        "`generationConfig.thinkingConfig.includeThoughts`). Streamed as SSE: one "
        "`GenerateContentResponse` per delta (`thought: true` parts first when thoughts are "
        "asked for), a whole `functionCall` part for a tool call, and `finishReason` with "
        "`usageMetadata` last. `alt=sse` as the Gemini API takes it (the only form served). "
        "Also served under `/v1/models/` (the API version some clients use)."
    ),
    **docs("text/event-stream",
           'data: {"candidates":[{"content":{"role":"model","parts":[{"text":" Hello"}]},'
           '"index":0}],"modelVersion":"demo"}\n\n',
           try_it="/v1beta/models/demo:streamGenerateContent?alt=sse&delay=0.05",
           body={"contents": [{"role": "user", "parts": [{"text": "Tell me about streams"}]}],
                 "generationConfig": {"thinkingConfig": {"includeThoughts": True}}}),
)
@router.post("/v1/models/{model}:streamGenerateContent", include_in_schema=False)
async def gemini_stream(stop: Stop, model: str, body: GeminiRequest, alt: str = "sse",
                        delay: Delay = 0.05) -> Response:
    """Why: Google's stream shape: whole candidates per event, thoughts as flagged parts."""
    if alt != "sse":
        return JSONResponse({"detail": "only alt=sse is served"}, status_code=422)
    reply = expected_reply(body.messages(), body.tools, wants_reasoning(body.model_extra))
    return StreamingResponse(paced_frames(gemini_frames(body, reply, model), delay, stop),
                             media_type="text/event-stream", headers=STREAM_HEADERS)


# -- Ollama -----------------------------------------------------------------------------------
class OllamaChatRequest(BaseModel):
    """An Ollama ``/api/chat`` body (``stream`` is true unless said otherwise)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "model": "demo", "think": True,
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
        "tools": [{"type": "function", "function": {"name": "get_weather",
                                                    "parameters": WEATHER_SCHEMA}}],
    }]})
    model: str = "demo"
    messages: list[ChatMessage] = []
    stream: bool = True
    tools: list[dict[str, Any]] | None = None


class OllamaGenerateRequest(BaseModel):
    """An Ollama ``/api/generate`` body."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "model": "demo", "prompt": "Tell me about streams", "think": True}]})
    model: str = "demo"
    prompt: str = ""
    stream: bool = True


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def ollama_records(model: str, reply: Reply, chat: bool) -> list[dict[str, Any]]:
    """The records of a streamed reply before the final ``done: true`` one."""
    def record(content: str = "", thinking: str | None = None,
               calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        base: dict[str, Any] = {"model": model,
                                "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
        if chat:
            message: dict[str, Any] = {"role": "assistant", "content": content}
            if thinking is not None:
                message["thinking"] = thinking
            if calls:
                message["tool_calls"] = calls
            return {**base, "message": message, "done": False}
        out = {**base, "response": content, "done": False}
        if thinking is not None:
            out["thinking"] = thinking
        return out

    records = [record(thinking=t) for t in tokens(reply.reasoning or "") if reply.reasoning]
    if reply.tool_call is not None:
        call = reply.tool_call
        records.append(record(calls=[{"function": {
            "name": call.name, "arguments": json.loads(call.arguments)}}]))
    else:
        records += [record(t) for t in tokens(reply.text or "")]
    return records


async def _ollama_stream(model: str, reply: Reply, chat: bool, prompt: str, delay: float,
                         stop: Stop) -> AsyncIterator[bytes]:
    """The records with ``delay`` between them, then the ``done`` record with the counts
    measured as it went (``eval_duration`` from the first to the last delta, in ns)."""
    records = ollama_records(model, reply, chat)
    started = time.perf_counter_ns()
    first = last = started
    async for n in paced(len(records), delay, stop):
        now = time.perf_counter_ns()
        first = now if n == 1 else first
        last = now
        yield _line(records[n - 1])
    if stop.is_set():
        return
    usage = usage_of(prompt, reply)
    final: dict[str, Any] = {
        **{k: v for k, v in records[-1].items() if k in ("model", "created_at")},
        "done": True, "done_reason": "stop",
        "total_duration": time.perf_counter_ns() - started, "load_duration": 0,
        "prompt_eval_count": usage["prompt_tokens"], "prompt_eval_duration": first - started,
        "eval_count": len(records), "eval_duration": max(last - first, 1)}
    if chat:
        final["message"] = {"role": "assistant", "content": ""}
    else:
        final["response"] = ""
        final["context"] = [1, 2, 3]
    yield _line(final)


def _ollama(model: str, reply: Reply, chat: bool, prompt: str, stream: bool, delay: float,
            stop: Stop, whole: Callable[[], dict[str, Any]]) -> Response:
    if stream:
        return StreamingResponse(_ollama_stream(model, reply, chat, prompt, delay, stop),
                                 media_type="application/x-ndjson", headers=STREAM_HEADERS)
    return JSONResponse(whole())


@router.post(
    "/api/chat",
    summary="Ollama-style chat (NDJSON)",
    description=(
        "Ollama `/api/chat` body (`model`, `messages`, `stream` (default true), optional "
        "`tools`, `think`). Streamed as NDJSON: `message.thinking` pieces first when `think` "
        "is set, then `message.content` pieces or one `message.tool_calls` record (arguments "
        "an object), then `done: true` with `done_reason`, `eval_count` and `eval_duration`."
    ),
    **docs("application/x-ndjson",
           '{"model":"demo","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant",'
           '"content":" Hello"},"done":false}\n',
           try_it="/api/chat?delay=0.05",
           body={"model": "demo", "think": True,
                 "messages": [{"role": "user", "content": "Tell me about streams"}]}),
)
async def ollama_chat(stop: Stop, body: OllamaChatRequest, delay: Delay = 0.05) -> Response:
    """Why: local models served by Ollama stream NDJSON, not SSE."""
    reply = expected_reply(body.messages, body.tools, wants_reasoning(body.model_extra))
    prompt = " ".join(str(m.content or "") for m in body.messages)

    def whole() -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or ""}
        if reply.reasoning:
            message["thinking"] = reply.reasoning
        if reply.tool_call is not None:
            message["tool_calls"] = [{"function": {
                "name": reply.tool_call.name, "arguments": json.loads(reply.tool_call.arguments)}}]
        return {"model": body.model, "created_at": "2026-01-01T00:00:00Z", "message": message,
                "done": True, "done_reason": "stop"}

    return _ollama(body.model, reply, True, prompt, body.stream, delay, stop, whole)


@router.post(
    "/api/generate",
    summary="Ollama-style generate (NDJSON)",
    description=(
        "Ollama `/api/generate` body (`model`, `prompt`, `stream` (default true), `think`). "
        "Streamed as NDJSON: `thinking` pieces when `think` is set, `response` pieces, then "
        "`done: true` with `done_reason`, `context`, `eval_count` and `eval_duration`."
    ),
    **docs("application/x-ndjson",
           '{"model":"demo","created_at":"2026-01-01T00:00:00Z","response":" Hello",'
           '"done":false}\n',
           try_it="/api/generate?delay=0.05",
           body={"model": "demo", "prompt": "Tell me about streams"}),
)
async def ollama_generate(stop: Stop, body: OllamaGenerateRequest,
                          delay: Delay = 0.05) -> Response:
    """Why: Ollama's plain completion route, with ``response`` pieces."""
    messages = [ChatMessage(role="user", content=body.prompt)]
    reply = expected_reply(messages, None, wants_reasoning(body.model_extra))

    def whole() -> dict[str, Any]:
        out: dict[str, Any] = {"model": body.model, "created_at": "2026-01-01T00:00:00Z",
                               "response": reply.text or "", "done": True,
                               "done_reason": "stop"}
        if reply.reasoning:
            out["thinking"] = reply.reasoning
        return out

    return _ollama(body.model, reply, False, body.prompt, body.stream, delay, stop, whole)
