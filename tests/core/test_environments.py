"""Environments next to ``.http`` files and ``{{variable}}`` resolution at send time."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest

from stream_core.requests.build import SavedRequestError, request_spec
from stream_core.requests.environments import (
    ENV_FILE,
    PRIVATE_ENV_FILE,
    UndefinedVariable,
    VariableError,
    Variables,
    load_environments,
)
from stream_core.requests.httpfile import parse

FILE = """\
@base = {{host}}/v1
### chat
POST {{base}}/chat/completions?key={{apiKey}}
Authorization: Bearer {{token}}
X-Request-Id: {{$uuid}}
Content-Type: application/json

{"model": "{{model}}", "n": {{$randomInt 1 5}}, "at": {{$timestamp}}, "iso": "{{$isoTimestamp}}"}

### demo
GET {{demo}}/events?count=2

### file body
POST {{demo}}/echo

<@ ./body.json
"""


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / ENV_FILE).write_text(json.dumps({
        "$shared": {"model": "gpt-test"},
        "local": {"host": "http://127.0.0.1:8000", "token": "placeholder", "apiKey": 1},
        "staging": {"host": "https://staging.example", "model": "big"},
        "bad": "not an object",
    }))
    (tmp_path / PRIVATE_ENV_FILE).write_text(json.dumps({
        "local": {"token": "sk-private-123"}, "staging": {"token": "sk-staging"}}))
    (tmp_path / "body.json").write_text('{"host": "{{host}}"}')
    (tmp_path / "api.http").write_text(FILE)
    return tmp_path


def test_private_overrides_and_shared(folder: Path) -> None:
    envs = load_environments(folder)
    assert envs.names == ["local", "staging"]
    assert envs.values["local"] == {"model": "gpt-test", "host": "http://127.0.0.1:8000",
                                    "token": "sk-private-123", "apiKey": "1"}
    assert envs.values["staging"]["model"] == "big"
    assert envs.private["local"] == {"token"}
    assert envs.errors == [f"{ENV_FILE}: environment 'bad' is not an object"]


def test_missing_and_broken_files(tmp_path: Path) -> None:
    assert load_environments(tmp_path).names == []
    (tmp_path / ENV_FILE).write_text("{not json")
    envs = load_environments(tmp_path)
    assert envs.names == [] and envs.errors and envs.errors[0].startswith(ENV_FILE)


def test_substitution_in_url_headers_and_body(folder: Path) -> None:
    doc = parse(FILE)
    variables = Variables.for_file(doc, load_environments(folder), "local", "http://127.0.0.1:9")
    spec = request_spec(doc.find("chat"), variables, folder)
    assert spec.url == "http://127.0.0.1:8000/v1/chat/completions?key=1"
    assert spec.header("Authorization") == "Bearer sk-private-123"
    uuid.UUID(spec.header("X-Request-Id") or "")
    body = json.loads(spec.body or b"")
    assert body["model"] == "gpt-test" and 1 <= body["n"] < 5
    assert abs(body["at"] - __import__("time").time()) < 60
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["iso"])
    assert request_spec(doc.find("demo"), variables, folder).url == (
        "http://127.0.0.1:9/events?count=2")
    file_spec = request_spec(doc.find("file body"), variables, folder)
    assert file_spec.body == b'{"host": "http://127.0.0.1:8000"}'


def test_each_send_gets_a_new_uuid(folder: Path) -> None:
    doc = parse(FILE)
    variables = Variables.for_file(doc, load_environments(folder), "local", None)
    ids = {request_spec(doc.find("chat"), variables, folder).header("X-Request-Id")
           for _ in range(3)}
    assert len(ids) == 3


def test_undefined_variable_names_it_and_where(folder: Path) -> None:
    doc = parse(FILE)
    variables = Variables.for_file(doc, load_environments(folder), "staging", None)
    variables.environment = {k: v for k, v in variables.environment.items() if k != "token"}
    with pytest.raises(SavedRequestError, match=r"\{\{apiKey\}\} in the URL "
                                                r"\(environment 'staging'\)"):
        request_spec(doc.find("chat"), variables, folder)
    variables.environment = {**variables.environment, "apiKey": "k"}
    with pytest.raises(SavedRequestError, match=r"\{\{token\}\} in header 'Authorization'"):
        request_spec(doc.find("chat"), variables, folder)
    no_env = Variables.for_file(doc, None, None, None)
    with pytest.raises(SavedRequestError, match=r"\{\{demo\}\} in the URL "
                                                r"\(no environment selected\)"):
        request_spec(doc.find("demo"), no_env, folder)
    with pytest.raises(UndefinedVariable, match=r"\$nope"):
        no_env.resolve("{{$nope}}", "the body")


def test_a_cycle_is_an_error_naming_the_chain() -> None:
    """Issue 25.7: a cycle was sent as a literal ``{{b}}``."""
    variables = Variables(file={"a": "x{{b}}", "b": "{{c}}", "c": "{{a}}"})
    with pytest.raises(VariableError, match=r"cycle in the URL: \{\{a\}\} -> \{\{b\}\} -> "
                                            r"\{\{c\}\} -> \{\{a\}\}"):
        variables.resolve("/{{a}}", "the URL")


def test_an_explosion_is_bounded() -> None:
    """Issue 25.7: ten variables of ten references each never finished; now each variable is
    expanded once and the result is bounded (and a smaller one is exact)."""
    file = {"v0": "ab"} | {f"v{i}": f"{{{{v{i - 1}}}}}" * 10 for i in range(1, 10)}
    variables = Variables(file=file)
    assert variables.resolve("{{v3}}", "the body") == "ab" * 1000
    with pytest.raises(VariableError, match=r"the body: variables expand to more than 16 MiB"):
        variables.resolve("{{v9}}", "the body")


def test_describe_masks_secrets(folder: Path) -> None:
    doc = parse(FILE)
    variables = Variables.for_file(doc, load_environments(folder), "local", "http://d")
    assert variables.describe("token") == "{{token}} = ••••••••   (environment 'local')"
    assert variables.describe("apiKey").startswith("{{apiKey}} = ••••••••")
    assert variables.describe("base") == (
        "{{base}} = http://127.0.0.1:8000/v1   (file variable)")
    assert variables.describe("demo") == "{{demo}} = http://d   (the demo server)"
    assert "undefined" in variables.describe("missing")
    assert "each send" in variables.describe("$uuid")
