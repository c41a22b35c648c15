"""Guards for the private internals of dependencies that pyproject.toml bounds from above.

Each test names the internal, where the code relies on it and the pin; when a release
changes it, the failure says what to look at before the bound is lifted.
"""

from __future__ import annotations

import asyncio
import gzip
import inspect
from typing import Any

import httpcore
import httpx
import pytest

from stream_core.net.netstream import BufferedBackend, buffered_transport


def _pin(dep: str, internal: str, where: str) -> str:
    return (f"{dep} {internal} changed: {where} relies on it (pyproject.toml bounds {dep}); "
            f"adapt {where} before lifting the bound")


def test_httpx_decoders() -> None:
    from httpx import _decoders

    why = _pin("httpx", "_decoders", "stream_core/net/clients.py content_decoder")
    assert {"gzip", "deflate", "identity"} <= set(getattr(_decoders, "SUPPORTED_DECODERS", {})), why
    assert all(issubclass(d, _decoders.ContentDecoder)
               for d in _decoders.SUPPORTED_DECODERS.values()), why
    decoder = _decoders.MultiDecoder([_decoders.SUPPORTED_DECODERS["gzip"]()])
    assert decoder.decode(gzip.compress(b"data: x\n\n")) + decoder.flush() == b"data: x\n\n", why
    text = _decoders.TextDecoder()
    assert text.decode(b"\xc3") + text.decode(b"\xa9") + text.flush() == "\u00e9", \
        _pin("httpx", "_decoders.TextDecoder", "benchmarks/parse.py")


def test_httpcore_sends_the_target_extension_as_the_request_target() -> None:
    why = _pin("httpcore", 'the "target" request extension', "stream_core/net/proxy.py")
    request = httpcore.Request("OPTIONS", "http://127.0.0.1:1/", extensions={"target": b"*"})
    assert request.url.target == b"*", why


def test_httpx_transport_pool_takes_our_network_backend(demo_server: str) -> None:
    why = _pin("httpx/httpcore", "AsyncHTTPTransport._pool._network_backend",
               "stream_core/net/netstream.py buffered_transport")
    transport = httpx.AsyncHTTPTransport()
    assert isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool), why
    assert hasattr(transport._pool, "_network_backend"), why

    connected: list[str] = []

    class Counting(BufferedBackend):
        async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
            connected.append(host)
            return await super().connect_tcp(host, port, *args, **kwargs)

    async def fetch() -> int:
        transport = buffered_transport(verify=True, http2=False, limits=httpx.Limits())
        transport._pool._network_backend = Counting()
        async with httpx.AsyncClient(transport=transport) as client:
            return (await client.get(f"{demo_server}/health")).status_code

    assert asyncio.run(fetch()) == 200
    assert connected == ["127.0.0.1"], why  # the pool opened its connection through it


def test_uvicorn_server_internals() -> None:
    import uvicorn

    why = _pin("uvicorn", "Server startup/shutdown(sockets=), server_state.connections, "
               "should_exit/force_exit, config.timeout_graceful_shutdown",
               "embedded_server/runner.py")
    for method in ("startup", "shutdown"):
        params = inspect.signature(getattr(uvicorn.Server, method)).parameters
        assert "sockets" in params, why
    serve = inspect.getsource(uvicorn.Server)
    assert "await self.startup(sockets=sockets)" in serve, why
    assert "await self.shutdown(sockets=sockets)" in serve, why
    assert "timeout_graceful_shutdown" in inspect.getsource(uvicorn.Server.shutdown), why
    server = uvicorn.Server(uvicorn.Config(app=None))
    assert isinstance(server.server_state.connections, set), why
    assert server.should_exit is False and server.force_exit is False, why
    assert hasattr(server.config, "timeout_graceful_shutdown"), why


def test_uvicorn_h11_protocol_internals_the_proxy_uses() -> None:
    from uvicorn.protocols.http import h11_impl

    from stream_core.net import proxy_server as proxy

    why = _pin("uvicorn", "protocols.http.h11_impl.H11Protocol.connection_made(transport) and"
               " its cut-response log line", "stream_core/net/proxy_server.py")
    params = list(inspect.signature(h11_impl.H11Protocol.connection_made).parameters)
    assert params == ["self", "transport"], why
    source = inspect.getsource(h11_impl)
    assert f'"{proxy._CUT}"' in source, why  # the message the proxy's filter drops
    assert "self.transport.write(output)" in inspect.getsource(
        h11_impl.RequestResponseCycle.send), why  # a body chunk is written at once


def test_qasync_loop_internals_the_gui_fixtures_use(qapp: Any) -> None:
    qasync = pytest.importorskip("qasync")
    why = _pin("qasync", "QEventLoop(already_running=), _after_run_forever, "
               "_QEventLoop__is_running", "tests/gui/conftest.py aloop")
    assert "already_running" in inspect.signature(qasync.QEventLoop).parameters, why
    loop = qasync.QEventLoop(qapp, already_running=True)
    try:
        assert callable(getattr(loop, "_after_run_forever", None)), why
        assert getattr(loop, "_QEventLoop__is_running", None) is True, why
        qapp.aboutToQuit.disconnect(loop._after_run_forever)
        loop._QEventLoop__is_running = False
    finally:
        asyncio.events._set_running_loop(None)
        loop.close()


def test_qasync_timer_internals_the_window_loop_uses(qapp: Any) -> None:
    """gui/services/qtloop.py frees a cancelled ``call_later`` at once (issue 23.20) through
    qasync's timer object: a changed qasync would leave timers behind, or kill live ones."""
    qasync = pytest.importorskip("qasync")
    from gui.services.qtloop import EventLoop

    why = _pin("qasync", "QEventLoop._timer/_add_callback/call_later, _SimpleTimer.add_callback,"
               " timerEvent and __callbacks", "gui/services/qtloop.py")
    later = inspect.getsource(qasync.QEventLoop.call_later)
    assert "self._add_callback(" in later and "asyncio.Handle(callback, args, self" in later, why
    assert "self._timer.add_callback(handle, delay)" in inspect.getsource(
        qasync.QEventLoop._add_callback), why
    add = inspect.getsource(qasync._SimpleTimer.add_callback)
    assert "self.startTimer(" in add and "self.__callbacks[timerid] = handle" in add, why
    fired = inspect.getsource(qasync._SimpleTimer.timerEvent)
    assert "self.__callbacks[timerid]" in fired and "handle._run()" in fired, why
    assert "del self.__callbacks[timerid]" in fired and "self.killTimer(timerid)" in fired, why
    loop = EventLoop(qapp)
    try:
        assert isinstance(loop._timer, qasync._SimpleTimer), why
        calls = getattr(loop._timer, "_SimpleTimer__callbacks", None)
        assert isinstance(calls, dict), why
        handle = loop.call_later(300, lambda: None)
        assert list(calls.values()) == [handle], why
        handle.cancel()
        assert not calls, why
    finally:
        loop.close()


def test_httpx_sse_decoders_the_parse_benchmark_compares_with() -> None:
    decoders = pytest.importorskip("httpx_sse._decoders")
    why = _pin("httpx-sse", "_decoders.SSELineDecoder/SSEDecoder", "benchmarks/parse.py")
    lines = decoders.SSELineDecoder().decode("data: a\n\n")
    assert lines == ["data: a", ""], why
    sse = decoders.SSEDecoder()
    assert sse.decode("data: a") is None and sse.decode("").data == "a", why
