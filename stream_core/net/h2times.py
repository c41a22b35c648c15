"""When each HTTP/2 DATA frame arrived, per stream: the times of a shared connection.

Why: over HTTP/2 several responses share one connection, and httpcore queues each one's
frames until its reader asks for them, maybe after other reads of the connection. The time of
the connection's latest read (``last_t``) is then later than the frame's own. So the TLS
stream (``stream_core.net.tls``) feeds every plaintext read here as it decrypts it, with its
arrival time; the frame headers are parsed (9 bytes each, nothing else is decoded) and each
DATA frame's time and data size are queued under its stream id. The session takes them in
order (``pop``), one per body chunk: httpcore hands each non-empty DATA frame's data over as
one chunk, and an empty one (an END_STREAM) not at all.
"""

from __future__ import annotations

from collections import deque

__all__ = ["H2Times"]

DATA = 0x0
PADDED = 0x8
MAX_FRAMES = 8192  # per stream, unread: past it the oldest are forgotten (and times fall back)
MAX_STREAMS = 256  # streams with unread times; past it the oldest stream ids are forgotten


class H2Times:
    """Parses the frames of one HTTP/2 connection (server to client) as they arrive."""

    def __init__(self) -> None:
        self._head = b""  # the frame header being read (9 bytes)
        self._left = 0  # payload bytes of the current frame still to come
        self._data: list[int] | None = None  # [stream id, length, padded, pad length or -1]
        self.streams: dict[int, deque[tuple[float, int]]] = {}
        self.lost: set[int] = set()  # streams whose oldest times were forgotten

    def feed(self, data: bytes, t: float) -> None:
        """Plaintext that arrived at ``t``; frames it completes are stamped ``t``."""
        pos, end = 0, len(data)
        while pos < end:
            if not self._left and self._data is None:
                need = 9 - len(self._head)
                self._head += data[pos:pos + need]
                pos += need
                if len(self._head) < 9:
                    return
                self._start(self._head, t)
                self._head = b""
                continue
            take = min(self._left, end - pos)
            frame = self._data
            if frame is not None and frame[3] < 0 and take:
                frame[3] = data[pos]  # the pad length, first byte of a padded DATA payload
            pos += take
            self._left -= take
            if not self._left:
                self._finish(t)

    def _start(self, head: bytes, t: float) -> None:
        length = int.from_bytes(head[0:3], "big")
        self._left = length
        if head[3] == DATA:
            padded = head[4] & PADDED
            self._data = [int.from_bytes(head[5:9], "big") & 0x7FFFFFFF, length,
                          1 if padded else 0, -1 if padded else 0]
        if not length:
            self._finish(t)

    def _finish(self, t: float) -> None:
        frame, self._data = self._data, None
        if frame is None:
            return
        stream, length, padded, pad = frame
        size = length - (1 + max(pad, 0) if padded else 0)
        queue = self.streams.get(stream)
        if queue is None:
            if len(self.streams) >= MAX_STREAMS:
                oldest = min(self.streams)
                del self.streams[oldest]
                self.lost.add(oldest)
            queue = self.streams[stream] = deque()
        if len(queue) >= MAX_FRAMES:
            queue.popleft()
            self.lost.add(stream)
        queue.append((t, size))

    def pop(self, stream: int, size: int) -> float | None:
        """The arrival time of the DATA frame that brought the next ``size`` data bytes of
        ``stream``; None when it is not known (the caller takes the connection's time)."""
        queue = self.streams.get(stream)
        if queue is None or stream in self.lost:
            return None
        while queue and not queue[0][1]:
            queue.popleft()  # empty frames (END_STREAM) bring no chunk
        if not queue or queue[0][1] != size:
            self.lost.add(stream)  # out of step: this stream's times come from the connection
            return None
        return queue.popleft()[0]

    def forget(self, stream: int) -> None:
        """The stream's response is done: its times are no longer needed."""
        self.streams.pop(stream, None)
        self.lost.discard(stream)
