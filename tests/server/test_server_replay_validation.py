"""Replay trusts no input: bad capture records are refused at load, naming the record;
uploads are counted as they arrive; the server answers only to its loopback names."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from embedded_server import replay
from embedded_server.runner import ServerThread

ROOT = Path(__file__).resolve().parents[2]


def capture(response: dict[str, Any] | None = None, *, header: bytes | None = None,
            extra: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    """A small capture file: header, request, response (overridable), one chunk."""
    resp: dict[str, Any] = {"type": "response", "t": 0.01, "status": 200,
                            "http_version": "HTTP/1.1", "mode": "sse",
                            "headers": [["content-type", "text/event-stream"]]}
    resp.update(response or {})
    lines = [header or json.dumps({"format": "stream-inspector-capture", "version": "1.0"})
             .encode(),
             json.dumps({"type": "request", "t": 0, "method": "GET",
                         "url": "http://127.0.0.1/x", "headers": []}).encode(),
             json.dumps(resp).encode(), *extra,
             json.dumps({"type": "chunk", "t": 0.02, "seq": 0, "offset": 0, "size": 8,
                         "data_b64": base64.b64encode(b"data: 1\n").decode()}).encode()]
    return b"\n".join(lines) + b"\n"


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread() as s:
        yield s


BAD = {
    "headers-null": ({"headers": None}, "headers is NoneType"),
    "header-not-pair": ({"headers": [["content-type"]]}, "header #1 is not a [name, value]"),
    "header-numbers": ({"headers": [[1, 2]]}, "header #1 is not a [name, value]"),
    "header-crlf": ({"headers": [["x-a", "1\r\nSet-Cookie: y=1"]]}, "control character"),
    "header-name": ({"headers": [["bad name:", "1"]]}, "invalid name"),
    "header-not-latin1": ({"headers": [["x-snow", "\u2603"]]}, "not Latin-1"),
    "status-101": ({"status": 101}, "status 101 cannot be replayed"),
    "status-999": ({"status": 999}, "status 999 cannot be replayed"),
    "status-text": ({"status": "200"}, "status '200' cannot be replayed"),
    "204-with-body": ({"status": 204}, "a 204 response cannot carry"),
}


@pytest.mark.parametrize("kind", BAD)
def test_bad_response_record_is_refused_naming_it(kind: str) -> None:
    change, why = BAD[kind]
    with pytest.raises(replay.ReplayError) as info:
        replay.parse_capture("bad.sicap", capture(change))
    assert "bad.sicap, line 3 (the response record)" in str(info.value)
    assert why in str(info.value)


def test_deeply_nested_json_is_malformed_input() -> None:
    deep = b"[" * 100000
    with pytest.raises(replay.ReplayError, match="not a Stream Inspector capture"):
        replay.parse_capture("deep.sicap", deep + b"\n")
    # a deep record line is a corrupted line: skipped, the rest replays
    got = replay.parse_capture("ok.sicap", capture(extra=[deep]))
    assert got.status == 200 and got.size == 8


def test_put_refuses_bad_captures_with_422(server: ServerThread) -> None:
    for body in (capture({"headers": None}), b"[" * 100000 + b"\n",
                 b'{"format":"stream-inspector-capture","version":"1.0"}\n'
                 + b'{"type":"response","t":0,"status":' + b"[" * 100000 + b"\n"):
        reply = httpx.put(f"{server.url}/replay/bad", content=body, timeout=10)
        assert reply.status_code == 422, reply.text
    reply = httpx.put(f"{server.url}/replay/bad", content=capture({"status": 101}), timeout=10)
    assert reply.status_code == 422 and "line 3 (the response record)" in reply.text


@pytest.mark.slow
def test_serve_replay_bad_headers_is_a_bad_argument(tmp_path: Path) -> None:
    bad = tmp_path / "x.sicap"
    bad.write_bytes(capture({"headers": None}))
    proc = subprocess.run([sys.executable, "-m", "embedded_server", "--port", "0",
                           "--replay", str(bad)], cwd=ROOT, capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 2, proc.stderr
    assert "headers is NoneType" in proc.stderr and "Traceback" not in proc.stderr


def _raw(server: ServerThread, head: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.sendall(head)
    return sock


def test_chunked_upload_over_the_limit_is_refused_while_it_arrives(
        server: ServerThread, monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit was checked on Content-Length only: a chunked upload was buffered whole
    (620 MB were accepted). Here the upload passes the limit and then pauses, unfinished:
    the 413 must come before its end."""
    monkeypatch.setattr(replay, "MAX_UPLOAD", 256 * 1024)
    sock = _raw(server, f"PUT /replay/big HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n".encode())
    with sock:
        piece = b"x" * 65536
        for _ in range(5):  # 320 KiB, no final chunk; nothing after the limit is passed
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))  # (a reset would race)
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1",
                                  "localhost.evil.example:{port}"])
def test_foreign_host_header_is_refused(server: ServerThread, host: str) -> None:
    """DNS rebinding: a page at evil.example resolved to 127.0.0.1 sends its own Host."""
    host = host.format(port=server.port)
    reply = httpx.get(f"{server.url}/health", headers={"Host": host}, timeout=5)
    assert reply.status_code == 421 and "DNS rebinding" in reply.text
    put = httpx.put(f"{server.url}/replay/x", content=capture(), headers={"Host": host},
                    timeout=5)
    assert put.status_code == 421


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LOCALHOST", "[::1]"])
def test_loopback_host_names_are_served(server: ServerThread, name: str) -> None:
    reply = httpx.get(f"{server.url}/health", headers={"Host": f"{name}:{server.port}"},
                      timeout=5)
    assert reply.status_code == 200


def test_a_redirected_capture_replays_the_final_response() -> None:
    """Redirect hops have their own request and response records (mode "redirect"): replay
    serves the stream the last hop returned, not the 302."""
    hop = [json.dumps({"type": "request", "t": 0, "method": "GET",
                       "url": "http://127.0.0.1/old", "headers": []}).encode(),
           json.dumps({"type": "response", "t": 0.005, "status": 302, "mode": "redirect",
                       "http_version": "HTTP/1.1", "headers": [["location", "/x"]]}).encode()]
    data = capture()
    head, rest = data.split(b"\n", 1)
    got = replay.parse_capture("hops.sicap", head + b"\n" + b"\n".join(hop) + b"\n" + rest)
    assert got.status == 200 and got.url == "http://127.0.0.1/x" and got.size == 8
