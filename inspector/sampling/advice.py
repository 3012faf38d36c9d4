"""Advice that fits the code: what a measured hot spot *is* decides what to recommend.

`asyncio.to_thread` is right for a coroutine that calls a blocking function, and impossible
for a `QGraphicsItem.paint` (Qt objects live on the GUI thread). So each measured finding
first classifies the code it points at, from the function's name and the stack it ran on:

    graphics-item   paint / boundingRect / shape / itemChange of a QGraphicsItem, or any
                    project frame under a paint of the scene (Qt's own dispatch, painting)
    widget-paint    a widget's paintEvent, or Qt painting with no project frame on the stack
    qt-handler      a slot, event handler or timer Qt dispatched itself (no asyncio frame)
    bus-handler     an event-bus subscriber run inside publish()
    coroutine       an asyncio callback or task step (a coroutine or a call_soon callback)

and `advice(kind)` gives the recommendation and a before/after sketch for that kind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from inspector.sampling.chrometrace import Frame

_ITEM_METHODS = frozenset(
    {"paint", "boundingRect", "shape", "itemChange", "sceneEventFilter", "hoverMoveEvent"}
)
_ITEM_HINT = re.compile(r"(Item|Pipe|Port|Node|Edge|Wire|Connection)\b")
_PAINT_EVENT = frozenset({"paintEvent", "drawBackground", "drawForeground", "drawItems"})


@dataclass(frozen=True)
class Advice:
    """What to do about code of one kind; `difficulty` is the usual effort (1-10)."""

    kind: str
    recommendation: str
    example_before: str
    example_after: str
    difficulty: int


_ADVICE = {
    "graphics-item": Advice(
        "graphics-item",
        "This runs on the GUI thread for every item Qt paints: make each paint cheaper, not "
        "concurrent. Cache the item's pixmap (setCacheMode(QGraphicsItem.DeviceCoordinateCache)),"
        " return a cached boundingRect()/shape() recomputed only on geometry change "
        "(prepareGeometryChange), repaint only what changed with update(rect), and draw less "
        "when zoomed out (level of detail from option.levelOfDetailFromTransform).",
        "def paint(self, painter, option, widget):\n    self._draw_everything(painter)",
        "def __init__(self):\n    super().__init__()\n"
        "    self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)\n\n"
        "def paint(self, painter, option, widget):\n"
        "    if option.levelOfDetailFromTransform(painter.worldTransform()) < 0.5:\n"
        "        painter.drawRect(self._rect)  # zoomed out: outline only\n        return\n"
        "    self._draw_everything(painter)",
        4,
    ),
    "widget-paint": Advice(
        "widget-paint",
        "Every frame repaints the whole viewport: let Qt repaint only what changed "
        "(setViewportUpdateMode(SmartViewportUpdate or MinimalViewportUpdate)), cache the "
        "background (setCacheMode(CacheBackground)), cache the items' pixmaps "
        "(DeviceCoordinateCache), and weigh what OpenGL multisampling costs on the renderers "
        "users have.",
        "view.setViewportUpdateMode(QGraphicsView.FullViewportUpdate)",
        "view.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)\n"
        "for item in scene.items():\n"
        "    item.setCacheMode(QGraphicsItem.DeviceCoordinateCache)",
        5,
    ),
    "qt-handler": Advice(
        "qt-handler",
        "A slot or event handler Qt dispatched holds the GUI thread: batch the work (coalesce "
        "repeated signals with a single-shot QTimer), move computation or I/O to a worker "
        "(QThreadPool, or loop.run_in_executor under qasync) and apply the result back on the "
        "GUI thread.",
        "def on_changed(self):\n    self.rebuild_everything()",
        "def on_changed(self):\n    self._rebuild_timer.start(100)  # single-shot, coalesces",
        4,
    ),
    "bus-handler": Advice(
        "bus-handler",
        "Bus handlers run synchronously inside publish(): keep each under 1 ms by moving its "
        "slow part off the loop (loop.run_in_executor) or deferring it with a coalescing "
        "QTimer, and subscribe only to the event types it needs.",
        "def on_event(self, event):\n    self.save_to_disk(event)",
        "def on_event(self, event):\n    self._pending.append(event)\n"
        "    self._flush_timer.start(200)  # single-shot, coalesces bursts",
        3,
    ),
    "coroutine": Advice(
        "coroutine",
        "Make the call asynchronous or run it off the loop "
        "(await asyncio.to_thread(fn) / loop.run_in_executor(None, fn)), or split the work "
        "with `await asyncio.sleep(0)` between chunks.",
        "async def refresh(self):\n    data = read_settings()  # blocks",
        "async def refresh(self):\n    data = await asyncio.to_thread(read_settings)",
        3,
    ),
}


def advice(kind: str) -> Advice:
    return _ADVICE.get(kind, _ADVICE["coroutine"])


def _short(function: str) -> str:
    return function.rsplit(".", 1)[-1]


def _class(function: str) -> str:
    parts = function.split(".")
    return parts[-2] if len(parts) >= 2 else ""


def code_kind(function: str, frames: Sequence[Frame] = (), dispatch: str = "asyncio") -> str:
    """The kind of code `function` is, judged with the stack it ran on (module docstring)."""
    name = _short(function)
    if name in _PAINT_EVENT:
        return "widget-paint"
    if name in _ITEM_METHODS and (name != "paint" or _ITEM_HINT.search(_class(function))):
        return "graphics-item"
    if name == "paint":
        return "graphics-item"
    painting = any(
        _short(f.function) in _ITEM_METHODS | _PAINT_EVENT or "native Qt paint" in f.function
        for f in frames
    )
    if dispatch == "qt":
        return "graphics-item" if painting and _class(function) else "qt-handler"
    return "coroutine"


def repaint_advice(config: dict[str, object], full: int, partial: int) -> Advice:
    """Widget-paint advice fitted to what the agent read from the live viewport."""
    base = advice("widget-paint")
    parts = []
    mode = str(config.get("update_mode") or "")
    opengl = config.get("opengl") is True or "OpenGL" in str(config.get("viewport_class") or "")
    if opengl and full and not partial:
        parts.append(
            "A QOpenGLWidget viewport is repainted in full on every update whatever the update "
            f"mode asks for (here {mode or 'not reported'}): every frame pays for the whole "
            "scene. Where users have no GPU driver (software GL), a raster viewport with "
            "SmartViewportUpdate repaints only what changed; with GL, make each full frame "
            "cheaper."
        )
    elif mode == "FullViewportUpdate":
        parts.append(
            "The view asks for FullViewportUpdate: switch to SmartViewportUpdate or "
            "MinimalViewportUpdate so a moved item repaints its region only."
        )
    samples = config.get("samples_requested") or config.get("samples")
    if isinstance(samples, int) and samples > 1:
        parts.append(f"{samples}x multisampling multiplies the fill cost of every frame.")
    proxies = config.get("proxy_widgets")
    if isinstance(proxies, int) and proxies > 0:
        parts.append(
            f"{proxies} embedded widgets (QGraphicsProxyWidget) are rendered through QWidget "
            "painting on every frame: draw them as items, or hide them below a zoom level."
        )
    parts.append(
        "Cache item pixmaps (setCacheMode(QGraphicsItem.DeviceCoordinateCache)) and draw "
        "less when zoomed out (level of detail)."
    )
    return Advice(
        "widget-paint", " ".join(parts), base.example_before, base.example_after, base.difficulty
    )
