"""A guard against PySide6 6.12's `None` reference-count bug on Python 3.11.

PySide6/shiboken6 6.12.0 return `None` from void C++ methods (`QPainter.drawLine`,
`setRenderHint`, `setPen`, ...) without taking a reference. From Python 3.12 `None` is immortal
(PEP 683) so nothing happens; on 3.11 every such call drops `None`'s count by one, and a canvas
that paints for a few seconds drives it to zero: "Fatal Python error: none_dealloc". Measured
here: 100 `QPainter.drawLine` calls lower `sys.getrefcount(None)` by exactly 100.

The demo must not die of a binding bug, so on affected versions it lends `None` a huge number
of references once at start-up (leaking references to `None` is harmless). The real fix is a
PySide6 without the bug (6.11.x), which the project's environment should pin.
"""

from __future__ import annotations

import ctypes
import sys

# Enough references that ~10^5 void calls a second would take centuries to use them up.
_LOAN = 1 << 48


def guard_none_refcount(pyside_version: tuple[int, ...]) -> bool:
    """Lend `None` references if this Python and PySide6 have the bug; True if it did."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if tuple(pyside_version[:2]) < (6, 12):
        return False
    refcount = ctypes.c_ssize_t.from_address(id(None))
    if refcount.value < _LOAN:
        refcount.value += _LOAN
    return True
