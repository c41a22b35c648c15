"""HTTP/2 frame times: every DATA frame gets the arrival time of the read that completed it,
queued under its stream, however the reads split the frames (padding included)."""

from __future__ import annotations

import h2.config
import h2.connection

from stream_core.net.h2times import H2Times


def server_bytes() -> tuple[bytes, list[tuple[int, int]]]:
    """What a server sends for two streams: SETTINGS, HEADERS, DATA (one padded, one
    empty END_STREAM) interleaved; and the (stream, data size) of each DATA frame in order."""
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    client = h2.connection.H2Connection()
    client.initiate_connection()
    for sid in (1, 3):
        client.send_headers(sid, [(":method", "GET"), (":path", "/"), (":scheme", "https"),
                                  (":authority", "x")], end_stream=True)
    conn.receive_data(client.data_to_send())
    frames = []
    for sid in (1, 3):
        conn.send_headers(sid, [(":status", "200")])
    for sid, data, pad in ((1, b"a" * 10, 0), (3, b"b" * 300, 17), (1, b"c" * 5, 0),
                           (3, b"", 0), (1, b"d" * 14_000, 4)):
        conn.send_data(sid, data, pad_length=pad or None, end_stream=not data)
        frames.append((sid, len(data)))
    return conn.data_to_send(), frames


def test_every_split_of_the_reads_gives_each_frame_its_completing_read() -> None:
    wire, frames = server_bytes()
    for cut in range(1, len(wire)):
        times = H2Times()
        times.feed(wire[:cut], 1.0)
        times.feed(wire[cut:], 2.0)
        got = [(sid, size) for sid in (1, 3) for _t, size in times.streams.get(sid, ())]
        assert sorted(got) == sorted(frames), cut
        for sid in (1, 3):
            for size in [s for f, s in frames if f == sid]:
                if not size:
                    continue
                t = times.pop(sid, size)
                assert t in (1.0, 2.0), cut


def test_pop_follows_the_chunks_and_gives_up_when_out_of_step() -> None:
    wire, _frames = server_bytes()
    times = H2Times()
    times.feed(wire, 5.0)
    assert times.pop(1, 10) == 5.0
    assert times.pop(1, 5) == 5.0
    assert times.pop(3, 300) == 5.0
    assert times.pop(3, 1) is None  # (no such frame: this stream falls back from now on)
    assert times.pop(3, 300) is None
    times.forget(3)
    assert 3 not in times.streams
    assert times.pop(1, 14_000) == 5.0
