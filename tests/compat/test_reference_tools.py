"""The same requests sent by this tool and by the reference tools (httpyac for ``.http``,
newman for Postman, the system curl for curl commands) to one echo server, compared byte for
byte: method, path and query, body, and every header but User-Agent, Accept-Encoding, Host,
Connection and Content-Length (header names compared without case; the values of one name
in order). newman's own additions (Postman-Token, Cache-Control: no-cache) and multipart
boundaries (each client draws its own) are set aside. A tool that is not installed skips its
comparison and says why; ``.ci/run`` installs httpyac and newman with npm when it can."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from stream_core.capture.saved import curl_spec, saved_spec
from stream_core.requests.httpfile import parse
from stream_core.requests.postman import import_file
from tests.compat.conftest import send
from tests.compat.echo import EchoServer, Seen

CORPUS = Path(__file__).parent / "corpus"
ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {"user-agent", "accept-encoding", "host", "connection", "content-length"}
NEWMAN_OWN = {"postman-token", "cache-control"}


def tool(name: str) -> str | None:
    """The tool on PATH, or where ``.ci/run`` installs it (``.venv/node``)."""
    found = shutil.which(name)
    if found:
        return found
    local = ROOT / ".venv" / "node" / "node_modules" / ".bin" / name
    return str(local) if local.exists() else None


def normal(seen: Seen, drop: set[str] = SKIPPED) -> tuple[str, str, bytes, dict[str, list[str]]]:
    headers: dict[str, list[str]] = {}
    for k, v in seen.headers:
        if k.lower() not in drop:
            headers.setdefault(k.lower(), []).append(v)
    body = seen.body
    ctype = headers.get("content-type", [""])[0]
    m = re.search(r"boundary=(\S+)", ctype)
    if m and ctype.startswith("multipart/"):
        body = body.replace(m.group(1).encode(), b"BOUNDARY")
        headers["content-type"] = [ctype.replace(m.group(1), "BOUNDARY")]
    return seen.method, seen.target, body, headers


def run(args: list[str], cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, capture_output=True, timeout=120, check=False,
                   env={**os.environ, "NO_COLOR": "1"})


@pytest.fixture()
def corpus(tmp_path: Path, echo: EchoServer) -> Path:
    for item in CORPUS.iterdir():
        data = item.read_bytes().replace(b"http://127.0.0.1:PORT", echo.url.encode())
        (tmp_path / item.name).write_bytes(data)
    return tmp_path


def test_http_files_as_httpyac_sends_them(corpus: Path, echo: EchoServer) -> None:
    httpyac = tool("httpyac")
    if httpyac is None:
        pytest.skip("httpyac is not installed (npm install -g httpyac)")
    path = corpus / "ide.http"
    names = [r.name for r in parse(path.read_text(encoding="utf-8-sig")).requests]
    same = []
    for name in names:
        run([httpyac, "send", str(path), "--name", name, "-o", "none"], corpus)
        theirs = echo.take()
        assert len(theirs) == 1, (name, theirs)
        ours = send(saved_spec(f"{path}#{name}"), echo)
        assert normal(ours) == normal(theirs[0]), name
        same.append(name)
    assert len(same) == len(names) >= 6


def test_curl_commands_as_curl_sends_them(corpus: Path, echo: EchoServer) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    commands = [c for c in (corpus / "curl.txt").read_text().splitlines() if c.strip()]
    for command in commands:
        command = command.replace("URL", echo.url)
        run(["bash", "-c", command.replace("curl ", f"{curl} -s -o /dev/null ", 1)], corpus)
        theirs = echo.take()
        assert len(theirs) == 1, (command, theirs)
        cwd = os.getcwd()
        os.chdir(corpus)
        try:
            ours = send(curl_spec(command), echo)
        finally:
            os.chdir(cwd)
        assert normal(ours) == normal(theirs[0]), command


def test_postman_as_newman_sends_it(corpus: Path, echo: EchoServer) -> None:
    newman = tool("newman")
    if newman is None:
        pytest.skip("newman is not installed (npm install -g newman)")
    run([newman, "run", str(corpus / "postman.json")], corpus)
    theirs = echo.take()
    imported = import_file(corpus / "postman.json")
    out = corpus / "postman.http"
    out.write_text(imported.text())
    assert imported.report == ["json: disabled header 'X-Off' left out"]
    assert len(theirs) == len(imported.requests) == 5
    for request, their in zip(imported.requests, theirs, strict=True):
        ours = send(saved_spec(f"{out}#{request.name}"), echo)
        assert normal(ours) == normal(their, SKIPPED | NEWMAN_OWN), request.name
