"""Work around PySide6 6.12's refcount leaks of None/True/False on Python 3.11.

Measured here: with PySide6/shiboken6 6.12.0 on CPython 3.11, every call of a Qt method that
returns void (QPainter.drawLine, QWidget.update, QTimer.setInterval, ...) *decrements* the
reference count of None, and every `Signal.emit` decrements True's. Python >= 3.12 makes these
singletons immortal so nothing happens there; on 3.11 a window that paints for a few minutes
drives the count to zero and the interpreter aborts ("none_dealloc: deallocating None",
"bool_dealloc"). We give them the effectively-infinite count 3.12 gives them; they are never
deallocated anyway, so this changes nothing else.
"""

from __future__ import annotations

import ctypes
import sys

_BALLAST = 1 << 60


def guard_none_refcount() -> bool:
    """Make None, True and False immortal in practice on CPython < 3.12; whether it acted."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    for singleton in (None, True, False, NotImplemented, Ellipsis):
        refcnt = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt is the first field
        if refcnt.value < _BALLAST // 2:
            refcnt.value += _BALLAST
    return True
