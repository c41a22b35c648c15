"""Edits of ``.http`` files with the file edited on disk in between (issue 23 item 2): every
kind of write (save, save as new, rename, delete, new file) keeps the other editor's change,
or stops with a Conflict when it touched the same request; never a write from a stale copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from stream_core.requests.edit import Append, Conflict, Delete, Rename, Update, commit
from stream_core.requests.files import read_text
from stream_core.requests.httpfile import HttpFileError, HttpRequest, parse

API = """\
# My API
@host = http://127.0.0.1:8000

### records
GET {{host}}/records

### chat
POST {{host}}/v1/chat/completions
Content-Type: application/json

{"stream": true}

> {% client.global.set("x", "1"); %}
"""


@pytest.fixture()
def api(tmp_path: Path) -> Path:
    path = tmp_path / "api.http"
    path.write_text(API)
    return path


def edited_elsewhere(path: Path, old: str, new: str) -> str:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return path.read_text()


def chat(url: str = "{{host}}/v1/chat/completions?n=2", name: str = "chat") -> HttpRequest:
    return HttpRequest(name, "POST", url, headers=[("Content-Type", "application/json")],
                       body='{"stream": true}', handlers=['> {% client.global.set("x", "1"); %}'])


def test_save_unchanged_file_splices_only_the_request(api: Path) -> None:
    out = commit(api, read_text(api), Update("chat", chat()))
    assert not out.merged and out.written
    assert api.read_text() == API.replace("completions\n", "completions?n=2\n")


def test_save_keeps_an_edit_made_elsewhere_to_another_request(api: Path) -> None:
    base = read_text(api)
    theirs = edited_elsewhere(api, "GET {{host}}/records", "GET {{host}}/records?all=1")
    out = commit(api, base, Update("chat", chat()))
    assert out.merged
    assert api.read_text() == theirs.replace("completions\n", "completions?n=2\n")
    assert out.snapshot == read_text(api)


def test_save_over_a_request_changed_elsewhere_asks(api: Path) -> None:
    base = read_text(api)
    theirs = edited_elsewhere(api, '{"stream": true}', '{"stream": false}')
    with pytest.raises(Conflict, match="'chat' was changed in api.http") as caught:
        commit(api, base, Update("chat", chat()))
    assert caught.value.kind == "changed" and api.read_text() == theirs
    commit(api, base, Update("chat", chat()), force=True)  # the user said overwrite
    assert parse(api.read_text()).find("chat").url.endswith("?n=2")
    assert parse(api.read_text()).find("records") == parse(API).find("records")


def test_save_over_a_request_renamed_elsewhere_asks(api: Path) -> None:
    base = read_text(api)
    theirs = edited_elsewhere(api, "### chat", "### talk")
    with pytest.raises(Conflict, match="no longer in api.http") as caught:
        commit(api, base, Update("chat", chat()))
    assert caught.value.kind == "gone" and api.read_text() == theirs


def test_save_as_new_appends_to_the_new_text(api: Path) -> None:
    base = read_text(api)
    theirs = edited_elsewhere(api, "# My API", "# My API, edited")
    health = HttpRequest("health", "GET", "{{host}}/health")
    assert commit(api, base, Append(health)).merged
    assert api.read_text().startswith(theirs) and parse(api.read_text()).find("health")
    edited_elsewhere(api, "# My API, edited", "# again")  # and a name taken meanwhile
    with pytest.raises(HttpFileError, match="'health' already exists"):
        commit(api, base, Append(health))


def test_rename_applies_to_the_new_text(api: Path) -> None:
    base = read_text(api)
    theirs = edited_elsewhere(api, "GET {{host}}/records", "GET {{host}}/records?all=1")
    commit(api, base, Rename("records", "all records"))
    assert api.read_text() == theirs.replace("### records", "### all records")
    base = read_text(api)
    edited_elsewhere(api, "### all records", "### gone")
    with pytest.raises(Conflict, match="'all records' is no longer"):
        commit(api, base, Rename("all records", "y"))


def test_delete_keeps_the_rest_and_asks_when_the_request_changed(api: Path) -> None:
    base = read_text(api)
    theirs = edited_elsewhere(api, "# My API", "# Mine")
    commit(api, base, Delete("records"))
    assert api.read_text() == theirs.replace("### records\nGET {{host}}/records\n\n", "")
    base = read_text(api)
    edited_elsewhere(api, '{"stream": true}', '{"stream": 1}')
    with pytest.raises(Conflict, match="deleting it would lose that change"):
        commit(api, base, Delete("chat"))
    gone = read_text(api)
    edited_elsewhere(api, "### chat", "### renamed")
    out = commit(api, gone, Delete("chat"))  # already gone there: nothing written
    assert not out.written and "### renamed" in api.read_text()


def test_new_file_created_meanwhile_is_appended_to(tmp_path: Path) -> None:
    path = tmp_path / "new.http"
    absent = read_text(path)
    path.write_text("### theirs\nGET http://127.0.0.1/theirs\n")
    out = commit(path, absent, Append(HttpRequest("mine", "GET", "http://127.0.0.1/mine")))
    assert out.merged
    names = [r.name for r in parse(path.read_text()).requests]
    assert names == ["theirs", "mine"]
    fresh = tmp_path / "fresh.http"
    commit(fresh, read_text(fresh), Append(HttpRequest("a", "GET", "http://127.0.0.1/a")))
    assert fresh.read_text() == "### a\n# @name a\nGET http://127.0.0.1/a\n"


def test_unnamed_request_found_by_its_text_after_others_moved(tmp_path: Path) -> None:
    path = tmp_path / "plain.http"
    path.write_text("GET http://127.0.0.1/one\n\n###\nGET http://127.0.0.1/two\n")
    base = read_text(path)
    assert [r.name for r in parse(base.text).requests] == ["#1", "#2"]
    path.write_text("GET http://127.0.0.1/zero\n\n###\n" + base.text)  # one added above
    commit(path, base, Update("#2", HttpRequest("#2", "GET", "http://127.0.0.1/two?x=1")))
    assert [r.url for r in parse(path.read_text()).requests] == [
        "http://127.0.0.1/zero", "http://127.0.0.1/one", "http://127.0.0.1/two?x=1"]


@pytest.mark.parametrize("body", ["first\n### evil\nPOST http://127.0.0.1/x",
                                  "line\n> {% client.exit() %}"])
def test_a_body_that_would_not_read_back_is_refused(api: Path, body: str) -> None:
    new = HttpRequest("chat", "POST", "{{host}}/v1/chat/completions", body=body)
    with pytest.raises(HttpFileError, match="not saved: a body line that starts with ###"):
        commit(api, read_text(api), Update("chat", new))
    assert api.read_text() == API


def test_a_byte_order_mark_and_crlf_line_ends_stay(tmp_path: Path) -> None:
    path = tmp_path / "win.http"
    path.write_bytes(("\ufeff" + API.replace("\n", "\r\n")).encode())
    commit(path, read_text(path), Update("chat", chat()))
    commit(path, read_text(path), Append(HttpRequest("h", "GET", "{{host}}/health")))
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf# My API\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert parse(data.decode()).find("chat").url.endswith("?n=2")


NOTED = """\
### chat
# @name chat
POST http://127.0.0.1:8000/v1/chat
Content-Type: text/plain
# why this header

first line
# a note in the body, not sent
second line
"""


def test_save_keeps_the_comment_lines_of_what_it_did_not_change(tmp_path: Path) -> None:
    """Comment lines in a request are not part of it (they are not sent), so the editor
    does not hold them: a Save that changed nothing keeps the request's text byte for byte,
    and one that changed the URL or a header keeps its body as written, notes included."""
    path = tmp_path / "api.http"
    path.write_text(NOTED)
    snap = read_text(path)
    chat = parse(snap.text).find("chat")
    assert chat.body == "first line\nsecond line"  # the note is not in the body sent
    commit(path, snap, Update("chat", chat))
    assert path.read_text() == NOTED
    snap = read_text(path)
    moved = HttpRequest("chat", "POST", "http://127.0.0.1:8000/v2/chat",
                        headers=[("Content-Type", "text/plain")], body=chat.body)
    commit(path, snap, Update("chat", moved))
    assert path.read_text() == NOTED.replace("/v1/", "/v2/").replace("# why this header\n", "")
