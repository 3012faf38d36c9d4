"""CIA401: `update()` / `repaint()` / `setData()` called once per item inside a loop."""

from __future__ import annotations

import re

import libcst as cst
from libcst.metadata import PositionProvider

from analyzers.findings import Finding
from analyzers.project import QT_PACKAGES, FunctionInfo, ProjectModel
from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    LOOP_HEAD,
    body_nodes,
    call_name,
    call_receiver,
    enclosing_loop,
    indented_under,
)


def _loop_bound_names(loop: cst.CSTNode) -> set[str]:
    """Names bound per iteration: the for-target and anything assigned in the loop body."""
    out: set[str] = set()
    if isinstance(loop, cst.For):
        for sub, _ in body_nodes(loop.target) if not isinstance(loop.target, cst.Name) else ():
            if isinstance(sub, cst.Name):
                out.add(sub.value)
        if isinstance(loop.target, cst.Name):
            out.add(loop.target.value)
    for sub, _ in body_nodes(loop.body):
        if isinstance(sub, (cst.Assign, cst.AnnAssign)):
            targets = (
                [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
            )
            for t in targets:
                if isinstance(t, cst.Name):
                    out.add(t.value)
                elif isinstance(t, cst.Tuple):
                    out.update(e.value.value for e in t.elements if isinstance(e.value, cst.Name))
    return out


def _looks_like_model(receiver: str) -> bool:
    low = receiver.lower()
    return any(word in low for word in ("model", "plot", "curve", "series", "table", "tree"))


_REPAINT_CALL = re.compile(r"\.(update\(\)|repaint\(|setData\()")


# `update()` repaints only in Qt code; in a curses, Tk or web module it is something else.
_QT_IMPORT = re.compile(
    r"^\s*(?:import|from)\s+(?:PySide6|PySide2|PyQt5|PyQt6|qtpy|NodeGraphQt|pyqtgraph)\b", re.M
)


def _receiver_type(project: ProjectModel, fn: FunctionInfo, receiver: str) -> str | None:
    """The class of `self`, `self._x`, `self._x._y` or a local `item = Item()`; None when
    the summaries do not know it (or a call is on the way)."""
    head, *attrs = receiver.split(".")
    if head == "self":
        owner: str | None = fn.cls or None
    else:
        owner = fn.local_types.get(head)
    for attr in attrs:
        if owner is None or "(" in attr or owner not in project.classes:
            return None
        owner = project.attr_type(owner, attr)
    return owner


def _is_qt(project: ProjectModel, qualname: str) -> bool:
    if qualname in project.classes:
        return project.is_qt_class(qualname)
    return qualname.split(".", 1)[0] in (*QT_PACKAGES, "pyqtgraph")


_PER_ITEM_PAINT_IMPACT = 3


class RepaintInLoop(Rule):
    """A repaint request per loop item instead of one after the loop."""

    ID = "CIA401"
    AREA = 4
    TITLE = "Repaint or model update requested once per item inside a loop"
    RATIONALE = (
        "`repaint()` paints synchronously, so calling it per item paints the widget N times "
        "before the loop ends. `setData()` on a model or plot emits `dataChanged` (and "
        "re-renders the view) per call. Even `update()` costs a region union and an event "
        "post per call. With 100+ nodes this multiplies frame time by the item count."
    )
    IMPACT = 5
    FREQUENCY = 4
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Change the items first, then request one repaint after the loop: call `update()` "
        "once on the common parent or viewport (or `scene.update(rect)` for the union of "
        "the changed rects). For models, wrap the loop in `beginResetModel()/endResetModel()` "
        "or emit one `dataChanged(top_left, bottom_right)`; for plots, build the array and "
        "call `setData` once."
    )
    EXAMPLE_BEFORE = """\
for item in self._items:
    item.set_state(state)
    item.update()
"""
    EXAMPLE_AFTER = """\
for item in self._items:
    item.set_state(state)
self.viewport().update()
"""
    TAGS = ("qt", "rendering", "per-call")
    TRIGGERS = (".repaint(", ".update()", ".setData(")
    VALID = (
        # A curses text UI: `update()` redraws the terminal when something changed.
        Valid(
            """\
            import curses
            class TextGui:
                def getch(self):
                    while True:
                        c = self.stdscr.getch()
                        if c != -1:
                            return c
                        if self.need_update:
                            self.update()
            """
        ),
        Valid(
            """\
            from PySide6.QtWidgets import QWidget
            def refresh(self, items):
                for item in items:
                    item.set_state(1)
                self.viewport().update()
            """
        ),
        # Per-item update() is merged by the scene; a fresh item's setData paints nothing.
        Valid(
            """\
            from PySide6.QtWidgets import QWidget
            def refresh(self, nodes, rows):
                for node in nodes:
                    node.view.update()
                for row in rows:
                    item = QStandardItem()
                    item.setData(row)
            """
        ),
        # dict/set update takes an argument: not a repaint.
        Valid(
            """\
            from PySide6.QtWidgets import QWidget
            def merge(self, parts):
                for part in parts:
                    self._cache.update(part)
            """
        ),
        # Called in a function defined inside the loop's function but run later.
        Valid(
            """\
            from PySide6.QtWidgets import QWidget
            def build(self, items):
                for item in items:
                    item.on_change(lambda: item.update())
            """
        ),
        # No Qt in the module: a progress bar's `update()` per chunk is not a repaint.
        Valid(
            """\
            def download(self, chunks):
                for chunk in chunks:
                    self._out.write(chunk)
                    self._bar.update()
            """
        ),
        # A Qt module, but the receiver is the project's own statistics object.
        Valid(
            """\
            from PySide6.QtWidgets import QWidget

            class RowStats:
                def update(self):
                    self.count += 1

            class LogPanel(QWidget):
                def __init__(self):
                    super().__init__()
                    self._stats = RowStats()

                def absorb(self, rows):
                    for row in rows:
                        self._rows.append(row)
                        self._stats.update()
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            from PySide6.QtWidgets import QWidget
            def highlight(self, nodes):
                for node in nodes:
                    node.view.set_selected(True)
                    node.view.repaint()
            """,
            line=5,
            message_contains="node.view.repaint()",
        ),
        Invalid(
            """\
            from PySide6.QtWidgets import QWidget
            def fill(self, rows):
                for i, row in enumerate(rows):
                    self._model.setData(self._model.index(i, 0), row)
            """,
            line=4,
        ),
        Invalid(
            """\
            from PySide6.QtWidgets import QWidget
            def select_all(self, nodes):
                for node in nodes:
                    node.set_selected(True)
                    self.viewport().update()
            """,
            line=5,
        ),
        Invalid(
            """\
            from PySide6.QtWidgets import QWidget
            def flash(self):
                while self._pending:
                    self._pending.pop().repaint()
            """,
            line=4,
        ),
        # The receiver resolves to a Qt view the class created: the same view, N repaints.
        Invalid(
            """\
            from PySide6.QtWidgets import QGraphicsView

            class Board:
                def __init__(self):
                    self._view = QGraphicsView()

                def mark(self, cells):
                    for cell in cells:
                        cell.marked = True
                        self._view.repaint()
            """,
            line=10,
            message_contains="self._view.repaint()",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # Only a module that imports Qt repaints Qt widgets: in a curses or Tk module
        # `update()` redraws a terminal or a Tk window, elsewhere it is some object's method.
        # `setData` is only reported on a model, plot, curve, series, table or tree: with no
        # such word in the 300 characters before any `.setData(`, only repaints count.
        if not super().wants(source) or _QT_IMPORT.search(source) is None:
            return False
        calls = _REPAINT_CALL
        if not any(
            re.search(r"(?i)model|plot|curve|series|table|tree", source[max(0, at - 300) : at])
            for at in (m.start() for m in re.finditer(r"\.\s*setData\s*\(", source))
        ):
            calls = re.compile(r"\.(update\(\)|repaint\()")
        return indented_under(source, LOOP_HEAD, calls)

    @classmethod
    def confirm(cls, finding: Finding, project: ProjectModel) -> Finding | None:
        """Also dropped when the receiver is known not to be a Qt object (`self._stats =
        Stats()` of the project, or another library's object)."""
        found = super().confirm(finding, project)
        receiver = finding.message.partition("`")[2].partition("`")[0].rpartition(".")[0]
        fn = project.function_at(finding.path, finding.line)
        if found is None or fn is None or not receiver:
            return found
        owner = _receiver_type(project, fn, receiver)
        if owner is not None and not _is_qt(project, owner):
            return None
        return found

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        reported: set[int] = set()
        for sub, ancestors in body_nodes(node):
            if not isinstance(sub, cst.Call) or not isinstance(sub.func, cst.Attribute):
                continue
            name = call_name(sub)
            if name not in ("update", "repaint", "setData") or (name == "update" and sub.args):
                continue
            loop = enclosing_loop(sub, ancestors)
            if loop is None or id(loop) in reported:
                continue
            receiver = call_receiver(sub) or ""
            used = {n.value for n, _ in body_nodes(sub.func) if isinstance(n, cst.Name)}
            per_item = bool(used & _loop_bound_names(loop))
            # `item.update()` per changed item is how QGraphicsScene wants it (it merges
            # regions); a loop-invariant receiver repaints the same thing N times. setData on
            # a freshly built item, or QAction.setData, repaints nothing.
            if name == "update" and per_item:
                continue
            if name == "setData" and (per_item or not _looks_like_model(receiver)):
                continue
            reported.add(id(loop))
            loop_line = self.get_metadata(PositionProvider, loop).start.line
            if name == "repaint" and per_item:
                # Each item paints once, synchronously: N small paints instead of one merged
                # one, a fraction of a ms per small widget. MEDIUM at most (3*10 + 4*5 - 2*2).
                self.report(
                    sub,
                    f"`{receiver}.repaint()` paints each item of its loop synchronously, one "
                    "at a time (well under a ms per small widget, more for large views); "
                    "call `update()` per item to let Qt merge them into one paint.",
                    related=(self._loop_step(loop_line),),
                    impact=_PER_ITEM_PAINT_IMPACT,
                )
                continue
            self.report(
                sub,
                f"`{receiver}.{name}()` runs once per iteration of its loop; change all "
                "items first and request one repaint (or one dataChanged / setData) after "
                "the loop.",
                related=(self._loop_step(loop_line),),
            )
