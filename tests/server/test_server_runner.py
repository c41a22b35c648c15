"""``ServerThread``: real port for port 0, quick stop with endless streams open, no leftovers."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from embedded_server.runner import ServerThread

ENDLESS = [
    "/events?interval=0.5",                      # sse-starlette, endless
    "/sse/tour?interval=60",                     # hand-written SSE, long pauses
    "/logs_stream?interval=60&count=100",
    "/ndjson?interval=60&count=100",
    "/download?size=1000000000&rate=1000",       # throttled download
    "/faults/resume?drop_every=1000&count=1000&interval=60",
]


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2.0)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_port_zero_reports_the_real_port() -> None:
    server = ServerThread(port=0)
    url = server.start()
    try:
        assert url == f"http://127.0.0.1:{server.port}" == server.url
        assert server.port > 0
        assert httpx.get(f"{url}/health").json() == {"status": "ok"}
    finally:
        server.stop()
    assert _refused(server.port)


def _idle_stop_s() -> float:
    """How long this machine takes, right now, to stop a server with no stream open."""
    idle = ServerThread()
    idle.start()
    began = time.monotonic()
    idle.stop()
    return time.monotonic() - began


def test_stop_with_open_streams_is_quick_and_leaves_nothing() -> None:
    baseline = _idle_stop_s()
    server = ServerThread()
    url = server.start()
    responses = []
    with httpx.Client(timeout=10.0) as client:
        try:
            for path in ENDLESS:
                response = client.send(client.build_request("GET", url + path), stream=True)
                responses.append(response)
                assert next(response.iter_raw())  # the stream is live
            # a flood nobody reads: the server is stuck on flow control, not in a pause
            responses.append(client.send(client.build_request("GET", f"{url}/flood/bytes?mib=16000"),
                                         stream=True))
            began = time.monotonic()
            server.stop()
            took = time.monotonic() - began
        finally:
            for response in responses:
                response.close()
    # Within a second of what an idle stop takes here (open streams must not hold it up; a
    # loaded machine slows both alike).
    assert took < baseline + 1.0, f"stop took {took:.2f} s, an idle stop {baseline:.2f} s"
    assert _refused(server.port)
    again = ServerThread(port=server.port)  # the port is free to bind again
    assert again.start() == url
    again.stop()


def test_context_manager_and_idempotent_stop() -> None:
    with ServerThread() as server:
        assert httpx.get(f"{server.url}/health").status_code == 200
    server.stop()
    assert _refused(server.port)


def test_busy_port_raises_and_leaves_no_thread() -> None:
    with ServerThread() as server:
        with pytest.raises(OSError):
            ServerThread(port=server.port).start()


def test_start_twice_is_an_error() -> None:
    with ServerThread() as server, pytest.raises(RuntimeError):
        server.start()


def test_port_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        _ = ServerThread().port



def test_warm_walks_every_route_before_the_server_says_it_serves() -> None:
    """``warm`` sends one request through the whole router (it matches no route: 404), so
    FastAPI has built every route's parameter models before the first real request."""
    import asyncio
    import threading

    from starlette.types import Message, Receive, Scope, Send

    from embedded_server.app import create_app, warm

    app = create_app(threading.Event())
    statuses: list[int] = []

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            await send(message)

        await app(scope, receive, keep)

    asyncio.run(warm(recording))
    assert statuses == [404]
