"""``stream-inspector proxy`` as scripts and CI run it: stdout parsed line by line as JSON,
stderr read while it runs, exit codes, saved captures, memory (issue 28 items 2, 4, 13;
issue 25 items 2, 4, 15, 20).
"""

from __future__ import annotations

import json
import os
import queue
import resource
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from stream_core.capture.reader import read_capture
from tests.core.rawserver import Conn, RawServer

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-planted-proxy-0001"


class Running:
    """The proxy command as a child: its listening record, then its stdout records and
    stderr lines as they come (read by threads, so a test waits on a condition)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.errors: queue.Queue[str | None] = queue.Queue()
        self._threads = [threading.Thread(target=self._pump, args=(proc.stdout, True)),
                         threading.Thread(target=self._pump, args=(proc.stderr, False))]
        for t in self._threads:
            t.start()
        self.listening = self.record()
        assert self.listening["type"] == "listening", self.listening
        self.url: str = self.listening["url"]

    def _pump(self, stream: IO[bytes], out: bool) -> None:
        for line in stream:
            if out:
                self.lines.put(json.loads(line))  # every line of stdout is JSON
            else:
                self.errors.put(line.decode())
        (self.lines if out else self.errors).put(None)

    def record(self) -> dict[str, Any]:
        rec = self.lines.get(timeout=30)
        assert rec is not None, "the proxy stopped printing"
        return rec

    def until_end(self, exchanges: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while sum(1 for r in out if r["type"] == "end") < exchanges:
            out.append(self.record())
        return out

    def stop(self) -> tuple[int, str]:
        self.proc.terminate()
        code = self.proc.wait(30)
        for t in self._threads:
            t.join(30)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        rest = []
        while (line := self.errors.get_nowait()) is not None:
            rest.append(line)
        return code, "".join(rest)


@contextmanager
def running(*args: str, limit_file_size: int | None = None) -> Iterator[Running]:
    def limit() -> None:  # in the child: a disk that is full past this many bytes per file
        if limit_file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "gui.app.cli", "proxy", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT,
                            preexec_fn=limit)
    run = Running(proc)
    try:
        yield run
    finally:
        if proc.poll() is None:
            run.stop()


def test_stdout_is_ndjson_from_the_first_line_with_human_lines_on_stderr(
        demo_server: str, tmp_path: Path) -> None:
    """``proxy ... | jq`` failed at line 1 (``listening on ...``, ``OPENAI_BASE_URL=...``)."""
    save = tmp_path / "caps"
    with running("--target", demo_server + "/v1", "--save", str(save)) as proxy:
        first = proxy.listening
        assert first["url"].startswith("http://127.0.0.1:")
        assert first["base_url"] == first["url"] + "/v1"
        assert first["env"] == "OPENAI_BASE_URL" and first["target"] == demo_server + "/v1"
        chat = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
        r = httpx.post(first["base_url"] + "/chat/completions", json=chat, timeout=10,
                       headers={"Authorization": f"Bearer {KEY}"})
        assert r.status_code == 200 and r.text.rstrip().endswith("data: [DONE]")
        httpx.get(proxy.url + "/logs_stream?interval=0.01&count=2", timeout=10)
        lines = proxy.until_end(2)
        code, err = proxy.stop()
    assert err.startswith(f"listening on {first['url']}\nOPENAI_BASE_URL={first['url']}/v1\n")
    assert "Traceback" not in err
    assert {x["exchange"] for x in lines} == {1, 2}
    one = [x for x in lines if x["exchange"] == 1]
    assert one[0]["type"] == "request" and one[-1]["type"] == "end" and one[-1]["complete"]
    assert ["authorization", "Bearer ***"] in one[0]["headers"]
    assert KEY not in json.dumps(lines)
    assert sum(1 for x in one if x["type"] == "event") == r.text.count("data:")
    files = sorted(os.listdir(save))
    assert files == ["00001-post-v1-chat-completions.sicap", "00002-get-logs-stream.sicap"]
    cap = read_capture(save / files[0])
    assert cap.body == r.content
    assert json.loads(cap.request_body or b"") == chat
    assert ("authorization", "Bearer ***") in cap.request.headers  # type: ignore[union-attr]
    assert cap.warnings == []


def _echo(conn: Conn) -> None:
    """Sends back the request (head and body) as an SSE stream."""
    text = conn.request.decode("latin-1").replace("\r\n", "\n")
    body = "".join(f"data: {line}\n\n" for line in text.split("\n") if line).encode()
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n"
              + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


@pytest.mark.parametrize("keep", [False, True])
def test_echoed_secrets_are_masked_in_records_captures_and_request_bodies(
        tmp_path: Path, keep: bool) -> None:
    save = tmp_path / "caps"
    with RawServer(_echo) as target, running(
            "--target", target.url, "--save", str(save), "--chunks-data",
            *(["--save-secrets"] if keep else [])) as proxy:
        httpx.post(proxy.url + "/v1/x", json={"key": KEY}, timeout=10,
                   headers={"X-Api-Key": KEY})
        lines = proxy.until_end(1)
        proxy.stop()
    (name,) = os.listdir(save)
    saved = (save / name).read_text()
    if keep:  # planted indeed, and kept for its owner only
        assert KEY in json.dumps(lines) and KEY in saved
        assert oct((save / name).stat().st_mode & 0o777) == "0o600"
        return
    assert KEY not in json.dumps(lines) and KEY not in saved
    events = [x["data"] for x in lines if x["type"] == "event"]
    assert f"x-api-key: {'*' * len(KEY)}" in events
    cap = read_capture(save / name)
    assert json.loads(cap.request_body or b"") == {"key": "*" * len(KEY)}


def _ok(conn: Conn) -> None:
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
              b"Connection: close\r\n\r\nok\n")


def test_save_never_overwrites_an_earlier_run(tmp_path: Path) -> None:
    """A second run restarted at 00001 and overwrote the first run's captures."""
    save = tmp_path / "caps"
    with RawServer(_ok) as target:
        for run in ("first", "second"):
            with running("--target", target.url, "--save", str(save)) as proxy:
                for path in ("/a", "/b"):
                    httpx.get(f"{proxy.url}{path}?run={run}", timeout=10)
                proxy.until_end(2)
                proxy.stop()
    files = sorted(os.listdir(save))
    assert files == ["00001-get-a.sicap", "00002-get-b.sicap", "00003-get-a.sicap",
                     "00004-get-b.sicap"]
    urls = [read_capture(save / f).request.url for f in files]  # type: ignore[union-attr]
    assert [u.rsplit("=", 1)[1] for u in urls] == ["first", "first", "second", "second"]


def test_a_full_disk_is_said_at_once_and_leaves_no_torn_capture(demo_server: str,
                                                                 tmp_path: Path) -> None:
    """The error was printed only at Ctrl-C, and a capture cut mid-line was left behind."""
    save = tmp_path / "caps"
    with running("--target", demo_server, "--save", str(save),
                 limit_file_size=256 * 1024) as proxy:
        assert proxy.errors.get(timeout=30).startswith("listening on")
        proxy.errors.get(timeout=30)  # BASE_URL=...
        small = httpx.get(proxy.url + "/logs_stream?interval=0&count=3", timeout=10)
        proxy.until_end(1)
        big = httpx.get(proxy.url + "/download?size=2000000", timeout=30)
        assert big.status_code == 200 and len(big.content) == 2_000_000  # the app's is whole
        said = proxy.errors.get(timeout=30)  # while the proxy runs
        proxy.until_end(1)
        httpx.get(proxy.url + "/logs_stream?interval=0&count=2", timeout=10)
        proxy.until_end(1)
        code, rest = proxy.stop()
    assert said.startswith("stream-inspector proxy: cannot save exchange 2 (")
    assert "File too large" in said and said.endswith("it goes on, unsaved\n")
    assert "Traceback" not in rest
    assert sorted(os.listdir(save)) == ["00001-get-logs-stream.sicap",  # no 2, no .part
                                        "00003-get-logs-stream.sicap"]
    assert read_capture(save / "00001-get-logs-stream.sicap").body == small.content


def _busy(command: list[str], port: int) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "gui.app.cli", *command, "--port", str(port)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)


def test_serve_and_proxy_report_a_busy_port_the_same_way() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        serve = _busy(["serve"], port)
        proxy = _busy(["proxy", "--target", "http://127.0.0.1:1"], port)
    for name, proc in (("serve", serve), ("proxy", proxy)):
        assert proc.returncode == 2, proc
        assert proc.stdout == ""
        assert proc.stderr == (f"stream-inspector {name}: cannot listen on 127.0.0.1:{port}:"
                               " Address already in use\n")


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_memory_returns_after_large_posts() -> None:
    """Ten finished 15 MiB POSTs grew the proxy by 185 MiB, forty by 620 MiB."""
    def drain(conn: Conn) -> None:
        _ok(conn)

    body = os.urandom(1024) * (15 * 1024)
    with RawServer(drain) as target, running("--target", target.url) as proxy:
        pid = proxy.proc.pid
        with httpx.Client(timeout=60) as client:
            sizes = []
            for n in range(40):
                assert client.post(proxy.url + "/upload", content=body).status_code == 200
                proxy.until_end(1)
                if n in (4, 39):
                    sizes.append(_rss(pid))
        proxy.stop()
    assert len(target.requests[-1]) > len(body)  # the bodies did reach the target
    grown = sizes[1] - sizes[0]
    print(f"RSS after 5 POSTs {sizes[0] / 2**20:.0f} MiB, after 40 {sizes[1] / 2**20:.0f} MiB")
    assert grown < 64 * 1024 * 1024, f"grew by {grown / 2**20:.0f} MiB over 35 POSTs"
