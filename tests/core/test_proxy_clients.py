"""The recording proxy with real clients: the official ``openai`` SDK, byte-exact bodies, chunk
boundaries, a 256 MiB download, and a target that dies mid-stream.

What "the same" can honestly mean: the bytes, always (SHA-256 of what the client got through
the proxy = of what the proxy read from the target = of what the client gets directly, for the
deterministic endpoints). Read boundaries only where the sender fixes them: for a paced stream
(a write every 20 ms) each write is one read with or without the proxy, so the client's read
sizes are equal; for a bulk transfer the kernel coalesces and splits differently on every run,
directly as through the proxy, so what is asserted there is that the proxy gathers nothing (no
read the client sees is larger than one network read, 64 KiB).
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from embedded_server.content import expected_sha256
from stream_core.records import AnyRecord, Chunk, End
from tests.core.test_proxy import proxy

ROOT = Path(__file__).resolve().parents[2]
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                   "required": ["location"]}}}


def _sdk(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="sk-test-SECRET", max_retries=0,
                         http_client=openai.DefaultHttpxClient(trust_env=False, timeout=20))


def _chat(base_url: str, **kw: Any) -> list[dict[str, Any]]:
    client = _sdk(base_url)
    try:
        stream = client.chat.completions.create(
            model="demo", stream=True, extra_query={"delay": 0.005}, **kw)
        chunks = [c.model_dump(exclude={"created"}) for c in stream]
    finally:
        client.close()
    return chunks


@pytest.mark.parametrize("kind", ["text", "tool_call"])
def test_openai_sdk_gets_the_same_result_through_the_proxy(demo_server: str, kind: str) -> None:
    kw: dict[str, Any] = {"messages": [{"role": "user", "content": "Tell me about streams"}]}
    if kind == "tool_call":
        kw = {"messages": [{"role": "user", "content": "What is the weather in Oslo?"}],
              "tools": [WEATHER_TOOL]}
    direct = _chat(demo_server + "/v1", **kw)
    with proxy(demo_server + "/v1") as (url, rec):
        through = _chat(url + "/v1", **kw)
        records = rec.wait_end()
    assert through == direct and len(direct) > 3
    if kind == "tool_call":
        calls = [c["choices"][0]["delta"]["tool_calls"] for c in direct
                 if c["choices"] and c["choices"][0]["delta"].get("tool_calls")]
        args = "".join(tc[0]["function"]["arguments"] or "" for tc in calls)
        assert calls[0][0]["function"]["name"] == "get_weather" and "Oslo" in args
    # The proxy's records hold every event: one per chunk the SDK parsed, plus [DONE].
    events = [r for r in records if r.type == "event"]
    assert len(events) == len(direct) + 1 and events[-1].data == "[DONE]"  # type: ignore[attr-defined]
    assert ("authorization", "Bearer sk-test-SECRET") in records[0].headers  # type: ignore[union-attr]
    # The SDK closes the response as soon as it has parsed [DONE], which can be before the
    # target's end-of-body marker reached the proxy: the exchange is complete all the same.
    assert isinstance(records[-1], End) and records[-1].complete


def _reads(url: str) -> tuple[list[int], bytes]:
    with httpx.Client(timeout=30, trust_env=False) as client, client.stream("GET", url) as r:
        pieces = list(r.iter_raw())
    return [len(p) for p in pieces], b"".join(pieces)


def _recorded_body(records: list[AnyRecord]) -> bytes:
    return b"".join(r.data for r in records if isinstance(r, Chunk))


@pytest.mark.parametrize("path", [
    "/sse/tour?interval=0.02",  # SSE, deterministic, one write per frame
    "/ndjson?interval=0.02&count=15&bad=true",  # NDJSON (a "time" field varies per run)
    "/logs_stream?interval=0.02&count=10",  # plain text lines
])
def test_paced_streams_are_byte_exact_with_the_same_read_boundaries(demo_server: str,
                                                                    path: str) -> None:
    direct_sizes, direct = _reads(demo_server + path)
    with proxy(demo_server) as (url, rec):
        sizes, body = _reads(url + path)
        records = rec.wait_end()
    assert hashlib.sha256(body).digest() == hashlib.sha256(_recorded_body(records)).digest()
    if path.startswith("/sse/tour"):
        assert body == direct
    else:  # the same bytes but for the time stamps the server puts in
        stamp = re.compile(rb'("time": |\d\d:\d\d:\d\d[.,]?)[0-9.]+')
        assert stamp.sub(b"", body) == stamp.sub(b"", direct)
    if "time" in body.decode(errors="replace"):
        # Time stamps vary in length by a digit or two: compare the boundaries by count.
        assert len(sizes) == len(direct_sizes) > 5
    else:
        assert sizes == direct_sizes and len(sizes) > 5
    assert [r.size for r in records if isinstance(r, Chunk)] == sizes


def test_bulk_sse_flood_is_byte_exact(demo_server: str) -> None:
    path = "/flood/sse?count=50000&size=64"
    _direct_sizes, direct = _reads(demo_server + path)
    with proxy(demo_server) as (url, rec):
        sizes, body = _reads(url + path)
        records = rec.wait_end()
    assert body == direct and _recorded_body(records) == body
    assert sum(1 for r in records if r.type == "event") == 50000
    assert max(sizes) <= 65536  # nothing gathered into bigger pieces


@pytest.mark.slow
def test_256_mib_download_is_byte_exact_and_streamed(demo_server: str) -> None:
    size = 256 * 1024 * 1024
    sha = hashlib.sha256()
    recorded = hashlib.sha256()
    chunk_sizes: list[int] = []
    ended = threading.Event()

    def on_exchange(_exchange: Any):  # type: ignore[no-untyped-def]
        def observer(record: AnyRecord) -> None:
            if isinstance(record, Chunk):  # bytes not kept: hashed as they pass
                recorded.update(record.data)
                chunk_sizes.append(record.size)
            elif isinstance(record, End):
                ended.set()
        return observer

    from stream_core.net.proxy_server import ProxyThread

    thread = ProxyThread(demo_server, on_exchange)
    url = thread.start()
    reads: list[int] = []
    try:
        with httpx.Client(timeout=60, trust_env=False) as client, client.stream(
                "GET", f"{url}/download?size={size}") as r:
            assert r.headers["content-length"] == str(size)
            for piece in r.iter_raw():
                sha.update(piece)
                reads.append(len(piece))
        assert ended.wait(10)
    finally:
        thread.stop()
    assert sum(reads) == size
    assert sha.hexdigest() == expected_sha256(size) == recorded.hexdigest()
    assert sum(chunk_sizes) == size
    assert max(reads) <= 65536 and len(reads) >= size // 65536


@pytest.fixture
def doomed_server() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The demo server in a child process, for a test to kill."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "embedded_server", "--port", "0"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:\d+", line)
    assert m, line
    try:
        yield proc, m.group(0)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        proc.stdout.close()


def test_target_dies_mid_stream(doomed_server: tuple[subprocess.Popen[str], str]) -> None:
    proc, target = doomed_server
    got = b""
    with proxy(target) as (url, rec):
        with httpx.Client(timeout=10, trust_env=False) as client, client.stream(
                "GET", url + "/events?interval=0.01") as r:  # endless
            with pytest.raises(httpx.RemoteProtocolError):
                for piece in r.iter_raw():
                    got += piece
                    if got.count(b"data:") == 3:
                        os.kill(proc.pid, signal.SIGKILL)
        records = rec.wait_end()
    assert got.count(b"data:") >= 3
    assert _recorded_body(records) == got  # the client got all the proxy read, no more
    errors = [r for r in records if r.type == "error"]
    assert len(errors) == 1 and errors[0].kind in ("protocol", "connect")  # type: ignore[attr-defined]
    assert isinstance(records[-1], End) and not records[-1].complete
