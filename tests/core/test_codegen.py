"""Copy as curl / httpx: the generated command and script run and stream the same request."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys

import pytest

from stream_core.capture.codegen import curl_command, httpx_code, user_headers

pytestmark = pytest.mark.slow  # left out of `make check`

CHAT = json.dumps({"model": "demo", "stream": True,
                   "messages": [{"role": "user", "content": "it's \"quoted\" $HOME"}]}).encode()


def test_curl_quoting_and_defaults() -> None:
    cmd = curl_command("POST", "http://127.0.0.1:1/v1?a=1&b=2",
                       [("Host", "x"), ("Content-Type", "application/json"),
                        ("User-Agent", "python-httpx/0.28.1"), ("X-Note", "it's")], CHAT)
    argv = shlex.split(cmd)
    assert argv[:2] == ["curl", "-N"] and "-X" not in argv  # --data-binary means POST
    assert argv[argv.index("--data-binary") + 1].encode() == CHAT
    assert "Content-Type: application/json" in argv and "X-Note: it's" in argv
    assert not any(a.startswith(("Host:", "User-Agent:")) for a in argv)
    assert argv[-1] == "http://127.0.0.1:1/v1?a=1&b=2"
    assert shlex.split(curl_command("DELETE", "http://h/", []))[2:4] == ["-X", "DELETE"]
    assert user_headers([("Accept-Encoding", "gzip"), ("Accept", "*/*")]) == [("Accept", "*/*")]


@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl command")
def test_curl_runs(demo_server: str) -> None:
    cmd = curl_command("POST", f"{demo_server}/v1/chat/completions",
                       [("Content-Type", "application/json")], CHAT)
    out = subprocess.run(["sh", "-c", cmd + " -s"], capture_output=True, timeout=30, check=True)
    assert out.stdout.rstrip().endswith(b"data: [DONE]")

    binary = bytes(range(256))
    cmd = curl_command("PUT", "http://127.0.0.1:9/x", [], binary)
    assert cmd.startswith("printf ") and "--data-binary @-" in cmd
    shown = subprocess.run(["sh", "-c", cmd.split(" | ")[0]], capture_output=True, check=True)
    assert shown.stdout == binary


@pytest.mark.parametrize("mode", ["sse", "raw"])
def test_httpx_script_runs(demo_server: str, mode: str) -> None:
    body = CHAT if mode == "sse" else None
    url = (f"{demo_server}/v1/chat/completions" if mode == "sse"
           else f"{demo_server}/download?size=1000")
    code = httpx_code("POST" if body else "GET", url,
                      [("Content-Type", "application/json")] if body else [], body, mode)
    compile(code, "<copied>", "exec")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30, text=True)
    assert out.returncode == 0, out.stderr
    if mode == "sse":
        assert out.stdout.splitlines()[0].startswith("200 text/event-stream")
        assert "data: [DONE]" in out.stdout
    else:
        assert out.stdout.rstrip().endswith("(1000 in all)")
    assert "client.stream(" in code and "asyncio.run(main())" in code
    assert httpx_code("GET", "http://h/", [], b"\xff\x00").count("body = b'\\xff\\x00'") == 1
