"""``capture --expect`` as a user runs it: a real process against the demo server, one
``expect`` record per expectation, the stream stopped at the first failure (fail-fast on
time too), exit 1; bad expectations are exit 2 before anything is sent."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.core.test_capture import ROOT, command, env

CHAT = {"model": "demo", "stream": True, "messages": [{"role": "user", "content": "Trip"}]}
TOOLS = [{"type": "function", "function": {"name": "plan", "parameters": {
    "type": "object", "properties": {"days": {"type": "integer"}}, "required": ["days"]}}}]


def run(*args: str, cwd: Path = ROOT) -> tuple[int, list[dict[str, Any]], str]:
    proc = subprocess.run(command(*args), capture_output=True, cwd=cwd, env=env(), timeout=60)
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    return proc.returncode, records, proc.stderr.decode()


def verdicts(records: list[dict[str, Any]]) -> dict[str, str]:
    out = {r["expression"]: r["result"] for r in records if r["type"] == "expect"}
    for r in records:
        if r["type"] == "expect":
            assert set(r) >= {"t", "expression", "result", "value", "message"}, r
    return out


def post(body: dict[str, Any]) -> list[str]:
    return ["-H", "Content-Type: application/json", "-d", json.dumps(body)]


CASES = [
    ("/events?interval=0.05&count=5", [], {
        "status == 200": "pass", "status == 404": "fail",
        "header content-type ~ text/event-stream": "pass", "ttfb < 20s": "pass",
        "first_event < 20s": "pass", "events >= 5": "pass", "events > 5": "fail",
        "duration < 30s": "pass", "complete": "pass", "no decode_errors": "pass",
        "every event.data is json": "pass", "every event.type in [message, done]": "pass",
        'any event.data $.message == "Hello, world!"': "pass", "gap.max < 20s": "pass",
        "gap.p99 < 20s": "pass", 'last event.data contains "timestamp"': "pass",
        "comment.every < 20s": "pass"}),
    ("/expect/late-first-event?delay=0.7", [], {
        "first_event < 500ms": "fail", "ttfb < 20s": "pass", "events == 3": "pass"}),
    ("/expect/long-gap?gap=1.2&after=2&count=4", [], {
        "gap.max < 1s": "fail", "gap.p50 < 1s": "pass", "complete": "pass"}),
    ("/expect/invalid-json?count=4&bad=2", [], {
        "every event.data is json": "fail", "any event.data $.n == 3": "pass",
        "every event.data $.n exists": "pass"}),
    ("/ndjson?interval=0&count=4&bad=true", [], {
        "every event.data is json": "fail", "no decode_errors": "fail",
        "every event.data $.seq > 0": "pass"}),
    ("/expect/chat?fault=no-done&delay=0.01", post(CHAT), {
        'last event.data == "[DONE]"': "fail", "llm.finish_reason == stop": "pass",
        'llm.text contains "Trip"': "pass", "llm.usage.output_tokens <= 512": "pass",
        "llm.tokens_per_s > 1": "pass", "llm.ttft < 20s": "pass", "no llm.problems": "fail",
        'every event.data is json or == "[DONE]"': "pass"}),
    ("/expect/chat?fault=no-finish&delay=0", post(CHAT), {
        "llm.finish_reason == stop": "fail", 'last event.data == "[DONE]"': "pass"}),
    ("/expect/chat?fault=bad-arguments&delay=0", post({**CHAT, "tools": TOOLS}), {
        "llm.tool_calls valid": "fail", "llm.tool_calls == 1": "pass"}),
    ("/expect/chat?fault=none&delay=0", post({**CHAT, "tools": TOOLS}), {
        "llm.tool_calls valid": "pass", "llm.finish_reason == tool_calls": "pass"}),
]


@pytest.mark.parametrize("path, extra, expected", CASES, ids=[c[0] for c in CASES])
def test_every_kind_passes_and_fails(demo_server: str, path: str, extra: list[str],
                                     expected: dict[str, str]) -> None:
    args = [f"{demo_server}{path}", *extra, "--keep-going"]
    for text in expected:
        args += ["--expect", text]
    code, records, err = run(*args)
    assert verdicts(records) == expected, [r for r in records if r["type"] == "expect"]
    assert code == (1 if "fail" in expected.values() else 0), err
    assert records[-1]["type"] == "end" and "stopped" not in records[-1]


def test_a_late_first_event_fails_at_its_bound(demo_server: str) -> None:
    """No record arrives between the request and the bound: the verdict comes from the
    deadline, within 100 ms of it, and the stream is stopped there."""
    code, records, err = run(f"{demo_server}/expect/late-first-event?delay=5",
                             "--expect", "first_event < 500ms", "--expect", "complete")
    assert code == 1, err
    expect = [r for r in records if r["type"] == "expect"]
    assert [(r["expression"], r["result"]) for r in expect] == [
        ("first_event < 500ms", "fail"), ("complete", "skip")]
    late = expect[0]
    assert 0.5 <= late["t"] <= 0.6 and 0.5 <= late["value"] <= late["t"]
    assert late["message"].startswith("first_event: no event yet after")
    end = records[-1]
    assert end["type"] == "end" and end["stopped"] == "expectation" and not end["complete"]
    assert end["t"] < 5 and not any(r["type"] == "error" for r in records)


def test_keep_going_lets_the_stream_end(demo_server: str) -> None:
    url = f"{demo_server}/expect/long-gap?gap=0.3&after=1&count=3"
    code, records, _ = run(url, "--expect", "gap.max < 100ms", "--expect", "events == 3")
    assert code == 1 and verdicts(records) == {"gap.max < 100ms": "fail", "events == 3": "skip"}
    assert records[-1]["stopped"] == "expectation"
    code, records, _ = run(url, "--expect", "gap.max < 100ms", "--expect", "events == 3",
                           "--keep-going")
    assert code == 1 and verdicts(records) == {"gap.max < 100ms": "fail", "events == 3": "pass"}
    assert records[-1]["complete"] is True


@pytest.mark.parametrize("args, message", [
    (["--expect", "first_evnt < 500ms"], "--expect 'first_evnt < 500ms': column 1: unknown name"
                                         " 'first_evnt' (did you mean 'first_event'?)"),
    (["--expect", "status == 200 and complete"], "column 15: unexpected 'and'"),
    (["--expect-file", "missing.expect"], "missing.expect"),
    (["--keep-going"], "--keep-going needs expectations"),
])
def test_bad_expectations_send_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        code, records, err = run(f"http://127.0.0.1:{port}/", *args, cwd=tmp_path)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    assert code == 2 and records == []
    assert err.count("\n") == 1 and message in err, err


def test_expect_file(demo_server: str, tmp_path: Path) -> None:
    (tmp_path / "reply.schema.json").write_text(json.dumps({
        "type": "object", "required": ["message", "timestamp"]}))
    (tmp_path / "sse.expect").write_text("# an SSE stream that behaves\n\nstatus == 200\n"
                                         "  every event.data matches reply.schema.json\n")
    code, records, err = run(f"{demo_server}/events?interval=0&count=2", "--expect-file",
                             str(tmp_path / "sse.expect"))
    assert code == 0, err
    expect = [r for r in records if r["type"] == "expect"]
    assert [r["result"] for r in expect] == ["pass", "pass"]
    assert [r["source"] for r in expect] == [f"{tmp_path / 'sse.expect'}:{n}" for n in (3, 4)]
    (tmp_path / "bad.expect").write_text("status == 200\n  every event.data matches nope.json\n")
    code, _, err = run(f"{demo_server}/events", "--expect-file", str(tmp_path / "bad.expect"))
    assert code == 2 and f"{tmp_path / 'bad.expect'}:2:28: cannot read schema" in err


def test_from_a_http_file(demo_server: str, tmp_path: Path) -> None:
    (tmp_path / "api.http").write_text(
        "### events\n"
        "# @name events\n"
        "# @expect status == 200\n"
        "// @expect   first_event < 20s\n"
        f"GET {demo_server}/events?interval=0&count=2\n"
        "\n"
        "### broken\n"
        "# @expect every event.data is jsn\n"
        f"GET {demo_server}/events\n")
    code, records, err = run("--from", f"{tmp_path / 'api.http'}#events",
                             "--expect", "events == 2")
    assert code == 0, err
    expect = [r for r in records if r["type"] == "expect"]
    assert [(r["expression"], r["result"], r.get("source")) for r in expect] == [
        ("status == 200", "pass", f"{tmp_path / 'api.http'}:3"),
        ("first_event < 20s", "pass", f"{tmp_path / 'api.http'}:4"),
        ("events == 2", "pass", None)]
    code, _, err = run("--from", f"{tmp_path / 'api.http'}#broken")
    assert code == 2 and f"{tmp_path / 'api.http'}:8:31: expected 'json' after 'is'" in err
