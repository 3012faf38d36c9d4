"""Qt views of the inspector (PySide6 + qasync + pyqtgraph); the only place Qt lives."""

from inspector.gui.pyside_workarounds import guard_none_refcount

guard_none_refcount()  # before any Qt call: see pyside_workarounds for the PySide6 6.12 bug
