"""``.http`` files: parse, write, round-trip, and edits that keep the rest byte for byte."""

from __future__ import annotations

import pytest

from stream_core.requests import httpfile
from stream_core.requests.httpfile import HttpFileError, HttpRequest, parse

# In the style of the JetBrains HTTP Client documentation.
JETBRAINS = """\
// A basic request
https://example.com/a/

### Get with query over lines
GET http://example.com:8080/api/html/get
    ?id=123
    &value=content HTTP/1.1

###
# @name post-json
POST https://httpbin.org/post
Content-Type: application/json
Authorization: Bearer {{token}}

{
  "id": 999,
  "value": "content"
}

> {%
    client.test("Request executed successfully", function() {
        client.assert(response.status === 200, "Response status is not 200");
    });
%}

### Send a file
# @no-redirect
POST https://httpbin.org/post
Content-Type: application/json

< ./input.json

>> ./out/result.json
"""

# In the style of the VS Code REST Client README.
VSCODE = """\
@hostname = api.example.com
@port = 8080
@host = {{hostname}}:{{port}}
@contentType = application/json

# @name login
POST https://{{host}}/api/login HTTP/1.1
Content-Type: {{contentType}}

{"name": "sample", "time": "{{$datetime iso8601}}"}

###

// @name = getComments
GET https://{{host}}/comments?page=2&pageSize=10 HTTP/1.1
# a comment among the headers
Accept: application/json

###

POST https://{{host}}/upload HTTP/1.1
Content-Type: application/xml

<@ ./demo.xml
"""


def test_jetbrains_example() -> None:
    doc = parse(JETBRAINS)
    names = [r.name for r in doc.requests]
    assert names == ["#1", "Get with query over lines", "post-json", "Send a file"]
    first, query, post, send = doc.requests
    assert (first.method, first.url, first.body) == ("GET", "https://example.com/a/", None)
    assert query.url == "http://example.com:8080/api/html/get?id=123&value=content"
    assert query.http_version == "HTTP/1.1"
    assert post.headers == [("Content-Type", "application/json"),
                            ("Authorization", "Bearer {{token}}")]
    assert post.body == '{\n  "id": 999,\n  "value": "content"\n}'
    assert post.handlers[0] == "> {%" and post.handlers[-1] == "%}" and len(post.handlers) == 5
    assert send.body is None and send.body_file == "./input.json"
    assert send.directives == ["no-redirect"]
    assert send.handlers == [">> ./out/result.json"]


def test_vscode_example() -> None:
    doc = parse(VSCODE)
    assert doc.variables == {"hostname": "api.example.com", "port": "8080",
                             "host": "{{hostname}}:{{port}}", "contentType": "application/json"}
    login, comments, upload = doc.requests
    assert login.name == "login" and login.method == "POST"
    assert login.url == "https://{{host}}/api/login"
    assert login.body == '{"name": "sample", "time": "{{$datetime iso8601}}"}'
    assert comments.name == "getComments"
    assert comments.headers == [("Accept", "application/json")]
    assert upload.name == "#3"
    assert upload.body_file == "./demo.xml" and upload.body_file_variables


@pytest.mark.parametrize("text", [JETBRAINS, VSCODE, JETBRAINS.replace("\n", "\r\n")])
def test_round_trip(text: str) -> None:
    doc = parse(text)
    again = parse(httpfile.write(doc.variables, doc.requests, doc.newline))
    assert again.requests == doc.requests
    assert again.variables == doc.variables
    # and once more: writing is stable
    assert httpfile.write(again.variables, again.requests) == httpfile.write(
        doc.variables, doc.requests)


def test_update_in_place_keeps_the_rest_byte_for_byte() -> None:
    doc = parse(JETBRAINS)
    post = doc.find("post-json")
    new = HttpRequest(name="post-json", method="PUT", url="{{demo}}/put",
                      headers=[("X-Trace", "1")], body='{"a": 1}', handlers=post.handlers)
    text = httpfile.update(doc, "post-json", new)
    a, b = post.span
    assert text[:a] == JETBRAINS[:a]
    assert text[a + (len(text) - len(JETBRAINS)) + (b - a):] == JETBRAINS[b:]
    again = parse(text)
    assert again.find("post-json") == new
    assert [r for r in again.requests if r.name != "post-json"] == [
        r for r in doc.requests if r.name != "post-json"]


def test_update_keeps_crlf_line_ends() -> None:
    text = JETBRAINS.replace("\n", "\r\n")
    doc = parse(text)
    new = parse(text).find("Send a file")
    new.headers.append(("Accept", "*/*"))
    out = httpfile.update(doc, "Send a file", new)
    assert "\n" not in out.replace("\r\n", "")
    assert parse(out).find("Send a file").headers[-1] == ("Accept", "*/*")


def test_rename_named_and_unnamed() -> None:
    doc = parse(JETBRAINS)
    text = httpfile.rename(doc, "post-json", "create")
    assert text == JETBRAINS.replace("# @name post-json", "# @name create")
    text = httpfile.rename(doc, "Get with query over lines", "query")
    assert text == JETBRAINS.replace("### Get with query over lines", "### query")
    text = httpfile.rename(doc, "#1", "basic")
    assert text == JETBRAINS.replace("https://example.com/a/\n",
                                     "# @name basic\nhttps://example.com/a/\n", 1)
    assert parse(text).requests[0].name == "basic"
    with pytest.raises(HttpFileError, match="already exists"):
        httpfile.rename(doc, "#1", "post-json")
    with pytest.raises(HttpFileError, match="bad request name"):
        httpfile.rename(doc, "#1", "two\nlines")


def test_update_with_a_new_name_renames() -> None:
    doc = parse(VSCODE)
    new = HttpRequest(name="signin", method="POST", url="https://{{host}}/api/login")
    text = httpfile.update(doc, "login", new)
    assert [r.name for r in parse(text).requests] == ["signin", "getComments", "#3"]


def test_delete() -> None:
    doc = parse(JETBRAINS)
    text = httpfile.delete(doc, "post-json")
    assert [r.name for r in parse(text).requests] == [
        "#1", "Get with query over lines", "Send a file"]
    a, b = doc.find("post-json").block
    assert text == JETBRAINS[:a] + JETBRAINS[b:]
    text = httpfile.delete(doc, "#1")  # the first block: no separator before it
    assert [r.name for r in parse(text).requests] == [
        "Get with query over lines", "post-json", "Send a file"]
    assert text == JETBRAINS.replace("https://example.com/a/\n\n", "", 1)
    vs = httpfile.delete(parse(VSCODE), "login")  # the file variables stay
    assert parse(vs).variables == parse(VSCODE).variables
    assert vs.startswith(VSCODE[:VSCODE.index("# @name login")] + "###")


def test_append() -> None:
    doc = parse(VSCODE)
    new = HttpRequest(name="events", url="{{demo}}/events?count=3",
                      headers=[("Accept", "text/event-stream")])
    text = httpfile.append(doc, new)
    assert text.startswith(VSCODE)
    assert parse(text).find("events") == new
    assert httpfile.delete(parse(text), "events") == VSCODE  # append's inverse
    with pytest.raises(HttpFileError, match="already exists"):
        httpfile.append(doc, HttpRequest(name="login"))
    assert parse(httpfile.append(parse(""), new)).requests == [new]


def test_unknown_name_lists_the_requests() -> None:
    with pytest.raises(HttpFileError, match="no request named 'x' .*post-json"):
        parse(JETBRAINS).find("x")


def test_duplicate_names_get_their_position() -> None:
    doc = parse("### a\nGET http://x/1\n\n### a\nGET http://x/2\n")
    assert [r.name for r in doc.requests] == ["a #1", "a #2"]


@pytest.mark.parametrize(("text", "requests", "variables"), [
    ("", 0, {}), ("###", 0, {}), ("### only a name\n", 0, {}), ("# just a comment\n", 0, {}),
    ("@x=1\n", 0, {"x": "1"}), ("GET\n", 1, {}), ("> {%\nunterminated", 1, {}),
    ("\r\n\r\n###\r\n", 0, {}), ("Not: a request\n\nbody", 1, {}),
])
def test_odd_input_never_raises(text: str, requests: int, variables: dict[str, str]) -> None:
    """Odd files parse without an exception into what they hold: the text kept whole, the
    file variables, and a request only where a line can be a request line."""
    doc = parse(text)
    assert doc.text == text
    assert doc.variables == variables
    assert [(r.name, r.method, bool(r.url)) for r in doc.requests] == [
        (f"#{i + 1}", "GET", True) for i in range(requests)]
