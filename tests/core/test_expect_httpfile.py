"""``# @expect`` lines in ``.http`` files: parsed into the request with their places, kept
byte for byte by every edit of the request, and rewritten alone when the expectations change."""

from __future__ import annotations

from pathlib import Path

import pytest

from stream_core.expect.sources import ExpectationError, from_request
from stream_core.requests import httpfile
from stream_core.requests.httpfile import set_expectations

TEXT = (
    "@host = http://127.0.0.1:8000\r\n"
    "\r\n"
    "### chat\r\n"
    "# @name chat\r\n"
    "#   @expect first_event < 500ms  \r\n"
    "# a comment between\r\n"
    "// @expect  every event.data is json or == \"[DONE]\"\r\n"
    "# @no-redirect\r\n"
    "POST {{host}}/v1/chat/completions\r\n"
    "Content-Type: application/json\r\n"
    "\r\n"
    "{\"stream\": true}\r\n"
    "\r\n"
    "### plain\r\n"
    "GET {{host}}/events\r\n"
)


def test_parsed_with_their_places() -> None:
    doc = httpfile.parse(TEXT)
    chat, plain = doc.requests
    assert chat.expectations == ["first_event < 500ms", 'every event.data is json or == "[DONE]"']
    assert [TEXT[a:b] for a, b in chat.expect_spans] == chat.expectations
    assert chat.directives == ["no-redirect"] and plain.expectations == []
    found = from_request(doc, chat, Path("api/chat.http"))
    assert [(e.text, e.source) for e in found] == [
        ("first_event < 500ms", "api/chat.http:5"),
        ('every event.data is json or == "[DONE]"', "api/chat.http:7")]


def test_errors_name_file_line_and_column() -> None:
    doc = httpfile.parse("### a\n  # @expect   status = 200\nGET http://x/\n")
    with pytest.raises(ExpectationError, match=r"^a\.http:2:22: use == to compare$"):
        from_request(doc, doc.requests[0], Path("a.http"))


def test_edits_of_the_request_keep_them_byte_for_byte() -> None:
    doc = httpfile.parse(TEXT)
    new = httpfile.HttpRequest(name="chat", method="POST", url="{{host}}/v1/responses",
                               headers=[("Content-Type", "application/json")], body="{}")
    text = httpfile.update(doc, "chat", new)
    assert text.split("POST")[0] == TEXT.split("POST")[0]  # everything above the request line
    assert httpfile.parse(text).requests[0].expectations == doc.requests[0].expectations
    renamed = httpfile.rename(httpfile.parse(text), "chat", "talk")
    assert "#   @expect first_event < 500ms  \r\n" in renamed


def test_set_expectations_touches_only_their_lines() -> None:
    doc = httpfile.parse(TEXT)
    same = set_expectations(doc, "chat", ["first_event < 500ms",
                                          'every event.data is json or == "[DONE]"'])
    assert same == TEXT
    text = set_expectations(doc, "chat", ["first_event < 500ms", "complete"])
    assert text == TEXT.replace("#   @expect first_event < 500ms  \r\n# a comment between\r\n"
                                "// @expect  every event.data is json or == \"[DONE]\"\r\n",
                                "#   @expect first_event < 500ms  \r\n# @expect complete\r\n"
                                "# a comment between\r\n")
    assert httpfile.parse(text).requests[0].expectations == ["first_event < 500ms", "complete"]
    added = set_expectations(httpfile.parse(TEXT), "plain", ["status == 200"])
    assert added == TEXT.replace("### plain\r\nGET", "### plain\r\n# @expect status == 200\r\nGET")
    gone = set_expectations(httpfile.parse(added), "plain", [])
    assert gone == TEXT
    with pytest.raises(httpfile.HttpFileError, match="one line"):
        set_expectations(doc, "chat", ["complete\nstatus == 200"])


def test_new_requests_are_written_with_their_expectations() -> None:
    request = httpfile.HttpRequest(name="n", url="http://x/", expectations=["complete"])
    text = httpfile.append(httpfile.parse(""), request)
    assert text == "### n\n# @name n\n# @expect complete\nGET http://x/\n"
    assert httpfile.parse(text).requests[0].expectations == ["complete"]


def test_an_update_edit_carries_the_expectations() -> None:
    """What the window's Save commits (``stream_core.requests.edit``): the request's own text
    and its ``# @expect`` lines, the rest as it was."""
    from dataclasses import replace

    from stream_core.requests.edit import Update, apply

    doc = httpfile.parse(TEXT)
    chat = doc.find("chat")
    same = apply(Update("chat", replace(chat)), doc, doc)
    assert same == TEXT
    changed = apply(Update("chat", replace(chat, expectations=["complete"])), doc, doc)
    assert httpfile.parse(changed).find("chat").expectations == ["complete"]
    assert changed == same.replace("#   @expect first_event < 500ms  \r\n",
                                   "# @expect complete\r\n").replace(
        '// @expect  every event.data is json or == "[DONE]"\r\n', "")
