"""``capture --llm``: one ``llm`` record before ``end``, with the reply of any format, its
tool calls checked against the request's schema, and the timing figures."""

from __future__ import annotations

import json

import pytest

from embedded_server.endpoints.llm_model import ChatMessage, expected_reply
from tests.core.test_capture import capture

pytestmark = pytest.mark.slow  # left out of `make check`

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"},
                                           "days": {"type": "integer"}},
          "required": ["city", "days"]}


@pytest.mark.parametrize("route, body", [
    ("/v1/chat/completions", {"stream": True, "reasoning_effort": "low",
                              "messages": [{"role": "user", "content": "Trip in Oslo"}]}),
    ("/v1/responses", {"stream": True, "input": "Trip in Oslo", "reasoning": {"summary": "auto"},
                       "tools": [{"type": "function", "name": "plan", "parameters": SCHEMA}]}),
    ("/v1/messages", {"stream": True, "thinking": {"type": "enabled", "budget_tokens": 100},
                      "messages": [{"role": "user", "content": "Trip in Oslo"}]}),
    ("/v1beta/models/demo:streamGenerateContent?alt=sse&", {
        "contents": [{"parts": [{"text": "Trip in Oslo"}]}],
        "generationConfig": {"thinkingConfig": {"includeThoughts": True}}}),
    ("/api/chat", {"think": True, "messages": [{"role": "user", "content": "Trip in Oslo"}],
                   "tools": [{"type": "function", "function": {"name": "plan",
                                                               "parameters": SCHEMA}}]}),
])
def test_llm_record_before_end(demo_server: str, route: str, body: dict[str, object]) -> None:
    sep = "" if route.endswith("&") else "?"
    code, records, err = capture(f"{demo_server}{route}{sep}delay=0.01", "-X", "POST",
                                 "-H", "Content-Type: application/json",
                                 "-d", json.dumps(body), "--llm")
    assert code == 0, err
    assert [r["type"] for r in records[-2:]] == ["llm", "end"]
    assert sum(r["type"] == "llm" for r in records) == 1
    llm = records[-2]
    tools = body.get("tools")
    reply = expected_reply([ChatMessage(role="user", content="Trip in Oslo")],
                           tools if isinstance(tools, list) else None, reasoning=True)
    assert llm["text"] == (reply.text or "") and llm["reasoning"] == reply.reasoning
    if reply.tool_call is not None:
        assert llm["tool_calls"] == [{"id": llm["tool_calls"][0]["id"], "name": "plan",
                                      "arguments": {"city": "Oslo", "days": 1}}]
        assert "errors" not in llm["tool_calls"][0]  # valid for the declared schema
    else:
        assert llm["tool_calls"] == []
    assert llm["finish_reason"] and llm["usage"] and llm["problems"] == []
    assert 0 < llm["ttft"] <= records[-1]["t"]
    assert 0 <= llm["gap_p50"] <= llm["gap_p95"] <= llm["gap_max"]
    assert llm["tokens_per_s"] is None or llm["tokens_per_s"] > 0


def test_llm_record_names_what_broke(demo_server: str) -> None:
    body = {"stream": True, "messages": [{"role": "user", "content": "hello"}]}
    code, records, _err = capture(f"{demo_server}/v1/messages?delay=0&cut=4", "-X", "POST",
                                  "-H", "Content-Type: application/json",
                                  "-d", json.dumps(body), "--llm")
    assert code == 0
    llm = records[-2]
    assert llm["format"] == "anthropic" and llm["finish_reason"] is None
    assert llm["problems"] == ["block(s) [0] never got their content_block_stop",
                               "the stream ended without message_stop (cut short?)"]


def test_without_llm_no_record(demo_server: str) -> None:
    code, records, _err = capture(f"{demo_server}/api/generate?delay=0", "-X", "POST",
                                  "-H", "Content-Type: application/json",
                                  "-d", '{"prompt": "hi"}')
    assert code == 0 and records[-1]["type"] == "end"
    assert "llm" not in {r["type"] for r in records}
