"""Issue 24 items 13-18 and 25.9, 25.11, 25.14: HAR 1.2 and Postman v2.0/v2.1 imports, each
written as a ``.http`` file, read back and sent to an echo server over a real socket (the
expected requests are what newman sends for the same collection)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stream_core.capture.saved import saved_spec
from stream_core.requests.httpfile import parse
from stream_core.requests.postman import CollectionImportError, import_file
from tests.compat.conftest import send
from tests.compat.echo import EchoServer, Seen

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"


def imported_and_sent(tmp_path: Path, echo: EchoServer, doc: dict[str, Any],
                      ext: str = "json") -> tuple[list[str], dict[str, Seen]]:
    source = tmp_path / f"in.{ext}"
    source.write_text(json.dumps(doc).replace("ECHO", echo.url))
    imported = import_file(source)
    target = tmp_path / "out.http"
    target.write_text(imported.text())
    seen = {r.name: send(saved_spec(f"{target}#{r.name}"), echo) for r in imported.requests
            if r.name not in " ".join(imported.report)}
    return imported.report, seen


def postman(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"info": {"name": "c", "schema": SCHEMA}, "item": list(items), **extra}


def test_har_cookies_joined(tmp_path: Path, echo: EchoServer) -> None:
    """24.13: repeated ``cookie`` entries of an HTTP/2 HAR are one Cookie field."""
    doc = {"log": {"version": "1.2", "entries": [{"request": {
        "method": "GET", "url": "ECHO/h2", "httpVersion": "h2",
        "headers": [{"name": ":authority", "value": "x"}, {"name": "cookie", "value": "a=1"},
                    {"name": "accept", "value": "*/*"}, {"name": "cookie", "value": "b=2"}]}}]}}
    _, seen = imported_and_sent(tmp_path, echo, doc, "har")
    assert seen["GET 127.0.0.1:" + echo.url.rsplit(":", 1)[1] + "/h2"].header("Cookie") == [
        "a=1; b=2"]


def test_postman_url_parts(tmp_path: Path, echo: EchoServer) -> None:
    """24.14, 24.15: query entries missing from url.raw are sent (disabled ones are not);
    path variables are filled from url.variable."""
    port = echo.url.rsplit(":", 1)[1]
    doc = postman({"name": "q", "request": {"method": "GET", "url": {
        "raw": "ECHO/x/:action?a=1", "protocol": "http", "host": ["127", "0", "0", "1"],
        "port": port, "path": ["x", ":action"],
        "query": [{"key": "a", "value": "1"}, {"key": "b", "value": "two words&x=y"},
                  {"key": "c", "value": "no", "disabled": True}, {"key": "d", "value": None}],
        "variable": [{"key": "action", "value": "run it"}]}}})
    _, seen = imported_and_sent(tmp_path, echo, doc)
    assert seen["q"].target == "/x/run%20it?a=1&b=two%20words%26x=y&d"


def test_postman_bodies(tmp_path: Path, echo: EchoServer) -> None:
    """24.16-18: urlencoded values percent-encoded; no JSON Content-Type on an empty raw
    body; formdata sent as multipart with the file's bytes."""
    (tmp_path / "a.txt").write_bytes(b"hello\n")
    doc = postman(
        {"name": "f", "request": {"method": "POST", "url": "ECHO/f", "body": {
            "mode": "urlencoded", "urlencoded": [{"key": "a b", "value": "c&d=e f"},
                                                 {"key": "n", "value": "é/?"},
                                                 {"key": "off", "value": "1", "disabled": True}]}}},
        {"name": "g", "request": {"method": "GET", "url": "ECHO/g", "body": {
            "mode": "raw", "raw": "", "options": {"raw": {"language": "json"}}}}},
        {"name": "m", "request": {"method": "POST", "url": "ECHO/m", "body": {
            "mode": "formdata", "formdata": [
                {"key": "k", "value": "v", "type": "text"},
                {"key": "file", "src": str(tmp_path / "a.txt"), "type": "file"}]}}})
    report, seen = imported_and_sent(tmp_path, echo, doc)
    assert report == []
    assert seen["f"].body == b"a%20b=c%26d%3De%20f&n=%C3%A9%2F%3F"
    assert seen["f"].header("Content-Type") == ["application/x-www-form-urlencoded"]
    assert (seen["g"].header("Content-Type"), seen["g"].body) == ([], b"")
    boundary = seen["m"].header("Content-Type")[0].split("boundary=")[1]
    assert seen["m"].body == (
        f'--{boundary}\r\nContent-Disposition: form-data; name="k"\r\n\r\nv\r\n--{boundary}\r\n'
        f'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello\n\r\n'
        f"--{boundary}--").encode()


@pytest.mark.parametrize("where", ["header", "url", "name", "variable"])
def test_injection_never_writes_a_line_the_value_did_not_mean(tmp_path: Path,
                                                             where: str) -> None:
    """25.9: a value holding ``\\n\\n### evil\\nPOST ...`` or ``\\n> {% ... %}`` added a
    request or a response-handler script to the written file."""
    evil = "x\n\n### evil\nPOST http://127.0.0.1:9/pwn\n\n> {% client.exec() %}"
    request: dict[str, Any] = {"method": "GET", "url": "http://127.0.0.1:9/ok",
                               "header": [{"key": "A", "value": "1"}]}
    doc = postman({"name": "good", "request": {"method": "GET", "url": "http://127.0.0.1:9/"}},
                  {"name": "bad", "request": request})
    if where == "header":
        request["header"][0]["value"] = evil
    elif where == "url":
        request["url"] = "http://127.0.0.1:9/" + evil
    elif where == "name":
        doc["item"][1]["name"] = evil
    else:
        doc["variable"] = [{"key": "v", "value": evil}]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    imported = import_file(path)
    back = parse(imported.text())
    assert [r.url for r in back.requests] in (["http://127.0.0.1:9/"],
                                              ["http://127.0.0.1:9/", "http://127.0.0.1:9/ok"])
    assert all(not r.handlers and r.method == "GET" for r in back.requests)
    if where == "name":  # a name is one line: the text stays a name, harmless
        assert back.requests[1].name.startswith("x evil POST")
    else:
        assert "control character" in " ".join(imported.report)


@pytest.mark.parametrize(("doc", "message"), [
    ({"log": {"entries": [{"request": {"url": "http://h/", "headers": 5}}]}},
     r"log.entries\[0\].request.headers is int, not a list"),
    ({"log": {"entries": [{"request": {"url": "http://h/", "headers": [None]}}]}},
     r"headers\[0\] is not a \{name, value\} object"),
    ({"log": {"entries": [{"request": {"url": "http://h/", "method": 3}}]}},
     r"method is not text"),
    ({"log": {"entries": 7}}, r"log.entries is int, not a list"),
])
def test_har_wrong_types_are_clear_errors(tmp_path: Path, doc: dict[str, Any],
                                          message: str) -> None:
    """25.11: ``headers: 5`` crashed the import."""
    path = tmp_path / "x.har"
    path.write_text(json.dumps(doc))
    with pytest.raises(CollectionImportError, match="x.har: .*" + message):
        import_file(path)


def test_har_null_headers_and_lone_surrogate(tmp_path: Path) -> None:
    """25.11: ``headers: null`` is no headers; a lone ``\\udcff`` in a body is reported and
    that request is not written."""
    path = tmp_path / "x.har"
    path.write_text('{"log": {"entries": [{"request": {"url": "http://h/a", "headers": null}},'
                    ' {"request": {"url": "http://h/b", "method": "POST", "postData":'
                    ' {"text": "a\\udcffb"}}}]}}')
    imported = import_file(path)
    text = imported.text()
    assert "http://h/a" in text and "http://h/b" not in text
    assert imported.report == ["POST h/b: the body holds the character U+DCFF, not text,"
                               " not written"]


def test_postman_wrong_types_are_reported(tmp_path: Path) -> None:
    """25.11: an auth type that is a list, ``options.raw`` a string."""
    doc = postman({"name": "a", "request": {
        "method": "POST", "url": "http://h/", "auth": {"type": ["bearer"]},
        "body": {"mode": "raw", "raw": "{}", "options": {"raw": "json"}}}})
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    imported = import_file(path)
    assert imported.requests[0].body == "{}"
    assert imported.report == ["a: auth type ['bearer'] is not a name, auth not carried over"]


def test_har_with_ten_thousand_entries_for_one_url(tmp_path: Path) -> None:
    """25.14: names made unique by a counter per name (29 s before, quadratic)."""
    entry = {"request": {"method": "GET", "url": "http://h/same"}}
    path = tmp_path / "big.har"
    path.write_text(json.dumps({"log": {"entries": [entry] * 10_000}}))
    imported = import_file(path)
    names = [r.name for r in imported.requests]
    assert len(set(names)) == 10_000 and names[-1] == "GET h/same (10000)"
