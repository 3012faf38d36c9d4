"""Repaint probe: paints of the profile's canvas viewports, timed, and of every widget, sampled.

The cost stays on the objects being measured:
- the viewports of the profile's canvas views (and its other timed widgets), found by class
  name, get an event filter of their own (`PaintClock`): every paint is counted, its update
  region compared with the widget (full or partial), and timed from the Paint event to an
  end marker, without the paint ever running inside our code;
- every other widget's paints (CasareRPA paints ~276 embedded proxy widgets per canvas frame)
  are counted only in bounded bursts: an application-wide filter is installed for BURST_S
  every BURST_EVERY_S (at most BURST_MAX_EVENTS paints per burst), and those records say
  how many seconds they cover (`sampled_s`), so rates stay true;
- the viewport's configuration is read from the live widget every REFRESH_S (viewport class,
  OpenGL sample count and renderer, update mode, cache mode, scene items) and located in
  source: the view class and the app's own class around it, with the lines that set it up.
Filters are created, installed and removed on the Qt GUI thread only.
"""

from __future__ import annotations

import inspect
import re
import time
from typing import Any

from inspector.agent import target
from inspector.agent.hooks import split_target
from inspector.agent.probes import Probe
from inspector.agent.probes.paint_clock import PAINT, PaintClock, is_opengl_widget
from inspector.agent.stats import MAX_KEYS, DurationSample

UPDATE_REQUEST = 77  # QEvent::UpdateRequest
REFRESH_S = 5.0  # how often the measured viewports and their configuration are re-read
REFIND_S = 30.0  # while no viewport is found (or one died), how often to walk all widgets
BURST_EVERY_S = 15.0
BURST_S = 0.3
BURST_MAX_EVENTS = 2000  # a burst ends early once it has seen this many paint/update events
GL_RENDERER = 0x1F01
GL_VENDOR = 0x1F00
MAX_CONFIG_LINES = 12
_CONFIG_CALLS = re.compile(
    r"\b(setViewport|setViewportUpdateMode|setCacheMode|setSamples|setOptimizationFlags?|"
    r"setRenderHints?|QOpenGLWidget|QSurfaceFormat|setItemIndexMethod)\s*\("
)
_BURST_CLASS: dict[str, type] = {}


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


class _Measured:
    """One viewport (or timed widget) with its clock, this interval's stats and its setup."""

    def __init__(self, label: str, object_name: str, is_canvas: bool) -> None:
        self.label = label
        self.object_name = object_name
        self.is_canvas = is_canvas
        self.stats = _WidgetStats(is_canvas)
        self.clock: PaintClock | None = None
        self.view_cls: type | None = None
        self.owner_cls: type | None = None  # the app's own widget class around the view
        self.config: dict[str, Any] = {}
        self.renderer: str | None = None
        self.slow_stack: list[str] | None = None  # caught by the stall watcher mid-paint


def _matches(cls: type, wanted: list[tuple[str, str]]) -> bool:
    for klass in getattr(cls, "__mro__", ()):
        for module, qual in wanted:
            if klass.__qualname__ == qual and (not module or klass.__module__ == module):
                return True
    return False


def _enum_name(value: Any) -> str:
    name = getattr(value, "name", None)
    if isinstance(name, str):
        return name
    try:
        return str(int(value))
    except Exception:
        return repr(value)[:60]


def class_source(cls: type) -> dict[str, Any] | None:
    """{class, file, line} of a Python class, plus the lines in it that configure a view."""
    try:
        file = inspect.getsourcefile(cls)
        lines, first = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return None
    if not file:
        return None
    calls = []
    for offset, text in enumerate(lines):
        match = _CONFIG_CALLS.search(text)
        if match and not text.lstrip().startswith("#"):
            code = text.strip()[:160]
            calls.append({"call": match.group(1), "line": first + offset, "code": code})
            if len(calls) >= MAX_CONFIG_LINES:
                break
    return {
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "file": file,
        "line": first,
        "configures": calls,
    }


class RepaintProbe(Probe):
    """Times the canvas viewports and samples every widget's paints in bursts."""

    name = "repaint"

    def __init__(self, agent: Any, config: dict[str, Any]) -> None:
        super().__init__(agent, config)
        repaint = config.get("repaint", {}) if isinstance(config.get("repaint"), dict) else {}
        self.enabled = bool(repaint.get("enabled", True))
        self.canvas = [split_target(n) for n in repaint.get("canvas", [])]
        self.timed = [split_target(n) for n in repaint.get("widgets", [])]
        self.bursts = bool(repaint.get("bursts", True))
        self.burst_every_s = float(repaint.get("burst_every_s", BURST_EVERY_S))
        self.burst_s = float(repaint.get("burst_s", BURST_S))
        self.source_package = str(config.get("source_package") or "")
        self.slow_ms = float(config.get("slow_callback_ms", 50))
        self.measured: dict[int, _Measured] = {}  # id(viewport) -> what we measure on it
        self.burst_stats: dict[tuple[str, str], _WidgetStats] = {}
        self.burst_seconds = 0.0  # burst time covered by burst_stats
        self.dropped = 0
        self._match_cache: dict[type, tuple[bool, bool]] = {}
        self._sources: dict[type, dict[str, Any] | None] = {}
        self._requested = False
        self._active = True
        self._installed = False
        self._last_refresh = 0.0
        self._last_find = 0.0
        self._lost_viewport = False
        self._last_burst = time.monotonic()
        self._burst_filter: Any = None
        self._burst_started = 0.0
        self._burst_events = 0

    # -- scheduling, from the agent thread ---------------------------------------------------
    def poll(self) -> None:
        if not self.enabled or not self._active:
            return
        if target.qt_app() is None or target.qt_module("QtWidgets") is None:
            return
        now = time.monotonic()
        if not self._requested:
            self._requested = True
            self._last_refresh = now
            target.post_to_qt_thread(self._install_on_qt)
            return
        if not self._installed:
            return
        if now - self._last_refresh > REFRESH_S:
            self._last_refresh = now
            target.post_to_qt_thread(self._refresh_on_qt)
        if self.bursts and now - self._last_burst > self.burst_every_s:
            self._last_burst = now
            target.post_to_qt_thread(self._start_burst)
        for measured in list(self.measured.values()):
            for cls in (measured.view_cls, measured.owner_cls):
                if cls is not None and cls not in self._sources:
                    self._sources[cls] = class_source(cls)  # file reads: not on the GUI thread

    # -- on the Qt thread ------------------------------------------------------------------
    def _install_on_qt(self) -> None:
        try:
            if not self._active:
                return
            self._find_viewports()
            self._installed = True
            self._refresh_on_qt()  # the configuration from the first record on
            self.agent.note_hook(
                f"repaint: filters on {len(self.measured)} viewport(s); other widgets in bursts"
            )
        except Exception as exc:
            self.agent.report_error(f"repaint probe not installed: {exc}")

    def _refresh_on_qt(self) -> None:
        if not self._active:
            return
        try:
            now = time.monotonic()
            # Walking every widget costs ~1 ms per thousand on the GUI thread (CasareRPA
            # has thousands, inside its nodes): only while a measured viewport is missing.
            if not self.measured or (self._lost_viewport and now - self._last_find > REFIND_S):
                self._lost_viewport = False
                self._find_viewports()
            for key, measured in list(self.measured.items()):
                clock = measured.clock
                if clock is None or clock.widget is None:
                    continue
                try:
                    measured.config = self._read_config(measured, clock.widget)
                except RuntimeError:  # the C++ widget is gone
                    clock.remove()
                    del self.measured[key]
                    self._lost_viewport = True
        except Exception as exc:
            self.agent.report_error(f"repaint refresh failed: {exc}")

    def _classify(self, cls: type) -> tuple[bool, bool]:
        hit = self._match_cache.get(cls)
        if hit is None:
            canvas = bool(self.canvas) and _matches(cls, self.canvas)
            timed = not canvas and bool(self.timed) and _matches(cls, self.timed)
            hit = self._match_cache[cls] = (canvas, timed)
        return hit

    def _find_viewports(self) -> None:
        self._last_find = time.monotonic()
        if not (self.canvas or self.timed):
            return
        widgets = target.qt_module("QtWidgets")
        if widgets is None:
            return
        for widget in widgets.QApplication.allWidgets():
            is_canvas, is_timed = self._classify(type(widget))
            if not (is_canvas or is_timed):
                continue
            viewport = widget.viewport() if hasattr(widget, "viewport") else widget
            if id(viewport) in self.measured:
                continue
            cls = type(widget)
            label = f"{cls.__qualname__}.viewport" if viewport is not widget else cls.__qualname__
            measured = _Measured(label, viewport.objectName(), is_canvas)
            measured.view_cls = cls
            measured.owner_cls = self._owner_class(widget)
            measured.clock = PaintClock(
                viewport,
                lambda full, area, m=measured: self._paint_started(m, full, area),
                lambda ms, m=measured: self._paint_ended(m, ms),
            )
            self.measured[id(viewport)] = measured

    def _owner_class(self, widget: Any) -> type | None:
        """The nearest enclosing widget class from the app's own package (what sets it up)."""
        package = self.source_package
        if not package:
            return None
        current = widget
        for _ in range(12):
            if current is None:
                return None
            cls = type(current)
            if cls.__module__ == package or cls.__module__.startswith(package + "."):
                return cls
            current = current.parentWidget()
        return None

    def _read_config(self, measured: _Measured, viewport: Any) -> dict[str, Any]:
        view = viewport.parentWidget()
        config: dict[str, Any] = {
            "item_count": measured.config.get("item_count"),
            "proxy_widgets": measured.config.get("proxy_widgets"),
            "viewport_class": type(viewport).__name__,
            "opengl": is_opengl_widget(viewport),
            "width": viewport.width(),
            "height": viewport.height(),
        }
        if config["opengl"]:
            try:  # what the app asked for, and what the context it got has
                config["samples_requested"] = int(viewport.format().samples())
                context = viewport.context()
                if context is not None:
                    config["samples"] = int(context.format().samples())
            except Exception:
                pass
            if measured.renderer is None:
                measured.renderer = self._gl_renderer(viewport)
            config["gl_renderer"] = measured.renderer
            if measured.renderer:
                low = measured.renderer.lower()
                config["software_gl"] = any(
                    s in low for s in ("llvmpipe", "softpipe", "software", "swrast")
                )
        for attr, key in (("viewportUpdateMode", "update_mode"), ("cacheMode", "cache_mode")):
            getter = getattr(view, attr, None)
            if getter is not None:
                try:
                    config[key] = _enum_name(getter())
                except Exception:
                    pass
        scene = getattr(view, "scene", None)
        if scene is not None:
            try:
                items = scene().items() if scene() is not None else []
                if len(items) != config.get("item_count"):
                    widgets = target.qt_module("QtWidgets")
                    proxy = getattr(widgets, "QGraphicsProxyWidget", None)
                    config["proxy_widgets"] = (
                        sum(1 for i in items if isinstance(i, proxy)) if proxy else None
                    )
                config["item_count"] = len(items)
            except Exception:
                pass
        return config

    @staticmethod
    def _gl_renderer(viewport: Any) -> str | None:
        """GL_RENDERER of the viewport's context ("llvmpipe ..." is software), or None."""
        gui = target.qt_module("QtGui")
        if gui is None or not getattr(viewport, "isValid", lambda: False)():
            return None
        try:
            viewport.makeCurrent()
            try:
                context = gui.QOpenGLContext.currentContext()
                if context is None:
                    return None
                functions = context.functions()
                renderer = functions.glGetString(GL_RENDERER)
                vendor = functions.glGetString(GL_VENDOR)
            finally:
                viewport.doneCurrent()
        except Exception:
            return None
        text = renderer.decode() if isinstance(renderer, bytes) else str(renderer or "")
        if vendor:
            text += f" ({vendor.decode() if isinstance(vendor, bytes) else vendor})"
        return text or None

    # -- paint clocks (Qt thread) --------------------------------------------------------------
    def _paint_started(self, measured: _Measured, full: bool, area: int) -> None:
        stats = measured.stats
        stats.paints += 1
        stats.area += area
        if full:
            stats.full += 1
        else:
            stats.partial += 1

    def _paint_ended(self, measured: _Measured, ms: float) -> None:
        measured.stats.paint.add(ms)
        stack, measured.slow_stack = measured.slow_stack, None
        if ms >= self.slow_ms:
            loop_probe = self.agent.probe("loop")
            if loop_probe is not None:
                # The app's own class that sets the view up, else the view class itself.
                source = self._sources.get(measured.owner_cls) if measured.owner_cls else None
                if source is None and measured.view_cls is not None:
                    source = self._sources.get(measured.view_cls)
                loop_probe.note_slow_qt(
                    ms,
                    f"native Qt paint of {measured.label}",
                    (source or {}).get("file", ""),
                    (source or {}).get("line", 0),
                    stack=stack,
                )

    def pending_paint(self) -> tuple[float, _Measured] | None:
        """(perf_counter start, widget) of a measured paint in progress (stall watcher)."""
        for measured in list(self.measured.values()):
            clock = measured.clock
            if clock is not None and clock.pending_since:
                return clock.pending_since, measured
        return None

    # -- bursts: every widget's paints, for a bounded moment (Qt thread) ------------------------
    def _start_burst(self) -> None:
        if not self._active or self._burst_filter is not None:
            return
        core = target.qt_core()
        app = target.qt_app()
        if core is None or app is None:
            return
        cls = _burst_class(core)
        self._burst_filter = cls(app)
        self._burst_filter.probe = self
        self._burst_events = 0
        self._burst_started = time.perf_counter()
        app.installEventFilter(self._burst_filter)
        core.QTimer.singleShot(int(self.burst_s * 1000), app, self._end_burst)

    def _end_burst(self) -> None:
        installed, self._burst_filter = self._burst_filter, None
        if installed is None:
            return
        installed.probe = None
        app = target.qt_app()
        if app is not None:
            app.removeEventFilter(installed)
        installed.deleteLater()
        self.burst_seconds += time.perf_counter() - self._burst_started

    def burst_event(self, obj: Any, etype: int, event: Any) -> None:
        self._burst_events += 1
        if self._burst_events >= BURST_MAX_EVENTS:
            if self._burst_events == BURST_MAX_EVENTS:  # enough: uninstall at the next turn
                core, app = target.qt_core(), target.qt_app()
                if core is not None and app is not None:
                    core.QTimer.singleShot(0, app, self._end_burst)
            return
        if etype == PAINT:
            if id(obj) in self.measured:
                return  # counted in full by its own clock
            stats = self._burst_stats_for(type(obj).__name__, obj.objectName())
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
        else:
            stats = self._burst_stats_for(type(obj).__name__, obj.objectName())
            if stats is not None:
                stats.updates += 1

    def _burst_stats_for(self, cls_name: str, object_name: str) -> _WidgetStats | None:
        key = (cls_name, object_name)
        stats = self.burst_stats.get(key)
        if stats is None:
            if len(self.burst_stats) >= MAX_KEYS:
                self.dropped += 1
                return None
            stats = self.burst_stats[key] = _WidgetStats(False)
        return stats

    # -- from the agent thread ---------------------------------------------------------------
    def collect(self, now: float, interval_s: float) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for measured in list(self.measured.values()):
            stats, measured.stats = measured.stats, _WidgetStats(measured.is_canvas)
            if not stats.paints and not stats.paint.count:
                continue
            clock = measured.clock
            record = _record(now, measured.label, measured.object_name, stats)
            record.update(
                {
                    "timed": True,
                    "sampled_s": None,
                    "paint_clock": clock.clock_kind if clock is not None else None,
                    "lost_paints": clock.lost if clock is not None else 0,
                    "viewport": dict(measured.config),
                    "view_source": self._sources.get(measured.view_cls)
                    if measured.view_cls
                    else None,
                    "owner_source": self._sources.get(measured.owner_cls)
                    if measured.owner_cls
                    else None,
                }
            )
            out.append(record)
        if self.burst_stats:
            burst, self.burst_stats = self.burst_stats, {}
            seconds, self.burst_seconds = self.burst_seconds, 0.0
            for (cls_name, object_name), stats in burst.items():
                record = _record(now, cls_name, object_name, stats)
                record.update({"timed": False, "sampled_s": round(seconds, 3)})
                out.append(record)
        return out

    def uninstall(self) -> None:
        self._active = False
        measured, self.measured = list(self.measured.values()), {}

        def remove() -> None:
            for m in measured:
                if m.clock is not None:
                    m.clock.remove()
            self._end_burst()

        try:
            target.call_on_qt_thread(remove, timeout=2.0)
        except Exception as exc:
            self.agent.report_error(f"repaint filters left installed but inert: {exc}")
            for m in measured:  # inert: the filters and markers drop their reference to us
                if m.clock is not None:
                    m.clock.disarm()
            burst = self._burst_filter
            if burst is not None:
                burst.probe = None
        self._sources.clear()
        self._match_cache.clear()


def _record(now: float, label: str, object_name: str, s: _WidgetStats) -> dict[str, Any]:
    return {
        "t": now,
        "kind": "repaint",
        "widget_class": label,
        "object_name": object_name,
        "paints": s.paints,
        "update_requests": s.updates,
        "paint_ms": s.paint.rounded(),
        "area_px": s.area,
        "full_updates": s.full,
        "partial_updates": s.partial,
        "is_canvas": s.is_canvas,
    }


def _burst_class(core: Any) -> type:
    """The application-wide burst filter class, built once per Qt binding."""
    found = _BURST_CLASS.get(core.__name__)
    if found is not None:
        return found

    class RepaintBurstFilter(core.QObject):  # type: ignore[name-defined,misc]
        """Installed on the application for a bounded burst only."""

        probe: RepaintProbe | None = None

        def eventFilter(self, obj: Any, event: Any) -> bool:
            probe = self.probe
            if probe is not None:
                try:
                    etype = event.type()
                    if etype in (PAINT, UPDATE_REQUEST):
                        probe.burst_event(obj, etype, event)
                except Exception:
                    pass
            return False

    _BURST_CLASS[core.__name__] = RepaintBurstFilter
    return RepaintBurstFilter
