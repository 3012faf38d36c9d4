"""CIA406: every node of the graph scanned on each mouse move, tick or selection change."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    arg,
    body_nodes,
    call_name,
    call_receiver,
    dotted,
    methods_of,
    names_text,
)

# Qt virtuals that run per input event or per frame.
_EVENT_METHODS = frozenset(
    {
        "mouseMoveEvent",
        "hoverMoveEvent",
        "dragMoveEvent",
        "eventFilter",
        "itemChange",
        "wheelEvent",
        "paint",
        "paintEvent",
        "timerEvent",
        "drawForeground",
        "drawBackground",
    }
)
# Signals that fire per keystroke, per tick or per selection change.
_FREQUENT_SIGNALS = frozenset(
    {
        "timeout",
        "selectionChanged",
        "selection_changed",
        "node_selection_changed",
        "node_selected",
        "nodes_selected",
        "textChanged",
        "textEdited",
        "node_moved",
        "nodes_moved",
        "scrolled",
        "zoomed",
        "zoom_changed",
        "viewport_changed",
    }
)

# Of those, the ones that fire once per user action (a click, a keystroke, a drop), not per
# frame: a pass over the nodes there costs well under a millisecond per action.
_PER_ACTION_SIGNALS = frozenset(
    {
        "selectionChanged",
        "selection_changed",
        "node_selection_changed",
        "node_selected",
        "nodes_selected",
        "node_moved",
        "nodes_moved",
        "textChanged",
        "textEdited",
    }
)


def _stops_timer(
    timer: str, methods: dict[str, cst.FunctionDef]
) -> Callable[[tuple[cst.CSTNode, ...], cst.CSTNode], bool]:
    """Whether a call sits in a block that also stops `timer` (`else: self._insert();
    self._timer.stop()`): that branch ends the run of ticks, so it runs once, not per tick."""
    stoppers = {
        name
        for name, func in methods.items()
        if any(
            isinstance(sub, cst.Call) and call_name(sub) == "stop" and call_receiver(sub) == timer
            for sub, _ in body_nodes(func)
        )
    }

    def stops_here(stmt: cst.CSTNode) -> bool:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        for small in stmt.body:
            call = small.value if isinstance(small, cst.Expr) else None
            if not isinstance(call, cst.Call):
                continue
            if call_name(call) == "stop" and call_receiver(call) == timer:
                return True
            if _self_callee(call, methods) in stoppers:
                return True
        return False

    def stops(ancestors: tuple[cst.CSTNode, ...], node: cst.CSTNode) -> bool:
        return any(
            isinstance(anc, cst.IndentedBlock) and any(stops_here(st) for st in anc.body)
            for anc in ancestors
        )

    return stops


def _scan_name(call: cst.Call) -> str | None:
    name = call_name(call)
    if name in ("all_nodes", "all_pipes"):
        return f"{call_receiver(call) or ''}.{name}()".lstrip(".")
    receiver = call_receiver(call) or ""
    if name == "items" and not call.args and "scene" in receiver.lower():
        return f"{receiver}.items()"
    return None


def _under_move_test(ancestors: tuple[cst.CSTNode, ...], node: cst.CSTNode) -> bool:
    """Inside the body of an `if` on a move event (`event.type() == QEvent.MouseMove` ...)."""
    chain = (*ancestors, node)
    for anc, child in itertools.pairwise(chain):
        if isinstance(anc, cst.If) and child is anc.body:
            names = {
                n.value if isinstance(n, cst.Name) else n.attr.value
                for n, _ in body_nodes(anc.test)
                if isinstance(n, (cst.Name, cst.Attribute))
            }
            if any(name.endswith("Move") for name in names):
                return True
    return False


# A test that says "something changed since the last draw": a dirty flag, a change
# tracker's verdict, a pending-update flag.
_CHANGE_WORDS = re.compile(
    r"dirty|changed|needs?_(?:update|redraw|refresh|repaint|rebuild)|"
    r"should_(?:update|redraw|refresh|repaint|rebuild)|pending|stale|invalidated",
    re.IGNORECASE,
)


def _is_change_test(test: cst.BaseExpression) -> bool:
    return bool(_CHANGE_WORDS.search(names_text(test)))


def _exits(block: cst.BaseSuite) -> bool:
    """The block only leaves (`return`, `continue`): the early-out of a guard clause."""
    stmts = block.body if isinstance(block, cst.IndentedBlock) else [block]
    last = stmts[-1] if stmts else None
    if isinstance(last, cst.SimpleStatementLine):
        return any(isinstance(s, (cst.Return, cst.Continue)) for s in last.body)
    return False


def _change_guarded(ancestors: tuple[cst.CSTNode, ...], node: cst.CSTNode) -> bool:
    """Runs only when a change/dirty check says so, not on every event or tick.

    Either inside `if self._dirty:` / `if tracker.should_update(...):`, or after a guard
    clause `if not self._needs_update: return` earlier in the same block.
    """
    chain = (*ancestors, node)
    for anc, child in itertools.pairwise(chain):
        if (
            isinstance(anc, cst.If)
            and child is anc.body
            and not (
                isinstance(anc.test, cst.UnaryOperation) and isinstance(anc.test.operator, cst.Not)
            )
            and _is_change_test(anc.test)
        ):
            return True
        if isinstance(anc, cst.IndentedBlock) and isinstance(child, cst.BaseStatement):
            for stmt in anc.body:
                if stmt is child:
                    break
                if (
                    isinstance(stmt, cst.If)
                    and isinstance(stmt.test, cst.UnaryOperation)
                    and isinstance(stmt.test.operator, cst.Not)
                    and _is_change_test(stmt.test)
                    and _exits(stmt.body)
                ):
                    return True
    return False


def _counted(ancestors: tuple[cst.CSTNode, ...]) -> bool:
    """The scan is the direct argument of `len(...)`."""
    return (
        len(ancestors) >= 2
        and isinstance(ancestors[-1], cst.Arg)
        and isinstance(ancestors[-2], cst.Call)
        and call_name(ancestors[-2]) == "len"
    )


def _self_callee(call: cst.Call, methods: dict[str, cst.FunctionDef]) -> str | None:
    func = call.func
    if (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value == "self"
        and func.attr.value in methods
    ):
        return func.attr.value
    return None


def reachable_per_event(
    methods: dict[str, cst.FunctionDef],
    entry: str,
    stops: Callable[[tuple[cst.CSTNode, ...], cst.CSTNode], bool] | None = None,
) -> dict[str, list[str]]:
    """Methods `entry` reaches through `self.X()` calls that run on every event or tick.

    From eventFilter only through its move-event branch; a call made only when a
    change/dirty check passes (`if tracker.should_update(...): self._redraw()`) does not
    run per tick, so the chain stops there, as it does where `stops(ancestors, call)` says.
    """
    paths: dict[str, list[str]] = {entry: [entry]}
    todo = [entry]
    while todo:
        name = todo.pop()
        for sub, ancestors in body_nodes(methods[name]):
            if not isinstance(sub, cst.Call):
                continue
            callee = _self_callee(sub, methods)
            if callee is None or callee in paths:
                continue
            if name == "eventFilter" and not _under_move_test(ancestors, sub):
                continue
            if _change_guarded(ancestors, sub) or (stops is not None and stops(ancestors, sub)):
                continue
            paths[callee] = [*paths[name], callee]
            todo.append(callee)
    return paths


class ScanAllNodesPerEvent(Rule):
    """O(n) graph scans on the per-event path make input latency grow with graph size."""

    ID = "CIA406"
    AREA = 4
    TITLE = "All graph nodes scanned on every input event, tick or selection change"
    RATIONALE = (
        "Mouse-move, hover, event-filter and timer handlers run dozens of times a second on "
        "the GUI thread. Calling `all_nodes()` (or iterating `scene.items()`) there makes "
        "each event O(number of nodes), often with per-node geometry work on top, so a "
        "200-node workflow drags and hovers visibly slower than a 20-node one."
    )
    IMPACT = 5
    FREQUENCY = 7
    DIFFICULTY = 4
    RECOMMENDATION = (
        "Ask the scene for what is near the event instead of scanning everything: "
        "`scene.items(rect)` / `itemAt(pos)` use Qt's BSP index. Keep an id -> node dict or "
        "a spatial index updated on node add/remove/move, and do whole-graph work once on "
        "mouse release or on a debounced timer rather than per event."
    )
    EXAMPLE_BEFORE = """\
def mouseMoveEvent(self, event):
    for node in self._graph.all_nodes():
        if node.view.sceneBoundingRect().contains(event.scenePos()):
            self._hover(node)
"""
    EXAMPLE_AFTER = """\
def mouseMoveEvent(self, event):
    for item in self.scene().items(event.scenePos()):
        if isinstance(item, NodeItem):
            self._hover(item.node)
            break
"""
    TAGS = ("qt", "algorithmic", "latency")
    TRIGGERS = ("all_nodes(", "all_pipes(", "cene.items()", "cene().items()")
    VALID = (
        Valid(
            """\
            class Widget:
                def export(self):
                    return [n.name for n in self._graph.all_nodes()]

                def mouseReleaseEvent(self, event):
                    self._nodes = self._graph.all_nodes()
            """
        ),
        Valid(
            """\
            class Widget:
                def mouseMoveEvent(self, event):
                    for item in self.scene().items(event.scenePos()):
                        item.hover()
            """
        ),
    )
    VALID = (
        *VALID,
        # The tick only asks a change tracker; the scan runs when something changed.
        Valid(
            """\
            class Minimap:
                def __init__(self):
                    self._timer.timeout.connect(self._tick)

                def _tick(self):
                    if self._tracker.should_update(self.viewport_rect()):
                        self._redraw()

                def _redraw(self):
                    for node in self._graph.all_nodes():
                        self._draw(node)
            """
        ),
        # The scan runs in the branch that ends the drag and stops the timer: once per
        # drop, not once per tick.
        Valid(
            """\
            class DropOnWire:
                def __init__(self):
                    self._poll.timeout.connect(self._check_drag)

                def _end_poll(self):
                    self._poll.stop()

                def _check_drag(self):
                    if self._mouse_down():
                        self._highlight_under_cursor()
                    else:
                        if self._over_wire:
                            self._drop()
                        self._end_poll()

                def _drop(self):
                    for node in self._graph.all_nodes():
                        if node.id == self._dragged_id:
                            self._splice(node)
            """
        ),
        # A guard clause on a dirty flag before the scan.
        Valid(
            """\
            class Overview:
                def __init__(self):
                    self._timer.timeout.connect(self._refresh)

                def _refresh(self):
                    if not self._dirty:
                        return
                    self._dirty = False
                    for item in self._view.scene().items():
                        self._draw(item)
            """
        ),
    )
    INVALID = (
        # One pass over the nodes per selection click: true, but per user action, LOW.
        Invalid(
            """\
            class Window:
                def __init__(self):
                    self._nodes.node_selected.connect(self._show_properties)

                def _show_properties(self, node_id):
                    for node in self._graph.all_nodes():
                        if node.id == node_id:
                            self._panel.show(node)
            """,
            line=6,
            message_contains="once per user action",
        ),
        # A single-shot debounce restarted on each change: once per burst, LOW.
        Invalid(
            """\
            class Bundler:
                def _schedule(self):
                    self._debounce = QTimer(self)
                    self._debounce.setSingleShot(True)
                    self._debounce.timeout.connect(self._rebuild)
                    self._debounce.start(50)

                def _rebuild(self):
                    for node in self._graph.all_nodes():
                        self._bundle(node)
            """,
            line=9,
            message_contains="single-shot debounce",
        ),
        # Counting the nodes on each tick is still a scan, but a cheap one: LOW.
        Invalid(
            """\
            class Minimap:
                def __init__(self):
                    self._timer.timeout.connect(self._tick)

                def _tick(self):
                    self._count = len(self._graph.all_nodes())
            """,
            line=6,
            message_contains="only counts",
        ),
        # The scan that feeds the change check still runs on every tick.
        Invalid(
            """\
            class Overview:
                def __init__(self):
                    self._timer.timeout.connect(self._refresh)

                def _refresh(self):
                    boxes = [i for i in self.scene.items() if hasattr(i, "node")]
                    if not self._tracker.should_update(boxes):
                        return
                    self._draw(boxes)
            """,
            line=6,
            message_contains="timeout",
        ),
        Invalid(
            """\
            class AutoConnect:
                def eventFilter(self, watched, event):
                    if event.type() == QEvent.Type.MouseMove:
                        self._update_suggestions()
                    elif event.type() == QEvent.Type.MouseButtonRelease:
                        self._finish()
                    return False

                def _finish(self):
                    for node in self._graph.all_nodes():
                        node.commit()

                def _update_suggestions(self):
                    others = [n for n in self._graph.all_nodes() if n is not self._drag]
                    self._draw(others)
            """,
            line=14,
            message_contains="eventFilter",
        ),
        Invalid(
            """\
            class Minimap:
                def __init__(self):
                    self._timer.timeout.connect(self._refresh)

                def _refresh(self):
                    for node in self._graph.all_nodes():
                        self._draw(node)
            """,
            line=6,
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return super().wants(source) and any(
            name in source for name in (*_EVENT_METHODS, *_FREQUENT_SIGNALS)
        )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods = methods_of(node)
        entries: dict[str, str] = {m: f"{m}()" for m in methods if m in _EVENT_METHODS}
        timers: dict[str, str] = {}  # entry connected to a timer's timeout -> the timer
        # Timers that fire once per start (`setSingleShot(True)`): a debounce, restarted by
        # each change, fires once per burst of changes, not per tick.
        single_shot = {
            call_receiver(sub) or ""
            for method in methods.values()
            for sub, _ in body_nodes(method)
            if isinstance(sub, cst.Call)
            and call_name(sub) == "setSingleShot"
            and not (isinstance(arg(sub, 0), cst.Name) and arg(sub, 0).value == "False")
        }
        for method in methods.values():
            for sub, _ in body_nodes(method):
                if not (isinstance(sub, cst.Call) and call_name(sub) == "connect"):
                    continue
                signal = (call_receiver(sub) or "").rsplit(".", 1)[-1]
                slot = dotted(arg(sub, 0)) or ""
                if (
                    signal in _FREQUENT_SIGNALS
                    and slot.startswith("self.")
                    and slot.count(".") == 1
                ):
                    target = slot.split(".")[1]
                    if target in methods:
                        entries.setdefault(target, f"{target}() (connected to `{signal}`)")
                        if signal == "timeout":
                            timers.setdefault(target, (call_receiver(sub) or "").rsplit(".", 1)[0])
        reported: set[str] = set()
        for entry, label in sorted(entries.items()):
            stops = _stops_timer(timers[entry], methods) if entry in timers else None
            for method_name, path in sorted(reachable_per_event(methods, entry, stops).items()):
                if method_name in reported:
                    continue
                walk = body_nodes(methods[method_name])
                scans = [
                    sub
                    for sub, ancestors in walk
                    if isinstance(sub, cst.Call)
                    and _scan_name(sub) is not None
                    and (method_name != "eventFilter" or _under_move_test(ancestors, sub))
                    and not _change_guarded(ancestors, sub)
                    and not (stops is not None and stops(ancestors, sub))
                ]
                if not scans:
                    continue
                reported.add(method_name)
                # `len(graph.all_nodes())` only counts: a list copy of references, no
                # per-node work; microseconds per tick even on a large graph.
                scan_ids = {id(scan) for scan in scans}
                count_only = all(_counted(anc) for sub, anc in walk if id(sub) in scan_ids)
                signal = label.partition("`")[2].partition("`")[0]
                debounced = timers.get(entry) in single_shot
                per_action = signal in _PER_ACTION_SIGNALS or debounced
                via = " -> ".join(f"{p}()" for p in path[1:])
                more = f" ({len(scans)} scans in this method)" if len(scans) > 1 else ""
                self.report(
                    scans[0],
                    f"`{_scan_name(scans[0])}` scans every node each time {label} runs"
                    + (f" (via {via})" if via else "")
                    + more
                    + (
                        ": refresh from the graph's add/remove/move signals or a dirty flag "
                        "instead of rescanning on every tick."
                        if "timeout" in label
                        else ": query the scene near the event (`scene.items(rect)`, "
                        "`itemAt`) or keep an index updated on add/remove/move."
                    )
                    + (
                        " It only counts the nodes (no per-node work): cheap, LOW."
                        if count_only
                        else ""
                    )
                    + (
                        f" `{timers.get(entry)}` is a single-shot debounce: it fires once "
                        "per burst of changes, not per tick; one pass over a workflow's nodes "
                        "per change costs well under a millisecond, LOW."
                        if debounced and not count_only
                        else f" `{signal}` fires once per user action (a click, a keystroke, "
                        "a drop), not per frame: one pass over a workflow's nodes per action "
                        "costs well under a millisecond, LOW."
                        if per_action and not count_only
                        else ""
                    ),
                    impact=2 if count_only or per_action else None,
                    frequency=2 if count_only or per_action else None,
                )
