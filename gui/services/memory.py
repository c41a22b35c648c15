"""Give a closed tab's memory back to the system.

Why: a tab that held a flood (a million events: ~200 MB) is freed by Python when it closes,
but glibc's allocator keeps most of the freed pages in its heaps, so the process's RSS stays
where the flood left it. ``give_back()`` collects (the young generations), then asks glibc to
return its free pages (``malloc_trim``); elsewhere it only collects.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import sys
from functools import cache

__all__ = ["give_back"]

logger = logging.getLogger(__name__)


@cache
def _malloc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim  # glibc only (musl has none)
    except (OSError, AttributeError):
        logger.debug("no malloc_trim here: freed memory stays with the allocator")
        return None


def give_back() -> None:
    """Collect the young generations' garbage, then return the allocator's free pages to the
    system (glibc).

    Not a full collection: it walks the whole heap with the GUI thread held (0.27 s with one
    big tab open on the shared box, more with a bigger heap), and a closed tab does not need
    it: nothing keeps one in a cycle (``tests/gui/test_tab_memory.py``), so its controller,
    models and views are freed by their reference counts when Qt deletes them.
    """
    gc.collect(1)
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
