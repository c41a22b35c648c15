"""``capture`` as scripts and CI jobs use it (issue 28): exit statuses by kind, ``--json``,
``-d @-``, ``--max-time``, nothing dropped silently, secrets masked on stdout, ``stopped``.

Every test runs the real command in a process of its own against a real socket, and reads
its stdout line by line as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from stream_core.capture import exitcodes
from tests.core.rawserver import Conn, RawServer, reply
from tests.core.test_capture import ROOT, command, env


def sse(body: bytes, *extra: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n" + b"".join(extra)
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


def run(*args: str, stdin: bytes | None = None,
        timeout: float = 30) -> tuple[int, list[dict[str, Any]], str]:
    proc = subprocess.run(command(*args), input=stdin, capture_output=True, cwd=ROOT, env=env(),
                          timeout=timeout)
    return (proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()],
            proc.stderr.decode())


# -- 28.7 exit statuses by kind ---------------------------------------------------------------

@pytest.mark.parametrize("wire, status, kind", [
    # a lost connection after the response started: cut short (curl 18)
    (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"9\r\ndata: a\n\n\r\n", exitcodes.CUT_SHORT, "protocol"),
    (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nshort",
     exitcodes.CUT_SHORT, "protocol"),
    # not HTTP at all (curl 8)
    (b"SSH-2.0-OpenSSH_9.6\r\n", exitcodes.PROTOCOL, "protocol"),
    # a status the mode cannot accept (curl 22, as with --fail)
    (b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy",
     exitcodes.HTTP_STATUS, "http"),
    # a body that does not decode (curl 61)
    (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\n"
     b"Content-Length: 12\r\n\r\nnot gzip at all"[:-3], exitcodes.DECODE, "decode"),
])
def test_exit_status_by_kind(wire: bytes, status: int, kind: str) -> None:
    with RawServer(reply(wire)) as srv:
        code, records, err = run(srv.url)
    assert err == ""
    assert [r["kind"] for r in records if r["type"] == "error"][:1] == [kind]
    assert code == status, records
    assert records[-1]["type"] == "end"


def test_reset_mid_body_is_cut_short() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 1000\r\n\r\n"
    with RawServer(reply(head + b"data: a\n\n", reset=True)) as srv:
        code, records, _ = run(srv.url)
    assert code == exitcodes.CUT_SHORT, records


def test_reset_before_any_response_is_could_not_connect() -> None:
    with RawServer(reply(b"", reset=True)) as srv:
        code, records, _ = run(srv.url)
    errors = [r for r in records if r["type"] == "error"]
    assert errors and code in (exitcodes.CONNECT, exitcodes.PROTOCOL), errors
    assert code != exitcodes.CUT_SHORT


def test_an_http_status_wins_over_its_error_body_cut_short() -> None:
    wire = b"HTTP/1.1 500 Oops\r\nContent-Type: text/plain\r\nContent-Length: 50\r\n\r\nhalf"
    with RawServer(reply(wire)) as srv:
        code, records, _ = run(srv.url)
    assert [r["kind"] for r in records if r["type"] == "error"] == ["protocol", "http"]
    assert code == exitcodes.HTTP_STATUS


def test_tls_failure_is_35() -> None:
    """https:// to a plain-HTTP server: the handshake fails (curl 35)."""
    def plain(conn: Conn) -> None:  # reads the ClientHello, answers in plain HTTP
        conn.sock.recv(4096)
        conn.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with RawServer(plain, read_request=False) as srv:
        code, records, _ = run(srv.url.replace("http://", "https://"), "--connect-timeout", "5")
    assert [r["kind"] for r in records if r["type"] == "error"] == ["tls"], records
    assert code == exitcodes.TLS


def test_dns_failure_is_6() -> None:
    """A host name that does not resolve (curl 6). The resolver is made to fail inside the
    process: no lookup leaves the machine."""
    probe = ("import socket, sys\n"
             "def fail(*a, **k): raise socket.gaierror(socket.EAI_NONAME, 'Name or service "
             "not known')\n"
             "socket.getaddrinfo = fail\n"
             "from gui.app.cli import main\n"
             "sys.exit(main())\n")
    proc = subprocess.run([sys.executable, "-c", probe, "capture", "http://no-such-host.test/"],
                          capture_output=True, cwd=ROOT, env=env(), timeout=30)
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["kind"] for r in records if r["type"] == "error"] == ["connect"], records
    assert proc.returncode == exitcodes.DNS, proc.stderr


def test_download_into_a_missing_folder_is_a_local_file_error(tmp_path: Any) -> None:
    with RawServer(reply(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) as srv:
        code, records, _ = run(srv.url, "-o", str(tmp_path / "no" / "such" / "file"))
        assert srv.connections == 0, "checked before sending"
    assert [r["kind"] for r in records if r["type"] == "error"] == ["io"]
    assert code == exitcodes.LOCAL_IO


def test_help_lists_the_exit_statuses() -> None:
    proc = subprocess.run(command("--help"), capture_output=True, cwd=ROOT, env=env(),
                          timeout=30, text=True)
    assert proc.returncode == 0
    for status, _text in exitcodes.TABLE:
        assert f"\n  {status:>3}  " in proc.stdout, status
    assert "--max-time" in proc.stdout and "--json" in proc.stdout


# -- 28.8 --json, -d @- -------------------------------------------------------------------------

def ok(conn: Conn) -> None:
    conn.send(sse(b"data: {}\n\n"))


def test_json_sets_content_type_and_accept() -> None:
    with RawServer(ok) as srv:
        code, records, _ = run(srv.url, "--json", '{"a": 1}')
    head, _, body = srv.requests[0].partition(b"\r\n\r\n")
    lines = head.lower().split(b"\r\n")
    assert lines[0].startswith(b"post ") and body == b'{"a": 1}'
    assert b"content-type: application/json" in lines and b"accept: application/json" in lines
    assert code == 0


def test_json_keeps_the_headers_given() -> None:
    with RawServer(ok) as srv:
        run(srv.url, "--json", "{}", "-H", "Content-Type: application/vnd.x+json", "-X", "PUT")
        run(srv.url, "--json", "{}", "--mode", "sse")
    given, sse_mode = (r.partition(b"\r\n\r\n")[0].lower() for r in srv.requests)
    assert given.startswith(b"put ") and given.count(b"content-type:") == 1
    assert b"content-type: application/vnd.x+json" in given
    assert b"accept: text/event-stream" in sse_mode and sse_mode.count(b"accept:") == 1
    assert b"content-type: application/json" in sse_mode


def test_body_from_stdin() -> None:
    body = b'{"messages": ["\xc3\xa9"]}' * 1000
    with RawServer(ok) as srv:
        code, records, _ = run(srv.url, "-d", "@-", stdin=body)
        run(srv.url, "--json", "@-", stdin=b"[1, 2]")
    assert code == 0 and records[0]["method"] == "POST"
    assert srv.requests[0].endswith(b"\r\n\r\n" + body)
    assert srv.requests[1].endswith(b"\r\n\r\n[1, 2]")
    assert b"content-type: application/json" in srv.requests[1].lower()


def test_json_to_the_demo_llm_endpoint(demo_server: str) -> None:
    """``-d '{json}'`` alone sent no Content-Type and the demo LLM endpoint answered 422."""
    code, records, err = run(f"{demo_server}/v1/chat/completions", "--llm", "--json",
                             '{"model": "m", "stream": true, "messages": '
                             '[{"role": "user", "content": "hi"}]}')
    assert code == 0, err
    assert [r["status"] for r in records if r["type"] == "response"] == [200]
    llm = next(r for r in records if r["type"] == "llm")
    assert llm["finish_reason"] == "stop" and "problems" not in records[-1]


# -- 28.9 --max-time, 28.14 stopped -------------------------------------------------------------

def test_max_time_ends_the_run(demo_server: str) -> None:
    code, records, _ = run(f"{demo_server}/events?interval=0.05", "--max-time", "0.5")
    end = records[-1]
    assert code == exitcodes.TIMEOUT
    assert end["type"] == "end" and end["stopped"] == "max-time" and end["complete"] is False
    assert [r["kind"] for r in records if r["type"] == "error"] == ["timeout"]
    assert sum(r["type"] == "event" for r in records) >= 1


def test_max_time_applies_to_a_pasted_curl(demo_server: str) -> None:
    code, records, _ = run("--curl", f"curl '{demo_server}/events?interval=0.05'",
                           "--max-time", "0.3")
    assert code == exitcodes.TIMEOUT and records[-1]["stopped"] == "max-time"


# -- 28.10 nothing dropped silently -------------------------------------------------------------

def test_unfinished_last_event_is_said_in_end() -> None:
    with RawServer(reply(sse(b"data: one\n\ndata: two\n"))) as srv:
        code, records, _ = run(srv.url)
    end = records[-1]
    assert code == 0 and [r["data"] for r in records if r["type"] == "event"] == ["one"]
    assert end["dropped"] == {"unfinished_events": 1}
    assert len(end["problems"]) == 1 and "never dispatched" in end["problems"][0]


def test_a_clean_stream_says_nothing_dropped() -> None:
    with RawServer(reply(sse(b"data: one\n\n: a comment without its line end"))) as srv:
        _, records, _ = run(srv.url)
    assert "dropped" not in records[-1] and "problems" not in records[-1]


def test_llm_reply_without_finish_reason_is_said_in_end() -> None:
    chunk = {"object": "chat.completion.chunk", "model": "m",
             "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]}
    body = f"data: {json.dumps(chunk)}\n\n".encode()
    with RawServer(reply(sse(body))) as srv:
        code, records, _ = run(srv.url, "--llm")
    llm = next(r for r in records if r["type"] == "llm")
    assert llm["format"] == "openai" and llm["finish_reason"] is None
    assert code == 0
    assert any("finish reason" in p for p in records[-1]["problems"]), records[-1]


# -- 28.12 secrets on stdout ------------------------------------------------------------------

SECRET = "sk-live-0123456789abcdef"


def test_secrets_are_masked_on_stdout_unless_asked() -> None:
    def echo(conn: Conn) -> None:  # sends the secret back in a header and in an error text
        conn.send(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n"
                  b"X-Seen: " + SECRET.encode() + b"\r\nContent-Length: 0\r\n\r\n")

    with RawServer(echo) as srv:
        url = f"{srv.url}/v1?api_key={SECRET}&q=1"
        proc = subprocess.run(command(url, "-H", f"Authorization: Bearer {SECRET}"),
                              capture_output=True, cwd=ROOT, env=env(), timeout=30)
        shown = subprocess.run(command(url, "-H", f"Authorization: Bearer {SECRET}",
                                       "--show-secrets"),
                               capture_output=True, cwd=ROOT, env=env(), timeout=30)
    assert SECRET.encode() not in proc.stdout + proc.stderr
    request = json.loads(proc.stdout.splitlines()[0])
    assert request["url"].endswith("?api_key=***&q=1")
    assert ["Authorization", "Bearer ***"] in request["headers"]  # the scheme stays (23.19)
    response = json.loads(proc.stdout.splitlines()[1])
    assert ["X-Seen", "***"] in response["headers"]
    assert proc.returncode == shown.returncode == exitcodes.HTTP_STATUS
    assert shown.stdout.count(SECRET.encode()) >= 3  # URL, request header, response header
    assert srv.requests[0].count(SECRET.encode()) == 2, "the request itself is unchanged"
