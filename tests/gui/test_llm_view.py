"""The LLM sub-tab against the demo model: merged text and tool-call JSON equal what the
server streamed (OpenAI and Anthropic shapes), finish reason, usage, custom JSON path."""

from __future__ import annotations

import json

import pytest
from pytestqt.qtbot import QtBot

from embedded_server.endpoints.llm import ChatMessage, expected_reply
from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode, RequestSpec


def chat(window: MainWindow, qtbot: QtBot, url: str, said: str) -> StreamTab:
    body = json.dumps({"model": "demo", "stream": True, "max_tokens": 64,
                       "messages": [{"role": "user", "content": said}]}).encode()
    controller = window.start(RequestSpec(url, "POST", [("Content-Type", "application/json")],
                                          body, Mode.SSE))
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    qtbot.waitUntil(lambda: controller.ended, timeout=20000)
    return tab


@pytest.mark.parametrize("path, kind", [("/v1/chat/completions", "openai"),
                                        ("/v1/messages", "anthropic")])
@pytest.mark.parametrize("said", ["Tell me about streams", "What is the weather in Lyon?"])
def test_merged_text_and_tool_calls_equal_the_reply(
        window: MainWindow, qtbot: QtBot, demo_server: str, path: str, kind: str,
        said: str) -> None:
    tab = chat(window, qtbot, f"{demo_server}{path}?delay=0", said)
    reply = expected_reply([ChatMessage(role="user", content=said)])
    llm_index = tab.tabs.indexOf(tab.llm)
    assert tab.tabs.isTabVisible(llm_index)
    tab.tabs.setCurrentIndex(llm_index)
    assert tab.controller.llm.kind == kind
    if reply.tool_call is None:
        assert tab.llm.merged_text() == reply.text
        assert not tab.llm.tools.isVisibleTo(tab.llm)
    else:
        assert tab.llm.merged_text() == ""
        assert tab.llm.tool_arguments() == [json.loads(reply.tool_call.arguments)]
        shown = tab.llm.tools.toPlainText()
        assert reply.tool_call.name in shown and "valid JSON" in shown
        assert json.loads(shown.split("\n", 1)[1]) == json.loads(reply.tool_call.arguments)
    assert tab.llm.values["finish"].text() in ("stop", "end_turn", "tool_calls", "tool_use")
    assert tab.llm.values["usage"].text() != "—"
    assert tab.controller.stats.first_token is not None


def test_grows_while_streaming(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    body = b'{"model":"demo","stream":true,"messages":[{"role":"user","content":"a b c d"}]}'
    controller = window.start(RequestSpec(f"{demo_server}/v1/chat/completions?delay=0.03",
                                          "POST", [("Content-Type", "application/json")],
                                          body, Mode.SSE))
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    qtbot.waitUntil(lambda: tab.tabs.isTabVisible(tab.tabs.indexOf(tab.llm)), timeout=5000)
    tab.tabs.setCurrentWidget(tab.llm)
    qtbot.waitUntil(lambda: 0 < len(tab.llm.merged_text()), timeout=5000)
    partial = tab.llm.merged_text()
    qtbot.waitUntil(lambda: controller.ended, timeout=10000)
    full = tab.llm.merged_text()
    assert full.startswith(partial) and len(full) > len(partial)


def test_custom_json_path(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    said = "Tell me about streams"
    tab = chat(window, qtbot, f"{demo_server}/v1/chat/completions?delay=0", said)
    tab.tabs.setCurrentWidget(tab.llm)
    tab.llm.path.setText("choices.0.delta.content")
    tab.llm.apply.click()
    assert tab.controller.llm.kind == "custom"
    assert tab.llm.merged_text() == expected_reply([ChatMessage(role="user", content=said)]).text


def test_not_shown_for_other_streams(window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = window.start(RequestSpec(f"{demo_server}/events?interval=0&count=30",
                                          mode=Mode.SSE))
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    qtbot.waitUntil(lambda: controller.ended, timeout=10000)
    assert not tab.tabs.isTabVisible(tab.tabs.indexOf(tab.llm))
    assert controller.llm.given_up
