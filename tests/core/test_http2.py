"""HTTP/2 end to end: the demo app served by Hypercorn over TLS (ALPN h2), read by the engine.

Hypercorn is a test-only server here (the app's own server, uvicorn, speaks HTTP/1.1 only):
the point is the engine's HTTP/2 path over a real socket, TLS and ALPN included, which
goes through ``stream_core.net.netstream`` like every other connection.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from embedded_server.app import create_app
from embedded_server.content import expected_sha256
from stream_core.net.spec import Mode, RequestSpec
from tests.core.conftest import collect

hypercorn = pytest.importorskip("hypercorn")


@pytest.fixture(scope="module")
def h2_server(tls_files: tuple[str, str]) -> Iterator[str]:
    import anyio._backends._asyncio  # noqa: F401
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    # Imported here, not first in the server's thread: CPython 3.11.7 may fail compiling
    # two modules at once in two threads ("AST constructor recursion depth mismatch",
    # gh-106905), and pytest rewrites (compiles) what is imported.

    stop = threading.Event()
    app = create_app(stop)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]  # Hypercorn owns (and closes) the socket
    config.certfile, config.keyfile = tls_files
    config.alpn_protocols = ["h2"]
    config.graceful_timeout = 0.5
    config.accesslog = config.errorlog = None
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    shutdown: asyncio.Event | None = None

    async def main() -> None:
        nonlocal shutdown
        shutdown = asyncio.Event()
        ready.set()
        await serve(app, config, shutdown_trigger=shutdown.wait)  # type: ignore[arg-type]

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        stop.set()
        assert shutdown is not None
        loop.call_soon_threadsafe(shutdown.set)
        thread.join(10)
        loop.close()


def test_sse_over_http2(h2_server: str, tls_files: tuple[str, str]) -> None:
    cap = collect(RequestSpec(f"{h2_server}/sse/tour?interval=0", verify=tls_files[0],
                              http2=True, mode=Mode.SSE))
    assert cap.errors == []
    assert cap.of("response")[0].http_version == "HTTP/2"
    http1 = collect(RequestSpec(f"{h2_server}/sse/tour?interval=0", verify=tls_files[0],
                                http2=False, mode=Mode.SSE))
    assert http1.errors == []
    assert http1.of("response")[0].http_version == "HTTP/1.1"
    assert [(e.event, e.data, e.id) for e in cap.of("event")] \
        == [(e.event, e.data, e.id) for e in http1.of("event")] != []


def test_download_over_http2(h2_server: str, tls_files: tuple[str, str],
                             tmp_path: Path) -> None:
    size = 3 * 1024 * 1024 + 7
    target = tmp_path / "h2.bin"
    cap = collect(RequestSpec(f"{h2_server}/download?size={size}", verify=tls_files[0],
                              http2=True, mode=Mode.DOWNLOAD, output=str(target)))
    assert cap.errors == []
    assert cap.of("response")[0].http_version == "HTTP/2"
    [end] = cap.of("end")
    assert end.complete and end.sha256 == expected_sha256(size)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == expected_sha256(size)
