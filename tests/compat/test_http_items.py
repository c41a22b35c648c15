"""Issue 24, items 1-7 and 19-20, and issue 25 items 7, 8, 16: ``.http`` files as the IDE
clients read them (JetBrains HTTP Client and VS Code REST Client documentation, httpyac),
each sent by ``capture --from``'s code to an echo server over a real socket."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from stream_core.capture.cliargs import ArgumentError
from stream_core.capture.saved import saved_spec
from tests.compat.conftest import send
from tests.compat.echo import EchoServer, Seen


def sent(tmp_path: Path, echo: EchoServer, text: str, name: str = "",
         env: str | None = None, encoding: str = "utf-8") -> Seen:
    path = tmp_path / "api.http"
    path.write_bytes(text.replace("{{host}}", echo.url).encode(encoding))
    return send(saved_spec(f"{path}#{name}" if name else str(path), env), echo)


def refused(tmp_path: Path, text: str, name: str = "", env: str | None = None) -> str:
    path = tmp_path / "api.http"
    path.write_text(text)
    with pytest.raises(ArgumentError) as info:
        saved_spec(f"{path}#{name}" if name else str(path), env)
    return str(info.value)


def test_response_reference_lines_are_not_sent(tmp_path: Path, echo: EchoServer) -> None:
    """24.1: IntelliJ's ``<> 2022-...json`` lines under a request (http-requests-log.http)."""
    seen = sent(tmp_path, echo, "### a\nPOST {{host}}/a\nContent-Type: text/plain\n\nbody\n\n"
                "<> 2022-10-02T003823.200.json\n\n### b\nGET {{host}}/b\n\n"
                "<> 2022-10-02T003824.200.json\n", "a")
    assert seen.body == b"body"
    seen = sent(tmp_path, echo, "### b\nGET {{host}}/b\n\n<> 2022-10-02T003824.200.json\n")
    assert (seen.method, seen.target, seen.body) == ("GET", "/b", b"")


def test_byte_order_mark(tmp_path: Path, echo: EchoServer) -> None:
    """24.3: a BOM before ``@host = ...`` (and before a request line, and in the env file)."""
    seen = sent(tmp_path, echo, "\ufeff@path = /v\n\n### a\nPOST {{host}}{{path}}\n\n{}\n")
    assert (seen.method, seen.target, seen.body) == ("POST", "/v", b"{}")
    seen = sent(tmp_path, echo, "\ufeffPOST {{host}}/x\n\nhi\n")
    assert (seen.method, seen.target, seen.body) == ("POST", "/x", b"hi")
    (tmp_path / "http-client.env.json").write_bytes(
        "\ufeff".encode() + json.dumps({"dev": {"p": "/env"}}).encode())
    seen = sent(tmp_path, echo, "GET {{host}}{{p}}\n", env="dev")
    assert seen.target == "/env"


def test_banner_lines_are_comments(tmp_path: Path, echo: EchoServer) -> None:
    """24.4: four or more ``#`` are a comment, not a separator nor body text; comment lines
    inside a body are left out (both IDE clients' rule)."""
    text = ("####################\n# Users API\n####################\n\n### one\nGET {{host}}/1\n"
            "\n##########################################\n\n### two\nPOST {{host}}/2\n\n"
            "line1\n# a comment\n// another\nline2\n\n#### end ####\n")
    assert sent(tmp_path, echo, text, "one").body == b""
    assert sent(tmp_path, echo, text, "two").body == b"line1\nline2"


def test_form_body_lines_are_joined(tmp_path: Path, echo: EchoServer) -> None:
    """24.5: a multi-line x-www-form-urlencoded body is one line on the wire."""
    seen = sent(tmp_path, echo, "POST {{host}}/token\nContent-Type: application/x-www-form-"
                "urlencoded\n\ngrant_type=password\n  &client_id=abc\n\n&scope=a%20b\n")
    assert seen.body == b"grant_type=password&client_id=abc&scope=a%20b"


def test_multipart_file_parts_and_crlf(tmp_path: Path, echo: EchoServer) -> None:
    """24.6: ``< ./a.txt`` inside a part is the file's bytes; the lines end in CRLF."""
    (tmp_path / "a.txt").write_bytes(b"hello\nworld\n")
    (tmp_path / "t.json").write_text('{"k": "{{v}}"}')
    seen = sent(tmp_path, echo, "@v = 1\nPOST {{host}}/up\nContent-Type: multipart/form-data;"
                " boundary=XX\n\n--XX\nContent-Disposition: form-data; name=\"f\"; filename="
                "\"a.txt\"\n\n< ./a.txt\n--XX\nContent-Disposition: form-data; name=\"j\"\n\n"
                "<@ ./t.json\n--XX--\n")
    assert seen.body == (b'--XX\r\nContent-Disposition: form-data; name="f"; filename="a.txt"'
                         b'\r\n\r\nhello\nworld\n\r\n--XX\r\nContent-Disposition: form-data;'
                         b' name="j"\r\n\r\n{"k": "1"}\r\n--XX--')


def test_xml_body_is_not_a_file(tmp_path: Path, echo: EchoServer) -> None:
    seen = sent(tmp_path, echo, "POST {{host}}/x\nContent-Type: application/xml\n\n<a/>\n")
    assert seen.body == b"<a/>"


def test_file_variable_holds_from_its_line_on(tmp_path: Path, echo: EchoServer) -> None:
    """24.7: the first request used the last ``@path`` of the file."""
    text = ("@host2 = {{host}}\n\n### users\n@path = /users\nGET {{host2}}{{path}}\n\n"
            "### products\n@path = /products\nGET {{host2}}{{path}}\n\n### later\n"
            "GET {{host2}}{{path}}\n")
    assert sent(tmp_path, echo, text, "users").target == "/users"
    assert sent(tmp_path, echo, text, "products").target == "/products"
    assert sent(tmp_path, echo, text, "later").target == "/products"


def test_request_references(tmp_path: Path, echo: EchoServer) -> None:
    """24.2: ``{{login.response.body.$.access_token}}`` runs ``login`` first and reads its
    response (VS Code REST Client's request variables); never literal braces."""
    text = ("@token = {{login.response.body.$.access_token}}\n\n# @name login\n"
            "POST {{host}}/login\nContent-Type: application/json\n\n{\"u\": 1}\n\n###\n"
            "# @name me\nGET {{host}}/me?id={{login.response.body.$.user.id}}"
            "&role={{login.response.body.$.user.roles[1]}}\nAuthorization: Bearer {{token}}\n"
            "X-Trace: {{login.response.headers.X-Request-Id}}\n"
            "X-Sent: {{login.request.headers.Content-Type}}\n")
    path = tmp_path / "api.http"
    path.write_text(text.replace("{{host}}", echo.url))
    spec = saved_spec(f"{path}#me")
    first = echo.take()
    assert [(s.method, s.target, s.body) for s in first] == [("POST", "/login", b'{"u": 1}')]
    seen = send(spec, echo)
    assert seen.target == "/me?id=7&role=b"
    assert seen.header("Authorization") == ["Bearer tok-123"]
    assert seen.header("X-Trace") == ["r-42"]
    assert seen.header("X-Sent") == ["application/json"]


def test_request_reference_errors(tmp_path: Path, echo: EchoServer) -> None:
    base = f"# @name a\nGET {echo.url}/a?x={{{{b.response.body.$.access_token}}}}\n\n###\n"
    message = refused(tmp_path, base + f"# @name b\nGET {echo.url}/b?x="
                      "{{a.response.headers.X}}\n", "a")
    assert message.endswith("api.http:6: request 'b': requests refer to each other in a cycle:"
                            " 'a' -> 'b' -> 'a'")
    message = refused(tmp_path, f"# @name b\nGET {echo.url}/b\n\n###\n# @name c\nGET "
                      f"{echo.url}/?q={{{{b.response.body.$.nope}}}}\n", "c")
    assert message.endswith("request 'c': {{b.response.body.$.nope}}: the body has no '$.nope'")
    echo.take()


def test_variable_cycle_and_explosion_named(tmp_path: Path) -> None:
    """25.7 through the command: a cycle names the chain; nothing is sent."""
    message = refused(tmp_path, "@a = {{b}}\n@b = {{a}}\n\nGET http://127.0.0.1:9/{{a}}\n")
    assert message.endswith("api.http:4: request GET http://127.0.0.1:9/{{a}}: variables refer to"
                       " each other in a cycle in the URL: {{a}} -> {{b}} -> {{a}}")
    bomb = "".join(f"@v{i} = " + f"{{{{v{i - 1}}}}}" * 10 + "\n" for i in range(1, 10))
    message = refused(tmp_path, "@v0 = xx\n" + bomb + "\nPOST http://127.0.0.1:9/\n\n{{v9}}\n")
    assert "variables expand to more than 16 MiB" in message


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "big"])
def test_body_file_only_regular_and_bounded(tmp_path: Path, kind: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """25.8: ``< ./body`` linked to /dev/zero or a FIFO is refused at once, named."""
    body = tmp_path / "body.bin"
    if kind == "dev-zero":
        body.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(body)
    else:
        monkeypatch.setattr("stream_core.requests.build.MAX_BODY_FILE", 10)
        body.write_bytes(b"x" * 11)
    message = refused(tmp_path, "### up\nPOST http://127.0.0.1:9/\n\n< ./body.bin\n")
    why = {"dev-zero": "it is a character device; only regular files are read",
           "fifo": "it is a FIFO (named pipe); only regular files are read",
           "big": "is larger than 10 bytes, the most that is read"}[kind]
    assert "api.http:2: request 'up': " in message
    assert "body file" in message and str(body) in message and why in message


@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_env_file_only_regular(tmp_path: Path, kind: str) -> None:
    """25.8: an env file linked to /dev/zero was read even without --env."""
    env = tmp_path / "http-client.env.json"
    env.symlink_to("/dev/zero") if kind == "dev-zero" else os.mkfifo(env)
    (tmp_path / "api.http").write_text("GET http://127.0.0.1:9/\n")
    assert saved_spec(str(tmp_path / "api.http")).url == "http://127.0.0.1:9/"
    with pytest.raises(ArgumentError, match="only regular files are read"):
        saved_spec(str(tmp_path / "api.http"), "dev")


def test_env_file_errors_say_what_and_where(tmp_path: Path) -> None:
    """25.16: invalid JSON names its line; an object value says it is an object."""
    (tmp_path / "http-client.env.json").write_text('{"dev": {\n  "a": 1,,\n}}')
    message = refused(tmp_path, "GET http://127.0.0.1:9/\n", env="dev")
    assert message.startswith("no environment 'dev' (environments: none: no ")
    assert message.endswith("; http-client.env.json: not valid JSON at line 2, column 10:"
                            " Expecting property name enclosed in double quotes")
    (tmp_path / "http-client.env.json").write_text(json.dumps(
        {"dev": {"obj": {"k": "v"}, "list": [1], "host": "http://127.0.0.1:9"}}))
    message = refused(tmp_path, "GET {{host}}/{{obj}}\n", env="dev")
    assert message.endswith("undefined variable {{obj}} in the URL ({{obj}} is an object in"
                            " http-client.env.json (environment 'dev'): use one of its fields,"
                            " such as {{obj.k}})")
    assert "{{list}} is a list" in refused(tmp_path, "GET {{host}}/{{list}}\n", env="dev")
    (tmp_path / "api.http").write_text("GET {{host}}/{{obj.k}}\n")
    assert saved_spec(str(tmp_path / "api.http"), "dev").url == "http://127.0.0.1:9/v"


@pytest.mark.parametrize(("header", "why"), [
    ("Authorization: Bearer {{token}}", "header 'Authorization' is 'Bearer' with no"
                                        " credentials after it"),
    ("X-Bad: a{{crlf}}b", "header 'X-Bad' contains a line break: not sent"),
])
def test_outgoing_problems_refused_before_sending(tmp_path: Path, echo: EchoServer,
                                                  header: str, why: str) -> None:
    """24.19, 25.17: an empty bearer token or a line break in our own header is refused
    before sending, naming file, line and request (not "malformed HTTP from 127.0.0.1")."""
    (tmp_path / "http-client.env.json").write_text(json.dumps(
        {"dev": {"token": "", "crlf": "\r\nX-Evil: 1"}}))
    message = refused(tmp_path, f"# a comment\n\n### call\nGET {echo.url}/\n{header}\n",
                      env="dev")
    assert "api.http:4: request 'call': " in message and why in message
    assert echo.take() == []


def test_unnamed_request_named_by_method_url_and_number(tmp_path: Path) -> None:
    """24.20: an unnamed request is shown by its method and URL with its line; ``#N`` picks
    the N-th request."""
    text = "GET http://127.0.0.1:9/a\n\n###\n\nPOST http://127.0.0.1:9/{{nope}}\n"
    message = refused(tmp_path, text, "2")
    assert message.endswith("api.http:5: request POST http://127.0.0.1:9/{{nope}}: undefined"
                       " variable {{nope}} in the URL (no environment selected)")
