"""Issue 24 items 8-12, 25.13 and 28.5: curl commands read as curl and bash read them (curl's
man page), sent to an echo server over a real socket; and ``capture --curl`` says what it
ignores."""

from __future__ import annotations

from pathlib import Path

import pytest

from stream_core.capture.cliargs import ArgumentError
from stream_core.capture.saved import curl_spec
from stream_core.requests.curl_import import CurlError, parse_curl
from tests.compat.conftest import send
from tests.compat.echo import EchoServer, Seen
from tests.core.test_capture import capture


def sent(echo: EchoServer, command: str, notes: list[str] | None = None) -> Seen:
    return send(curl_spec(command.replace("URL", echo.url), notes), echo)


@pytest.mark.parametrize(("name", "ctype"), [
    ("audio.mp3", "application/octet-stream"), ("a.png", "image/png"),
    ("a.JSON", "application/octet-stream"), ("page.html", "text/html"),
    ("doc.pdf", "application/pdf"), ("a.txt", "text/plain")])
def test_form_file_types_from_curls_table(tmp_path: Path, echo: EchoServer,
                                          monkeypatch: pytest.MonkeyPatch, name: str,
                                          ctype: str) -> None:
    """24.8: curl's own extension table, not the system's (audio/mpeg)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(b"data")
    seen = sent(echo, f"curl -F file=@{name} URL/up")
    assert f'filename="{name}"\r\nContent-Type: {ctype}\r\n\r\ndata'.encode() in seen.body


def test_a_line_without_backslash_ends_the_command(echo: EchoServer) -> None:
    """24.9: the lines after it are not options (and the note says so)."""
    notes: list[str] = []
    seen = sent(echo, "curl URL/v1/x \\\n  -H 'A: 1'\n  -H 'B: 2' \\\n  -d 'x'\n", notes)
    assert (seen.method, seen.header("A"), seen.header("B"), seen.body) == ("GET", ["1"], [],
                                                                            b"")
    assert notes == ["the command ends at line 2, which has no trailing \\; the lines after"
                     " it were not read"]


def test_shell_variables_as_the_shell_expands_them(echo: EchoServer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """24.10: ``'"$1"'`` is empty (a pasted command has no arguments); an unset ``$NAME`` is
    empty; both said."""
    monkeypatch.setenv("SI_SET_VAR", "v1")
    monkeypatch.delenv("SI_UNSET_VAR", raising=False)
    notes: list[str] = []
    seen = sent(echo, "curl URL/x -H \"X-A: $SI_SET_VAR\" -H \"X-B: [${SI_UNSET_VAR}]\""
                " -d '{\"q\": \"'\"$1\"'\"}'", notes)
    assert seen.body == b'{"q": ""}'
    assert (seen.header("X-A"), seen.header("X-B")) == (["v1"], ["[]"])
    assert notes == ["the shell parameter $1 is empty here, as in a shell run without"
                     " arguments", "$SI_UNSET_VAR is not set: empty in header 'X-B', as in a"
                     " shell"]


def test_output_options_accepted_and_named(echo: EchoServer) -> None:
    """24.11, 28.5: -o and friends are accepted and named with their reason; --retry says
    what it does instead of claiming to change only curl's output."""
    notes: list[str] = []
    seen = sent(echo, "curl -sS -o out.json -w '%{http_code}' --retry 3 -i -v -f URL/x", notes)
    assert seen.target == "/x"
    assert notes == [
        "-s: ignored, it only changes curl's progress output",
        "-S: ignored, it only changes curl's error output",
        "-o out.json: ignored, it only changes curl's output file (capture writes records;"
        " use capture -o FILE to save the body)",
        "-w %{http_code}: ignored, it only changes curl's output format",
        "--retry 3: ignored: curl would retry a failed transfer that many times; here the"
        " request is sent once (use --reconnect for a stream that drops)",
        "-i: ignored, it only changes curl's output (the response headers are in the response"
        " record)",
        "-v: ignored, it only changes curl's trace output",
        "-f: ignored, it only changes curl's exit status on HTTP errors (the status is in the"
        " response record)"]


def test_capture_curl_prints_the_notes_on_stderr(demo_server: str) -> None:
    """28.5 over a real process: exit 0, records on stdout, one stderr line per note."""
    code, records, err = capture("--curl", f"curl -s --retry 3 '{demo_server}/events?count=1"
                                           "&interval=0'")
    assert code == 0 and records[-1]["type"] == "end"
    assert err.splitlines() == [
        "stream-inspector capture: --curl: -s: ignored, it only changes curl's progress output",
        "stream-inspector capture: --curl: --retry 3: ignored: curl would retry a failed"
        " transfer that many times; here the request is sent once (use --reconnect for a"
        " stream that drops)"]


@pytest.mark.parametrize("command", ["curl -x http://127.0.0.1:1 URL", "curl -K cfg URL",
                                     "curl --unix-socket /s URL", "curl --foo-bar URL",
                                     "curl -T file URL"])
def test_options_that_cannot_be_honoured_are_refused(command: str) -> None:
    option = command.split()[1]
    with pytest.raises(ArgumentError, match=f"--curl: unsupported curl option {option}"):
        curl_spec(command.replace("URL", "http://127.0.0.1:9/"))


def test_redirects_only_with_location() -> None:
    assert parse_curl("curl http://h/").spec.follow_redirects is False
    assert parse_curl("curl -L http://h/").spec.follow_redirects is True


def test_stale_content_length_recomputed(echo: EchoServer) -> None:
    """24.12: a copied Content-Length: 64 on a 61-byte body failed inside h11."""
    notes: list[str] = []
    body = "x" * 61
    seen = sent(echo, f"curl URL/p -H 'Content-Length: 64' -H 'Content-Type: text/plain'"
                      f" --data-raw '{body}'", notes)
    assert seen.body == body.encode() and seen.header("Content-Length") == ["61"]
    assert notes == ["-H 'Content-Length: 64': the body has 61 bytes; the Content-Length sent"
                     " is computed from it"]


@pytest.mark.parametrize(("command", "message"), [
    ("curl $'\\UFFFFFFFF' http://h/", r"\\UFFFFFFFF in a \$'...' string is not a character"),
    ("curl -m nan http://h/", "-m needs a finite number of seconds, not 'nan'"),
    ("curl --connect-timeout inf http://h/", "needs a finite number"),
    ("curl 'http://h/ -d x", r"no closing quotation \(\'\)"),
    ("curl http://h/ -H \"A: `id`\"", "command substitution"),
])
def test_hostile_commands_refused_clearly(command: str, message: str) -> None:
    """25.13: an OverflowError traceback, and nan accepted as a timeout."""
    with pytest.raises(CurlError, match=message):
        parse_curl(command)


def test_long_words_parse() -> None:
    """25.13: a 1 MB word took 31 s with shlex (quadratic), 60 s on the window's thread. The
    splitter is one pass; 4 MB words parse (measured: 0.08 s here, 1 MB 0.025 s; shlex would take ~8 min,
    past the test's time limit)."""
    word = "a" * 4_000_000
    spec = parse_curl(f"curl http://h/ -d '{word}' -H \"X: {word}\" --data-raw {word}").spec
    assert spec.body is not None and len(spec.body) == 2 * len(word) + 1
    assert spec.header("X") == word


def test_dev_zero_and_fifo_refused(tmp_path: Path) -> None:
    """25.8: ``--data-binary @/dev/zero`` read without bound; a FIFO blocked forever."""
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, why in (("/dev/zero", "a character device"), (str(fifo), "a FIFO")):
        with pytest.raises(CurlError, match=f"--data-binary file '{path}'.*it is {why}.*;"
                                            " only regular files are read"):
            parse_curl(f"curl --data-binary @{path} http://h/")
