"""A secret typed into a request is kept as a ``{{variable}}`` in the private environment
file, never in the ``.http`` file (issue 23 item 1): found where masking looks, rewritten so
that resolving gives back the same request, stored in place in the JSON file (0600 when new,
an existing file's mode, layout and other values kept)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from stream_core.requests import secret_vars
from stream_core.requests.envfile import EnvFileError, add_variables, save_variables
from stream_core.requests.environments import PRIVATE_ENV_FILE, Variables, load_environments
from stream_core.requests.httpfile import HttpRequest

REQUEST = HttpRequest(
    "chat", "POST", "http://user:p%40ss@127.0.0.1:9/v1/chat?api_key=k-1&n=2#x",
    headers=[("Authorization", "Bearer sk-test"), ("X-Api-Key", "abc=="),
             ("Cookie", "session=s1; theme=dark"), ("Accept", "text/event-stream"),
             ("X-Token", "{{token}}")],
    body='{"model": "m", "password": "p\\"w", "nested": {"client_secret": "cs"}, "key": 5}')


def test_find_every_literal_secret() -> None:
    found = [(s.where, s.value, s.suggested) for s in secret_vars.find(REQUEST)]
    assert found == [
        ("the URL's password", "p%40ss", "password"),
        ("query parameter 'api_key'", "k-1", "api_key"),
        ("header 'Authorization'", "sk-test", "token"),
        ("header 'X-Api-Key'", "abc==", "x_api_key"),
        ("header 'Cookie'", "session=s1; theme=dark", "cookie"),
        ("body field 'password'", 'p\\"w', "password"),
        ("body field 'client_secret'", "cs", "client_secret"),
    ]
    assert secret_vars.find(HttpRequest("x", url="http://h/?q=1",
                                         headers=[("Authorization", "Bearer {{t}}")])) == []


def test_rewritten_request_resolves_to_the_same_request() -> None:
    secrets = secret_vars.find(REQUEST)
    names = secret_vars.choose_names(secrets, {"token": "other"}.get)
    assert sorted(names.values()) == ["api_key", "client_secret", "cookie", "password",
                                      "password_2", "token_2", "x_api_key"]
    new = secret_vars.rewrite(REQUEST, names)
    assert new.url == ("http://user:{{password}}@127.0.0.1:9/v1/chat?api_key={{api_key}}"
                       "&n=2#x")
    assert new.headers[0] == ("Authorization", "Bearer {{token_2}}")
    assert new.headers[4] == ("X-Token", "{{token}}")
    assert '"password": "{{password_2}}"' in (new.body or "")
    assert secret_vars.find(new) == []
    values = {name: value for (_key, value), name in names.items()}
    env = Variables(environment={**values, "token": "other"})
    assert env.resolve(new.url, "url") == REQUEST.url
    assert [(k, env.resolve(v, k)) for k, v in new.headers] == [
        (k, env.resolve(v, k)) for k, v in REQUEST.headers]
    assert env.resolve(new.body or "", "body") == REQUEST.body
    json.loads(REQUEST.body or "")  # (the body stays JSON once resolved)


def test_names_reused_for_the_same_value_and_form_bodies() -> None:
    form = HttpRequest("f", "POST", "http://h/", headers=[
        ("Content-Type", "application/x-www-form-urlencoded")], body="user=a&password=x%26y")
    secrets = secret_vars.find(form)
    assert [(s.where, s.value) for s in secrets] == [("form field 'password'", "x%26y")]
    names = secret_vars.choose_names(secrets, {"password": "x%26y"}.get)
    assert names == {(("form", "password"), "x%26y"): "password"}
    assert secret_vars.rewrite(form, names).body == "user=a&password={{password}}"


PRETTY = """{
    "local": {
        "token": "sk-old"
    },
    "staging": {}
}
"""


def test_add_variables_in_place() -> None:
    text = add_variables(PRETTY, "local", {"api_key": "k-1", "token": "sk-old"})
    assert text == PRETTY.replace('"sk-old"\n', '"sk-old",\n        "api_key": "k-1"\n')
    text = add_variables(PRETTY, "staging", {"token": 'q"x'})
    assert text == PRETTY.replace('"staging": {}', '"staging": {\n      "token": "q\\"x"\n    }')
    text = add_variables(PRETTY, "prod", {"token": "t"})
    assert json.loads(text) == {**json.loads(PRETTY), "prod": {"token": "t"}}
    assert text.startswith(PRETTY.rstrip()[:-2])  # the rest as it was
    one_line = '{"local": {"a": "1"}}'
    assert add_variables(one_line, "local", {"b": "2"}) == '{"local": {"a": "1", "b": "2"}}'
    crlf = PRETTY.replace("\n", "\r\n")
    assert "\r\n        \"k\": \"v\"\r\n" in add_variables(crlf, "local", {"k": "v"})
    assert json.loads(add_variables("", "local", {"k": "v"})) == {"local": {"k": "v"}}
    with pytest.raises(EnvFileError, match="already has another value"):
        add_variables(PRETTY, "local", {"token": "sk-new"})
    with pytest.raises(EnvFileError, match="not valid JSON"):
        add_variables('{"local": ', "local", {"k": "v"})
    with pytest.raises(EnvFileError, match="'local' is not an object"):
        add_variables('{"local": 3}', "local", {"k": "v"})


def test_save_variables_creates_0600_and_keeps_an_existing_mode(tmp_path: Path) -> None:
    save_variables(tmp_path, "local", {"token": "sk-1"})
    path = tmp_path / PRIVATE_ENV_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_environments(tmp_path).values["local"] == {"token": "sk-1"}
    path.write_text(PRETTY)
    path.chmod(0o640)
    save_variables(tmp_path, "local", {"api_key": "k"})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert load_environments(tmp_path).values["local"] == {"token": "sk-old", "api_key": "k"}
    path.write_text("{broken")
    with pytest.raises(EnvFileError, match="not valid JSON"):
        save_variables(tmp_path, "local", {"x": "y"})
    assert path.read_text() == "{broken"


def test_urls_that_start_with_a_variable() -> None:
    request = HttpRequest("x", url="{{host}}/v1?api_key=k-1&n=1")
    names = secret_vars.choose_names(secret_vars.find(request), {}.get)
    assert secret_vars.rewrite(request, names).url == "{{host}}/v1?api_key={{api_key}}&n=1"
