"""CIA403: a QTimer firing faster than 100 ms whose tick never checks visibility."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    arg,
    body_nodes,
    call_name,
    call_receiver,
    dotted,
    int_value,
    methods_of,
    names_text,
    reachable_methods,
)

_FAST_MS = 100
_START_CALL = re.compile(r"timer[\w.()]*\s*\.\s*(?:start|setInterval)\s*\(\s*", re.I)
_VISIBILITY = ("isVisible", "isHidden", "visibleRegion", "isMinimized", "isActiveWindow")
_VISIBILITY_EVENTS = ("hideEvent", "showEvent", "changeEvent")
# A timer stopped in the handler that hides (or closes) what it serves, and started where that
# is shown, ticks only while it is on screen (a tooltip's pointer poll).
_HIDE_METHOD = re.compile(r"hide|close", re.I)
_SHOW_METHOD = re.compile(r"show|open|popup|pop_up", re.I)
# What a tick may call and still cost nothing while hidden: a repaint request, arithmetic.
_LIGHT_CALLS = frozenset(
    {"self.update", "abs", "min", "max", "int", "float", "round", "divmod", "len"}
)
# Value objects a tick may build for a setter (a colour, a point) at no cost worth a timer.
_VALUE_TYPES = frozenset(
    {"QColor", "QPoint", "QPointF", "QRect", "QRectF", "QSize", "QSizeF", "QLineF"}
)
_SETTER = re.compile(r"^set[A-Z]")
# View items are not widgets: they get no show/hide events, and the view paints them only
# while it is visible itself.
_VIEW_ITEMS = frozenset({"QListWidgetItem", "QTreeWidgetItem", "QTableWidgetItem", "QStandardItem"})
# A drag, hover or press begins and ends in a pair of handlers (or event-filter branches); Qt
# delivers those only to a widget on screen under the pointer.
_BEGIN_HANDLERS = frozenset(
    {
        "enterEvent",
        "dragEnterEvent",
        "dragMoveEvent",
        "mousePressEvent",
        "mouseMoveEvent",
        "hoverEnterEvent",
        "hoverMoveEvent",
    }
)
_END_HANDLERS = frozenset(
    {"leaveEvent", "dragLeaveEvent", "dropEvent", "mouseReleaseEvent", "hoverLeaveEvent"}
)
_BEGIN_EVENTS = frozenset(
    {"Enter", "DragEnter", "DragMove", "MouseButtonPress", "MouseMove", "HoverEnter", "HoverMove"}
)
_END_EVENTS = frozenset({"Leave", "DragLeave", "Drop", "MouseButtonRelease", "HoverLeave"})


def _light_call(name: str) -> bool:
    """A call a tick can make many times a second for nothing worth a timer while hidden:
    arithmetic, a clock, a value object, a property setter (`effect.setColor(c)`)."""
    last = name.rsplit(".", 1)[-1]
    return (
        name in _LIGHT_CALLS
        or name.startswith(("math.", "time."))
        or name in _VALUE_TYPES
        or bool(_SETTER.match(last) and "." in name)
    )


def _int_constants(module_or_class_body: cst.CSTNode) -> dict[str, int]:
    """`NAME = 16` and `self._interval = 16` assignments, for resolving timer intervals."""
    out: dict[str, int] = {}
    for node, _ in body_nodes(module_or_class_body):
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            value = int_value(node.value)
            name = dotted(node.targets[0].target)
            if value is not None and name:
                out[name] = value
    return out


def _reaches_target(test: cst.BaseExpression) -> bool:
    """`abs(self._glow - self._target) < 0.01`, `self._step >= STEPS`: an ordering test, the
    shape of "the animation has arrived" (an error flag is a plain truth test)."""
    ordering = (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual)
    return any(
        isinstance(sub, cst.Comparison)
        and any(isinstance(c.operator, ordering) for c in sub.comparisons)
        for sub in (test, *(n for n, _ in body_nodes(test)))
    )


def _empties(test: cst.BaseExpression) -> bool:
    """`not self._items`, `not items and ...`, `len(self._items) == 0`: a "nothing left" test."""
    for sub in (test, *(n for n, _ in body_nodes(test))):
        if (
            isinstance(sub, cst.UnaryOperation)
            and isinstance(sub.operator, cst.Not)
            and isinstance(sub.expression, (cst.Name, cst.Attribute))
        ):
            return True
        if (
            isinstance(sub, cst.Comparison)
            and isinstance(sub.left, cst.Call)
            and call_name(sub.left) == "len"
            and len(sub.comparisons) == 1
            and isinstance(sub.comparisons[0].operator, cst.Equal)
            and int_value(sub.comparisons[0].comparator) == 0
        ):
            return True
    return False


def _interaction(method: str, ancestors: tuple[cst.CSTNode, ...]) -> str:
    """Whether a call sits where a drag, hover or press begins ("begin") or ends ("end"): its
    handler, or the branch of an event filter testing for that event type; "" elsewhere."""
    if method in _BEGIN_HANDLERS:
        return "begin"
    if method in _END_HANDLERS:
        return "end"
    for i in range(len(ancestors) - 1, -1, -1):
        node = ancestors[i]
        inner = ancestors[i + 1] if i + 1 < len(ancestors) else None
        # Only the if's own body: its else branch is every other event.
        if isinstance(node, cst.If) and inner is node.body:
            words = {w.lstrip(".") for w in names_text(node.test).split()}
            if words & _BEGIN_EVENTS:
                return "begin"
            if words & _END_EVENTS:
                return "end"
    return ""


class FastTimerWithoutVisibilityCheck(Rule):
    """Animation or minimap timers keep ticking while nobody can see the result."""

    ID = "CIA403"
    AREA = 4
    TITLE = "High-frequency timer with no visibility check"
    RATIONALE = (
        "A QTimer under 100 ms wakes the GUI thread 10+ times a second. When its tick "
        "repaints or rescans items without asking whether the widget is visible, a hidden "
        "minimap, a minimized window or an off-screen animation still costs CPU on every "
        "tick and competes with input handling and the qasync event loop."
    )
    IMPACT = 3
    FREQUENCY = 8
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Return early from the tick when `not self.isVisible()` (or the view is minimized), "
        "and better, stop the timer in `hideEvent` and start it in `showEvent`; keep "
        "intervals at >= 100 ms unless the timer drives a visible animation."
    )
    EXAMPLE_BEFORE = """\
self._timer.timeout.connect(self._tick)
self._timer.start(16)

def _tick(self):
    self._offset += 1
    self.update()
"""
    EXAMPLE_AFTER = """\
def showEvent(self, event):
    self._timer.start(16)

def hideEvent(self, event):
    self._timer.stop()

def _tick(self):
    if not self.isVisible():
        return
    self._offset += 1
    self.update()
"""
    TAGS = ("qt", "timer", "cpu")
    TRIGGERS = ("timeout.connect",)
    VALID = (
        Valid(
            """\
            class Minimap:
                def __init__(self):
                    self._timer = QTimer(self)
                    self._timer.timeout.connect(self._refresh)
                    self._timer.start(50)

                def _refresh(self):
                    if not self.isVisible():
                        return
                    self.update()
            """
        ),
        # Slow enough.
        Valid(
            """\
            class Poller:
                def __init__(self):
                    self._timer = QTimer(self)
                    self._timer.timeout.connect(self._poll)
                    self._timer.start(500)

                def _poll(self):
                    self.update()
            """
        ),
        # Timer started and stopped with the widget's visibility.
        Valid(
            """\
            class Spinner:
                def __init__(self):
                    self._timer = QTimer(self)
                    self._timer.timeout.connect(self._spin)

                def showEvent(self, event):
                    self._timer.start(16)

                def hideEvent(self, event):
                    self._timer.stop()

                def _spin(self):
                    self.update()
            """
        ),
        # A single-shot debounce timer fires once per burst of changes, not periodically.
        Valid(
            """\
            class WireBundler(QObject):
                def _schedule_update(self):
                    if self._update_timer is None:
                        self._update_timer = QTimer(self)
                        self._update_timer.setSingleShot(True)
                        self._update_timer.timeout.connect(self.update_bundles)
                    self._update_timer.start(50)

                def update_bundles(self):
                    self._rebuild()
            """
        ),
        # The pointer poll runs only while the tooltip is shown: started in the show
        # handler, stopped in the hide handler.
        Valid(
            """\
            class HoverTip(QObject):
                def __init__(self):
                    self.poll_timer = QTimer(self)
                    self.poll_timer.setInterval(50)
                    self.poll_timer.timeout.connect(self._poll_pointer)

                def show_tip(self):
                    self._tip.show()
                    self.poll_timer.start()

                def _hide_tip(self):
                    self._tip.hide()
                    self.poll_timer.stop()

                def _poll_pointer(self):
                    for w in self._watched:
                        w.refresh(QCursor.pos())
            """
        ),
        # Demand-driven: the timer runs only while something is animated and stops when the
        # last item leaves, so it costs nothing once the work is done.
        Valid(
            """\
            class Animator:
                def __init__(self):
                    self._items = set()
                    self._timer = QTimer()
                    self._timer.timeout.connect(self._tick)

                def register(self, item):
                    self._items.add(item)
                    self._timer.start(16)

                def unregister(self, item):
                    self._items.discard(item)
                    if not self._items:
                        self._timer.stop()

                def _tick(self):
                    for item in self._items:
                        item.advance()
            """
        ),
    )
    VALID = (
        *VALID,
        # The tick eases a hover glow towards its target and stops its own timer on arrival.
        Valid(
            """\
            class Card(QWidget):
                def __init__(self):
                    self._timer = QTimer(self)
                    self._timer.setInterval(16)
                    self._timer.timeout.connect(self._tick)

                def enterEvent(self, event):
                    self._target = 1.0
                    self._timer.start()

                def _tick(self):
                    self._glow += (self._target - self._glow) * 0.2
                    if abs(self._target - self._glow) < 0.01:
                        self._timer.stop()
                    self.update()
            """
        ),
    )
    VALID = (
        *VALID,
        # Edge auto-pan: started when a drag moves over the list (event-filter branch) and
        # stopped when it drops or leaves, so it ticks only under the pointer on screen.
        Valid(
            """\
            class EdgePanList(QListView):
                def __init__(self):
                    self.installEventFilter(self)
                    self._pan_timer = QTimer(self)
                    self._pan_timer.setInterval(25)
                    self._pan_timer.timeout.connect(self._step)

                def eventFilter(self, obj, ev):
                    if ev.type() == QEvent.Type.DragMove:
                        self._dy = 1 if ev.position().y() > self.height() - 30 else 0
                        if not self._pan_timer.isActive():
                            self._pan_timer.start()
                    elif ev.type() in (QEvent.Type.Drop, QEvent.Type.DragLeave):
                        self._pan_timer.stop()
                    return False

                def _step(self):
                    for bar in self._bars:
                        bar.setValue(bar.value() + self._dy)
            """
        ),
    )
    INVALID = (
        # Started in the filter's else branch (every event but a drag move): not tied to
        # the pointer over the widget, so it may tick while hidden.
        Invalid(
            """\
            class EdgePanList(QListView):
                def __init__(self):
                    self._pan_timer = QTimer(self)
                    self._pan_timer.setInterval(25)
                    self._pan_timer.timeout.connect(self._step)

                def eventFilter(self, obj, ev):
                    if ev.type() == QEvent.Type.DragMove:
                        self._dy = 1
                    else:
                        self._pan_timer.start()
                    if ev.type() == QEvent.Type.Drop:
                        self._pan_timer.stop()
                    return False

                def _step(self):
                    for bar in self._bars:
                        bar.setValue(bar.value() + self._dy)
            """,
            line=4,
        ),
        Invalid(
            """\
            class Animator:
                def __init__(self):
                    self._timer = QTimer()
                    self._timer.timeout.connect(self._tick)
                    self._interval = 16

                def register(self, item):
                    self._timer.start(self._interval)

                def _tick(self):
                    for item in self._items:
                        item.advance()
            """,
            line=8,
            message_contains="16 ms",
        ),
        # A wave offset moved and a repaint asked for: microseconds while hidden, LOW.
        Invalid(
            """\
            class WaveBar(QWidget):
                def __init__(self):
                    self.wave_timer = QTimer(self)
                    self.wave_timer.timeout.connect(self.update_wave)
                    self.wave_timer.start(30)

                def update_wave(self):
                    self._offset = (self._offset + 2) % 100
                    self.update()
            """,
            line=5,
            message_contains="costs microseconds",
        ),
        # A pulsing shadow colour, set on each tick; the helper that ends the pulse (and
        # tidies up once) is not per-tick work. Microseconds while hidden: LOW.
        Invalid(
            """\
            class Pane(QWidget):
                def __init__(self):
                    self._pulse_timer = QTimer(self)
                    self._pulse_timer.setInterval(40)
                    self._pulse_timer.timeout.connect(self._pulse)

                def _pulse(self):
                    if not self._pulsing:
                        self._end_pulse()
                        return
                    phase = (time.monotonic() - self._since) % 1.0
                    color = QColor(255, 40, 40)
                    color.setAlpha(int(80 + 150 * math.sin(phase * math.pi)))
                    self._shadow.setColor(color)

                def _end_pulse(self):
                    self._pulse_timer.stop()
                    QApplication.instance().removeEventFilter(self)
            """,
            line=4,
            message_contains="costs microseconds",
        ),
        # A list entry that cycles its own icon while its job runs: an item, not a widget,
        # so there is no hideEvent; microseconds per tick, LOW.
        Invalid(
            """\
            class BusyEntry(QListWidgetItem):
                def __init__(self, frames):
                    self._frames = frames
                    self._frame = 0
                    self._timer = QTimer()
                    self._timer.timeout.connect(self._advance)

                def begin(self):
                    self._timer.start(50)

                def _advance(self):
                    self._frame = (self._frame + 1) % len(self._frames)
                    self.setIcon(self._frames[self._frame])
            """,
            line=9,
            message_contains="is not a widget (no show/hide events)",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # A `*timer*` started or re-timed with a number under 100: written there, or a name
        # the file assigns such a number (the only intervals `visit_ClassDef` resolves).
        if not super().wants(source):
            return False
        short = r"\(*\s*(?:\d{1,2}(?![\d_])|0[xXoObB])"
        for call in _START_CALL.finditer(source):
            rest = source[call.end() : call.end() + 200]
            if re.match(short, rest):
                return True
            name = re.match(r"([\w.]+)\s*[,)]", rest)
            if name and re.search(rf"(?<![\w.]){re.escape(name.group(1))}\s*={short}", source):
                return True
        return False

    def visit_Module(self, node: cst.Module) -> None:
        self._module_constants = {
            name: value
            for stmt in node.body
            if isinstance(stmt, cst.SimpleStatementLine)
            for name, value in _int_constants(stmt).items()
        }

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods = methods_of(node)
        if any(name in methods for name in _VISIBILITY_EVENTS):
            return
        bases = [dotted(b.value) or "" for b in node.bases]
        constants = dict(self._module_constants)
        for method in methods.values():
            constants.update(_int_constants(method))
        # timer attribute -> slot method name, from `self.X.timeout.connect(self.slot)`
        slots: dict[str, str] = {}
        single_shot: set[str] = set()  # timers that fire once per start (debounce)
        idle_stop: set[str] = set()  # timers stopped when their work runs out
        starts: list[tuple[cst.Call, str, int]] = []
        # timer -> where it is started / stopped: "begin"/"end" of an interaction, or ""
        started_in: dict[str, set[str]] = {}
        stopped_in: dict[str, set[str]] = {}
        # timer -> the methods that start / stop it
        start_methods: dict[str, set[str]] = {}
        stop_methods: dict[str, set[str]] = {}
        for method_name, method in methods.items():
            for sub, ancestors in body_nodes(method):
                if not isinstance(sub, cst.Call):
                    continue
                name = call_name(sub)
                receiver = call_receiver(sub) or ""
                if name in ("start", "stop"):
                    where = started_in if name == "start" else stopped_in
                    where.setdefault(receiver, set()).add(_interaction(method_name, ancestors))
                    named = start_methods if name == "start" else stop_methods
                    named.setdefault(receiver, set()).add(method_name)
                if name == "stop" and any(
                    isinstance(a, cst.If) and _empties(a.test) for a in ancestors
                ):
                    idle_stop.add(receiver)
                elif name == "setSingleShot":
                    flag = arg(sub, 0)
                    if not (isinstance(flag, cst.Name) and flag.value == "False"):
                        single_shot.add(receiver)
                elif name == "connect" and receiver.endswith(".timeout"):
                    slot = dotted(arg(sub, 0))
                    if slot and slot.startswith("self.") and slot.count(".") == 1:
                        slots[receiver.removesuffix(".timeout")] = slot.split(".")[1]
                elif name in ("start", "setInterval") and "timer" in receiver.lower():
                    interval_expr = arg(sub, 0)
                    interval = int_value(interval_expr)
                    if interval is None and interval_expr is not None:
                        interval = constants.get(dotted(interval_expr) or "")
                    if interval is not None and 0 < interval < _FAST_MS:
                        starts.append((sub, receiver, interval))
        for call, timer, interval in starts:
            if timer in single_shot or timer in idle_stop:
                continue
            # Started only when a drag, hover or press begins and stopped when it ends: it
            # ticks only while the pointer is over the widget on screen, never while hidden.
            if started_in.get(timer) == {"begin"} and "end" in stopped_in.get(timer, ()):
                continue
            # Started where the widget is shown and stopped where it is hidden or closed.
            shown_in = start_methods.get(timer, set())
            if (
                shown_in
                and all(_SHOW_METHOD.search(m) for m in shown_in)
                and any(_HIDE_METHOD.search(m) for m in stop_methods.get(timer, ()))
            ):
                continue
            slot = slots.get(timer)
            if slot is None or slot not in methods:
                continue
            reach = reachable_methods(methods, slot)
            # An animation timer its own tick stops once the values arrive (a hover glow
            # easing to its target): it runs for a fraction of a second after an event,
            # not for as long as the widget exists.
            if any(
                isinstance(sub, cst.Call)
                and call_name(sub) == "stop"
                and call_receiver(sub) == timer
                and any(isinstance(a, cst.If) and _reaches_target(a.test) for a in ancestors)
                for m in reach
                for sub, ancestors in body_nodes(methods[m])
            ):
                continue
            checks = any(
                isinstance(sub, (cst.Name, cst.Attribute))
                and (sub.value if isinstance(sub, cst.Name) else sub.attr.value) in _VISIBILITY
                for m in reach
                for sub, _ in body_nodes(methods[m])
            )
            if checks:
                continue
            # The per-tick work: what the slot reaches without entering the helper that
            # stops this timer (that runs once, when the animation ends).
            stoppers = {
                m
                for m in methods
                if m != slot
                and any(
                    isinstance(sub, cst.Call)
                    and call_name(sub) == "stop"
                    and call_receiver(sub) == timer
                    for sub, _ in body_nodes(methods[m])
                )
            }
            per_tick = reachable_methods(
                {m: f for m, f in methods.items() if m not in stoppers}, slot
            )
            item = next(
                (b for b in bases if b.rsplit(".", 1)[-1] in _VIEW_ITEMS),
                "",
            )
            if item:
                # An item's own animation (a spinner icon on the selected entry): the view
                # paints it only while shown, and there is no hideEvent to hook.
                self.report(
                    call,
                    f"`{timer}` fires every {interval} ms into {slot}() on a `{item}`, which "
                    "is not a widget (no show/hide events); the view paints the item only "
                    "while it is visible, so each tick costs microseconds: stop the timer "
                    "when the item's animation ends or it leaves the view.",
                    impact=1,
                    frequency=3,
                )
                continue
            walked = [sub for m in per_tick for sub, _ in body_nodes(methods[m])]
            own = {f"self.{m}" for m in methods}
            calls = [
                (dotted(sub.func) or "")
                for sub in walked
                if isinstance(sub, cst.Call) and dotted(sub.func) not in own
            ]
            if not any(isinstance(sub, (cst.For, cst.While)) for sub in walked) and all(
                _light_call(name) for name in calls
            ):
                # A tick that moves a number, sets a colour or asks for a repaint: Qt paints
                # nothing for a hidden widget, so while hidden it costs microseconds.
                self.report(
                    call,
                    f"`{timer}` fires every {interval} ms into {slot}(), which never checks "
                    "isVisible(); the tick only updates a few values (a number, a colour, "
                    "a repaint request), which paints nothing while the widget is hidden, "
                    "so it costs microseconds: still, stop the timer in hideEvent.",
                    impact=1,
                    frequency=4,
                )
                continue
            self.report(
                call,
                f"`{timer}` fires every {interval} ms into {slot}(), which never checks "
                f"isVisible(): skip the tick when hidden and stop the timer in hideEvent "
                f"(start it in showEvent).",
            )
