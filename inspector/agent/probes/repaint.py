"""Repaint probe: an application-wide Qt event filter counting paints per widget.

Counts `QEvent.Paint` and `QEvent.UpdateRequest` per widget class and object name, with the
painted area and full versus partial updates. For the canvas views the profile names (their
viewports) and any other widget it lists, the paint is also timed: the filter re-sends the
paint event to the widget itself and returns True, so the widget paints exactly once while we
hold the clock. The filter is created, installed and removed on the Qt GUI thread only.
"""

from __future__ import annotations

import time
from typing import Any

from inspector.agent import target
from inspector.agent.hooks import split_target
from inspector.agent.probes import Probe
from inspector.agent.stats import MAX_KEYS, DurationSample

_perf = time.perf_counter
REFRESH_S = 3.0  # how often the list of canvas viewports is refreshed
_GRAVEYARD: list[Any] = []  # removed filters wait here: never destroyed off the GUI thread


class _WidgetStats:
    __slots__ = ("area", "full", "is_canvas", "paint", "paints", "partial", "updates")

    def __init__(self, is_canvas: bool) -> None:
        self.paints = 0
        self.updates = 0
        self.area = 0
        self.full = 0
        self.partial = 0
        self.paint = DurationSample()
        self.is_canvas = is_canvas


def _matches(cls: type, wanted: list[tuple[str, str]]) -> bool:
    for klass in getattr(cls, "__mro__", ()):
        for module, qual in wanted:
            if klass.__qualname__ == qual and (not module or klass.__module__ == module):
                return True
    return False


class RepaintProbe(Probe):
    """Installs the event filter once the target has a QApplication."""

    name = "repaint"

    def __init__(self, agent: Any, config: dict[str, Any]) -> None:
        super().__init__(agent, config)
        repaint = config.get("repaint", {}) if isinstance(config.get("repaint"), dict) else {}
        self.enabled = bool(repaint.get("enabled", True))
        self.canvas = [split_target(n) for n in repaint.get("canvas", [])]
        self.timed = [split_target(n) for n in repaint.get("widgets", [])]
        self.slow_ms = float(config.get("slow_callback_ms", 50))
        self.stats: dict[tuple[str, str], _WidgetStats] = {}
        self.dropped = 0
        self.timed_ids: dict[int, tuple[str, bool]] = {}  # id(widget) -> (label, is_canvas)
        self._filter: Any = None
        self._requested = False
        self._active = True
        self._resending: int | None = None  # id of the widget whose paint we are re-sending
        self._last_refresh = 0.0
        self._paint_type: Any = None
        self._update_type: Any = None

    def poll(self) -> None:
        if not self.enabled or not self._active:
            return
        app = target.qt_app()
        if app is None or target.qt_module("QtWidgets") is None:
            return
        if not self._requested:
            self._requested = True
            target.post_to_qt_thread(self._install_on_qt)
        elif self._filter is not None and time.monotonic() - self._last_refresh > REFRESH_S:
            self._last_refresh = time.monotonic()
            target.post_to_qt_thread(self._refresh_timed)

    # -- on the Qt thread ------------------------------------------------------------------
    def _install_on_qt(self) -> None:
        try:
            core = target.qt_core()
            app = target.qt_app()
            if core is None or app is None or not self._active:
                return
            probe = self

            class RepaintFilter(core.QObject):  # type: ignore[name-defined,misc]
                def eventFilter(self, obj: Any, event: Any) -> bool:
                    try:
                        return probe._on_event(obj, event)
                    except Exception:
                        return False

            self._paint_type = core.QEvent.Type.Paint
            self._update_type = core.QEvent.Type.UpdateRequest
            self._send = core.QCoreApplication.sendEvent
            self._refresh_timed()
            self._filter = RepaintFilter()
            app.installEventFilter(self._filter)
            self._last_refresh = time.monotonic()
            self.agent.note_hook("repaint: application event filter")
        except Exception as exc:
            self.agent.report_error(f"repaint probe not installed: {exc}")

    def _refresh_timed(self) -> None:
        if not (self.canvas or self.timed):
            return
        widgets = target.qt_module("QtWidgets")
        if widgets is None:
            return
        found: dict[int, tuple[str, bool]] = {}
        for widget in widgets.QApplication.allWidgets():
            cls = type(widget)
            if self.canvas and _matches(cls, self.canvas):
                viewport = widget.viewport() if hasattr(widget, "viewport") else widget
                found[id(viewport)] = (f"{cls.__qualname__}.viewport", True)
            elif self.timed and _matches(cls, self.timed):
                if hasattr(widget, "viewport"):  # a scroll area paints on its viewport
                    found[id(widget.viewport())] = (f"{cls.__qualname__}.viewport", False)
                else:
                    found[id(widget)] = (cls.__qualname__, False)
        self.timed_ids = found

    def _on_event(self, obj: Any, event: Any) -> bool:
        if not self._active:
            return False
        etype = event.type()
        if etype is self._paint_type or etype == self._paint_type:
            timed = self.timed_ids.get(id(obj))
            if timed is not None:
                if self._resending == id(obj):
                    return False  # our own re-send: counted by _timed_paint
                return self._timed_paint(obj, event, timed)
            self._count_paint(obj, event, type(obj).__name__, False, None)
        elif etype is self._update_type or etype == self._update_type:
            stats = self._stats_for(type(obj).__name__, obj.objectName(), False)
            if stats is not None:
                stats.updates += 1
        return False

    def _timed_paint(self, obj: Any, event: Any, timed: tuple[str, bool]) -> bool:
        label, is_canvas = timed
        outer, self._resending = self._resending, id(obj)
        start = _perf()
        try:
            self._send(obj, event)  # the widget paints now, inside our clock
        finally:
            self._resending = outer
        elapsed_ms = (_perf() - start) * 1000.0
        try:
            self._count_paint(obj, event, label, is_canvas, elapsed_ms)
            if elapsed_ms >= self.slow_ms:
                loop_probe = self.agent.probe("loop")
                if loop_probe is not None:
                    loop_probe.note_slow_qt(elapsed_ms, f"{label}.paintEvent")
        except Exception:
            pass
        return True  # already delivered: Qt must not deliver it a second time

    def _count_paint(
        self, obj: Any, event: Any, label: str, is_canvas: bool, elapsed_ms: float | None
    ) -> None:
        stats = self._stats_for(label, obj.objectName(), is_canvas)
        if stats is None:
            return
        stats.paints += 1
        rect = event.rect()
        w, h = rect.width(), rect.height()
        stats.area += w * h
        if w >= obj.width() and h >= obj.height():
            stats.full += 1
        else:
            stats.partial += 1
        if elapsed_ms is not None:
            stats.paint.add(elapsed_ms)

    def _stats_for(self, cls_name: str, object_name: str, is_canvas: bool) -> _WidgetStats | None:
        key = (cls_name, object_name)
        stats = self.stats.get(key)
        if stats is None:
            if len(self.stats) >= MAX_KEYS:
                self.dropped += 1
                return None
            stats = self.stats[key] = _WidgetStats(is_canvas)
        return stats

    # -- from the agent thread ---------------------------------------------------------------
    def collect(self, now: float, interval_s: float) -> list[dict[str, Any]]:
        current, self.stats = self.stats, {}
        return [
            {
                "t": now,
                "kind": "repaint",
                "widget_class": cls_name,
                "object_name": object_name,
                "paints": s.paints,
                "update_requests": s.updates,
                "paint_ms": s.paint.rounded(),
                "area_px": s.area,
                "full_updates": s.full,
                "partial_updates": s.partial,
                "is_canvas": s.is_canvas,
            }
            for (cls_name, object_name), s in current.items()
        ]

    def uninstall(self) -> None:
        self._active = False  # the filter passes everything through from now on
        installed = self._filter
        if installed is None:
            return

        def remove() -> None:
            app = target.qt_app()
            if app is not None:
                app.removeEventFilter(installed)
            installed.deleteLater()

        _GRAVEYARD.append(installed)
        try:
            target.call_on_qt_thread(remove, timeout=2.0)
            self._filter = None
        except Exception as exc:
            self.agent.report_error(f"event filter left installed but inert: {exc}")
