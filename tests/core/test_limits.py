"""Memory bounded by the input's useful size, not by a hostile server: the longest line or
event kept (``max_line``) and the decompression guard, over real sockets and in the decoders."""

from __future__ import annotations

import gzip
import resource
import time
import zlib
from collections.abc import Callable

import pytest

from stream_core.decode.lines import LineDecoder, NDJSONDecoder
from stream_core.decode.sse import SSEDecoder
from stream_core.net.clients import BodyDecoder
from stream_core.net.spec import DecodeGuard, Mode, RequestSpec
from stream_core.records import Error, Event, Record
from tests.core.conftest import collect
from tests.core.rawserver import Conn, RawServer, head

Spec = Callable[..., RequestSpec]
KiB = 1024


def feed_sse(dec: SSEDecoder, data: bytes, size: int = 1000) -> list[Event | Error]:
    out: list[Event | Error] = []
    for i in range(0, len(data), size):
        out += [r for r in dec.feed(data[i:i + size], 0.0, i // size)
                if isinstance(r, Event | Error)]
    return out


@pytest.mark.parametrize("read", [7, 1000, 100_000])
@pytest.mark.parametrize("big", [
    b"data: " + b"x" * 50_000 + b"\n",  # one long line
    b"data: y\n" * 10_000,  # many short lines, one event
    b": comment " + b"z" * 50_000 + b"\ndata: part of the dropped event\n",
])
def test_sse_event_past_max_line_is_skipped_and_the_stream_goes_on(read: int,
                                                                  big: bytes) -> None:
    dec = SSEDecoder(max_line=10 * KiB)
    stream = b"data: before\n\n" + b"id: 7\n" + big + b"\ndata: after\n\n"
    out = feed_sse(dec, stream, read)
    assert [type(r).__name__ for r in out] == ["Event", "Error", "Event"], out
    before, error, after = out
    assert isinstance(error, Error) and error.kind == "decode" and "10240" in error.message
    assert isinstance(after, Event) and after.data == "after" and after.seq == 1
    assert after.id == "7", "fields processed before the overflow stay in effect"


@pytest.mark.parametrize("read", [5, 1000, 100_000])
@pytest.mark.parametrize("cls", [NDJSONDecoder, LineDecoder])
def test_line_past_max_line_is_skipped_and_the_next_line_parsed(
        read: int, cls: type[NDJSONDecoder] | type[LineDecoder]) -> None:
    dec = cls(max_line=10 * KiB)
    stream = b'{"a":1}\n' + b'{"long":"' + b"x" * 30_000 + b'"}\n{"b":2}\n' \
        + b"y" * 10_240 + b"\n"  # exactly max_line: kept
    out: list[Record | Error] = []
    for i in range(0, len(stream), read):
        out += dec.feed(stream[i:i + read], 0.0, i // read)
    out += dec.close(0.0)
    assert [type(r).__name__ for r in out] == ["Record", "Error", "Record", "Record"], out
    assert isinstance(out[1], Error) and out[1].kind == "decode"
    assert [r.seq for r in out if isinstance(r, Record)] == [0, 1, 2]
    assert isinstance(out[2], Record) and out[2].text == '{"b":2}'


def _time_dropped(total: int, make: Callable[[], SSEDecoder | NDJSONDecoder]) -> float:
    dec = make()
    chunk = b"x" * 65536
    start = time.process_time()
    dec.feed(b"data: ", 0.0, 0)
    for i in range(total // len(chunk)):
        dec.feed(chunk, 0.0, i)
    dec.feed(b"\n\n", 0.0, 0)
    return time.process_time() - start


@pytest.mark.parametrize("make", [lambda: SSEDecoder(max_line=64 * KiB),
                                  lambda: NDJSONDecoder(max_line=64 * KiB)])
def test_skipping_is_linear(make: Callable[[], SSEDecoder | NDJSONDecoder]) -> None:
    small = large = float("inf")
    for _ in range(3):
        small = min(small, _time_dropped(4 << 20, make))
        large = min(large, _time_dropped(40 << 20, make))
    assert large < 40 * small, (small, large)


def _serve_endless_line(conn: Conn) -> None:
    """An SSE line that never ends (48 MiB of it), then a proper event."""
    conn.send(head("200 OK", "Content-Type: text/event-stream", "Transfer-Encoding: chunked"))
    block = b"x" * (1 << 20)
    piece = b"%x\r\n%s\r\n" % (len(block), block)
    conn.send(b"6\r\ndata: \r\n")
    for _ in range(48):
        conn.send(piece)
    tail = b"\n\ndata: still here\n\n"
    conn.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(tail), tail))


@pytest.mark.slow
def test_endless_line_over_the_wire_keeps_memory_bounded(fast_spec: Spec) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with RawServer(_serve_endless_line) as srv:
        cap = collect(fast_spec(srv.url, max_line=4 << 20))
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before  # KiB on Linux
    assert [e.data for e in cap.of("event")] == ["still here"]
    [(kind, message)] = cap.errors
    assert kind == "decode" and "--max-line" in message
    assert cap.end.complete, "the stream went on to its end"
    assert grown < 40 * 1024, f"peak memory grew {grown} KiB for a 48 MiB line"


def _gzip_bomb(size: int) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = b"\0" * (1 << 20)
    return b"".join(z.compress(block) for _ in range(size >> 20)) + z.flush()


@pytest.mark.slow
@pytest.mark.parametrize("mode", [Mode.SSE, Mode.RAW])
def test_gzip_bomb_is_a_decode_error(fast_spec: Spec, mode: Mode) -> None:
    bomb = _gzip_bomb(1 << 30)  # 1 GiB of zeros in about 1 MiB

    def script(conn: Conn) -> None:
        conn.send(head("200 OK", "Content-Type: text/event-stream", "Content-Encoding: gzip",
                       f"Content-Length: {len(bomb)}") + bomb)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with RawServer(script) as srv:
        cap = collect(fast_spec(srv.url, mode=mode))
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    [(kind, message)] = cap.errors
    assert kind == "decode" and "decompression bomb" in message, message
    assert not cap.end.complete
    assert cap.end.decoded_bytes <= 80 << 20
    assert grown < 200 * 1024, f"peak memory grew {grown} KiB"


def test_the_guard_can_be_loosened_or_turned_off() -> None:
    plain = b"\0" * (8 << 20)
    packed = gzip.compress(plain)
    strict = DecodeGuard(max_decoded=1 << 20, max_ratio=10)
    with pytest.raises(Exception, match="decompression bomb"):
        BodyDecoder(["gzip"], strict).decode(packed)
    for guard in (DecodeGuard(enabled=False), DecodeGuard(max_decoded=16 << 20)):
        dec = BodyDecoder(["gzip"], guard)
        assert dec.decode(packed) + dec.flush() == plain


def test_ordinary_compressed_streams_pass_the_guard() -> None:
    text = b"".join(b'data: {"i": %d, "text": "hello"}\n\n' % i for i in range(200_000))
    dec = BodyDecoder(["gzip"], DecodeGuard(max_decoded=1 << 20))
    packed = gzip.compress(text)
    out = b"".join(dec.decode(packed[i:i + 4096]) for i in range(0, len(packed), 4096))
    assert out + dec.flush() == text
