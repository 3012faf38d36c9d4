"""Hand freed heap memory back to the operating system where the allocator keeps it.

A live session parses tens of thousands of small records a second on background threads.
glibc keeps what they free in per-thread arenas, so the inspector's RSS crept up ~15 MB/min
while its Python objects stayed flat (tracemalloc showed ~40 MB traced at 330 MB RSS).
`malloc_trim(0)` returns those pages. Windows' and macOS' allocators give memory back on
their own, so elsewhere this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache
from typing import Any


@cache
def _glibc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None  # musl has no malloc_trim
    except OSError:
        return None


def release_free_memory() -> bool:
    """Return freed heap pages to the OS; True when the platform supports doing so."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
