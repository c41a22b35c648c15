"""A request's secret values blanked out of its response body, read by read, exactly.

Why a module of its own: a server may echo what it was sent (an echo endpoint, an API error
that quotes the key), so a masked artifact must not hold a secret the request sent even in the
body. Each occurrence is replaced by as many ``*`` as it has bytes, so sizes, offsets and
framing stay exact. A secret may straddle reads: a read that ends with what could be the
beginning of a secret is held back (with the records after it) until the next read settles
it, so nothing is ever released half-masked; holds are rare and short (at most a secret's
length of bytes).

A compressed body (``Content-Encoding``) cannot be blanked in its wire bytes: the masker
decodes it as it goes and searches the decoded text; each read whose decoded bytes hold part
of a secret is replaced by ``*`` whole (its size kept). The events and records of that body
are blanked like any text; a replay of such a capture stops decoding at the first blanked read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from stream_core.records import Chunk, Headers

if TYPE_CHECKING:
    from stream_core.net.clients import BodyDecoder

__all__ = ["BodyMasker", "blank", "find_all"]

log = logging.getLogger(__name__)


def find_all(data: bytes, needles: Iterable[bytes]) -> list[tuple[int, int]]:
    """``(start, end)`` of every occurrence of every needle in ``data`` (overlaps included)."""
    spans = []
    for needle in needles:
        start = data.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = data.find(needle, start + 1)
    return spans


def _open_start(data: bytes, needles: Iterable[bytes]) -> int:
    """The first position from which the end of ``data`` could be the beginning of a needle
    (``len(data)`` when none): what must wait for the next read."""
    earliest = len(data)
    for needle in needles:
        first = needle[:1]
        q = data.find(first, max(0, len(data) - len(needle) + 1))
        while 0 <= q < earliest:
            if needle.startswith(data[q:]):
                earliest = q
                break
            q = data.find(first, q + 1)
    return earliest


def blank(data: bytes, spans: Iterable[tuple[int, int]], offset: int = 0) -> bytes:
    """``data`` (at ``offset`` in the stream) with the bytes of ``spans`` turned to ``*``."""
    out: bytearray | None = None
    end = offset + len(data)
    for start, stop in spans:
        lo, hi = max(start, offset), min(stop, end)
        if lo < hi:
            if out is None:
                out = bytearray(data)
            out[lo - offset:hi - offset] = b"*" * (hi - lo)
    return data if out is None else bytes(out)


class BodyMasker:
    """One response body: ``feed`` a Chunk, get back the Chunks now settled (masked copies,
    in order); ``flush`` at the end of the body releases the rest."""

    def __init__(self, needles: list[bytes], headers: Headers | None = None) -> None:
        self.needles = needles
        self._held: list[Chunk] = []
        self._decoded: list[bytes] = []  # per held chunk: its decoded bytes (compressed body)
        self._buf = b""  # the held chunks' (decoded) bytes, after some released ones
        self._start = 0  # where ``_buf`` starts in the (decoded) body
        self._held_from = 0  # where the first held chunk starts
        self._decoder: BodyDecoder | None = None
        self._errors: tuple[type[Exception], ...] = ()
        self.compressed = False
        if headers and any(k.lower() == "content-encoding" for k, _v in headers):
            # Only a compressed body needs httpx (the window imports this module at start).
            import httpx

            from stream_core.net.clients import content_decoder
            from stream_core.net.errors import StreamError
            from stream_core.net.spec import DecodeGuard

            self._errors = (httpx.DecodingError, StreamError)
            # Values hold one character per byte (records.py): back to those bytes.
            raw = [(k.encode("latin-1", "replace"), v.encode("latin-1", "replace"))
                   for k, v in headers]
            try:
                self._decoder = content_decoder(httpx.Headers(raw), DecodeGuard())
            except StreamError:  # an encoding nobody here can read: nor can anyone search it
                self._decoder = None
            self.compressed = self._decoder is not None

    def feed(self, chunk: Chunk) -> list[Chunk]:
        if not self.needles:
            return [chunk]
        data = chunk.data
        if self.compressed:
            data = b""
            if self._decoder is not None:
                try:
                    data = self._decoder.decode(chunk.data)
                except self._errors as exc:  # undecodable: unsearchable
                    log.info("masking stops decoding a body: %s", exc)
                    self._decoder = None
            self._decoded.append(data)
        self._held.append(chunk)
        self._buf += data
        return self._release(final=False)

    def flush(self) -> list[Chunk]:
        if self._decoder is not None:
            try:
                tail = self._decoder.flush()
            except self._errors:
                tail = b""
            if tail and self._held:
                self._decoded[-1] += tail
                self._buf += tail
        return self._release(final=True)

    def _release(self, final: bool) -> list[Chunk]:
        spans = [(a + self._start, b + self._start) for a, b in find_all(self._buf, self.needles)]
        settled = self._start + (len(self._buf) if final else _open_start(self._buf, self.needles))
        out: list[Chunk] = []
        pos = self._held_from
        while self._held:
            chunk = self._held[0]
            size = len(self._decoded[0]) if self.compressed else len(chunk.data)
            if pos + size > settled or (size == 0 and pos == settled and not final):
                break
            self._held.pop(0)
            if self.compressed:
                self._decoded.pop(0)
                hit = any(max(a, pos) < min(b, pos + size) for a, b in spans)
                data = b"*" * len(chunk.data) if hit else chunk.data
            else:
                data = blank(chunk.data, spans, pos)
            out.append(chunk if data is chunk.data else Chunk(chunk.seq, chunk.t, chunk.offset,
                                                              data))
            pos += size
        self._held_from = pos
        # Keep what a secret that began in the released bytes may still span, as context.
        keep = max(self._start, pos - max((len(n) for n in self.needles), default=1) + 1)
        self._buf = self._buf[keep - self._start:]
        self._start = keep
        return out

    @property
    def holding(self) -> bool:
        return bool(self._held)
