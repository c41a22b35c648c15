"""The LLM sub-tab against the demo model: merged text and tool-call JSON equal what the
server streamed (OpenAI and Anthropic shapes), finish reason, usage, custom JSON path, the
format picker saved per host, Markdown with a raw toggle, reasoning apart, problems."""

from __future__ import annotations

import asyncio
import json

import pytest
from pytestqt.qtbot import QtBot

from embedded_server.endpoints.llm import ChatMessage, expected_reply
from gui.stream.controller import Source, StreamController
from gui.views.stream_tab import StreamTab
from gui.window.main_window import MainWindow
from stream_core.net.spec import Mode, RequestSpec
from stream_core.records import AnyRecord, End, Event, Observer


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


def test_shown_for_every_event_stream_not_for_plain_text(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    controller = window.start(RequestSpec(f"{demo_server}/events?interval=0&count=30",
                                          mode=Mode.SSE))
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    qtbot.waitUntil(lambda: controller.ended, timeout=10000)
    assert tab.tabs.isTabVisible(tab.tabs.indexOf(tab.llm))  # to force a format or a path
    assert controller.llm.given_up
    tab.tabs.setCurrentWidget(tab.llm)
    assert tab.llm.kind.text() == "no known format"
    # the custom path reaches any stream: here the demo's JSON messages
    tab.llm.picker.setCurrentIndex(tab.llm.picker.findData("custom"))
    tab.llm.path.setText("message")
    tab.llm.apply.click()
    assert controller.llm.kind == "custom" and controller.llm.deltas == 30
    plain = window.start(RequestSpec(f"{demo_server}/logs_stream?interval=0&count=3"))
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    qtbot.waitUntil(lambda: plain.ended, timeout=10000)
    assert not tab.tabs.isTabVisible(tab.tabs.indexOf(tab.llm))


def test_forced_format_saved_per_host(window: MainWindow, qtbot: QtBot,
                                      demo_server: str) -> None:
    tab = chat(window, qtbot, f"{demo_server}/v1/chat/completions?delay=0", "hello there")
    tab.tabs.setCurrentWidget(tab.llm)
    view = tab.llm
    assert view.picker.itemText(0) == "Automatic (OpenAI Chat Completions)"
    view.remember.setChecked(True)
    index = view.picker.findData("anthropic")
    view.picker.setCurrentIndex(index)
    view.picker.activated.emit(index)
    assert tab.controller.llm.kind == "anthropic"
    # an OpenAI stream read as Anthropic: each event says what is wrong, no silent empty reply
    assert view.problems.isVisible() and "type is missing" in view.problems.text()
    host = view.host()
    assert window.settings.llm_choice(host) is not None
    assert window.settings.llm_choice(host).fmt == "anthropic"  # type: ignore[union-attr]
    # a new tab to the same host reads it the saved way
    tab2 = chat(window, qtbot, f"{demo_server}/v1/chat/completions?delay=0", "again")
    tab2.tabs.setCurrentWidget(tab2.llm)
    assert tab2.controller.llm.kind == "anthropic" and tab2.llm.remember.isChecked()
    tab2.llm.remember.setChecked(False)
    assert window.settings.llm_choice(host) is None


def test_markdown_rendered_with_a_raw_toggle(window: MainWindow, qtbot: QtBot,
                                             demo_server: str) -> None:
    said = "Tell me about streams"
    tab = chat(window, qtbot, f"{demo_server}/v1/chat/completions?delay=0", said)
    tab.tabs.setCurrentWidget(tab.llm)
    view = tab.llm
    assert view.stack.currentWidget() is view.answer
    rendered = view.answer.toPlainText()
    assert "**" in view.merged_text() and "**" not in rendered  # bold is rendered, not shown
    assert view.answer.document().toMarkdown().strip()
    view.raw.setChecked(True)
    assert view.stack.currentWidget() is view.text
    assert view.merged_text() == expected_reply([ChatMessage(role="user", content=said)]).text


def test_reasoning_apart_and_tool_call_checked_against_the_schema(
        window: MainWindow, qtbot: QtBot, demo_server: str) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}},
              "required": ["city"]}
    body = json.dumps({"model": "demo", "stream": True, "max_tokens": 64,
                       "thinking": {"type": "enabled", "budget_tokens": 512},
                       "tools": [{"name": "lookup", "input_schema": schema}],
                       "messages": [{"role": "user", "content": "Sights in Lima"}]}).encode()
    controller = window.start(RequestSpec(f"{demo_server}/v1/messages?delay=0.01", "POST",
                                          [("Content-Type", "application/json")], body,
                                          Mode.SSE))
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    tab.tabs.setCurrentWidget(tab.llm)
    qtbot.waitUntil(lambda: controller.ended, timeout=20000)
    view = tab.llm
    assert view.reasoning.isVisibleTo(view) and view.reasoning.expanded
    assert "signed" in view.reasoning.toggle.text()
    assert view.reasoning_text.toPlainText().startswith('The user said "Sights in Lima"')
    view.reasoning.toggle.click()  # folds away
    assert not view.reasoning_text.isVisibleTo(view)
    shown = view.tools.toPlainText()
    assert "lookup" in shown and "valid JSON, matches the declared schema" in shown
    assert view.tool_arguments() == [{"city": "Lima"}]
    assert view.values["ttft"].text() != "—" and view.values["gaps"].text().startswith("p50")
    assert "(provider)" in view.values["tokens"].text()
    assert sum(view.timing.histogram.counts) == controller.llm.deltas - 1
    assert not view.problems.isVisible()


def test_timing_texts_say_burst_instead_of_a_rate() -> None:
    from gui.views.llm_parts import timing_texts
    from stream_core.analysis.llm import LLMAssembler
    llm = LLMAssembler()
    for i in range(200):  # 200 tokens that came in one read
        llm.feed("message", json.dumps({"object": "chat.completion.chunk", "choices": [
            {"index": 0, "delta": {"content": f" w{i}"}}]}), 1.5)
    texts = timing_texts(llm, running=False)
    assert texts["rate"].startswith("delivered in one burst (200 deltas")
    paced = LLMAssembler()
    for i in range(11):
        paced.feed("message", json.dumps({"object": "chat.completion.chunk", "choices": [
            {"index": 0, "delta": {"content": f" w{i}"}}]}), 1.0 + i * 0.1)
    assert timing_texts(paced, running=False)["rate"] == "10.0 tokens/s over 1.00 s"


def test_a_broken_stream_says_what_was_wrong(window: MainWindow, qtbot: QtBot,
                                             demo_server: str) -> None:
    """An Anthropic stream cut after 6 frames shows what arrived, and what never came."""
    tab = chat(window, qtbot, f"{demo_server}/v1/messages?delay=0&cut=6", "hello there")
    tab.tabs.setCurrentWidget(tab.llm)
    view = tab.llm
    assert view.merged_text() == " ".join(expected_reply([ChatMessage(
        role="user", content="hello there")]).text.split(" ")[:3])
    assert view.problems.isVisible()
    text = view.problems.text()
    assert "breaks the Anthropic Messages format (2 problems)" in text
    assert "block(s) [0] never got their content_block_stop" in text
    assert "the stream ended without message_stop (cut short?)" in text
    assert view.values["finish"].text() == "none"


def test_server_text_is_never_markup_nor_fetched(window: MainWindow, qtbot: QtBot,
                                                 demo_server: str) -> None:
    from PySide6.QtCore import QUrl

    from stream_core.analysis.llm import LLMAssembler
    tab = chat(window, qtbot, f"{demo_server}/v1/chat/completions?delay=0", "hi")
    view = tab.llm
    llm = LLMAssembler(fmt="openai")
    llm.feed("message", '<img src="x"><b>bold</b>', 0.0)
    llm.fail("<i>boom</i>")
    view._show_format(llm)
    text = view.problems.text()
    assert "&lt;img src=&quot;x&quot;&gt;&lt;b&gt;bold&lt;/b&gt;" in text
    assert "&lt;i&gt;boom&lt;/i&gt;" in text and "<i>" not in text
    assert view.answer.loadResource(2, QUrl("file:///etc/hostname")) is None
    assert not view.answer.openLinks() and not view.answer.openExternalLinks()


@pytest.mark.parametrize("route, body, kind", [
    ("/v1/responses", {"stream": True, "input": "Trip in Oslo",
                       "reasoning": {"summary": "auto"}}, "openai-responses"),
    ("/v1beta/models/demo:streamGenerateContent?alt=sse&", {
        "contents": [{"parts": [{"text": "Trip in Oslo"}]}],
        "generationConfig": {"thinkingConfig": {"includeThoughts": True}}}, "gemini"),
    ("/api/chat", {"think": True, "messages": [{"role": "user", "content": "Trip in Oslo"}]},
     "ollama"),
    ("/api/generate", {"think": True, "prompt": "Trip in Oslo"}, "ollama"),
])
def test_every_demo_format_in_the_window(window: MainWindow, qtbot: QtBot, demo_server: str,
                                         route: str, body: dict[str, object],
                                         kind: str) -> None:
    sep = "" if route.endswith("&") else "?"
    controller = window.start(RequestSpec(f"{demo_server}{route}{sep}delay=0.005", "POST",
                                          [("Content-Type", "application/json")],
                                          json.dumps(body).encode(), Mode.AUTO))
    tab = window.current_tab()
    assert isinstance(tab, StreamTab)
    tab.tabs.setCurrentWidget(tab.llm)
    qtbot.waitUntil(lambda: controller.ended, timeout=20000)
    reply = expected_reply([ChatMessage(role="user", content="Trip in Oslo")], reasoning=True)
    assert controller.llm.kind == kind and controller.llm.problems == []
    assert tab.llm.merged_text() == reply.text
    assert tab.llm.reasoning_text.toPlainText() == reply.reasoning
    assert tab.llm.values["finish"].text() != "none"


def test_a_signature_after_the_reasoning_is_shown(window: MainWindow, qtbot: QtBot,
                                                  demo_server: str) -> None:
    """The reasoning's signature arrives after its text: the title says "signed" even when
    the text was shown before (it flickered with the drain's batching)."""
    body = json.dumps({"model": "demo", "stream": True, "max_tokens": 64,
                       "thinking": {"type": "enabled", "budget_tokens": 512},
                       "messages": [{"role": "user", "content": "Sights in Lima"}]}).encode()
    release = asyncio.Event()
    session_done: list[bool] = []

    def hold_the_signature(source: Source) -> Source:
        async def gated(observer: Observer) -> End:
            held: list[AnyRecord] = []

            def relay(record: AnyRecord) -> None:
                if held or (isinstance(record, Event) and "signature_delta" in record.data):
                    held.append(record)
                else:
                    observer(record)
            end = await source(relay)
            session_done.append(True)
            await release.wait()
            for record in held:
                observer(record)
            return end
        return gated

    controller = StreamController(window.clients, RequestSpec(
        f"{demo_server}/v1/messages?delay=0", "POST", [("Content-Type", "application/json")],
        body, Mode.SSE), window)
    controller.wrap_source(hold_the_signature)
    tab = window.add_stream_tab(controller)
    tab.tabs.setCurrentWidget(tab.llm)
    view = tab.llm
    qtbot.waitUntil(lambda: bool(session_done) and view.reasoning_text.toPlainText() != "",
                    timeout=20000)
    assert "signed" not in view.reasoning.toggle.text()
    release.set()
    qtbot.waitUntil(lambda: controller.ended, timeout=20000)
    assert "signed" in view.reasoning.toggle.text()


def test_a_long_reply_renders_its_beginning_and_says_so() -> None:
    """Rendering Markdown is a whole-document parse and layout (~1.7 s for 600 KB with the
    window held): beyond MARKDOWN_LIMIT the answer renders the beginning, cut at a
    paragraph, and says the rest is in Raw text (issue 22.2)."""
    from gui.views.llm_view import MARKDOWN_LIMIT, markdown_shown

    short = "# Hi\n\nsome *text*"
    assert markdown_shown(short) == short
    paragraphs = "\n\n".join(f"Paragraph {i} " + "word " * 50 for i in range(400))
    shown = markdown_shown(paragraphs)
    head, note = shown.rsplit("\n\n", 1)
    assert paragraphs.startswith(head) and len(head) <= MARKDOWN_LIMIT
    assert paragraphs[len(head):].startswith("\n\nParagraph")  # cut between paragraphs
    assert f"{len(paragraphs):,} characters" in note and "Raw text" in note
    one = "w " * MARKDOWN_LIMIT  # one paragraph: cut at a space
    head = markdown_shown(one).rsplit("\n\n", 1)[0]
    assert one.startswith(head) and len(head) <= MARKDOWN_LIMIT and head.endswith("w")
