"""CIA407: a sorted table filled cell by cell, or graph nodes created one by one, in a loop."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.context import FileContext
from analyzers.findings import Finding
from analyzers.project import ProjectModel
from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    LOOP_HEAD,
    body_nodes,
    call_name,
    call_receiver,
    enclosing_loop,
    import_map,
    indented_under,
)

# Node-graph mutations: each one pushes its own undo command and emits its own signals.
_GRAPH_MUTATORS = frozenset({"create_node", "delete_node", "remove_node", "add_node"})
# `add_node`/`remove_node` are also the whole API of data-structure graphs (networkx, a
# dependency graph of our own), which have no undo stack: only in a module using NodeGraphQt.
_GENERIC_GRAPH_NAMES = frozenset({"add_node", "remove_node"})
# Any of these in the function means the author groups the graph change already.
_GRAPH_BATCHING = frozenset({"begin_undo", "beginMacro", "delete_nodes", "blockSignals"})
# Widget inserts Qt batches by itself: layout is deferred and repaints coalesce until control
# returns to the event loop, a QTreeWidget defers its sort the same way, a QListWidget inserts
# at the sorted place, and setUpdatesEnabled does not apply to a QGraphicsScene at all. These
# are never reported; they are listed here only so the prefilter finds the table fills.
_MUTATOR_CALL = re.compile(r"\.(setItem|create_node|delete_node|remove_node|add_node)\(")


def _sorted_views(cls: cst.ClassDef) -> dict[str, str]:
    """Receivers the class turns sorting on for (`self._table.setSortingEnabled(True)`,
    or `self` for a table subclass) -> the method that does it."""
    out: dict[str, str] = {}
    for item in cls.body.body:
        if not isinstance(item, cst.FunctionDef):
            continue
        for sub, _ in body_nodes(item):
            if (
                isinstance(sub, cst.Call)
                and call_name(sub) == "setSortingEnabled"
                and sub.args
                and isinstance(sub.args[0].value, cst.Name)
                and sub.args[0].value.value == "True"
            ):
                receiver = call_receiver(sub)
                if receiver is None:
                    receiver = "self"
                out.setdefault(receiver, item.name.value)
    return out


class BulkWithoutUpdatesDisabled(Rule):
    """A sorted QTableWidget re-sorts on every setItem; a node graph adds an undo step per node."""

    ID = "CIA407"
    AREA = 4
    TITLE = "Sorted table filled cell by cell, or graph nodes changed one by one, in a loop"
    RATIONALE = (
        "With sorting on, `QTableWidget.setItem` in the sort column moves the row to its "
        "sorted place at once: a fill of n rows does n sorted moves (O(n^2)), and the loop, "
        "still writing by row index, puts the remaining cells of a moved row into another "
        "row. Each `create_node`/`delete_node` of a node graph pushes its own undo command "
        "and emits its own signals, so a paste of n nodes is n undo steps and n handler runs. "
        "(Inserting rows or items with sorting off is not reported: Qt defers layout and "
        "coalesces repaints until control returns to the event loop.)"
    )
    IMPACT = 5
    FREQUENCY = 3
    DIFFICULTY = 1
    RECOMMENDATION = (
        "Turn sorting off for the fill: `table.setSortingEnabled(False)`, fill, then "
        "`setSortingEnabled(True)` (one sort, and every cell stays in its row). For graph "
        "nodes, group the loop into one undo macro (`graph.begin_undo(...)` / `end_undo()`) "
        "or use the batch call (`delete_nodes`)."
    )
    EXAMPLE_BEFORE = """\
self._table.setRowCount(len(jobs))
for row, job in enumerate(jobs):
    self._table.setItem(row, 0, QTableWidgetItem(job.name))
    self._table.setItem(row, 1, QTableWidgetItem(job.state))
"""
    EXAMPLE_AFTER = """\
self._table.setSortingEnabled(False)
try:
    self._table.setRowCount(len(jobs))
    for row, job in enumerate(jobs):
        self._table.setItem(row, 0, QTableWidgetItem(job.name))
        self._table.setItem(row, 1, QTableWidgetItem(job.state))
finally:
    self._table.setSortingEnabled(True)
"""
    TAGS = ("qt", "rendering", "bulk")
    TRIGGERS = ("setItem(", "create_node(", "delete_node(", "remove_node(", "add_node(")
    VALID = (
        # Sorting turned off for the fill and back on after: one sort.
        Valid(
            """\
            class RunsTab:
                def __init__(self, table):
                    self._table = table
                    self._table.setSortingEnabled(True)

                def refresh(self, runs):
                    self._table.setSortingEnabled(False)
                    self._table.setRowCount(len(runs))
                    for row, run in enumerate(runs):
                        self._table.setItem(row, 0, QTableWidgetItem(run.name))
                    self._table.setSortingEnabled(True)
            """
        ),
        # Rows inserted one by one into an unsorted table: layout and painting wait for the
        # event loop, so setUpdatesEnabled would change nothing worth reporting.
        Valid(
            """\
            class CallStackView:
                def show_frames(self, frames):
                    self._frames.setRowCount(0)
                    for frame in frames:
                        row = self._frames.rowCount()
                        self._frames.insertRow(row)
                        self._frames.setItem(row, 0, QTableWidgetItem(frame.name))
            """
        ),
        # Search results into a list widget, capped or not: cheap per item.
        Valid(
            """\
            def show_matches(self, matches):
                self._matches.clear()
                for match in matches[: self.MAX_SHOWN]:
                    self._matches.addItem(QListWidgetItem(match.label))
            """
        ),
        # Items added to a QGraphicsScene: the scene batches its updates until control
        # returns to the event loop, and setUpdatesEnabled does not apply to scenes.
        Valid(
            """\
            class FlowMap:
                def draw(self, model):
                    self._scene.clear()
                    for step in model.steps:
                        self._scene.addItem(StepItem(step))
                    for edge in model.edges:
                        self._scene.addItem(EdgeItem(edge))
            """
        ),
        # A sorted tree widget sorts once, after the fill (QTreeWidget defers its sort).
        Valid(
            """\
            class GroupsTree:
                def __init__(self, tree):
                    self._tree = tree
                    self._tree.setSortingEnabled(True)

                def rebuild(self, groups):
                    self._tree.clear()
                    for group in groups:
                        self._tree.addTopLevelItem(QTreeWidgetItem([group.name]))
            """
        ),
        # A model's setItem: the view sorts through its proxy, not per cell of the model.
        Valid(
            """\
            class Ledger:
                def __init__(self, view):
                    self._view = view
                    self._view.setSortingEnabled(True)

                def fill(self, rows):
                    for i, row in enumerate(rows):
                        self._model.setItem(i, 0, QStandardItem(row.label))
            """
        ),
        # The caller turns sorting off around the fill.
        Valid(
            """\
            class RobotsTab:
                def __init__(self, table):
                    self._table = table
                    self._table.setSortingEnabled(True)

                def reload(self, robots):
                    self._table.setSortingEnabled(False)
                    self._fill(robots)
                    self._table.setSortingEnabled(True)

                def _fill(self, robots):
                    self._table.setRowCount(len(robots))
                    for row, robot in enumerate(robots):
                        self._table.setItem(row, 0, QTableWidgetItem(robot.name))
            """
        ),
        # One undo macro around the loop.
        Valid(
            """\
            def paste(self, specs):
                self._graph.begin_undo("paste")
                for spec in specs:
                    self._graph.create_node(spec["type"])
                self._graph.end_undo()
            """
        ),
        # A data-structure graph (no undo stack, no scene): adding nodes is dict work.
        Valid(
            """\
            import networkx as nx

            class Plan:
                def __init__(self, steps):
                    self._graph = nx.DiGraph()
                    for step in steps:
                        self._graph.add_node(step.id)
            """
        ),
        Valid(
            """\
            def add_one(self, spec):
                self._graph.create_node(spec["type"])
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            class QueuesTab:
                def __init__(self, table):
                    self._table = table
                    self._table.setSortingEnabled(True)

                def refresh(self, queues):
                    self._table.setRowCount(0)
                    self._table.setRowCount(len(queues))
                    for row, queue in enumerate(queues):
                        self._table.setItem(row, 0, QTableWidgetItem(queue.name))
                        self._table.setItem(row, 1, QTableWidgetItem(str(queue.size)))
            """,
            line=10,
            message_contains="setSortingEnabled(True)` in `__init__`",
        ),
        # A table subclass that sorts itself.
        Invalid(
            """\
            class OutputTable(QTableWidget):
                def __init__(self):
                    super().__init__()
                    self.setSortingEnabled(True)

                def set_data(self, pairs):
                    for key, value in pairs:
                        row = self.rowCount()
                        self.insertRow(row)
                        self.setItem(row, 0, QTableWidgetItem(key))
                        self.setItem(row, 1, QTableWidgetItem(value))
            """,
            line=10,
        ),
        Invalid(
            """\
            def paste(self, data):
                for spec in data["nodes"]:
                    self._graph.create_node(spec["type"], pos=spec["pos"])
            """,
            line=3,
            message_contains="undo",
        ),
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._sorted: list[dict[str, str]] = []
        self._node_graph = False

    @classmethod
    def confirm(cls, finding: Finding, project: ProjectModel) -> Finding | None:
        """A table fill whose every caller turns sorting off around it is batched there."""
        if "setSortingEnabled" not in finding.message:
            return finding
        fn = project.function_at(finding.path, finding.line)
        callers = project.callers(fn.qualname) if fn is not None else []
        if callers and all(
            any(c.target.endswith(".setSortingEnabled") for c in caller.calls)
            for caller, _ in callers
        ):
            return None
        return finding

    @classmethod
    def wants(cls, source: str) -> bool:
        return super().wants(source) and indented_under(source, LOOP_HEAD, _MUTATOR_CALL)

    def visit_Module(self, node: cst.Module) -> None:
        self._node_graph = any(q.startswith("NodeGraphQt") for q in import_map(node).names.values())

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._sorted.append(_sorted_views(node))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._sorted.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        walk = body_nodes(node)
        calls = [(sub, anc) for sub, anc in walk if isinstance(sub, cst.Call)]
        names = {call_name(sub) for sub, _ in calls}
        sorted_views = self._sorted[-1] if self._sorted else {}
        if sorted_views and "setSortingEnabled" not in names:
            for sub, ancestors in calls:
                if call_name(sub) != "setItem" or len(sub.args) < 3:
                    continue
                receiver = call_receiver(sub) or "self"
                where = sorted_views.get(receiver)
                if where is None or enclosing_loop(sub, ancestors) is None:
                    continue
                self.report(
                    sub,
                    f"`{receiver}.setItem(...)` fills the table cell by cell in a loop while "
                    f"its sorting is on (`setSortingEnabled(True)` in `{where}`): each item "
                    "in the sort column moves its row at once, so the fill is O(n^2) and "
                    "later cells of a moved row land in another row. Turn sorting off for "
                    "the fill and back on after.",
                )
                break
        if names & _GRAPH_BATCHING:
            return
        for sub, ancestors in calls:
            name = call_name(sub)
            if name not in _GRAPH_MUTATORS or (
                name in _GENERIC_GRAPH_NAMES and not self._node_graph
            ):
                continue
            receiver = call_receiver(sub) or ""
            # `self.add_node()` is the class's own bookkeeping, not a graph widget's.
            if not receiver.startswith("self.") or enclosing_loop(sub, ancestors) is None:
                continue
            if any(
                kw.keyword is not None
                and kw.keyword.value == "push_undo"
                and isinstance(kw.value, cst.Name)
                and kw.value.value == "False"
                for kw in sub.args
            ):
                continue
            self.report(
                sub,
                f"`{receiver}.{name}(...)` is called once per loop item: each call pushes "
                "its own undo step and emits its own signals; group the loop into one undo "
                "macro (begin_undo/end_undo) or use the batch call.",
                impact=3,
                difficulty=2,
            )
            return
