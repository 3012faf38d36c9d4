"""libcst parsing without re-validating what the parser just built.

Every libcst node validates itself on construction (`CSTNode.__post_init__` -> `_validate`),
which is right for hand-built nodes and redundant for nodes the parser makes from source it
has just accepted; libcst's own comment there says as much ("PERF: ... avoid validating the
tree when parsing a file"). On CasareRPA that validation is a sixth of parsing. The switch is
scoped to the parse call and restored after it, even when parsing fails.
"""

from __future__ import annotations

import threading

import libcst as cst

_lock = threading.Lock()  # the switch is process-wide: one parse at a time flips it


def _no_validation(self: cst.CSTNode) -> None:
    return None


def parse_module(source: str) -> cst.Module:
    """`libcst.parse_module(source)`, skipping node validation during the parse."""
    with _lock:
        original = cst.CSTNode.__post_init__
        cst.CSTNode.__post_init__ = _no_validation  # type: ignore[method-assign]
        try:
            return cst.parse_module(source)
        finally:
            cst.CSTNode.__post_init__ = original  # type: ignore[method-assign]
