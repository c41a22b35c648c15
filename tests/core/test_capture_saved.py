"""``capture --from FILE.http#NAME [--env NAME]`` and ``capture --curl``: the window's variable
rules headlessly; a request that cannot be resolved is exit 2 with nothing sent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stream_core.capture.cliargs import ArgumentError
from stream_core.capture.command import parse_options
from stream_core.net.spec import Mode
from tests.core.rawserver import RawServer, reply
from tests.core.test_capture import capture

pytestmark = pytest.mark.slow  # left out of `make check`

HTTP = """\
@path = /events
### events
GET {{host}}{{path}}?count={{count}}&interval=0.01
Accept: text/event-stream
Authorization: Bearer {{token}}

### post
POST {{host}}/echo
Content-Type: application/json

< ./body.json

### undefined
GET {{host}}/x?k={{nowhere}}
"""


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "api.http").write_text(HTTP)
    (tmp_path / "body.json").write_text('{"a": 1}')
    (tmp_path / "http-client.env.json").write_text(json.dumps({
        "local": {"host": "http://127.0.0.1:9", "count": 3},
        "other": {"host": "http://127.0.0.1:10"}}))
    (tmp_path / "http-client.private.env.json").write_text(json.dumps(
        {"local": {"token": "sk-local"}}))
    return tmp_path


def test_from_resolves_and_cli_options_apply_on_top(folder: Path) -> None:
    spec, _ = parse_options(["--from", f"{folder}/api.http#events", "--env", "local",
                             "--max-events", "2", "-H", "Accept: */*", "--mode", "sse"])
    assert spec.url == "http://127.0.0.1:9/events?count=3&interval=0.01"
    assert spec.headers == [("Authorization", "Bearer sk-local"), ("Accept", "*/*")]
    assert (spec.method, spec.max_events, spec.mode) == ("GET", 2, Mode.SSE)
    spec, _ = parse_options(["--from", f"{folder}/api.http#post", "--env", "other"])
    assert (spec.method, spec.body) == ("POST", b'{"a": 1}')


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "{d}/api.http#events"], r"undefined variable {{host}} in the URL "
                                          r"\(no environment selected\)"),
    (["--from", "{d}/api.http#events", "--env", "other"], r"{{count}} in the URL"),
    (["--from", "{d}/api.http#undefined", "--env", "local"], r"{{nowhere}}"),
    (["--from", "{d}/api.http#nope", "--env", "local"], r"no request named 'nope'"),
    (["--from", "{d}/api.http", "--env", "local"], r"has 3 requests: say which"),
    (["--from", "{d}/api.http#events", "--env", "prod"], r"no environment 'prod' "
                                                         r"\(environments: local, other\)"),
    (["--from", "{d}/missing.http#x"], r"cannot read"),
    (["--env", "local", "http://127.0.0.1:9/"], r"--env needs --from"),
    (["--from", "{d}/api.http#post", "--curl", "curl http://h/"], "cannot be used together"),
    (["--from", "{d}/api.http#post", "http://127.0.0.1:9/"], "cannot be given with --from"),
    (["--curl", "curl --proxy http://p http://h/"], r"--curl: unsupported curl option --proxy"),
    (["--curl", "curl -H \"Authorization: Bearer $NO_SUCH_VARIABLE_15\" http://127.0.0.1:9/"],
     r"--curl: header 'Authorization' is 'Bearer' with no credentials"),
])
def test_refusals(folder: Path, args: list[str], message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        parse_options([a.replace("{d}", str(folder)) for a in args])


def test_curl_with_env_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SI_TEST_KEY", "sk-env")
    spec, _ = parse_options(["--curl", "curl -k http://127.0.0.1:9/v1 -H "
                             "\"Authorization: Bearer $SI_TEST_KEY\" -d '{}'", "--timeout", "5"])
    assert spec.header("Authorization") == "Bearer sk-env"
    assert (spec.method, spec.body, spec.verify, spec.timeouts.read) == ("POST", b"{}", False, 5)


def test_capture_from_runs_the_saved_request(demo_server: str, folder: Path) -> None:
    (folder / "http-client.env.json").write_text(json.dumps({"ci": {"host": demo_server,
                                                                    "count": 2}}))
    (folder / "http-client.private.env.json").write_text(json.dumps({"ci": {"token": "t-ci"}}))
    code, records, err = capture("--from", f"{folder}/api.http#events", "--env", "ci",
                                 "--show-secrets")
    assert code == 0 and err == ""
    request = records[0]
    assert request["url"] == f"{demo_server}/events?count=2&interval=0.01"
    assert ["Authorization", "Bearer t-ci"] in request["headers"]
    assert [r["type"] for r in records].count("event") == 2


def test_capture_curl_runs_and_bad_one_sends_nothing(demo_server: str) -> None:
    code, records, err = capture("--curl", f"curl -N '{demo_server}/events?count=1&interval=0'"
                                           " -H 'Accept: text/event-stream'")
    assert code == 0 and err == ""
    assert ["Accept", "text/event-stream"] in records[0]["headers"]
    with RawServer(reply(b"")) as srv:
        code, records, err = capture("--curl", f"curl --proxy x {srv.url}")
    assert code == 2 and records == [] and "--proxy" in err and srv.connections == 0
