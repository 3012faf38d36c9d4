"""Returning freed heap memory to the OS (glibc) and staying a no-op elsewhere."""

from __future__ import annotations

import sys

from inspector.core.native_memory import release_free_memory


def test_release_reports_whether_the_platform_supports_it() -> None:
    blobs = [bytes(4096) for _ in range(20_000)]  # ~80 MB freed below: something to trim
    del blobs
    released = release_free_memory()
    assert released is sys.platform.startswith("linux")
