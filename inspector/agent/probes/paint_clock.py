"""Timing one widget's paints from the outside, so the paint never runs inside our code.

The old way (an event filter that re-sent the paint event inside our own clock and swallowed
the original) put the whole native paint under our Python frame, and py-spy charged it to us.
Here the filter only notes the start and returns False; Qt then paints the widget on its own
path (for a QGraphicsView viewport, the scroll area's filter calls the view's paintEvent),
and an end marker that arrives after the paint stops the clock:
- a QOpenGLWidget (CasareRPA's viewport): its `frameSwapped` signal, emitted once the window
  has composed the widget's texture, so the software rasterizer's work (llvmpipe) is inside;
- any other widget: a zero-cost event posted to our marker object at paint start; Qt delivers
  it in the next pass over posted events, right after the current dispatch (the paint and the
  backing-store flush) returns. Timers that fell due during the paint may run first, so this
  clock can only read long, never short; records say which clock was used (`paint_clock`).
The C++ code in between is not ours: py-spy sees the app's frames (its item paint methods)
and Qt's native code, never a frame of the agent.

Qt classes are built once per Qt binding and carry no closure over an agent, so attaching
and detaching again and again creates no new types and keeps nothing of a detached agent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from inspector.agent import target

PAINT = 12  # QEvent::Paint; event types are compared as ints (no enum lookups)
MARKER = 1000  # QEvent::User: the type of the event posted to our own marker object
MAX_PAINT_S = 5.0  # a start whose end marker never came is dropped, never reported as a paint
_perf = time.perf_counter
_CLASSES: dict[str, tuple[type, type]] = {}


def _qt_classes(core: Any) -> tuple[type, type]:
    """(start filter class, end marker class) for this binding, created once per process."""
    found = _CLASSES.get(core.__name__)
    if found is not None:
        return found

    class PaintStartFilter(core.QObject):  # type: ignore[name-defined,misc]
        """Notes when a watched widget starts painting; never takes part in the paint."""

        clock: PaintClock | None = None

        def eventFilter(self, obj: Any, event: Any) -> bool:
            clock = self.clock
            if clock is not None:
                try:
                    if event.type() == PAINT:
                        clock.started(obj, event)
                except Exception:
                    pass
            return False

    class PaintEndMarker(core.QObject):  # type: ignore[name-defined,misc]
        """Receives the event posted at paint start: the paint's dispatch has returned."""

        clock: PaintClock | None = None

        def event(self, event: Any) -> bool:
            if event.type() != MARKER:
                # DeferredDelete among others: swallowing it would keep us alive for good
                return super().event(event)
            clock = self.clock
            if clock is not None:
                try:
                    clock.ended("posted_marker")
                except Exception:
                    pass
            return True

    _CLASSES[core.__name__] = (PaintStartFilter, PaintEndMarker)
    return PaintStartFilter, PaintEndMarker


def is_opengl_widget(widget: Any) -> bool:
    return any(k.__name__ == "QOpenGLWidget" for k in type(widget).__mro__)


class PaintClock:
    """Counts and times the paints of one widget; create and `remove` on the Qt GUI thread.

    `on_start(full, area_px)` is called at each paint's start (full: the update region
    covers the whole widget), `on_end(ms)` once the paint is over. `pending_since` is the
    perf_counter time of a paint in progress (0.0 when none), for the stall watcher.
    """

    def __init__(
        self,
        widget: Any,
        on_start: Callable[[bool, int], None],
        on_end: Callable[[float], None],
    ) -> None:
        core = target.qt_core()
        if core is None:
            raise RuntimeError("the target has no Qt")
        self.widget = widget
        self.on_start = on_start
        self.on_end = on_end
        self.pending_since = 0.0
        self.clock_kind = "posted_marker"
        self.lost = 0  # paints whose end marker never came (e.g. widget hidden mid-paint)
        self._core = core
        self._posted = False
        start_cls, marker_cls = _qt_classes(core)
        # Owned by the application (C++), so dropping our last reference on the agent's
        # thread can never destroy them there; `remove` deletes them on the GUI thread.
        app = target.qt_app()
        self._filter = start_cls(app)
        self._filter.clock = self
        self._marker = marker_cls(app)
        self._marker.clock = self
        self._swapped_connected = False
        if is_opengl_widget(widget):
            try:
                widget.frameSwapped.connect(self._swapped)
                self._swapped_connected = True
                self.clock_kind = "frame_swapped"
            except Exception:
                pass
        widget.installEventFilter(self._filter)

    # -- on the Qt thread, from the filter and the markers -----------------------------------
    def started(self, obj: Any, event: Any) -> None:
        now = _perf()
        if self.pending_since:
            self.lost += 1  # the previous paint never saw its end marker
        self.pending_since = now
        rect = event.rect()
        w, h = rect.width(), rect.height()
        self.on_start(w >= obj.width() and h >= obj.height(), w * h)
        if not self._posted:
            self._posted = True
            core = self._core
            core.QCoreApplication.postEvent(self._marker, core.QEvent(core.QEvent.Type(MARKER)))

    def ended(self, via: str) -> None:
        if via == "posted_marker":
            self._posted = False
        start = self.pending_since
        if not start:
            return  # the other marker already ended this paint
        self.pending_since = 0.0
        elapsed = _perf() - start
        if elapsed > MAX_PAINT_S:
            self.lost += 1
            return
        self.on_end(elapsed * 1000.0)

    def _swapped(self) -> None:
        try:
            self.ended("frame_swapped")
        except Exception:
            pass

    def disarm(self) -> None:
        """From any thread: the filter and marker pass everything through from now on."""
        self._filter.clock = None
        self._marker.clock = None

    def remove(self) -> None:
        """Uninstall (on the Qt thread); safe when the widget is already gone."""
        self.disarm()
        try:
            self.widget.removeEventFilter(self._filter)
        except Exception:
            pass
        if self._swapped_connected:
            try:
                self.widget.frameSwapped.disconnect(self._swapped)
            except Exception:
                pass
        self.widget = None
        for obj in (self._filter, self._marker):
            try:
                obj.deleteLater()  # a marker event still queued is discarded with it
            except Exception:
                pass
