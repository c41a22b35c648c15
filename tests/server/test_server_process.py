"""``ServerProcess``: the demo server in a child process, as the window starts it.

The URL is known before the child serves (the parent binds the socket), the child stops on
``stop()`` and, without being asked, when its parent dies; nothing is left behind.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import textwrap

import httpx
import pytest

from embedded_server.process import ServerProcess, supported

pytestmark = [pytest.mark.slow,  # left out of `make check`
              pytest.mark.skipif(not supported() or not hasattr(os, "pidfd_open"),
                                 reason="needs fd passing and pidfd (Linux)")]


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2.0)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_url_known_at_once_then_serves_and_stops() -> None:
    server = ServerProcess()
    url = server.start(wait=False)
    try:
        assert url == f"http://127.0.0.1:{server.port}" and server.port > 0
        # The socket listens already: a request waits in the backlog until the child serves.
        assert httpx.get(f"{url}/health", timeout=30).json() == {"status": "ok"}
        server.wait_ready()
        assert server.running()
        assert "/events" in httpx.get(f"{url}/openapi.json", timeout=10).json()["paths"]
    finally:
        server.stop()
    assert not server.running()
    assert _refused(server.port)


def test_stop_with_an_endless_stream_open() -> None:
    with ServerProcess() as server:
        with httpx.Client(timeout=10.0) as client, client.stream(
                "GET", f"{server.url}/events?interval=0.2") as response:
            assert next(response.iter_raw())
            server.stop()
            assert not server.running()
    assert _refused(server.port)


def test_child_stops_when_its_parent_dies() -> None:
    """A parent killed with SIGKILL cannot stop the child; the child sees stdin's EOF."""
    script = textwrap.dedent("""
        import sys
        from embedded_server.process import ServerProcess
        server = ServerProcess()
        server.start()
        print(server.pid, server.port, flush=True)
        sys.stdin.read()  # until the test kills us
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pid_text, port_text = parent.stdout.readline().split()
        child, port = int(pid_text), int(port_text)
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200
        exited = os.pidfd_open(child)  # readable once the child has exited
        try:
            parent.send_signal(signal.SIGKILL)
            parent.wait(10)
            readable, _, _ = select.select([exited], [], [], 10.0)
        finally:
            os.close(exited)
        assert readable, "the child server outlived its parent"
        assert _refused(port)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if parent.stdin is not None:
            parent.stdin.close()
        if parent.stdout is not None:
            parent.stdout.close()


def test_failure_to_start_is_an_error() -> None:
    server = ServerProcess(port=0)
    server.start(wait=False)
    server.stop()  # stopped before it said it serves
    with pytest.raises(RuntimeError, match="failed to start"):
        server.wait_ready(timeout=5)
