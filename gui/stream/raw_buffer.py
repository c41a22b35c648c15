"""A bounded copy of a response body for the Raw view.

Keeps the first ``HEAD`` bytes and the last ``TAIL`` bytes, so a body of hundreds of MiB
costs well under a MiB of memory and the view never renders more than that (rendered as text,
each kept byte costs the view ~10 bytes: 256 KiB windows, not MiBs).
"""

from __future__ import annotations

from collections import deque

HEAD = 256 * 1024
TAIL = 256 * 1024


class RawBuffer:
    """Head and tail windows of a growing byte stream."""

    def __init__(self, head: int = HEAD, tail: int = TAIL) -> None:
        self.head_limit = head
        self.tail_limit = tail
        self.head = bytearray()
        self._tail: deque[bytes] = deque()
        self._tail_size = 0
        self.total = 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if not data:
            return
        self._tail.append(data)
        self._tail_size += len(data)
        while self._tail and self._tail_size - len(self._tail[0]) >= self.tail_limit:
            self._tail_size -= len(self._tail.popleft())

    @property
    def truncated(self) -> bool:
        """True when bytes between head and tail were dropped."""
        return self.total > len(self.head) + self._tail_size

    def tail(self) -> bytes:
        """The last ``tail_limit`` bytes after the head window (may be empty)."""
        data = b"".join(self._tail)
        return data[-self.tail_limit:] if len(data) > self.tail_limit else data

    @property
    def skipped(self) -> int:
        return self.total - len(self.head) - len(self.tail())
