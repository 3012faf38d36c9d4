"""Counting and timing the paints of one widget (the canvas viewport) during a workload.

A `PaintClock` watches the viewport from outside: its filter notes each paint's start and
lets Qt paint as usual; an end marker (the QOpenGLWidget's `frameSwapped`, else an event
posted at paint start) stops the clock. The paint never runs inside our code, so py-spy
charges it to the app's paint code and Qt, not to this module. Created, installed and
removed on the Qt GUI thread.
"""

from __future__ import annotations

from typing import Any

from inspector.agent.probes.paint_clock import PaintClock


class PaintMeter:
    """Paint count, full-viewport paints and paint durations (ms) since the last `reset`."""

    def __init__(self, widget: Any) -> None:
        self.widget = widget
        self.paints = 0
        self.full_paints = 0
        self.durations_ms: list[float] = []
        self._clock = PaintClock(widget, self._started, self._ended)

    @property
    def clock_kind(self) -> str:
        return self._clock.clock_kind

    def _started(self, full: bool, _area: int) -> None:
        self.paints += 1
        self.full_paints += full

    def _ended(self, ms: float) -> None:
        self.durations_ms.append(ms)

    def reset(self) -> None:
        self.paints = 0
        self.full_paints = 0
        self.durations_ms = []

    def remove(self) -> None:
        self._clock.remove()
