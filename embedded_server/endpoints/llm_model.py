"""The demo model behind every LLM endpoint: deterministic, so clients can be checked.

Its reply depends only on the last user message, the tools declared and whether reasoning
was asked for: tests and demos compare what a client reassembled with :func:`expected_reply`.

* With tools declared, it calls the FIRST declared tool, with arguments built from that
  tool's JSON schema: every required property gets a value of its declared type (an enum's
  first value; a place-like string (``location``, ``city``...) the word after " in " in the
  message; a query-like string the message itself). Asked about the weather without tools,
  it calls ``get_weather(location)``.
* Otherwise it answers in a few lines of Markdown.
* Asked to reason (each provider's own switch), it first streams a short reasoning text.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["ARG_PIECE", "ChatMessage", "ChatRequest", "Reply", "ToolCall", "WEATHER_TOOL",
           "arguments_for", "expected_reply", "first_tool", "last_user_text", "pieces",
           "tokens"]

ARG_PIECE = 6
"""Characters of tool-call arguments per delta: JSON split mid-token, as real APIs do."""
PLACE_KEYS = ("location", "city", "place", "town", "country", "where")
QUERY_KEYS = ("query", "q", "prompt", "text", "question", "input", "message", "search")
WEATHER_TOOL: tuple[str, dict[str, Any]] = ("get_weather", {
    "type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]})
"""The tool the model calls, unasked, when the weather is mentioned."""


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
    """The whole reply: text (None when the model calls a tool) or one tool call, and the
    reasoning streamed first (None unless asked for)."""

    text: str | None
    tool_call: ToolCall | None
    reasoning: str | None = None


def last_user_text(messages: list[ChatMessage]) -> str:
    """Text of the last user message (text parts of a content list joined)."""
    for message in reversed(messages):
        if message.role != "user":
            continue
        if isinstance(message.content, list):
            return " ".join(str(p.get("text", "")) for p in message.content if isinstance(p, dict))
        return message.content or ""
    return ""


SCHEMA_KEYS = ("parameters", "input_schema", "parametersJsonSchema", "parameters_json_schema")


def first_tool(tools: list[dict[str, Any]] | None) -> tuple[str, dict[str, Any]] | None:
    """Name and argument schema of the first declared tool, whatever the provider's shape:
    OpenAI Chat / Ollama (``function.parameters``), Responses (``parameters``), Anthropic
    (``input_schema``), Gemini (``functionDeclarations[0].parameters``)."""
    for tool in tools or ():
        if not isinstance(tool, dict):
            continue
        if isinstance(tool.get("function"), dict):
            tool = tool["function"]
        decls = tool.get("functionDeclarations") or tool.get("function_declarations")
        if isinstance(decls, list) and decls and isinstance(decls[0], dict):
            tool = decls[0]
        name = tool.get("name")
        if isinstance(name, str):
            schema: dict[str, Any] = next((tool[k] for k in SCHEMA_KEYS
                                           if isinstance(tool.get(k), dict)), {})
            return name, schema
    return None


def _place(said: str) -> str:
    """The place after " in ": its capitalised words ("New York"), else one word."""
    match = re.search(r"\bin\s+([A-Z][\w\-]*(?:\s+[A-Z][\w\-]*)*)", said) or re.search(
        r"\bin\s+([A-Za-z][\w\-]*)", said)
    return match.group(1) if match else "Paris"


def _value(name: str, schema: dict[str, Any], said: str, depth: int = 0) -> Any:
    """A value of ``schema``'s type for property ``name``."""
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "string")
    kind = (kind[0] if isinstance(kind, list) and kind else kind)
    kind = str(kind).lower()
    if kind == "object":
        return arguments_for(schema, said, depth + 1) if depth < 5 else {}
    if kind == "array":
        items = schema.get("items")
        return [_value(name, items if isinstance(items, dict) else {}, said, depth + 1)]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if name.lower() in PLACE_KEYS:
        return _place(said)
    if name.lower() in QUERY_KEYS:
        return said
    return f"example {name}"


def arguments_for(schema: dict[str, Any], said: str, depth: int = 0) -> dict[str, Any]:
    """Arguments for a tool with this JSON schema: its required properties, each a value of
    its declared type."""
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    required = schema.get("required")
    out: dict[str, Any] = {}
    for name in required if isinstance(required, list) else ():
        sub = props.get(name)
        out[str(name)] = _value(str(name), sub if isinstance(sub, dict) else {}, said, depth)
    return out


def expected_reply(messages: list[ChatMessage], tools: list[dict[str, Any]] | None = None,
                   reasoning: bool = False) -> Reply:
    """The reply the demo model gives (deterministic): what a client must reassemble."""
    said = last_user_text(messages).strip()
    call_id = "call_" + hashlib.sha256(said.encode()).hexdigest()[:16]
    tool = first_tool(tools) or (WEATHER_TOOL if "weather" in said.lower() else None)
    thought = None
    if tool is not None:
        name, schema = tool
        args = json.dumps(arguments_for(schema, said))
        if reasoning:
            thought = (f'The user said "{said}". The tool `{name}` fits: I fill in its '
                       "required arguments and call it.")
        return Reply(None, ToolCall(call_id, name, args), thought)
    if reasoning:
        thought = (f'The user said "{said or "nothing"}". No tool is needed: a short answer '
                   "in Markdown, one word per delta.")
    if not said:
        return Reply("Hello! I am the **Stream Inspector** demo model. Ask me anything.", None,
                     thought)
    return Reply(
        f'You said: "{said}".\n\nI am the **Stream Inspector** demo model, and I stream my '
        "answer *one word at a time* so that you can watch:\n\n"
        "- every delta arrive,\n- the time to the first token,\n- the gaps between tokens.",
        None, thought)


def tokens(text: str) -> list[str]:
    """Word-sized deltas (each with its leading white space); joined they give ``text``."""
    return re.findall(r"\s*\S+", text) or [text]


def pieces(arguments: str) -> list[str]:
    """Tool-call arguments cut in ``ARG_PIECE``-character deltas."""
    return [arguments[i:i + ARG_PIECE] for i in range(0, len(arguments), ARG_PIECE)]
