"""Counting and timing the paints of one widget (the canvas viewport) during a workload.

An event filter on the viewport catches `QEvent.Paint`, re-sends the event to the viewport
inside our clock and swallows the original, so the viewport paints exactly once per event and
we know how long that paint took. Created, installed and removed on the Qt GUI thread.
"""

from __future__ import annotations

import time
from typing import Any

from inspector.agent import target


class PaintMeter:
    """Paint count and paint durations (ms) of one widget since the last `reset`."""

    def __init__(self, widget: Any) -> None:
        core = target.qt_core()
        if core is None:
            raise RuntimeError("the target has no Qt")
        self.widget = widget
        self.paints = 0
        self.durations_ms: list[float] = []
        self._inside = False
        paint_type = core.QEvent.Type.Paint
        send = core.QCoreApplication.sendEvent
        meter = self

        class WorkloadPaintFilter(core.QObject):  # type: ignore[name-defined,misc]
            def eventFilter(self, obj: Any, event: Any) -> bool:
                if meter._inside or event.type() != paint_type:
                    return False
                meter._inside = True
                start = time.perf_counter()
                try:
                    send(obj, event)
                finally:
                    meter._inside = False
                meter.durations_ms.append((time.perf_counter() - start) * 1000.0)
                meter.paints += 1
                return True  # delivered above; Qt must not paint it twice

        self._filter = WorkloadPaintFilter()
        widget.installEventFilter(self._filter)

    def reset(self) -> None:
        self.paints = 0
        self.durations_ms = []

    def remove(self) -> None:
        try:
            self.widget.removeEventFilter(self._filter)
        except Exception:
            pass  # the widget is gone; so is its filter list
