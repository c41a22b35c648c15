"""Auth helpers: Bearer, Basic, API key in a header or the query, resolved at send time."""

from __future__ import annotations

import base64

import pytest

from stream_core.requests.auth import Auth, apply_auth, encode_basic
from stream_core.requests.build import request_spec
from stream_core.requests.environments import UndefinedVariable, Variables
from stream_core.requests.httpfile import parse

VARS = Variables(environment={"tok": "sk-1", "user": "ann", "pw": "p:w", "key": "k 1"},
                 environment_name="local")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_bearer_basic_apikey_when_sending() -> None:
    headers = [("Accept", "*/*"), ("authorization", "old")]
    url, out = apply_auth(Auth("bearer", token="{{tok}}"), "http://h/p", headers, VARS.resolve)
    assert (url, out) == ("http://h/p", [("Accept", "*/*"), ("Authorization", "Bearer sk-1")])
    _, out = apply_auth(Auth("basic", user="{{user}}", password="{{pw}}"), "http://h/", [],
                        VARS.resolve)
    assert out == [("Authorization", "Basic " + b64("ann:p:w"))]
    _, out = apply_auth(Auth("apikey", key_name="X-Key", key_value="{{key}}"), "http://h/", [],
                        VARS.resolve)
    assert out == [("X-Key", "k 1")]
    url, out = apply_auth(Auth("apikey", key_name="key", key_value="{{key}}", in_query=True),
                          "http://h/p?a=1", [], VARS.resolve)
    assert (url, out) == ("http://h/p?a=1&key=k%201", [])
    assert apply_auth(Auth(), "http://h/", [("A", "b")], VARS.resolve) == ("http://h/",
                                                                           [("A", "b")])


def test_for_saving_keeps_variables_and_readable_basic() -> None:
    _, out = apply_auth(Auth("basic", user="{{user}}", password="{{pw}}"), "http://h/", [])
    assert out == [("Authorization", "Basic {{user}} {{pw}}")]
    url, _ = apply_auth(Auth("apikey", key_name="key", key_value="{{key}}", in_query=True),
                        "http://h/", [])
    assert url == "http://h/?key={{key}}"


def test_empty_or_undefined_stops_the_send() -> None:
    with pytest.raises(ValueError, match="Bearer token is empty"):
        apply_auth(Auth("bearer"), "http://h/", [], VARS.resolve)
    with pytest.raises(UndefinedVariable, match=r"\{\{nope\}\} in the Bearer token"):
        apply_auth(Auth("bearer", token="{{nope}}"), "http://h/", [], VARS.resolve)
    with pytest.raises(ValueError, match="API key name is empty"):
        apply_auth(Auth("apikey", key_name=" ", key_value="v"), "http://h/", [], VARS.resolve)


def test_basic_as_the_ide_clients_write_it() -> None:
    assert encode_basic([("Authorization", "Basic ann secret"), ("X", "Basic a b")]) == [
        ("Authorization", "Basic " + b64("ann:secret")), ("X", "Basic a b")]
    assert encode_basic([("authorization", "Basic ann:secret")]) == [
        ("authorization", "Basic " + b64("ann:secret"))]
    encoded = [("Authorization", "Basic " + b64("a:b"))]
    assert encode_basic(encoded) == encoded
    doc = parse("GET http://h/\nAuthorization: Basic {{user}} {{pw}}\n")
    spec = request_spec(doc.requests[0], VARS, ".")
    assert spec.header("Authorization") == "Basic " + b64("ann:p:w")
