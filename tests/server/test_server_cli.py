"""``python -m embedded_server`` / ``serve``: readiness line, serving, clean stop, bad args."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys

import httpx
import pytest

from embedded_server.cli import is_loopback, main

pytestmark = pytest.mark.slow  # left out of `make check`


def test_module_prints_listening_serves_and_stops_on_sigint() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "embedded_server", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed (and flushed) once it accepts connections
        record = json.loads(line)  # stdout: one JSON line, for scripts (as from ``proxy``)
        assert record == {"type": "listening", "url": record["url"], "replays": []}, line
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)", record["url"])
        assert match and int(match.group(1)) > 0, line
        with httpx.stream("GET", f"{record['url']}/events?interval=0.05&count=2") as response:
            assert b"Hello, world!" in response.read()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) in (0, 130)
        assert proc.stderr is not None and proc.stdout.read() == ""
        err = proc.stderr.read()
        assert err == f"listening on {record['url']}\n", err  # the human line
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize("argv", [["--port", "99999"], ["--port", "x"], ["--bogus"]])
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err


def test_non_loopback_host_warns(capsys: pytest.CaptureFixture[str]) -> None:
    # 192.0.2.1 (TEST-NET-1) is not an address of this machine: binding fails, no traffic.
    assert main(["--host", "192.0.2.1", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "reachable from the network" in err
    assert "stream-inspector serve: cannot listen on 192.0.2.1:0: " in err


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.0.0.2", True),
    ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False),
])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_child_stopped_at_once_stops_quietly() -> None:
    """A window that starts the child and goes away at once (a mistyped subcommand) closed
    its stdin while the child was still installing its watch: about one run in two printed a
    20-line KeyboardInterrupt traceback. Closed before it starts, every time: quiet."""
    for _ in range(8):
        proc = subprocess.run([sys.executable, "-m", "embedded_server", "--port", "0",
                               "--stop-on-eof"], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc
        assert proc.stderr == "", proc.stderr
