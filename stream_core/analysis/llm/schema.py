"""Tools the request declared, and tool-call arguments checked against their JSON schema.

Why: a tool call whose arguments parse as JSON can still be wrong for the tool (a missing
required property, a string where an integer is declared); the request body says what the
tool takes, so the view and ``capture --llm`` can say which property is wrong.

Declarations are read from every provider's request shape: OpenAI Chat (``tools[].function
.parameters``), OpenAI Responses (``tools[].parameters``), Anthropic (``tools[].input_schema``),
Gemini (``tools[].functionDeclarations[].parameters`` / ``parametersJsonSchema``, or
``parameters_json_schema`` as the google-genai client sends it, whose
OpenAPI-style upper-case type names are lowered), Ollama and Cohere (as OpenAI Chat).
Validation uses the ``jsonschema`` package with the draft the schema names (2020-12 if none).
"""

from __future__ import annotations

import logging
from typing import Any

from stream_core.analysis.llm.state import ToolCall
from stream_core.records import loads_bounded

__all__ = ["check_call", "declared_tools"]

log = logging.getLogger(__name__)


def _lower_types(schema: Any) -> Any:
    """Gemini's ``"type": "OBJECT"`` -> ``"object"`` (recursively)."""
    if isinstance(schema, dict):
        out = {k: _lower_types(v) for k, v in schema.items()}
        if isinstance(out.get("type"), str):
            out["type"] = out["type"].lower()
        return out
    if isinstance(schema, list):
        return [_lower_types(v) for v in schema]
    return schema


def declared_tools(body: bytes | str | None) -> dict[str, dict[str, Any]]:
    """Tool name -> its arguments' JSON schema, from a request body (empty if none)."""
    if not body:
        return {}
    try:
        obj = loads_bounded(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    tools = obj.get("tools") if isinstance(obj, dict) else None
    out: dict[str, dict[str, Any]] = {}
    for tool in tools if isinstance(tools, list) else ():
        if not isinstance(tool, dict):
            continue
        fn = tool.get("function")
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            schema = fn.get("parameters")
            out[fn["name"]] = schema if isinstance(schema, dict) else {}
        elif isinstance(tool.get("name"), str):
            schema = tool.get("input_schema", tool.get("parameters"))
            out[tool["name"]] = schema if isinstance(schema, dict) else {}
        for decl in tool.get("functionDeclarations") or tool.get("function_declarations") or ():
            if isinstance(decl, dict) and isinstance(decl.get("name"), str):
                schema = decl.get("parametersJsonSchema", decl.get(
                    "parameters_json_schema", decl.get("parameters")))
                out[decl["name"]] = _lower_types(schema) if isinstance(schema, dict) else {}
    return out


def check_call(call: ToolCall, tools: dict[str, dict[str, Any]]) -> list[str]:
    """What is wrong with ``call``'s arguments: not JSON, or (when the request declared the
    tool) not valid for its schema; an empty list when nothing is."""
    value, error = call.parsed()
    if error is not None:
        return [f"arguments are not valid JSON: {error}"]
    if not tools:
        return []
    schema = tools.get(call.name)
    if schema is None:
        return [f"the request declared no tool named {call.name!r} "
                f"(declared: {', '.join(sorted(tools))})"]
    if not schema:
        return []
    # jsonschema (with referencing, rpds, attrs: ~150 ms) only when a tool call is checked:
    # a window opening its first tab imports this module.
    from jsonschema import exceptions, validators

    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except exceptions.SchemaError as exc:
        return [f"the declared schema itself is invalid: {exc.message}"]
    try:
        errors = sorted(cls(schema).iter_errors(value), key=lambda e: list(map(str, e.path)))
    except RecursionError:  # a self-referencing schema over deeply nested arguments
        return ["the arguments are nested too deeply to check against the schema"]
    return [f"{'/'.join(map(str, err.absolute_path)) or '(arguments)'}: {err.message}"
            for err in errors]
