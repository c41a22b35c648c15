"""LLM replies assemble in linear time (issue 25.10: 50k / 100k / 300k tool-call argument
deltas took 9.5 s / 35 s / over 240 s): the work is counted, not timed."""

from __future__ import annotations

import json
import random

import pytest

from stream_core.analysis.llm import LLMAssembler, ReplyState, ToolCall, timing

N = 20_000


class Piece(str):
    """A delta that counts the characters copied by ``+`` with it (``text += piece`` copies
    the whole text each time: what made the assembly quadratic)."""

    copied = 0

    def __add__(self, other: str) -> str:
        Piece.copied += len(self) + len(other)
        return str.__add__(self, other)

    def __radd__(self, other: str) -> str:
        Piece.copied += len(other) + len(self)
        return str.__add__(other, self)


@pytest.fixture(autouse=True)
def _count() -> None:
    Piece.copied = 0


def test_tool_call_arguments_copy_nothing_per_delta() -> None:
    state = ReplyState()
    call = state.new_call()
    for i in range(N):
        state.arguments(call, Piece("[1," if i == 0 else "2,"), i * 1e-3)
    text = call.arguments
    assert text == "[1," + "2," * (N - 1)
    assert Piece.copied <= 4 * len(text)  # quadratic: N * N / 2 pieces of 2 characters


def test_text_reasoning_and_refusal_copy_nothing_per_delta() -> None:
    state = ReplyState()
    for i in range(N):
        state.token(Piece("a"), i * 1e-3)
        state.think(Piece("b"), i * 1e-3)
        state.refuse(Piece("c"), i * 1e-3)
    assert (state.text, state.reasoning, state.refusal) == ("a" * N, "b" * N, "c" * N)
    assert Piece.copied <= 4 * 3 * N


def test_reading_the_text_after_every_delta_keeps_one_piece() -> None:
    """A view reads the reply while it streams: each read joins only what came since."""
    state = ReplyState()
    for i in range(1000):
        state.token("x", 0.0)
        assert state.text == "x" * (i + 1)
        assert len(state.text_parts.blocks) == 1 and not state.text_parts.loose


def test_tool_call_keeps_its_api() -> None:
    call = ToolCall(0, name="f", arguments='{"a":')
    call.add(" 1}")
    assert call.arguments == '{"a": 1}' and call.parsed() == ({"a": 1}, None)
    call.arguments = "{}"
    assert call.parsed() == ({}, None) and "arguments='{}'" in repr(call)


def test_openai_and_anthropic_argument_deltas_at_scale() -> None:
    """Many small argument deltas through the formats themselves give the whole arguments."""
    args = json.dumps({"values": list(range(N // 4))})
    pieces = [args[i:i + 3] for i in range(0, len(args), 3)]
    openai = LLMAssembler()
    openai.feed("message", json.dumps({"object": "chat.completion.chunk", "choices": [
        {"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "c1", "function": {"name": "f", "arguments": ""}}]}}]}), 0.0, 0)
    anthropic = LLMAssembler()
    anthropic.feed("message_start", json.dumps({"type": "message_start", "message": {
        "model": "m", "usage": {}}}), 0.0, 0)
    anthropic.feed("content_block_start", json.dumps({
        "type": "content_block_start", "index": 0,
        "content_block": {"type": "tool_use", "id": "t1", "name": "f", "input": {}}}), 0.0, 1)
    for i, piece in enumerate(pieces):
        openai.feed("message", json.dumps({"object": "chat.completion.chunk", "choices": [
            {"index": 0, "delta": {"tool_calls": [
                {"index": 0, "function": {"arguments": piece}}]}}]}), i * 1e-3, i + 1)
        anthropic.feed("content_block_delta", json.dumps({
            "type": "content_block_delta", "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": piece}}), i * 1e-3, i + 2)
    assert openai.tool_calls[0].arguments == args
    assert anthropic.tool_calls[0].arguments == args
    assert openai.timing().tokens == anthropic.timing().tokens == len(pieces)


def test_the_running_timing_equals_the_timing_of_all_the_times() -> None:
    rng = random.Random(7)
    state = LLMAssembler()
    times: list[float] = []
    t = 0.0
    for _ in range(3000):
        t += rng.choice([0.0, 0.0005, 0.004, 0.03, 0.2, 0.7, 1.5])
        times.append(t)
        state.token("x", t)
        if rng.random() < 0.01:  # read part-way, as the view does
            assert state.timing() == timing(times)
    assert state.timing() == timing(times)
    assert LLMAssembler().timing() == timing([])
