"""Paste a curl command: a corpus in the shape of browsers' *Copy as cURL (bash)* and of API
references, each request field checked; unsupported options named; Copy as curl round-trips."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from stream_core.capture.codegen import curl_command
from stream_core.requests.curl_import import CurlError, looks_like_curl, parse_curl
from stream_core.requests.environments import UndefinedVariable, Variables

# Chrome's "Copy as cURL (bash)": one header per line, -b for cookies, $'...' when the body
# holds a quote, a backslash or a non-ASCII character.
CHROME = r"""curl 'https://app.example.com/api/v2/search?q=stream&page=1' \
  -H 'accept: application/json, text/plain, */*' \
  -H 'accept-language: en-GB,en;q=0.9' \
  -H 'authorization: Bearer eyJhbGciOi.payload.sig' \
  -H 'content-type: application/json' \
  -b 'session=abc123; theme=dark' \
  -H 'origin: https://app.example.com' \
  -H 'priority: u=1, i' \
  -H 'sec-ch-ua: "Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"' \
  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36' \
  --data-raw $'{"text":"it\'s a \\"quote\\"\\nnext","name":"Jos\u00e9","tab":"\t"}'"""

CHROME_GET = r"""curl 'http://127.0.0.1:8000/events?count=3' \
  -H 'Accept: text/event-stream' \
  -H 'Cache-Control: no-cache' \
  --compressed"""

# Firefox's: everything on one line, -X POST spelled out, --data-raw.
FIREFOX = ("curl 'https://example.org/v1/chat' -X POST -H 'User-Agent: Mozilla/5.0 (X11; Linux "
           "x86_64; rv:126.0) Gecko/20100101 Firefox/126.0' -H 'Accept: text/event-stream' "
           "-H 'Accept-Language: en-US,en;q=0.5' -H 'Accept-Encoding: gzip, deflate, br, zstd' "
           "-H 'Content-Type: application/json' -H 'Origin: https://example.org' "
           "-H 'Connection: keep-alive' -H 'Cookie: sid=s3cr3t' -H 'Sec-Fetch-Mode: cors' "
           "--data-raw '{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}'")

# The OpenAI API reference's shape: double quotes, $OPENAI_API_KEY, a multi-line -d.
OPENAI = """curl https://api.openai.com/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $OPENAI_API_KEY" \\
  -d '{
    "model": "gpt-4o",
    "messages": [
      {"role": "user", "content": "Hello!"}
    ],
    "stream": true
  }'"""

# The Anthropic API reference's shape: --header, ${VAR}, --data on its own line.
ANTHROPIC = """curl https://api.anthropic.com/v1/messages \\
     --header "x-api-key: ${ANTHROPIC_API_KEY}" \\
     --header "anthropic-version: 2023-06-01" \\
     --header "content-type: application/json" \\
     --data \\
'{
    "model": "claude-sonnet-4-5",
    "max_tokens": 1024,
    "stream": true,
    "messages": [{"role": "user", "content": "Hello, world"}]
}'"""


def test_chrome() -> None:
    spec = parse_curl(CHROME).spec
    assert spec.method == "POST"
    assert spec.url == "https://app.example.com/api/v2/search?q=stream&page=1"
    assert spec.header("authorization") == "Bearer eyJhbGciOi.payload.sig"
    assert spec.header("Cookie") == "session=abc123; theme=dark"
    assert spec.header("sec-ch-ua") == (
        '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"')
    assert spec.header("content-type") == "application/json"
    assert [k for k, _ in spec.headers].count("content-type") == 1
    assert len(spec.headers) == 9
    assert spec.body == '{"text":"it\'s a \\"quote\\"\\nnext","name":"José","tab":"\t"}'.encode()


def test_chrome_get_compressed() -> None:
    imported = parse_curl(CHROME_GET)
    assert imported.compressed
    spec = imported.spec
    assert (spec.method, spec.url, spec.body) == ("GET", "http://127.0.0.1:8000/events?count=3",
                                                  None)
    assert spec.headers == [("Accept", "text/event-stream"), ("Cache-Control", "no-cache")]


def test_firefox() -> None:
    spec = parse_curl(FIREFOX).spec
    assert spec.method == "POST" and spec.url == "https://example.org/v1/chat"
    assert spec.header("Cookie") == "sid=s3cr3t"
    assert spec.header("Accept") == "text/event-stream"
    assert len(spec.headers) == 9
    assert spec.body == b'{"messages":[{"role":"user","content":"hi"}],"stream":true}'


def test_openai_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = parse_curl(OPENAI).spec
    assert spec.method == "POST" and spec.url == "https://api.openai.com/v1/chat/completions"
    assert spec.headers == [("Content-Type", "application/json"),
                            ("Authorization", "Bearer {{$env.OPENAI_API_KEY}}")]
    assert spec.body is not None and spec.body.startswith(b'{\n    "model": "gpt-4o"')
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert Variables().resolve(spec.headers[1][1], "header") == "Bearer sk-test"
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(UndefinedVariable, match=r"\$env.OPENAI_API_KEY"):
        Variables().resolve(spec.headers[1][1], "header 'Authorization'")


def test_anthropic_reference() -> None:
    spec = parse_curl(ANTHROPIC).spec
    assert spec.method == "POST" and spec.url == "https://api.anthropic.com/v1/messages"
    assert spec.headers == [("x-api-key", "{{$env.ANTHROPIC_API_KEY}}"),
                            ("anthropic-version", "2023-06-01"),
                            ("content-type", "application/json")]
    assert b'"max_tokens": 1024' in (spec.body or b"")


@pytest.mark.parametrize(("command", "method", "url", "headers", "body"), [
    ("curl -u alice:pw http://127.0.0.1/x", "GET", "http://127.0.0.1/x",
     [("Authorization", "Basic " + base64.b64encode(b"alice:pw").decode())], None),
    ("curl -XPUT -sSL -k --data 'a=1' -d b=2 127.0.0.1:8000/p", "PUT",
     "http://127.0.0.1:8000/p", [("Content-Type", "application/x-www-form-urlencoded")],
     b"a=1&b=2"),
    ("curl -G -d q=x -d n=2 'http://h/s?a=b'", "GET", "http://h/s?a=b&q=x&n=2", [], None),
    ("curl --json '{\"a\":1}' http://h/j", "POST", "http://h/j",
     [("Content-Type", "application/json"), ("Accept", "application/json")], b'{"a":1}'),
    ("curl -N --data-binary 'x\ny' --url http://h/b", "POST", "http://h/b",
     [("Content-Type", "application/x-www-form-urlencoded")], b"x\ny"),
    ("curl -I http://h/", "HEAD", "http://h/", [], None),
    ("curl --data-urlencode 'q=a b&c' http://h/", "POST", "http://h/",
     [("Content-Type", "application/x-www-form-urlencoded")], b"q=a+b%26c"),
    ("curl -H 'X-Empty;' -A agent/1 -e http://ref --oauth2-bearer tok http://h/", "GET",
     "http://h/", [("X-Empty", ""), ("User-Agent", "agent/1"), ("Referer", "http://ref"),
                   ("Authorization", "Bearer tok")], None),
])
def test_options(command: str, method: str, url: str, headers: list[tuple[str, str]],
                 body: bytes | None) -> None:
    spec = parse_curl(command).spec
    assert (spec.method, spec.url, spec.headers, spec.body) == (method, url, headers, body)


def test_flags_carried_over() -> None:
    imported = parse_curl("curl -k --http2 -v --connect-timeout 3 -m 20 http://h/")
    assert imported.spec.verify is False and imported.spec.http2
    assert imported.spec.timeouts.connect == 3 and imported.spec.timeouts.total == 20
    assert imported.ignored == ["-v"]


def test_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "body.json").write_bytes(b'{"a":\n1}\n')
    (tmp_path / "pic.png").write_bytes(b"\x89PNG\x00data")
    assert parse_curl("curl -d @body.json http://h/").spec.body == b'{"a":1}'
    assert parse_curl("curl --data-binary @body.json http://h/").spec.body == b'{"a":\n1}\n'
    spec = parse_curl("curl -F name=value -F 'file=@pic.png;type=image/png' http://h/up").spec
    assert spec.method == "POST"
    ctype = spec.header("Content-Type") or ""
    assert ctype.startswith("multipart/form-data; boundary=")
    body = spec.body or b""
    assert b'name="name"\r\n\r\nvalue\r\n' in body
    assert b'name="file"; filename="pic.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\x00data' in body
    with pytest.raises(CurlError, match="cannot read -d file 'missing.json'"):
        parse_curl("curl -d @missing.json http://h/")


@pytest.mark.parametrize(("command", "message"), [
    ("curl --proxy http://p:1 --cert c.pem http://h/", r"unsupported curl options -x|--proxy"),
    ("curl -x http://p:1 http://h/", r"unsupported curl option -x"),
    ("curl -b cookies.txt http://h/", r"-b FILE \(a cookie jar\)"),
    ("curl http://a/ http://b/", "one URL at a time"),
    ("curl -X POST", "no URL"),
    ("wget http://h/", "not a curl command"),
    ("curl 'http://h/", "no closing quotation"),
    ("curl http://h/ | jq .", "only one curl command"),
    ("curl -d @- http://h/", "standard input"),
    ("curl -H", "-H needs a value"),
])
def test_refusals_name_the_problem(command: str, message: str) -> None:
    with pytest.raises(CurlError, match=message):
        parse_curl(command)


def test_looks_like_curl() -> None:
    assert looks_like_curl(CHROME) and looks_like_curl("  $ curl http://h/")
    assert not looks_like_curl("http://curl.se/") and not looks_like_curl("curling")


@pytest.mark.parametrize(("method", "headers", "body"), [
    ("GET", [("Accept", "text/event-stream")], None),
    ("POST", [("Content-Type", "application/json"), ("X-Quote", "it's \"q\"")],
     b'{"a": "line\\nbreak", "b": "\xc3\xa9"}'),
    ("PUT", [], b"@not-a-file"),
    ("POST", [("Content-Type", "application/octet-stream")], bytes(range(256))),
    ("DELETE", [("Authorization", "Bearer t")], None),
    ("GET", [], b"a body on a GET"),
])
def test_copy_as_curl_round_trips(method: str, headers: list[tuple[str, str]],
                                  body: bytes | None) -> None:
    url = "http://127.0.0.1:8000/p?x=1&y=$HOME"
    command = curl_command(method, url, headers, body)
    spec = parse_curl(command).spec
    assert (spec.method, spec.url, spec.body) == (method, url, body)
    assert [h for h in spec.headers if h[0] != "Content-Type" or
            ("Content-Type", h[1]) in headers] == headers
