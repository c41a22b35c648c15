"""Import a Postman Collection v2.1 and a HAR file as ``.http`` collections, with a report of
what could not be carried over."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from stream_core.capture import har
from stream_core.records import Request
from stream_core.requests.httpfile import parse
from stream_core.requests.postman import CollectionImportError, import_file

POSTMAN = {
    "info": {"name": "LLM APIs", "_postman_id": "x",
             "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
    "variable": [{"key": "base", "value": "http://127.0.0.1:8000"},
                 {"key": "off", "value": "x", "disabled": True}],
    "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}", "type": "string"}]},
    "event": [{"listen": "prerequest", "script": {"exec": ["console.log(1)"]}}],
    "item": [
        {"name": "Chat", "item": [
            {"name": "stream chat", "request": {
                "method": "POST",
                "header": [{"key": "Accept", "value": "text/event-stream"},
                           {"key": "X-Old", "value": "1", "disabled": True}],
                "body": {"mode": "raw", "raw": "{\"stream\": true}",
                         "options": {"raw": {"language": "json"}}},
                "url": {"raw": "{{base}}/v1/chat/completions", "host": ["{{base}}"],
                        "path": ["v1", "chat", "completions"]}}},
            {"name": "with key", "request": {
                "method": "GET", "auth": {"type": "apikey", "apikey": [
                    {"key": "key", "value": "api_key"}, {"key": "value", "value": "{{k}}"},
                    {"key": "in", "value": "query"}]},
                "url": "{{base}}/models"}},
        ]},
        {"name": "login", "event": [{"listen": "test", "script": {"exec": ["pm.test()"]}}],
         "request": {"method": "POST", "auth": {"type": "basic", "basic": [
             {"key": "username", "value": "ann"}, {"key": "password", "value": "{{pw}}"}]},
             "body": {"mode": "urlencoded", "urlencoded": [
                 {"key": "a", "value": "1"}, {"key": "b", "value": "2", "disabled": True}]},
             "url": {"protocol": "http", "host": ["127", "0", "0", "1"], "path": ["login"],
                     "query": [{"key": "q", "value": "1"}]}}},
        {"name": "upload", "request": {"method": "POST", "auth": {"type": "oauth2"},
                                       "body": {"mode": "formdata", "formdata": [
                                           {"key": "f", "type": "file", "src": "/x"}]},
                                       "url": "http://h/up"}},
        {"name": "plain", "request": "http://h/plain"},
    ],
}


def test_postman(tmp_path: Path) -> None:
    path = tmp_path / "llm.postman_collection.json"
    path.write_text(json.dumps(POSTMAN))
    imported = import_file(path)
    assert imported.name == "LLM APIs"
    assert imported.variables == {"base": "http://127.0.0.1:8000"}
    reqs = {r.name: r for r in imported.requests}
    assert list(reqs) == ["Chat / stream chat", "Chat / with key", "login", "upload", "plain"]
    chat = reqs["Chat / stream chat"]
    assert (chat.method, chat.url, chat.body) == ("POST", "{{base}}/v1/chat/completions",
                                                  '{"stream": true}')
    assert chat.headers == [("Accept", "text/event-stream"), ("Content-Type", "application/json"),
                            ("Authorization", "Bearer {{token}}")]  # the collection's auth
    assert reqs["Chat / with key"].url == "{{base}}/models?api_key={{k}}"
    login = reqs["login"]
    assert login.url == "http://127.0.0.1/login?q=1" and login.body == "a=1"
    assert ("Authorization", "Basic ann {{pw}}") in login.headers
    assert reqs["plain"].url == "http://h/plain"
    text = imported.text()
    assert parse(text).requests == imported.requests  # a .http file that reads back the same
    assert imported.report == [
        "collection: pre-request/test scripts not carried over (not run)",
        "Chat / stream chat: disabled header 'X-Old' left out",
        "login: scripts not carried over (not run)",
        "upload: auth type 'oauth2' not carried over",
    ]


def test_har_in_the_devtools_shape(tmp_path: Path) -> None:
    devtools = {"log": {"version": "1.2", "creator": {"name": "WebInspector"}, "entries": [
        {"request": {"method": "POST", "url": "https://api.example/v1/chat?x=1",
                     "httpVersion": "http/2.0",
                     "headers": [{"name": ":authority", "value": "api.example"},
                                 {"name": "content-type", "value": "application/json"},
                                 {"name": "content-length", "value": "12"},
                                 {"name": "authorization", "value": "Bearer t"}],
                     "postData": {"mimeType": "application/json", "text": "{\"a\": 1}"}}},
        {"request": {"method": "GET", "url": "https://api.example/v1/chat", "headers": []}},
        {"request": {"method": "POST", "url": "https://api.example/form", "headers": [],
                     "postData": {"mimeType": "multipart/form-data",
                                  "params": [{"name": "f", "fileName": "a.png"}]}}},
        {"request": {"method": "POST", "url": "https://api.example/bin", "headers": [],
                     "postData": {"mimeType": "application/octet-stream",
                                  "text": base64.b64encode(b"\x00\x01").decode(),
                                  "encoding": "base64"}}},
        {"response": {}},
    ]}}
    path = tmp_path / "devtools.har"
    path.write_text(json.dumps(devtools))
    imported = import_file(path)
    names = [r.name for r in imported.requests]
    assert names == ["POST api.example/v1/chat", "GET api.example/v1/chat",
                     "POST api.example/form", "POST api.example/bin"]
    first = imported.requests[0]
    assert first.url == "https://api.example/v1/chat?x=1" and first.body == '{"a": 1}'
    assert first.headers == [("content-type", "application/json"), ("authorization", "Bearer t")]
    assert imported.report == [
        "POST api.example/form: form fields (postData.params) not carried over",
        "POST api.example/bin: a base64 (binary) body not carried over",
        "entry 4: no request URL, skipped",
    ]
    assert parse(imported.text()).requests == imported.requests


def test_har_written_by_the_exporter_imports_back(tmp_path: Path) -> None:
    request = Request(0.0, "POST", "http://127.0.0.1:9/v1/x", [("Content-Type", "text/plain")])
    exported = har.to_har([request], started=0.0, request_body=b"hello")
    path = tmp_path / "x.har"
    path.write_text(json.dumps(exported))
    imported = import_file(path)
    assert [(r.method, r.url, r.body) for r in imported.requests] == [
        ("POST", "http://127.0.0.1:9/v1/x", "hello")]
    assert ("Content-Type", "text/plain") in imported.requests[0].headers


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "is not JSON"),
    ('{"a": 1}', "neither a Postman collection"),
    ('{"log": {"entries": 3}}', "not a list"),
])
def test_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "f.json"
    path.write_text(content)
    with pytest.raises(CollectionImportError, match=message):
        import_file(path)


def test_a_body_the_format_cannot_hold_is_reported(tmp_path: Path) -> None:
    doc = {"info": {"name": "x"}, "item": [{"name": "odd", "request": {
        "method": "POST", "url": "http://h/", "body": {"mode": "raw", "raw": "a\n### b"}}}]}
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(doc))
    imported = import_file(path)
    imported.text()
    assert imported.report == ["odd: does not read back the same from a .http file"
                               " (a body line starting with ###, #, //, > or <?), not written"]
