"""``stream-inspector capture`` as a user runs it: a real subprocess, real pipes, real signals."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from embedded_server.content import expected_sha256
from tests.core.rawserver import RawServer, reply

pytestmark = pytest.mark.slow  # left out of `make check`

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {
    "request": {"type", "t", "method", "url", "headers"},
    "response": {"type", "t", "status", "http_version", "headers", "mode"},
    "chunk": {"type", "t", "seq", "offset", "size"},
    "event": {"type", "t", "seq", "event", "data", "id"},
    "retry": {"type", "t", "ms"},
    "record": {"type", "t", "seq"},
    "reconnect": {"type", "t", "attempt", "delay_ms", "last_event_id"},
    "progress": {"type", "t", "bytes", "total"},
    "error": {"type", "t", "kind", "message"},
    "end": {"type", "t", "bytes", "chunks", "events", "duration", "complete"},
    "llm": {"type", "t", "format", "text", "reasoning", "tool_calls", "finish_reason", "usage",
            "ttft", "gap_p50", "gap_p95", "gap_max", "tokens_per_s"},
}


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "gui", "capture", *args]


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), e.get("PYTHONPATH")]))
    return e


def capture(*args: str, timeout: float = 30) -> tuple[int, list[dict[str, Any]], str]:
    proc = subprocess.run(command(*args), capture_output=True, cwd=ROOT, env=env(),
                          timeout=timeout)
    records = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    for rec in records:
        assert FIELDS[rec["type"]] <= set(rec), rec
    return proc.returncode, records, proc.stderr.decode()


def test_sse_capture(demo_server: str) -> None:
    code, records, err = capture(f"{demo_server}/events?interval=0.01&count=3")
    assert code == 0 and err == ""
    types = [r["type"] for r in records]
    assert types[:2] == ["request", "response"] and types[-1] == "end"
    assert [r["id"] for r in records if r["type"] == "event"] == ["1", "2", "3"]
    assert records[-1]["complete"] is True and records[-1]["events"] == 3


def test_chunks_data(demo_server: str) -> None:
    code, records, _ = capture(f"{demo_server}/text?interval=0&count=3", "--chunks-data")
    chunks = [r for r in records if r["type"] == "chunk"]
    body = b"".join(base64.b64decode(c["data_b64"]) for c in chunks)
    assert code == 0 and len(body) == sum(c["size"] for c in chunks) == records[-1]["bytes"]


def test_max_events_exit_zero(demo_server: str) -> None:
    code, records, _ = capture(f"{demo_server}/events?interval=0.01", "--max-events", "2")
    assert code == 0
    assert sum(r["type"] == "event" for r in records) == 2
    assert records[-1]["complete"] is False and records[-1]["stopped"] == "max-events"


def test_line_separators_are_escaped(tmp_path: Path) -> None:
    """U+2028, U+2029 and U+0085 split a line for ``str.splitlines`` and old JavaScript."""
    text = "a\u2028b\u2029c\x85d é"
    body = f"data: {text}\n\n".encode()
    wire = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body
    saved = tmp_path / "s.sicap"
    with RawServer(reply(wire)) as srv:
        proc = subprocess.run(command(srv.url, "--save", str(saved)), capture_output=True,
                              cwd=ROOT, env=env(), timeout=30)
    assert proc.returncode == 0, proc.stderr
    for blob in (proc.stdout, saved.read_bytes()):
        lines = blob.decode("utf-8").splitlines()
        assert len(lines) == blob.count(b"\n")
        assert "é" in blob.decode("utf-8"), "other text stays readable"
        events = [json.loads(line) for line in lines if '"type":"event"' in line]
        assert [e["data"] for e in events] == [text]


def test_retry_beyond_64_bits_is_reported_as_sent() -> None:
    big = 2**64 * 1000 + 1
    body = b"retry: %d\ndata: x\n\n" % big
    wire = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body
    with RawServer(reply(wire)) as srv:
        code, records, _ = capture(srv.url)
    assert code == 0
    assert [r["ms"] for r in records if r["type"] == "retry"] == [big]


def test_reconnect_recovers_with_exit_zero(demo_server: str) -> None:
    url = f"{demo_server}/faults/resume?drop_every=2&count=4&interval=0&retry=20&tag=cli"
    code, records, err = capture(url, "--reconnect")
    assert code == 0, err
    assert [r["id"] for r in records if r["type"] == "event"] == ["1", "2", "3", "4"]
    drops = [r for r in records if r["type"] == "reconnect"]
    assert drops[0]["reason"].startswith("protocol:") and drops[0]["last_event_id"] == "2"
    assert not [r for r in records if r["type"] == "error"]
    assert records[-1]["type"] == "end" and records[-1]["complete"] is True


def test_refused_is_exit_seven(demo_server: str) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    code, records, err = capture(f"http://127.0.0.1:{port}/")
    assert code == 7 and err == ""
    assert [r["type"] for r in records][-2:] == ["error", "end"]
    assert records[-2]["kind"] == "connect" and "refused" in records[-2]["message"]


def test_timeout_option(demo_server: str) -> None:
    code, records, _ = capture(f"{demo_server}/faults/slow-first-byte?delay=5",
                               "--timeout", "0.2")
    assert code == 28 and records[-2]["kind"] == "timeout"


def test_download(demo_server: str, tmp_path: Path) -> None:
    out = tmp_path / "d.bin"
    code, records, _ = capture(f"{demo_server}/download?size=200000", "-o", str(out))
    assert code == 0
    assert records[-1]["path"] == str(out) and records[-1]["sha256"] == expected_sha256(200000)
    assert any(r["type"] == "progress" for r in records)


def test_post_body_from_file(tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text('{"x": 1}')
    wire = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nContent-Length: 6\r\n\r\n" \
        b'{"y":2'
    with RawServer(reply(wire)) as srv:
        code, records, _ = capture(srv.url, "-d", f"@{body}", "-H", "X-Test: yes")
    assert srv.requests[0].startswith(b"POST ") and srv.requests[0].endswith(b'{"x": 1}')
    assert b"x-test: yes" in srv.requests[0].lower()
    assert code == 0 and records[0]["method"] == "POST"


@pytest.mark.parametrize("args, needle, status", [
    ([], "no URL", 2),
    (["--mode", "download"], "needs -o", 2),
    (["--resume"], "needs -o", 2),
    (["--save-secrets"], "needs --save", 2),
    (["--save", "/nonexistent/dir/x.sicap"], "cannot write", 3),
    (["-H", "no colon"], "bad header", 2),
    (["--max-events", "0"], "--max-events", 2),
    (["--max-reconnects", "2"], "needs --reconnect", 2),
    (["--reconnect", "--max-reconnects", "-1"], "--max-reconnects", 2),
    (["--mode", "bogus"], "invalid choice", 2),
    (["--timeout", "-1"], "--timeout", 2),
    (["--max-time", "0"], "--max-time", 2),
    (["-d", "@/nonexistent/body"], "cannot read body file", 3),
    (["--json", "@/nonexistent/body"], "cannot read body file", 3),
    (["-d", "x", "--json", "{}"], "cannot be used together", 2),
])
def test_bad_arguments(args: list[str], needle: str, status: int) -> None:
    """Nothing is sent; one line; 2 for bad arguments, 3 for a local file (exitcodes)."""
    with RawServer(reply(b"")) as srv:
        url = [srv.url] if args or needle != "no URL" else []
        code, records, err = capture(*url, *args)
    assert code == status and records == []
    assert err.count("\n") == 1 and err.startswith("stream-inspector capture: ")
    assert needle in err
    assert srv.connections == 0, "no request for bad arguments"


def test_closed_stdout_stops_quietly(demo_server: str) -> None:
    """``capture URL | head -1``: the reader leaves while the stream still runs."""
    proc = subprocess.Popen(command(f"{demo_server}/events?interval=0.02"), cwd=ROOT, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = json.loads(proc.stdout.readline())
    assert first["type"] == "request"
    proc.stdout.close()
    code = proc.wait(timeout=20)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert err == "" and "Traceback" not in err
    assert code == 141


def test_sigint_exit_130(demo_server: str) -> None:
    proc = subprocess.Popen(command(f"{demo_server}/events?interval=0.02"), cwd=ROOT, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    while json.loads(proc.stdout.readline())["type"] != "event":
        pass
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    records = [json.loads(line) for line in out.decode().splitlines()]
    assert proc.returncode == 130 and err.decode() == ""
    assert records[-2] == {**records[-2], "type": "error", "kind": "cancelled"}
    assert records[-1]["type"] == "end" and records[-1]["complete"] is False
    assert records[-1]["stopped"] == "interrupted"


def test_no_qt_import(demo_server: str) -> None:
    probe = ("import sys; from gui.app.cli import main; rc = main(['capture', sys.argv[1]]); "
             "assert not any(m.startswith(('PySide6', 'qasync')) for m in sys.modules), "
             "'Qt imported'; sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", probe, f"{demo_server}/text?count=1&interval=0"],
                          capture_output=True, cwd=ROOT, env=env(), timeout=30)
    assert proc.returncode == 0, proc.stderr.decode()


def test_full_disk_while_saving_is_an_io_error_record(demo_server: str, tmp_path: Path) -> None:
    """The capture file cannot grow past 1500 bytes (RLIMIT_FSIZE: a real EFBIG from the
    kernel, as a full disk gives ENOSPC): an error record, an incomplete end, exit 3."""
    saved = tmp_path / "s.sicap"
    limited = ("import os, resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN);"
               " resource.setrlimit(resource.RLIMIT_FSIZE, (1500, 1500));"
               " os.execv(sys.executable, sys.argv[1:])")
    args = [sys.executable, "-c", limited, *command(f"{demo_server}/events?interval=0&count=50",
                                                    "--save", str(saved))]
    proc = subprocess.run(args, capture_output=True, cwd=ROOT, env=env(), timeout=30)
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr == b""
    errors = [r for r in records if r["type"] == "error"]
    assert [e["kind"] for e in errors] == ["io"]
    assert str(saved) in errors[0]["message"] and "saving the capture" in errors[0]["message"]
    assert sum(r["type"] == "event" for r in records) == 50, "stdout still has the stream"
    assert records[-1]["type"] == "end" and records[-1]["complete"] is False
    assert 0 < saved.stat().st_size <= 1500
