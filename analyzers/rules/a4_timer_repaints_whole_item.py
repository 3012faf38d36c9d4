"""CIA412: an animation tick that repaints a whole item or view to move one small detail."""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    arg,
    body_nodes,
    call_name,
    call_receiver,
    dotted,
    int_value,
    methods_of,
    reachable_methods,
)
from analyzers.rules.a4_fast_timer_without_visibility import _int_constants, _reaches_target

_FAST_MS = 100
# Signals that fire once per animation frame: a timer's timeout, a QVariantAnimation's
# valueChanged, a QTimeLine's frameChanged.
_TICK_SIGNALS = ("timeout", "valueChanged", "frameChanged")
_FRAME_SIGNALS = ("valueChanged", "frameChanged")
# State that moves a small part of a larger drawing: a spinner's angle, a dash offset, a
# blinking dot, a pulse, a progress ring. Opacity, alpha and a glow are left out: a fade or a
# light over the surface changes the whole item, so the whole item has to be repainted.
_DETAIL = re.compile(
    r"angle|phase|offset|dash|blink|spin|pulse|rotation|frame|step|tick|progress|dot"
    r"|caret|cursor_visible|marching",
    re.I,
)
_PAINT_METHODS = ("paint", "paintEvent", "drawForeground", "drawBackground")
_DRAW_CALL = re.compile(r"^(draw|fill|stroke)", re.I)
# A painting this size or larger is more than the animated detail.
_MIN_DRAW_CALLS = 5
_WHOLE = ("self.update", "self.viewport().update", "self.scene().update")


def _assigned_attrs(func: cst.CSTNode, owner: str) -> set[str]:
    """Attributes of `owner` (`self`, `node`) the function assigns: `owner.x = ...`, `+=`."""
    out: set[str] = set()
    for sub, _ in body_nodes(func):
        targets: list[cst.BaseExpression] = []
        if isinstance(sub, cst.Assign):
            targets = [t.target for t in sub.targets]
        elif isinstance(sub, (cst.AugAssign, cst.AnnAssign)):
            targets = [sub.target]
        for target in targets:
            if (
                isinstance(target, cst.Attribute)
                and isinstance(target.value, cst.Name)
                and target.value.value == owner
            ):
                out.add(target.attr.value)
    return out


def _dash_offsets(module: cst.Module | None) -> set[str]:
    """Attribute names handed to `pen.setDashOffset(...)` anywhere in the module: the detail
    they move is a dashed border, which runs around the whole outline."""
    if module is None:
        return set()
    out: set[str] = set()
    for call in m.findall(module, m.Call(func=m.Attribute(attr=m.Name("setDashOffset")))):
        name = dotted(arg(call, 0)) if isinstance(call, cst.Call) else None  # type: ignore[arg-type]
        if name:
            out.add(name.rsplit(".", 1)[-1])
    return out


def _stops_on_arrival(
    methods: dict[str, cst.FunctionDef], reach: list[str] | set[str], driver: str
) -> bool:
    """The tick stops its own timer once the animated values arrive (`if abs(x - target) <
    0.01: self._timer.stop()`): a hover or fade easing that runs for a fraction of a second
    after an event, not a continuous animation."""
    return any(
        isinstance(sub, cst.Call)
        and call_name(sub) == "stop"
        and call_receiver(sub) == driver
        and any(isinstance(a, cst.If) and _reaches_target(a.test) for a in ancestors)
        for name in reach
        for sub, ancestors in body_nodes(methods[name])
    )


def _draw_calls(methods: dict[str, cst.FunctionDef]) -> int:
    """Painter calls in the class's paint methods and the helpers they call."""
    names: set[str] = set()
    for paint in _PAINT_METHODS:
        if paint in methods:
            names.update(reachable_methods(methods, paint))
    return sum(
        1
        for name in names
        for sub, _ in body_nodes(methods[name])
        if isinstance(sub, cst.Call) and _DRAW_CALL.match(call_name(sub))
    )


class TimerRepaintsWholeItem(Rule):
    """A spinner or a marching border should not repaint the node or view around it."""

    ID = "CIA412"
    AREA = 4
    TITLE = "Animation tick repaints a whole item to move a small detail"
    RATIONALE = (
        "A timer or animation firing 10-60 times a second calls `update()` with no "
        "rectangle, so each frame invalidates the whole item or viewport: every item "
        "overlapping it runs `paint()` again and the full area is re-rasterized, although "
        "only a spinner, a blinking dot or a dash offset moved. With several such items (one "
        "per running node) the canvas repaints continuously."
    )
    IMPACT = 4
    FREQUENCY = 8
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Invalidate only the animated part: keep its rectangle (`self._spinner_rect`) and "
        "call `self.update(self._spinner_rect)`; for a border, update the thin strips it "
        "covers. Stop the timer when the item is hidden or the animation is done."
    )
    EXAMPLE_BEFORE = """\
def _spin(self):
    self._angle = (self._angle + 30) % 360
    self.update()
"""
    EXAMPLE_AFTER = """\
def _spin(self):
    self._angle = (self._angle + 30) % 360
    self.update(self._spinner_rect)
"""
    TAGS = ("qt", "rendering", "timer")
    TRIGGERS = ("update()",)
    VALID = (
        # The whole widget is the blinking dot: updating all of it is updating the detail.
        Valid(
            """\
            class RecordingDot(QWidget):
                def __init__(self):
                    self.setFixedSize(12, 12)
                    self._timer = QTimer(self)
                    self._timer.timeout.connect(self._blink)
                    self._timer.start(50)

                def _blink(self):
                    self._blink_on = not self._blink_on
                    self.update()

                def paintEvent(self, event):
                    painter = QPainter(self)
                    painter.drawEllipse(1, 1, 10, 10)
            """
        ),
        # Only the spinner's rectangle is invalidated.
        Valid(
            """\
            class NodeItem(QGraphicsItem):
                def __init__(self):
                    self._timer = QTimer()
                    self._timer.timeout.connect(self._spin)
                    self._timer.start(16)

                def _spin(self):
                    self._angle = (self._angle + 30) % 360
                    self.update(self._spinner_rect)

                def paint(self, painter, option, widget):
                    painter.fillRect(self._rect, self._bg)
                    painter.drawRoundedRect(self._rect, 6, 6)
                    painter.drawText(self._title_rect, self._title)
                    painter.drawPixmap(self._icon_rect, self._icon)
                    painter.drawLine(self._sep)
                    painter.drawArc(self._spinner_rect, self._angle * 16, 120 * 16)
            """
        ),
        # A fade changes the whole item.
        Valid(
            """\
            class Toast(QWidget):
                def __init__(self):
                    self._fade = QVariantAnimation(self)
                    self._fade.valueChanged.connect(self._on_fade)

                def _on_fade(self, value):
                    self._opacity = value
                    self.update()

                def paintEvent(self, event):
                    p = QPainter(self)
                    p.fillRect(self.rect(), self._bg)
                    p.drawText(self.rect(), self._text)
                    p.drawPixmap(0, 0, self._icon)
                    p.drawLine(0, 0, 10, 0)
                    p.drawRect(self.rect())
            """
        ),
        # A hover easing whose tick stops its own timer once the value arrives: a fraction
        # of a second after each enter or leave, not a continuous animation.
        Valid(
            """\
            class HoverCard(QWidget):
                def __init__(self):
                    self._timer = QTimer(self)
                    self._timer.setInterval(16)
                    self._timer.timeout.connect(self._ease)

                def enterEvent(self, event):
                    self._target_phase = 1.0
                    self._timer.start()

                def _ease(self):
                    self._phase += (self._target_phase - self._phase) * 0.2
                    if abs(self._target_phase - self._phase) < 0.01:
                        self._timer.stop()
                    self.update()

                def paintEvent(self, event):
                    p = QPainter(self)
                    p.fillRect(self.rect(), self._bg)
                    p.drawText(self.rect(), self._text)
                    p.drawPixmap(0, 0, self._icon)
                    p.drawLine(0, 0, 10, 0)
                    p.drawEllipse(self._dot_rect.translated(self._phase * 10, 0))
            """
        ),
        # Twice a second is cheap whatever it repaints.
        Valid(
            """\
            class Editor(QWidget):
                def __init__(self):
                    self._caret_timer = QTimer(self)
                    self._caret_timer.timeout.connect(self._blink_caret)
                    self._caret_timer.start(500)

                def _blink_caret(self):
                    self._caret_visible = not self._caret_visible
                    self.viewport().update()
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            class NodeItem(QGraphicsItem):
                def __init__(self):
                    self._spin_timer = QTimer()
                    self._spin_timer.timeout.connect(self._spin)
                    self._interval = 16

                def start_running(self):
                    self._spin_timer.start(self._interval)

                def _spin(self):
                    self._angle = (self._angle + 30) % 360
                    self.update()

                def paint(self, painter, option, widget):
                    painter.fillRect(self._rect, self._bg)
                    painter.drawRoundedRect(self._rect, 6, 6)
                    painter.drawText(self._title_rect, self._title)
                    self._draw_ports(painter)
                    painter.drawArc(self._spinner_rect, self._angle * 16, 120 * 16)

                def _draw_ports(self, painter):
                    for port in self._ports:
                        painter.drawEllipse(port.rect)
            """,
            line=12,
            message_contains="self._angle",
        ),
        # One timer for all running nodes, each repainted whole to move its dashed border.
        Invalid(
            """\
            class AnimationCoordinator:
                def __init__(self):
                    self._timer = QTimer()
                    self._timer.timeout.connect(self._tick)
                    self._timer.start(50)

                def _tick(self):
                    self._offset = (self._offset + 1) % 8
                    for node in self._animated_nodes:
                        node._dash_offset = self._offset
                        node.update()
            """,
            line=11,
            message_contains="node._dash_offset",
        ),
        # The same, where the node paints the offset as a marching dashed border: the
        # border runs around the whole outline, so the whole item is nearly the right rect.
        Invalid(
            """\
            class Coordinator:
                def __init__(self):
                    self._timer = QTimer()
                    self._timer.timeout.connect(self._tick)
                    self._timer.start(50)

                def _tick(self):
                    self._offset = (self._offset + 1) % 8
                    for node in self._running:
                        node._march_offset = self._offset
                        node.update()

            class RunningNode(QGraphicsItem):
                def paint(self, painter, option, widget):
                    pen = QPen(self._color)
                    pen.setDashOffset(self._march_offset)
                    painter.setPen(pen)
                    painter.drawRoundedRect(self._rect, 6, 6)
            """,
            line=11,
            message_contains="dashed border",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return super().wants(source) and any(f".{s}.connect" in source for s in _TICK_SIGNALS)

    def visit_Module(self, node: cst.Module) -> None:
        self._module = node
        self._dashes: set[str] | None = None
        self._module_constants = {
            name: value
            for stmt in node.body
            if isinstance(stmt, cst.SimpleStatementLine)
            for name, value in _int_constants(stmt).items()
        }

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods = methods_of(node)
        constants = dict(self._module_constants)
        for method in methods.values():
            constants.update(_int_constants(method))
        slots: dict[str, tuple[str, str]] = {}  # slot -> (driver, signal)
        intervals: dict[str, int] = {}
        single_shot: set[str] = set()
        for method in methods.values():
            for sub, _ in body_nodes(method):
                if not isinstance(sub, cst.Call):
                    continue
                name = call_name(sub)
                receiver = call_receiver(sub) or ""
                if name == "connect" and receiver.rsplit(".", 1)[-1] in _TICK_SIGNALS:
                    slot = dotted(arg(sub, 0)) or ""
                    if slot.startswith("self.") and slot.count(".") == 1:
                        driver, _, signal = receiver.rpartition(".")
                        slots.setdefault(slot[5:], (driver, signal))
                elif name in ("start", "setInterval"):
                    expr = arg(sub, 0)
                    value = int_value(expr)
                    if value is None and expr is not None:
                        value = constants.get(dotted(expr) or "")
                    if value is not None:
                        intervals[receiver] = min(value, intervals.get(receiver, value))
                elif name == "setSingleShot":
                    flag = arg(sub, 0)
                    if not (isinstance(flag, cst.Name) and flag.value == "False"):
                        single_shot.add(receiver)
        draw_calls: int | None = None
        for slot, (driver, signal) in sorted(slots.items()):
            if slot not in methods or driver in single_shot:
                continue
            if signal in _FRAME_SIGNALS:
                rate = "every animation frame"
            elif 0 < intervals.get(driver, _FAST_MS) < _FAST_MS:
                rate = f"every {intervals[driver]} ms"
            else:
                continue
            reach = reachable_methods(methods, slot)
            if _stops_on_arrival(methods, reach, driver):
                continue
            for name in reach:
                found = self._whole_update(methods[name])
                if found is None:
                    continue
                call, owner, moved = found
                if owner == "self":
                    if draw_calls is None:
                        draw_calls = _draw_calls(methods)
                    if draw_calls < _MIN_DRAW_CALLS:
                        continue
                    what = f"all of {node.name.value}"
                else:
                    what = f"each whole `{owner}`"
                message = (
                    f"`{dotted(call.func)}()` in {name}() (driven by `{driver}.{signal}`, "
                    f"{rate}) repaints {what} to move `{moved}`: update only the animated "
                    f"part's rect, and stop the timer when hidden."
                )
                if self._dashes is None:
                    self._dashes = _dash_offsets(getattr(self, "_module", None))
                if moved.rsplit(".", 1)[-1] in self._dashes:
                    # A marching dashed border runs around the whole outline: the rect it
                    # needs is most of the item's, so a smaller update gains little.
                    self.report(
                        call,
                        f"`{dotted(call.func)}()` in {name}() (driven by `{driver}.{signal}`, "
                        f"{rate}) repaints {what} to move `{moved}`, a dashed border "
                        "(`setDashOffset`) that runs around the whole outline: the whole item "
                        "is nearly the rect it needs, so a smaller update saves little; keep "
                        "the timer stopped while nothing animates. LOW.",
                        impact=1,
                        frequency=4,
                    )
                    return
                self.report(call, message)
                return

    @staticmethod
    def _whole_update(func: cst.FunctionDef) -> tuple[cst.Call, str, str] | None:
        """(the no-rect update call, whose, the detail attribute it animates), if any."""
        own = sorted(a for a in _assigned_attrs(func, "self") if _DETAIL.search(a))
        for sub, ancestors in body_nodes(func):
            if not isinstance(sub, cst.Call) or sub.args or call_name(sub) != "update":
                continue
            receiver = call_receiver(sub) or ""
            if dotted(sub.func) in _WHOLE:
                if own:
                    return sub, "self", f"self.{own[0]}"
                continue
            # `for node in self._animated: node._offset = ...; node.update()`
            loop = next((a for a in reversed(ancestors) if isinstance(a, cst.For)), None)
            if loop is None or not isinstance(loop.target, cst.Name):
                continue
            if receiver != loop.target.value:
                continue
            moved = sorted(a for a in _assigned_attrs(loop.body, receiver) if _DETAIL.search(a))
            if moved:
                return sub, receiver, f"{receiver}.{moved[0]}"
        return None
