"""CIA411: O(n) work, whole repaints or I/O on every mouse move, with no throttle."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    body_nodes,
    call_name,
    call_receiver,
    dotted,
    methods_of,
    names_text,
    source_of,
)
from analyzers.rules.a4_scan_all_nodes_per_event import (
    _scan_name,
    _under_move_test,
    reachable_per_event,
)

# Qt handlers that run for every pixel the pointer moves (eventFilter only in its move branch).
_MOVE_HANDLERS = ("mouseMoveEvent", "hoverMoveEvent", "dragMoveEvent", "eventFilter")
# Collections as large as the document: every node, pipe, row or item.
_DOCUMENT_SIZED = re.compile(
    r"node|item|pipe|connection|edge|wire|row|entr|children|element|widget|shape|layer|record",
    re.I,
)
_GROW = frozenset({"append", "extend", "add", "insert"})
# Calls that walk a whole item or widget subtree.
_TREE_WALKS = frozenset({"childItems", "findChildren"})
_REBUILD = re.compile(
    r"^_?(rebuild|reload|repopulate|populate|recompute|recalculate|relayout|refresh_all|"
    r"update_all|redraw_all|reset_model|rescan)",
    re.I,
)
_WHOLE_REPAINT = frozenset(
    {"self.viewport().update", "self.scene().update", "self.scene.update", "viewport().update"}
)
_IO_CALLS = frozenset({"open", "json.dump", "pickle.dump"})
# A time check, a timer/debounce, or a "moved far enough" test in the handler's path.
_THROTTLE = re.compile(
    r"throttl|debounce|singleShot|monotonic|perf_counter|elapsed|hasExpired|QElapsedTimer|"
    r"currentMSecsSinceEpoch|\btime\b|manhattanLength|startDragDistance|last_pos|_last_move|"
    r"_pending|_scheduled|_timer\b|Timer\b",
)


def _iterated_attr(node: cst.CSTNode) -> str | None:
    """`self._pipes` for `for p in self._pipes`, `self._pipes.values()`, `self._pipes[1:]`."""
    it: cst.BaseExpression | None = None
    if isinstance(node, (cst.For, cst.CompFor)):
        it = node.iter
    if it is None:
        return None
    if isinstance(it, cst.Call) and call_name(it) in ("items", "values", "keys") and not it.args:
        it = it.func.value if isinstance(it.func, cst.Attribute) else it
    if isinstance(it, cst.Subscript):
        it = it.value
    name = dotted(it)
    if name and name.startswith("self.") and name.count(".") == 1:
        return name
    return None


def _tree_walk(node: cst.CSTNode) -> str | None:
    """`self.childItems()` for `for child in self.childItems()`: a walk of a whole subtree."""
    if (
        isinstance(node, (cst.For, cst.CompFor))
        and isinstance(node.iter, cst.Call)
        and call_name(node.iter) in _TREE_WALKS
    ):
        return f"{source_of(node.iter.func)}()"
    return None


def _cleared(node: cst.CSTNode) -> str | None:
    """`self._decos` for `self._decos.clear()`, `self._decos[:] = []`, `del self._decos[:]`,
    `self._decos = []`: emptied on the move path, so it does not accumulate over a drag."""
    if isinstance(node, cst.Call) and call_name(node) == "clear" and not node.args:
        return call_receiver(node)
    targets: list[cst.BaseExpression] = []
    if isinstance(node, cst.Assign):
        targets = [t.target for t in node.targets]
    elif isinstance(node, cst.Del):
        targets = [node.target]
    for target in targets:
        if isinstance(target, cst.Subscript):
            target = target.value
        name = dotted(target)
        if name and name.startswith("self."):
            return name
    return None


def _on_change_only(ancestors: tuple[cst.CSTNode, ...], node: cst.CSTNode) -> bool:
    """Inside `if index != self._hover_index:` (or `is not`): the work runs when the pointer
    enters another row or item, not on every move."""
    chain = (*ancestors, node)
    for i, anc in enumerate(chain[:-1]):
        if not isinstance(anc, cst.If) or chain[i + 1] is not anc.body:
            continue
        for sub in (anc.test, *(n for n, _ in body_nodes(anc.test))):
            if isinstance(sub, cst.Comparison) and any(
                isinstance(c.operator, (cst.NotEqual, cst.IsNot))
                and "self." in f"{dotted(sub.left)} {dotted(c.comparator)}"
                for c in sub.comparisons
            ):
                return True
    return False


class MouseMoveWorkUnthrottled(Rule):
    """Work proportional to the document on each of the hundreds of moves of one drag."""

    ID = "CIA411"
    AREA = 4
    TITLE = "Per-mouse-move work without throttling"
    RATIONALE = (
        "Qt delivers a move event for every few pixels the pointer travels, 60-200 times a "
        "second during a drag or hover. A handler that loops over every node, pipe or row, "
        "rebuilds a path from every point collected so far, repaints the whole viewport or "
        "writes settings on each of them makes every move cost O(document), so dragging "
        "lags more as the workflow grows."
    )
    IMPACT = 5
    FREQUENCY = 7
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Throttle the handler (skip moves within ~16-30 ms of the last processed one, or "
        "only when the pointer moved more than a few pixels: `manhattanLength()`), or record "
        "the position and let a single-shot QTimer do the work once per burst; extend paths "
        "incrementally (`path.lineTo(pos)`) instead of rebuilding them, and update only the "
        "rect that changed."
    )
    EXAMPLE_BEFORE = """\
def mouseMoveEvent(self, event):
    self._trail.append(event.scenePos())
    path = QPainterPath(self._trail[0])
    for point in self._trail[1:]:
        path.lineTo(point)
    self._trail_item.setPath(path)
"""
    EXAMPLE_AFTER = """\
def mouseMoveEvent(self, event):
    pos = event.scenePos()
    if (pos - self._last_pos).manhattanLength() < 4:
        return
    self._last_pos = pos
    self._path.lineTo(pos)
    self._trail_item.setPath(self._path)
"""
    TAGS = ("qt", "latency", "input")
    TRIGGERS = ("mouseMoveEvent", "hoverMoveEvent", "dragMoveEvent", "MouseMove", "HoverMove")
    VALID = (
        # Throttled by a time check.
        Valid(
            """\
            class AutoConnect(QObject):
                def eventFilter(self, watched, event):
                    if event.type() == QEvent.Type.MouseMove:
                        now = time.perf_counter() * 1000
                        if now - self._last_update < 30:
                            return False
                        self._last_update = now
                        self._update_suggestions()
                    return False

                def _update_suggestions(self):
                    for pipe in self._pipes:
                        pipe.highlight(self._drag)
            """
        ),
        # Constant work per move: move one item, update one rect.
        Valid(
            """\
            class FrameItem(QGraphicsRectItem):
                def mouseMoveEvent(self, event):
                    if self._resizing:
                        rect = QRectF(self._start_rect)
                        rect.setBottomRight(event.scenePos())
                        self.prepareGeometryChange()
                        self.setRect(rect)
                        return
                    super().mouseMoveEvent(event)
            """
        ),
        # A loop over a few fixed handles is not O(document).
        Valid(
            """\
            class ResizeHandles(QGraphicsItem):
                def hoverMoveEvent(self, event):
                    for corner in self._corners:
                        if corner.contains(event.pos()):
                            self.setCursor(corner.cursor)
            """
        ),
        # Repaints only when the pointer enters another row.
        Valid(
            """\
            class SongsTable(QTableView):
                def mouseMoveEvent(self, event):
                    row = self.indexAt(event.pos()).row()
                    if row != self._hover_row:
                        self._hover_row = row
                        self.viewport().update()
                    super().mouseMoveEvent(event)
            """
        ),
        # The decorations are removed and the list emptied before new ones are added: it
        # holds one scope's decorations, not one per move.
        Valid(
            """\
            class FoldingPanel(QWidget):
                def mouseMoveEvent(self, event):
                    self._highlight(self.block_at(event.pos()))

                def _highlight(self, block):
                    for deco in self._scope_decos:
                        self.editor.remove_decoration(deco)
                    self._scope_decos[:] = []
                    self._scope_decos.append(self.editor.decorate(block))
            """
        ),
        # The helper runs only when the pointer enters another line: per change, not per move.
        Valid(
            """\
            class Gutter(QWidget):
                def mouseMoveEvent(self, event):
                    line = self.line_at(event.pos())
                    if line != self._over_line and self._over_line is not None:
                        self._over_line = line
                        self._highlight(line)

                def _highlight(self, line):
                    for item in self._items:
                        item.set_active(item.line == line)
            """
        ),
        # Work deferred to a single-shot timer, once per burst of moves.
        Valid(
            """\
            class Canvas(QGraphicsView):
                def mouseMoveEvent(self, event):
                    self._hover_pos = event.pos()
                    self._hover_timer.start(30)
                    super().mouseMoveEvent(event)

                def _on_hover_timeout(self):
                    for item in self._items:
                        item.set_hover(item.contains(self._hover_pos))
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            class GroupItem(QGraphicsItemGroup):
                def hoverMoveEvent(self, event):
                    for child in self.childItems():
                        child.setOpacity(1.0 if child.isUnderMouse() else 0.6)
            """,
            line=3,
            message_contains="self.childItems()",
        ),
        # The cut path grows with every move and is rebuilt from all its points each time.
        Invalid(
            """\
            class ConnectionCutter(QObject):
                def eventFilter(self, watched, event):
                    if event.type() == QEvent.Type.MouseMove:
                        if self._cutting:
                            self._extend_cut(event.position())
                            return True
                    elif event.type() == QEvent.Type.MouseButtonRelease:
                        self._finish_cut()
                    return False

                def _extend_cut(self, pos):
                    self._cut_points.append(pos)
                    path = QPainterPath(self._cut_points[0])
                    for point in self._cut_points[1:]:
                        path.lineTo(point)
                    self._path_item.setPath(path)

                def _finish_cut(self):
                    for pipe in self._pipes:
                        pipe.check()
            """,
            line=14,
            message_contains="self._cut_points",
        ),
        Invalid(
            """\
            class GraphView(QGraphicsView):
                def mouseMoveEvent(self, event):
                    self._hover_pos = self.mapToScene(event.pos())
                    self.viewport().update()
                    super().mouseMoveEvent(event)
            """,
            line=4,
            message_contains="viewport",
        ),
        # A table's hover repaint: LOW, saying why.
        Invalid(
            """\
            class HoverTable(QTableView):
                def mouseMoveEvent(self, event):
                    if self.indexAt(event.pos()).isValid():
                        self.viewport().update()
            """,
            line=4,
            message_contains="one paint of the visible rows",
        ),
        Invalid(
            """\
            class PipeLayer(QGraphicsObject):
                def hoverMoveEvent(self, event):
                    for pipe in self._pipes.values():
                        pipe.set_hovered(pipe.shape().contains(event.pos()))
            """,
            line=3,
            message_contains="self._pipes",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # A move handler, or an event filter that looks at move events.
        return any(h in source for h in _MOVE_HANDLERS[:3]) or (
            "eventFilter" in source and ("MouseMove" in source or "HoverMove" in source)
        )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods = methods_of(node)
        for entry in _MOVE_HANDLERS:
            if entry not in methods:
                continue
            # Not through a call made only when the pointer enters another row or scope
            # (`if line != self._over_line: self._highlight(line)`).
            reached = reachable_per_event(methods, entry, stops=_on_change_only)
            bodies = {
                name: [
                    (sub, ancestors)
                    for sub, ancestors in body_nodes(methods[name])
                    if name != "eventFilter" or _under_move_test(ancestors, sub)
                ]
                for name in reached
            }
            if entry == "eventFilter" and not bodies["eventFilter"]:
                continue
            # Whole-graph scans are CIA406's finding; a throttle anywhere on the path
            # (a time check, a debounce timer, a moved-enough test) bounds the rate.
            if any(
                isinstance(sub, cst.Call) and _scan_name(sub)
                for found in bodies.values()
                for sub, _ in found
            ):
                continue
            if any(
                _THROTTLE.search(names_text(sub.test if isinstance(sub, cst.If) else sub))
                for found in bodies.values()
                for sub, _ in found
                if isinstance(sub, (cst.SimpleStatementLine, cst.If))
            ):
                continue
            grown = {
                receiver
                for found in bodies.values()
                for sub, _ in found
                if isinstance(sub, cst.Call)
                and call_name(sub) in _GROW
                and (receiver := call_receiver(sub))
            }
            # A list emptied on the same path (`self._decos[:] = []`) holds one move's worth;
            # a reset under an `if` (at the start of a drag) does not count.
            grown -= {
                name
                for found in bodies.values()
                for sub, ancestors in found
                if (name := _cleared(sub)) is not None
                and not any(isinstance(a, cst.If) for a in ancestors)
            }
            graph_view = any("GraphicsView" in (dotted(b.value) or "") for b in node.bases)
            for name, path in sorted(reached.items(), key=lambda kv: len(kv[1])):
                work = self._work(bodies[name], grown)
                if work is None:
                    continue
                at, what, kind = work
                via = " -> ".join(f"{p}()" for p in path)
                # A list collected during one gesture is as long as the drag, not the document;
                # a table's viewport repaints its visible rows only, a graph view every item.
                during_drag = kind == "grow"
                # Qt merges update() calls into one paint per event-loop pass, and a table or
                # list repaints only its visible rows: a hover highlight costs little there.
                table_repaint = kind == "repaint" and not graph_view
                if during_drag:
                    advice = (
                        "extend the result incrementally (keep the path and `lineTo` the new "
                        "point) instead of rebuilding it from every point."
                    )
                elif table_repaint:
                    advice = (
                        "Qt merges these into one paint of the visible rows per event-loop "
                        "pass, so it costs little; repainting only the rows that changed "
                        "(`update(visualRect(index))`) would do."
                    )
                else:
                    advice = (
                        "skip moves within a few ms or pixels of the last one, or defer "
                        "the work to a single-shot timer."
                    )
                self.report(
                    at,
                    f"{what} ({via}, no throttle): {advice}",
                    impact=1 if table_repaint else 3 if during_drag else None,
                    frequency=5 if table_repaint or during_drag else None,
                )
                return

    @staticmethod
    def _work(
        found: list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]], grown: set[str]
    ) -> tuple[cst.CSTNode, str, str] | None:
        """(where, what happens on every move, kind) for the first O(n), whole-view or I/O
        step that is not limited to moves that change what is under the pointer."""
        for sub, ancestors in found:
            if _on_change_only(ancestors, sub):
                continue
            walk = _tree_walk(sub)
            if walk is not None:
                return sub, f"a loop over `{walk}` runs on every mouse move", "loop"
            attr = _iterated_attr(sub)
            if attr is not None:
                if attr in grown:
                    what = (
                        f"`{attr}` grows on every mouse move and is walked whole each time "
                        f"(O(n^2) over one drag)"
                    )
                    return sub, what, "grow"
                if _DOCUMENT_SIZED.search(attr.rsplit(".", 1)[-1]):
                    what = f"a loop over every entry of `{attr}` runs on every mouse move"
                    return sub, what, "loop"
                continue
            if not isinstance(sub, cst.Call):
                continue
            name = dotted(sub.func) or ""
            if name in _WHOLE_REPAINT and not sub.args:
                return sub, f"`{name}()` repaints the whole view on every mouse move", "repaint"
            if _REBUILD.match(call_name(sub)):
                what = f"`{source_of(sub.func)}()` rebuilds on every mouse move"
                return sub, what, "rebuild"
            if name in _IO_CALLS or (
                call_name(sub) == "setValue" and "settings" in (call_receiver(sub) or "").lower()
            ):
                return sub, f"`{source_of(sub.func)}()` does I/O on every mouse move", "io"
        return None
