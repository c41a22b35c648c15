"""LLM-style chat streams: OpenAI ``/v1/chat/completions`` and Anthropic ``/v1/messages``.

Why: streaming chat APIs are what most users of the inspector debug. The demo model is
deterministic (its reply depends only on the last user message and the tools offered), so
tests and demos can compare what a client reassembled with :func:`expected_reply`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict

from .._shared import STREAM_HEADERS, Stop, docs, paced

router = APIRouter(tags=["llm"])

ARG_PIECE = 6
"""Characters of tool-call arguments per delta: JSON split mid-token, as real APIs do."""
Delay = Annotated[float, Query(ge=0, le=10, description="Seconds between deltas.", examples=[0.02])]


class ChatMessage(BaseModel):
    """One message of the conversation (OpenAI or Anthropic shape; extra keys allowed)."""

    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """The parts of an OpenAI / Anthropic request body the demo model looks at."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "model": "demo", "stream": True,
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
    }]})
    model: str = "demo"
    messages: list[ChatMessage] = []
    stream: bool = False
    tools: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class ToolCall:
    """A tool call of the demo model: its id, function name and JSON arguments."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Reply:
    """The whole reply: text (None when the model calls a tool) or one tool call."""

    text: str | None
    tool_call: ToolCall | None


def last_user_text(messages: list[ChatMessage]) -> str:
    """Text of the last user message (text parts of a content list joined)."""
    for message in reversed(messages):
        if message.role != "user":
            continue
        if isinstance(message.content, list):
            return " ".join(str(p.get("text", "")) for p in message.content if isinstance(p, dict))
        return message.content or ""
    return ""


def _tool_name(tool: dict[str, Any]) -> str:
    """Function name of an OpenAI (``function.name``) or Anthropic (``name``) tool."""
    function = tool.get("function")
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        return str(function["name"])
    name = tool.get("name")
    return name if isinstance(name, str) else "tool"


def expected_reply(messages: list[ChatMessage], tools: list[dict[str, Any]] | None = None) -> Reply:
    """The reply the demo model gives (deterministic): what a client must reassemble.

    With ``tools``, or when the last user message mentions the weather, it calls a tool:
    ``get_weather(location)`` (the word after " in ", else Paris) or, for another tool
    offered first, that tool with ``{"query": <message>}``; otherwise it answers in text.
    """
    said = last_user_text(messages).strip()
    call_id = "call_" + hashlib.sha256(said.encode()).hexdigest()[:16]
    if tools or "weather" in said.lower():
        name = _tool_name(tools[0]) if tools else "get_weather"
        if name == "get_weather":
            match = re.search(r"\bin\s+([A-Za-z][\w\- ]*)", said)
            args: dict[str, str] = {"location": match.group(1).strip() if match else "Paris"}
        else:
            args = {"query": said}
        return Reply(None, ToolCall(call_id, name, json.dumps(args)))
    if not said:
        return Reply("Hello! I am the Stream Inspector demo model. Ask me anything.", None)
    return Reply(
        f'You said: "{said}". I am the Stream Inspector demo model, and I stream my answer '
        "one word at a time so that you can watch every delta arrive.",
        None,
    )


def tokens(text: str) -> list[str]:
    """Word-sized deltas (each with its leading spaces); joined they give ``text`` back."""
    return re.findall(r"\s*\S+", text) or [text]


def _pieces(arguments: str) -> list[str]:
    return [arguments[i:i + ARG_PIECE] for i in range(0, len(arguments), ARG_PIECE)]


def _usage(body: ChatRequest, reply: Reply) -> dict[str, int]:
    prompt = sum(len(str(m.content or "").split()) for m in body.messages)
    out = len(tokens(reply.text)) if reply.text is not None else len(_pieces(
        reply.tool_call.arguments if reply.tool_call else ""))
    return {"prompt_tokens": prompt, "completion_tokens": out, "total_tokens": prompt + out}


def _sse(data: dict[str, Any] | str, event: str | None = None) -> bytes:
    """One SSE frame; ``data`` is JSON-encoded unless it is a string (``[DONE]``)."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return (f"event: {event}\n" if event else "").encode() + f"data: {text}\n\n".encode()


async def _paced(frames: list[bytes], delay: float, stop: Stop) -> AsyncIterator[bytes]:
    """The frames with ``delay`` between them; ends early when the server stops."""
    async for n in paced(len(frames), delay, stop):
        yield frames[n - 1]


def openai_frames(body: ChatRequest, reply: Reply, created: int) -> list[bytes]:
    """The SSE frames of a streamed chat completion, ``data: [DONE]`` last."""
    cid = "chatcmpl-" + hashlib.sha256(json.dumps(body.model_dump(), sort_keys=True,
                                                  default=str).encode()).hexdigest()[:20]

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return _sse({"id": cid, "object": "chat.completion.chunk", "created": created,
                     "model": body.model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    frames = [chunk({"role": "assistant", "content": ""})]
    if reply.tool_call is not None:
        call = reply.tool_call
        frames.append(chunk({"tool_calls": [{"index": 0, "id": call.id, "type": "function",
                                             "function": {"name": call.name, "arguments": ""}}]}))
        frames += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                   for piece in _pieces(call.arguments)]
        frames.append(chunk({}, "tool_calls"))
    else:
        frames += [chunk({"content": t}) for t in tokens(reply.text or "")]
        frames.append(chunk({}, "stop"))
    frames.append(_sse({"id": cid, "object": "chat.completion.chunk", "created": created,
                        "model": body.model, "choices": [], "usage": _usage(body, reply)}))
    frames.append(_sse("[DONE]"))
    return frames


@router.post(
    "/v1/chat/completions",
    summary="OpenAI-compatible chat completion (streamed deltas)",
    description=(
        "OpenAI-style body (`model`, `messages`, `stream`, optional `tools`). Streamed: "
        "`data: {chat.completion.chunk}` deltas word by word, or tool-call deltas with "
        "partial JSON arguments when `tools` are given or the weather is asked, then a usage "
        "chunk and `data: [DONE]`. `\"stream\": false` returns one `chat.completion` body. "
        "`delay` is the pause between deltas."
    ),
    **docs("text/event-stream",
           'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,'
           '"delta":{"content":" Hello"},"finish_reason":null}]}\n\ndata: [DONE]\n\n',
           try_it="/v1/chat/completions?delay=0.05",
           body={"model": "demo", "stream": True,
                 "messages": [{"role": "user", "content": "Tell me about streams"}]}),
)
async def chat_completions(stop: Stop, body: ChatRequest, delay: Delay = 0.05) -> Response:
    """Why: the stream most users of the inspector debug, with the tool-call variant."""
    reply = expected_reply(body.messages, body.tools)
    created = int(time.time())
    if body.stream:
        return StreamingResponse(_paced(openai_frames(body, reply, created), delay, stop),
                                 media_type="text/event-stream", headers=STREAM_HEADERS)
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.tool_call is not None:
        call = reply.tool_call
        message["tool_calls"] = [{"id": call.id, "type": "function",
                                  "function": {"name": call.name, "arguments": call.arguments}}]
    return JSONResponse({
        "id": "chatcmpl-demo", "object": "chat.completion", "created": created,
        "model": body.model,
        "choices": [{"index": 0, "message": message,
                     "finish_reason": "tool_calls" if reply.tool_call else "stop"}],
        "usage": _usage(body, reply),
    })


def anthropic_frames(body: ChatRequest, reply: Reply) -> list[bytes]:
    """The named SSE events of a streamed Anthropic message, ``message_stop`` last."""
    usage = _usage(body, reply)
    start: dict[str, Any] = {"id": "msg_demo", "type": "message", "role": "assistant", "model": body.model,
             "content": [], "stop_reason": None,
             "usage": {"input_tokens": usage["prompt_tokens"], "output_tokens": 0}}
    frames = [_sse({"type": "message_start", "message": start}, "message_start")]
    if reply.tool_call is not None:
        call = reply.tool_call
        block = {"type": "tool_use", "id": call.id, "name": call.name, "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in _pieces(call.arguments)]
        stop_reason = "tool_use"
    else:
        block = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": t} for t in tokens(reply.text or "")]
        stop_reason = "end_turn"
    frames.append(_sse({"type": "content_block_start", "index": 0, "content_block": block},
                       "content_block_start"))
    frames.append(_sse({"type": "ping"}, "ping"))
    frames += [_sse({"type": "content_block_delta", "index": 0, "delta": d}, "content_block_delta")
               for d in deltas]
    frames.append(_sse({"type": "content_block_stop", "index": 0}, "content_block_stop"))
    frames.append(_sse({"type": "message_delta", "delta": {"stop_reason": stop_reason},
                        "usage": {"output_tokens": usage["completion_tokens"]}}, "message_delta"))
    frames.append(_sse({"type": "message_stop"}, "message_stop"))
    return frames


@router.post(
    "/v1/messages",
    summary="Anthropic-style message (streamed named events)",
    description=(
        "Anthropic-style body (`model`, `messages`, `stream`, optional `tools`). Streamed: "
        "`message_start`, `content_block_start`, `ping`, `content_block_delta` (text or "
        "`input_json_delta`), `content_block_stop`, `message_delta`, `message_stop`. "
        "The same deterministic model as `/v1/chat/completions`."
    ),
    **docs("text/event-stream",
           'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
           '"delta":{"type":"text_delta","text":" Hello"}}\n\n',
           try_it="/v1/messages?delay=0.05",
           body={"model": "demo", "max_tokens": 256, "stream": True,
                 "messages": [{"role": "user", "content": "Tell me about streams"}]}),
)
async def messages(stop: Stop, body: ChatRequest, delay: Delay = 0.05) -> Response:
    """Why: the other major streaming chat API shape, with named events."""
    reply = expected_reply(body.messages, body.tools)
    if body.stream:
        return StreamingResponse(_paced(anthropic_frames(body, reply), delay, stop),
                                 media_type="text/event-stream", headers=STREAM_HEADERS)
    if reply.tool_call is not None:
        call = reply.tool_call
        blocks: list[dict[str, Any]] = [{"type": "tool_use", "id": call.id, "name": call.name,
                                         "input": json.loads(call.arguments)}]
    else:
        blocks = [{"type": "text", "text": reply.text}]
    usage = _usage(body, reply)
    return JSONResponse({
        "id": "msg_demo", "type": "message", "role": "assistant", "model": body.model,
        "content": blocks, "stop_reason": "tool_use" if reply.tool_call else "end_turn",
        "usage": {"input_tokens": usage["prompt_tokens"], "output_tokens": usage["completion_tokens"]},
    })
