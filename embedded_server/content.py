"""Deterministic download content, generated on the fly and cheap to verify.

Why: the demo server must serve downloads of any size (up to 16 GiB) without a file on
disk, fast enough that loopback benchmarks measure the client and not the server, and a
client or test must be able to compute the expected bytes and SHA-256 independently.

The content of a download of ``size`` bytes is the infinite repetition of a 64 KiB
pattern that depends on ``size``, cut at ``size`` bytes::

    P(size) = SHA256(b"stream-inspector:%d:%d" % (size, 0))
            + SHA256(b"stream-inspector:%d:%d" % (size, 1))
            + ... up to j = 2047                     # 2048 digests * 32 bytes = 64 KiB
    byte[i] = P(size)[i % 65536]                     for 0 <= i < size

Different sizes give different bytes, so a resumed download that mixes two sizes is caught
by its checksum. ``block()`` slices precomputed buffers, so producing 1 MiB costs one copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import lru_cache

__all__ = ["PATTERN_SIZE", "block", "etag", "expected_sha256", "iter_blocks", "pattern"]

PATTERN_SIZE = 64 * 1024
_DIGESTS = PATTERN_SIZE // 32
# A window of pattern repetitions large enough that any slice of up to _WINDOW bytes
# starting at an offset inside the first pattern is one contiguous slice.
_WINDOW = 1024 * 1024
_REPEATS = _WINDOW // PATTERN_SIZE + 1


@lru_cache(maxsize=16)
def pattern(size: int) -> bytes:
    """The 64 KiB pattern that a download of ``size`` bytes repeats (see module docs)."""
    return b"".join(
        hashlib.sha256(b"stream-inspector:%d:%d" % (size, j)).digest() for j in range(_DIGESTS)
    )


@lru_cache(maxsize=16)
def _window(size: int) -> memoryview:
    """The pattern repeated past 1 MiB, so a block is one slice and one copy."""
    return memoryview(pattern(size) * _REPEATS)


def block(size: int, offset: int, length: int) -> bytes:
    """Bytes ``[offset, offset + length)`` of the download of ``size`` bytes.

    ``length`` is clipped at ``size``; blocks of up to 1 MiB cost one slice copy.
    """
    length = max(0, min(length, size - offset))
    if length <= 0:
        return b""
    window = _window(size)
    start = offset % PATTERN_SIZE
    if length <= _WINDOW:
        return bytes(window[start:start + length])
    parts = []
    while length > 0:
        n = min(length, _WINDOW)
        parts.append(window[start:start + n])
        length -= n
        start = (start + n) % PATTERN_SIZE
    return b"".join(parts)


def iter_blocks(size: int, start: int = 0, end: int | None = None,
                chunk: int = _WINDOW) -> Iterator[tuple[int, int]]:
    """``(offset, length)`` pieces covering ``[start, end)`` in writes of ``chunk`` bytes."""
    stop = size if end is None else min(end, size)
    for offset in range(start, stop, chunk):
        yield offset, min(chunk, stop - offset)


def expected_sha256(size: int, start: int = 0, end: int | None = None) -> str:
    """Hex SHA-256 of the download of ``size`` bytes (or of its range ``[start, end)``)."""
    digest = hashlib.sha256()
    for offset, length in iter_blocks(size, start, end):
        digest.update(block(size, offset, length))
    return digest.hexdigest()


def etag(size: int) -> str:
    """Strong ETag of the download of ``size`` bytes: changes with the content, i.e. the size."""
    return f'"si-{size:x}-{pattern(size)[:4].hex()}"'
