"""Which sampled frames are the project's own code, and their paths relative to its root."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path, PurePath

from inspector.sampling.chrometrace import Frame

_LIBRARY_PARTS = ("site-packages", "dist-packages", ".venv", "venv")


@lru_cache(maxsize=1024)
def _resolved_root(root: str) -> str:
    return os.path.normcase(str(Path(root).resolve()))


@lru_cache(maxsize=65536)
def relpath(file: str, root: str) -> str | None:
    """`file` relative to `root` with POSIX separators, or None if it is not project code.

    Library code that happens to live under the root (a virtualenv inside the repository)
    is not project code.
    """
    if not file or file.startswith("<") or "\x00" in file:
        # py-spy reads file names out of the target's memory: a torn or native name can hold
        # a null byte, which no path can (Path.resolve raises "embedded null byte")
        return None
    base = _resolved_root(root)
    try:
        full = os.path.normcase(str(Path(file).resolve()))
    except (OSError, RuntimeError, ValueError):
        return None
    if not (full == base or full.startswith(base.rstrip(os.sep) + os.sep)):
        return None
    rel = PurePath(os.path.relpath(full, base)).as_posix()
    if any(part in _LIBRARY_PARTS for part in rel.split("/")):
        return None
    return rel


def is_project(frame: Frame, root: str) -> bool:
    return relpath(frame.file, root) is not None


def display_path(file: str, root: str) -> str:
    """Relative path for project files; otherwise the file as py-spy named it."""
    return relpath(file, root) or file.replace("\\", "/")
