"""CIA407: many widget rows/items/nodes added or removed one by one with updates enabled."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    LOOP_HEAD,
    body_nodes,
    call_name,
    call_receiver,
    enclosing_loop,
    indented_under,
)

# Per-item mutations that each trigger layout, sorting or a scene/undo update.
_MUTATORS = frozenset(
    {
        "insertRow",
        "addTopLevelItem",
        "appendRow",
        "create_node",
        "delete_node",
        "remove_node",
        "add_node",
        "addItem",
        "removeItem",
    }
)
_MUTATOR_CALL = re.compile(r"\.(" + "|".join(sorted(_MUTATORS)) + r")\(")
# Any of these in the function means the author batches the change already.
_BATCHING = frozenset(
    {
        "setUpdatesEnabled",
        "blockSignals",
        "beginResetModel",
        "beginInsertRows",
        "setSortingEnabled",
        "begin_undo",
        "beginMacro",
        "addItems",
        "addTopLevelItems",
        "delete_nodes",
        "QSignalBlocker",
        "setModel",
    }
)


class BulkWithoutUpdatesDisabled(Rule):
    """Each row/node added in a loop relayouts and repaints the view."""

    ID = "CIA407"
    AREA = 4
    TITLE = "Bulk widget or graph changes in a loop without disabling updates"
    RATIONALE = (
        "Each `insertRow`/`addTopLevelItem`/`create_node` in a loop emits its signals, "
        "re-sorts, re-lays out and schedules a repaint (and for graph nodes pushes an undo "
        "command) before the next item is added. Populating N items costs N layout passes "
        "instead of one, which is what makes large tables, trees and pastes stall the UI."
    )
    # Item views batch their layout until control returns to the loop; the cost is real
    # only for thousands of rows, which the code rarely shows.
    IMPACT = 3
    FREQUENCY = 3
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Wrap the loop in `widget.setUpdatesEnabled(False)` / `setUpdatesEnabled(True)` (in "
        "a try/finally) and `setSortingEnabled(False)` for sortable views; prefer "
        "`setRowCount(n)` then fill, `addTopLevelItems([...])`, or a model with "
        "`beginResetModel()/endResetModel()`; for graph nodes, group the loop into one undo "
        "macro and refresh once."
    )
    EXAMPLE_BEFORE = """\
for name, action in actions:
    row = self._table.rowCount()
    self._table.insertRow(row)
    self._table.setItem(row, 0, QTableWidgetItem(name))
"""
    EXAMPLE_AFTER = """\
self._table.setUpdatesEnabled(False)
self._table.setSortingEnabled(False)
try:
    self._table.setRowCount(len(actions))
    for row, (name, action) in enumerate(actions):
        self._table.setItem(row, 0, QTableWidgetItem(name))
finally:
    self._table.setSortingEnabled(True)
    self._table.setUpdatesEnabled(True)
"""
    TAGS = ("qt", "rendering", "bulk", "per-call")
    TRIGGERS = (
        "insertRow(",
        "addTopLevelItem(",
        "appendRow(",
        "create_node(",
        "delete_node(",
        "remove_node(",
        "add_node(",
        "addItem(",
        "removeItem(",
    )
    VALID = (
        Valid(
            """\
            def populate(self, rows):
                self._table.setUpdatesEnabled(False)
                try:
                    for row in rows:
                        self._table.insertRow(self._table.rowCount())
                finally:
                    self._table.setUpdatesEnabled(True)
            """
        ),
        Valid(
            """\
            def add_one(self, row):
                self._table.insertRow(self._table.rowCount())
            """
        ),
        # Combo boxes and menus: `addItem` on a combo is cheap, not reported.
        Valid(
            """\
            def fill(self, names):
                for name in names:
                    self._combo.addItem(name)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            def populate(self, jobs):
                self._tree.clear()
                for job in jobs:
                    item = QTreeWidgetItem([job.name])
                    self._tree.addTopLevelItem(item)
            """,
            line=5,
            message_contains="self._tree.addTopLevelItem",
        ),
        Invalid(
            """\
            def paste(self, data):
                for spec in data["nodes"]:
                    self._graph.create_node(spec["type"], pos=spec["pos"])
            """,
            line=3,
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return super().wants(source) and indented_under(source, LOOP_HEAD, _MUTATOR_CALL)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        walk = body_nodes(node)
        names = {call_name(sub) for sub, _ in walk if isinstance(sub, cst.Call)}
        if names & _BATCHING:
            return
        reported: set[int] = set()
        for sub, ancestors in walk:
            if not isinstance(sub, cst.Call) or call_name(sub) not in _MUTATORS:
                continue
            receiver = call_receiver(sub) or ""
            low = receiver.lower()
            name = call_name(sub)
            # A list widget's addItem is cheap per call; it matters when the list is
            # rebuilt per keystroke (search/filter results), or for scene items.
            if name in ("addItem", "removeItem") and not (
                "scene" in low
                or (
                    any(w in low for w in ("list", "tree", "table", "result"))
                    and re.search(r"result|search|filter", node.name.value, re.IGNORECASE)
                )
            ):
                continue
            if "combo" in low or "menu" in low:
                continue
            loop = enclosing_loop(sub, ancestors)
            # `self.add_node()` is the class's own bookkeeping, not a widget mutation.
            if loop is None or not receiver.startswith("self.") or reported:
                continue
            reported.add(id(loop))
            self.report(
                sub,
                f"`{receiver}.{name}(...)` is called once per loop item with updates and "
                f"signals live: wrap the loop in setUpdatesEnabled(False)/(True) (and "
                f"setSortingEnabled(False) for sortable views) or add all items in one call.",
            )
