"""LLM-style chat streams: OpenAI ``/v1/chat/completions``, OpenAI Responses
``/v1/responses`` and Anthropic ``/v1/messages`` (Gemini and Ollama: ``llm_more``).

Why: streaming chat APIs are what most users of the inspector debug. Every route is served by
the deterministic demo model of :mod:`.llm_model` (text in Markdown, a tool call built from
the declared schema, reasoning when asked for), in each provider's own event shapes.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict

from .._shared import STREAM_HEADERS, Stop, docs, paced
from .llm_model import (
    ChatMessage,
    ChatRequest,
    Reply,
    ToolCall,
    expected_reply,
    pieces,
    tokens,
)

__all__ = ["ChatMessage", "ChatRequest", "Delay", "Reply", "ResponsesRequest", "ToolCall",
           "anthropic_frames", "expected_reply", "openai_frames", "paced_frames",
           "responses_frames", "sse", "usage_of", "wants_reasoning"]

router = APIRouter(tags=["llm"])

Delay = Annotated[float, Query(ge=0, le=10, description="Seconds between deltas (0 to 10).",
                               examples=[0.02])]
Cut = Annotated[int | None, Query(ge=1, le=100_000, description=(
    "Stop the stream after this many SSE frames, as a crashed server would (a broken "
    "stream for the LLM view to explain)."))]


def wants_reasoning(extra: dict[str, Any] | None) -> bool:
    """Did the request ask for reasoning, in any provider's way? (``reasoning_effort``,
    Responses ``reasoning``, Anthropic ``thinking``, Ollama ``think``, Gemini
    ``generationConfig.thinkingConfig.includeThoughts``)."""
    extra = extra or {}
    thinking = extra.get("thinking")
    config = extra.get("generationConfig") or extra.get("generation_config")
    thinking_config = config.get("thinkingConfig") if isinstance(config, dict) else None
    return bool(extra.get("reasoning_effort") or extra.get("reasoning") or extra.get("think")
                or (isinstance(thinking, dict) and thinking.get("type") == "enabled")
                or (isinstance(thinking_config, dict) and bool(
                    thinking_config.get("includeThoughts") or thinking_config.get(
                        "include_thoughts"))))


def usage_of(prompt: str, reply: Reply) -> dict[str, int]:
    """Prompt and completion "tokens" (words and deltas) of a reply."""
    prompt_tokens = len(prompt.split())
    out = len(tokens(reply.text)) if reply.text is not None else len(pieces(
        reply.tool_call.arguments if reply.tool_call else ""))
    thought = len(tokens(reply.reasoning)) if reply.reasoning else 0
    return {"prompt_tokens": prompt_tokens, "completion_tokens": out + thought,
            "reasoning_tokens": thought, "total_tokens": prompt_tokens + out + thought}


def _prompt(body: ChatRequest) -> str:
    return " ".join(str(m.content or "") for m in body.messages)


def sse(data: dict[str, Any] | str, event: str | None = None) -> bytes:
    """One SSE frame; ``data`` is JSON-encoded unless it is a string (``[DONE]``)."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return (f"event: {event}\n" if event else "").encode() + f"data: {text}\n\n".encode()


async def paced_frames(frames: list[bytes], delay: float, stop: Stop) -> AsyncIterator[bytes]:
    """The frames with ``delay`` between them; ends early when the server stops."""
    async for n in paced(len(frames), delay, stop):
        yield frames[n - 1]


def _stream(frames: list[bytes], delay: float, stop: Stop,
            cut: int | None = None) -> StreamingResponse:
    return StreamingResponse(paced_frames(frames[:cut], delay, stop),
                             media_type="text/event-stream", headers=STREAM_HEADERS)


# -- OpenAI Chat Completions ------------------------------------------------------------------
def openai_frames(body: ChatRequest, reply: Reply, created: int) -> list[bytes]:
    """The SSE frames of a streamed chat completion, ``data: [DONE]`` last."""
    cid = "chatcmpl-" + hashlib.sha256(json.dumps(body.model_dump(), sort_keys=True,
                                                  default=str).encode()).hexdigest()[:20]

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return sse({"id": cid, "object": "chat.completion.chunk", "created": created,
                    "model": body.model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    frames = [chunk({"role": "assistant", "content": ""})]
    frames += [chunk({"reasoning_content": t}) for t in tokens(reply.reasoning or "")
               if reply.reasoning]
    if reply.tool_call is not None:
        call = reply.tool_call
        frames.append(chunk({"tool_calls": [{"index": 0, "id": call.id, "type": "function",
                                             "function": {"name": call.name, "arguments": ""}}]}))
        frames += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                   for piece in pieces(call.arguments)]
        frames.append(chunk({}, "tool_calls"))
    else:
        frames += [chunk({"content": t}) for t in tokens(reply.text or "")]
        frames.append(chunk({}, "stop"))
    usage = usage_of(_prompt(body), reply)
    frames.append(sse({"id": cid, "object": "chat.completion.chunk", "created": created,
                       "model": body.model, "choices": [], "usage": {
                           "prompt_tokens": usage["prompt_tokens"],
                           "completion_tokens": usage["completion_tokens"],
                           "total_tokens": usage["total_tokens"],
                           "completion_tokens_details": {
                               "reasoning_tokens": usage["reasoning_tokens"]}}}))
    frames.append(sse("[DONE]"))
    return frames


@router.post(
    "/v1/chat/completions",
    summary="OpenAI-compatible chat completion (streamed deltas)",
    description=(
        "OpenAI-style body (`model`, `messages`, `stream`, optional `tools`, "
        "`reasoning_effort`). Streamed: `data: {chat.completion.chunk}` deltas word by word "
        "(`delta.reasoning_content` first when `reasoning_effort` is set, as DeepSeek and "
        "vLLM send it), or tool-call deltas with partial JSON arguments built from the first "
        "declared tool's schema, then a usage chunk and `data: [DONE]`. `\"stream\": false` "
        "returns one `chat.completion` body. `delay` is the pause between deltas."
    ),
    **docs("text/event-stream",
           'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,'
           '"delta":{"content":" Hello"},"finish_reason":null}]}\n\ndata: [DONE]\n\n',
           try_it="/v1/chat/completions?delay=0.05",
           body={"model": "demo", "stream": True,
                 "messages": [{"role": "user", "content": "Tell me about streams"}]}),
)
async def chat_completions(stop: Stop, body: ChatRequest, delay: Delay = 0.05,
                           cut: Cut = None) -> Response:
    """Why: the stream most users of the inspector debug, with the tool-call variant."""
    reply = expected_reply(body.messages, body.tools, wants_reasoning(body.model_extra))
    created = int(time.time())
    if body.stream:
        return _stream(openai_frames(body, reply, created), delay, stop, cut)
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.reasoning:
        message["reasoning_content"] = reply.reasoning
    if reply.tool_call is not None:
        call = reply.tool_call
        message["tool_calls"] = [{"id": call.id, "type": "function",
                                  "function": {"name": call.name, "arguments": call.arguments}}]
    usage = usage_of(_prompt(body), reply)
    return JSONResponse({
        "id": "chatcmpl-demo", "object": "chat.completion", "created": created,
        "model": body.model,
        "choices": [{"index": 0, "message": message,
                     "finish_reason": "tool_calls" if reply.tool_call else "stop"}],
        "usage": {k: usage[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")},
    })


# -- Anthropic Messages -----------------------------------------------------------------------
def anthropic_frames(body: ChatRequest, reply: Reply) -> list[bytes]:
    """The named SSE events of a streamed Anthropic message, ``message_stop`` last."""
    usage = usage_of(_prompt(body), reply)
    start: dict[str, Any] = {
        "id": "msg_demo", "type": "message", "role": "assistant", "model": body.model,
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": usage["prompt_tokens"], "output_tokens": 0}}
    frames = [sse({"type": "message_start", "message": start}, "message_start")]

    def block(index: int, content: dict[str, Any], deltas: list[dict[str, Any]]) -> None:
        frames.append(sse({"type": "content_block_start", "index": index,
                           "content_block": content}, "content_block_start"))
        if index == 0:
            frames.append(sse({"type": "ping"}, "ping"))
        frames.extend(sse({"type": "content_block_delta", "index": index, "delta": d},
                          "content_block_delta") for d in deltas)
        frames.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))

    index = 0
    if reply.reasoning:
        signature = hashlib.sha256(reply.reasoning.encode()).hexdigest()
        block(0, {"type": "thinking", "thinking": "", "signature": ""},
              [{"type": "thinking_delta", "thinking": t} for t in tokens(reply.reasoning)]
              + [{"type": "signature_delta", "signature": signature}])
        index = 1
    if reply.tool_call is not None:
        call = reply.tool_call
        block(index, {"type": "tool_use", "id": call.id, "name": call.name, "input": {}},
              [{"type": "input_json_delta", "partial_json": p} for p in pieces(call.arguments)])
        stop_reason = "tool_use"
    else:
        block(index, {"type": "text", "text": ""},
              [{"type": "text_delta", "text": t} for t in tokens(reply.text or "")])
        stop_reason = "end_turn"
    frames.append(sse({"type": "message_delta",
                       "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                       "usage": {"output_tokens": usage["completion_tokens"]}}, "message_delta"))
    frames.append(sse({"type": "message_stop"}, "message_stop"))
    return frames


@router.post(
    "/v1/messages",
    summary="Anthropic-style message (streamed named events)",
    description=(
        "Anthropic-style body (`model`, `messages`, `stream`, optional `tools`, `thinking`). "
        "Streamed: `message_start`, `content_block_start`, `ping`, `content_block_delta` "
        "(`thinking_delta` and `signature_delta` first when `thinking` is enabled, then "
        "`text_delta` or `input_json_delta`), `content_block_stop`, `message_delta`, "
        "`message_stop`. The same deterministic model as `/v1/chat/completions`."
    ),
    **docs("text/event-stream",
           'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
           '"delta":{"type":"text_delta","text":" Hello"}}\n\n',
           try_it="/v1/messages?delay=0.05",
           body={"model": "demo", "max_tokens": 256, "stream": True,
                 "thinking": {"type": "enabled", "budget_tokens": 1024},
                 "messages": [{"role": "user", "content": "Tell me about streams"}]}),
)
async def messages(stop: Stop, body: ChatRequest, delay: Delay = 0.05,
                   cut: Cut = None) -> Response:
    """Why: the other major streaming chat API shape, with named events."""
    reply = expected_reply(body.messages, body.tools, wants_reasoning(body.model_extra))
    if body.stream:
        return _stream(anthropic_frames(body, reply), delay, stop, cut)
    blocks: list[dict[str, Any]] = []
    if reply.reasoning:
        blocks.append({"type": "thinking", "thinking": reply.reasoning,
                       "signature": hashlib.sha256(reply.reasoning.encode()).hexdigest()})
    if reply.tool_call is not None:
        call = reply.tool_call
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name,
                       "input": json.loads(call.arguments)})
    else:
        blocks.append({"type": "text", "text": reply.text})
    usage = usage_of(_prompt(body), reply)
    return JSONResponse({
        "id": "msg_demo", "type": "message", "role": "assistant", "model": body.model,
        "content": blocks, "stop_reason": "tool_use" if reply.tool_call else "end_turn",
        "usage": {"input_tokens": usage["prompt_tokens"],
                  "output_tokens": usage["completion_tokens"]},
    })


# -- OpenAI Responses -------------------------------------------------------------------------
class ResponsesRequest(BaseModel):
    """The parts of an OpenAI Responses request the demo model looks at."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "model": "demo", "stream": True, "input": "What is the weather in Paris?",
        "reasoning": {"effort": "low", "summary": "auto"},
        "tools": [{"type": "function", "name": "get_weather", "parameters": {
            "type": "object", "properties": {"location": {"type": "string"}},
            "required": ["location"]}}],
    }]})
    model: str = "demo"
    input: str | list[dict[str, Any]] = ""
    instructions: str | None = None
    stream: bool = False
    tools: list[dict[str, Any]] | None = None

    def messages(self) -> list[ChatMessage]:
        if isinstance(self.input, str):
            return [ChatMessage(role="user", content=self.input)]
        out = []
        for item in self.input:
            content = item.get("content")
            if isinstance(content, list):
                content = [{"text": p.get("text", "")} for p in content if isinstance(p, dict)]
            if isinstance(item.get("role"), str):
                out.append(ChatMessage(role=item["role"], content=content))
        return out


def _response_items(reply: Reply, rid: str) -> list[dict[str, Any]]:
    """The finished output items: reasoning summary, then the message or function call."""
    items: list[dict[str, Any]] = []
    if reply.reasoning:
        items.append({"id": f"rs_{rid}", "type": "reasoning", "summary": [
            {"type": "summary_text", "text": reply.reasoning}]})
    if reply.tool_call is not None:
        call = reply.tool_call
        items.append({"id": f"fc_{rid}", "type": "function_call", "status": "completed",
                      "call_id": call.id, "name": call.name, "arguments": call.arguments})
    else:
        items.append({"id": f"msg_{rid}", "type": "message", "status": "completed",
                      "role": "assistant", "content": [
                          {"type": "output_text", "text": reply.text or "", "annotations": []}]})
    return items


def responses_frames(body: ResponsesRequest, reply: Reply, created: int) -> list[bytes]:
    """The typed SSE events of a streamed Response, ``response.completed`` last."""
    rid = hashlib.sha256(json.dumps(body.model_dump(), sort_keys=True,
                                    default=str).encode()).hexdigest()[:20]
    seq = iter(range(1_000_000))
    frames: list[bytes] = []

    def emit(kind: str, **fields: Any) -> None:
        frames.append(sse({"type": kind, "sequence_number": next(seq), **fields}, kind))

    def response(status: str, output: list[dict[str, Any]],
                 usage: dict[str, Any] | None) -> dict[str, Any]:
        return {"id": f"resp_{rid}", "object": "response", "created_at": created,
                "status": status, "model": body.model, "output": output, "usage": usage,
                "error": None, "incomplete_details": None, "instructions": body.instructions,
                "tools": body.tools or [], "tool_choice": "auto", "parallel_tool_calls": True,
                "metadata": {}, "temperature": 1.0, "top_p": 1.0}

    emit("response.created", response=response("in_progress", [], None))
    emit("response.in_progress", response=response("in_progress", [], None))
    items = _response_items(reply, rid)
    for out_index, item in enumerate(items):
        iid = item["id"]
        if item["type"] == "reasoning":
            emit("response.output_item.added", output_index=out_index,
                 item={**item, "summary": []})
            part: dict[str, Any] = {"type": "summary_text", "text": ""}
            emit("response.reasoning_summary_part.added", item_id=iid, output_index=out_index,
                 summary_index=0, part=part)
            for t in tokens(reply.reasoning or ""):
                emit("response.reasoning_summary_text.delta", item_id=iid,
                     output_index=out_index, summary_index=0, delta=t)
            emit("response.reasoning_summary_text.done", item_id=iid, output_index=out_index,
                 summary_index=0, text=reply.reasoning)
            emit("response.reasoning_summary_part.done", item_id=iid, output_index=out_index,
                 summary_index=0, part={**part, "text": reply.reasoning})
        elif item["type"] == "function_call":
            emit("response.output_item.added", output_index=out_index,
                 item={**item, "status": "in_progress", "arguments": ""})
            for piece in pieces(item["arguments"]):
                emit("response.function_call_arguments.delta", item_id=iid,
                     output_index=out_index, delta=piece)
            emit("response.function_call_arguments.done", item_id=iid, output_index=out_index,
                 name=item["name"], arguments=item["arguments"])
        else:
            emit("response.output_item.added", output_index=out_index,
                 item={**item, "status": "in_progress", "content": []})
            part = {"type": "output_text", "text": "", "annotations": []}
            emit("response.content_part.added", item_id=iid, output_index=out_index,
                 content_index=0, part=part)
            for t in tokens(reply.text or ""):
                emit("response.output_text.delta", item_id=iid, output_index=out_index,
                     content_index=0, delta=t, logprobs=[])
            emit("response.output_text.done", item_id=iid, output_index=out_index,
                 content_index=0, text=reply.text, logprobs=[])
            emit("response.content_part.done", item_id=iid, output_index=out_index,
                 content_index=0, part={**part, "text": reply.text})
        emit("response.output_item.done", output_index=out_index, item=item)
    usage = usage_of(" ".join(str(m.content or "") for m in body.messages()), reply)
    emit("response.completed", response=response("completed", items, {
        "input_tokens": usage["prompt_tokens"], "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": usage["completion_tokens"],
        "output_tokens_details": {"reasoning_tokens": usage["reasoning_tokens"]},
        "total_tokens": usage["total_tokens"]}))
    return frames


@router.post(
    "/v1/responses",
    summary="OpenAI Responses API (streamed typed events)",
    description=(
        "Responses-style body (`model`, `input` (text or messages), `stream`, optional "
        "`tools` and `reasoning`). Streamed: `response.created`, `response.in_progress`, "
        "`response.output_item.added`, `response.reasoning_summary_text.delta` (when "
        "`reasoning` is set), `response.output_text.delta` or "
        "`response.function_call_arguments.delta` / `.done`, `response.output_item.done`, "
        "`response.completed` with the usage. The same deterministic model."
    ),
    **docs("text/event-stream",
           'event: response.output_text.delta\ndata: {"type":"response.output_text.delta",'
           '"sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,'
           '"delta":" Hello"}\n\n',
           try_it="/v1/responses?delay=0.05",
           body={"model": "demo", "stream": True, "input": "Tell me about streams",
                 "reasoning": {"effort": "low", "summary": "auto"}}),
)
async def responses(stop: Stop, body: ResponsesRequest, delay: Delay = 0.05,
                    cut: Cut = None) -> Response:
    """Why: OpenAI's newer API streams typed events, not chat.completion.chunk deltas."""
    reply = expected_reply(body.messages(), body.tools, wants_reasoning(body.model_extra))
    created = int(time.time())
    frames = responses_frames(body, reply, created)
    if body.stream:
        return _stream(frames, delay, stop, cut)
    last = json.loads(frames[-1].split(b"data: ", 1)[1])
    return JSONResponse(last["response"])
