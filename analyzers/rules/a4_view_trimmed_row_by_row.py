"""CIA409: a log/table view trimmed from the top one row at a time, per appended entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import PositionProvider

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    body_nodes,
    call_name,
    call_receiver,
    enclosing_loop,
    int_value,
    methods_of,
)

if TYPE_CHECKING:
    from analyzers.context import FileContext

_REMOVE_FIRST = frozenset({"removeRow", "takeItem", "takeTopLevelItem", "removeRows"})
# Calls that add one row or line to a view.
_ADD_ROW = frozenset(
    {
        "insertRow",
        "appendRow",
        "addItem",
        "addTopLevelItem",
        "insertTopLevelItem",
        "insertItem",
        "appendPlainText",
        "append",
    }
)


def _adds_row(func: cst.FunctionDef) -> bool:
    return any(
        isinstance(sub, cst.Call)
        and (
            call_name(sub) in _ADD_ROW or (call_name(sub) == "setRowCount" and "+" in _source(sub))
        )
        for sub, _ in body_nodes(func)
    )


def _source(node: cst.CSTNode) -> str:
    return cst.Module(body=()).code_for_node(node)


def _count_call(expr: cst.BaseExpression) -> bool:
    """`self.topLevelItemCount()`, `table.rowCount()`, `lst.count()`: the view's row count."""
    return (
        isinstance(expr, cst.Call) and not expr.args and call_name(expr).lower().endswith("count")
    )


def _empties_view(loop: cst.CSTNode) -> bool:
    """The loop removes every row, not a surplus over a limit: `for _ in range(count())`,
    `while count():`, `while count() > 0:`."""
    if isinstance(loop, cst.For):
        it = loop.iter
        return (
            isinstance(it, cst.Call)
            and call_name(it) == "range"
            and len(it.args) == 1
            and _count_call(it.args[0].value)
        )
    if isinstance(loop, cst.While):
        test = loop.test
        if _count_call(test):
            return True
        return (
            isinstance(test, cst.Comparison)
            and _count_call(test.left)
            and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, (cst.GreaterThan, cst.NotEqual))
            and int_value(test.comparisons[0].comparator) == 0
        )
    return False


class ViewTrimmedRowByRow(Rule):
    """`while table.rowCount() > max: table.removeRow(0)` after every appended log line."""

    ID = "CIA409"
    AREA = 4
    TITLE = "View trimmed from the top one row at a time"
    RATIONALE = (
        "Removing row 0 shifts every remaining row of the model and makes the view re-lay out "
        "and repaint; doing it in a loop after each appended message costs O(rows) per message "
        "once the view is full, on the GUI thread, exactly when messages arrive fastest."
    )
    IMPACT = 4
    FREQUENCY = 7
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Remove the surplus in one call (`model.removeRows(0, surplus)`), trim in batches "
        "(when 10 % over the limit), or back the view with a model over a "
        "`deque(maxlen=N)`; `QPlainTextEdit.setMaximumBlockCount` does it for text logs."
    )
    EXAMPLE_BEFORE = (
        "def _trim(self):\n    while self._table.rowCount() > self._max_rows:\n"
        "        self._table.removeRow(0)"
    )
    EXAMPLE_AFTER = (
        "def _trim(self):\n    surplus = self._table.rowCount() - self._max_rows\n"
        "    if surplus > self._max_rows // 10:\n"
        "        self._table.model().removeRows(0, surplus)"
    )
    TAGS = ("qt", "rendering", "algorithmic")
    TRIGGERS = ("removeRow(0", "takeItem(0", "takeTopLevelItem(0")
    VALID = (
        Valid(
            """\
            def trim(self):
                surplus = self._table.rowCount() - self._max
                if surplus > 0:
                    self._table.model().removeRows(0, surplus)
            """
        ),
        # Removing the first row once, not in a loop, is a single O(n) step.
        Valid(
            """\
            def drop_header(self):
                self._table.removeRow(0)
            """
        ),
    )
    INVALID = (
        # Emptying the tree to re-insert its items sorted: once per sort, LOW.
        Invalid(
            """\
            class OutlineTree:
                def sort_roots(self, ordered):
                    for _ in range(self.topLevelItemCount()):
                        self.takeTopLevelItem(0)
                    for index, item in enumerate(ordered):
                        self.insertTopLevelItem(index, item)
            """,
            line=4,
            message_contains="empties the whole view",
        ),
        Invalid(
            """\
            class LogTab:
                def _trim_log(self):
                    while self._table.rowCount() > self._max_entries:
                        self._table.removeRow(0)
            """,
            line=4,
            message_contains="self._table",
        ),
        # Trimmed after each appended message: one removal per message once full, each
        # shifting every row. MEDIUM, and the message says the cost is per row.
        Invalid(
            """\
            class EventLog:
                def add_message(self, text):
                    row = self._table.rowCount()
                    self._table.insertRow(row)
                    self._table.setItem(row, 0, QTableWidgetItem(text))
                    self._trim()

                def _trim(self):
                    while self._table.rowCount() > self._limit:
                        self._table.removeRow(0)
            """,
            line=10,
            message_contains="after each row add_message() adds",
        ),
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._classes: list[cst.ClassDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def _appender(self, node: cst.FunctionDef) -> str | None:
        """The method that adds one row and then trims: this function itself, or a method
        of its class that calls `self.<this>()` and adds a row. Then the loop, in steady
        state, removes one row per row added: the cost is per row, not a batch."""
        if _adds_row(node):
            return node.name.value
        if not self._classes:
            return None
        name = node.name.value
        for other_name, other in methods_of(self._classes[-1]).items():
            if other_name == name:
                continue
            calls_it = any(
                isinstance(sub, cst.Call)
                and isinstance(sub.func, cst.Attribute)
                and sub.func.attr.value == name
                and isinstance(sub.func.value, cst.Name)
                and sub.func.value.value == "self"
                for sub, _ in body_nodes(other)
            )
            if calls_it and _adds_row(other):
                return other_name
        return None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        for sub, ancestors in body_nodes(node):
            if not isinstance(sub, cst.Call) or call_name(sub) not in _REMOVE_FIRST:
                continue
            if not sub.args or int_value(sub.args[0].value) != 0:
                continue
            if call_name(sub) == "removeRows" and (
                len(sub.args) < 2 or int_value(sub.args[1].value) != 1
            ):
                continue
            loop = enclosing_loop(sub, ancestors)
            if loop is None:
                continue
            receiver = call_receiver(sub) or "the view"
            line = self.get_metadata(PositionProvider, loop).start.line
            if _empties_view(loop):
                # Emptying the view (to re-sort or reload it) runs once per user action over
                # the rows it holds, not once per appended message.
                self.report(
                    sub,
                    f"`{receiver}.{call_name(sub)}(0)` in a loop empties the whole view one "
                    "row at a time; it runs once per call, not per appended entry, so it "
                    "costs little unless the view holds thousands of rows: take or remove "
                    "them all in one call.",
                    related=(self._loop_step(line),),
                    impact=1,
                    frequency=3,
                )
                return
            appender = self._appender(node)
            if appender is not None:
                # Trimmed right after each added row: the loop removes one row per call once
                # the view is full. The cost is that one shift per row, not a burst.
                self.report(
                    sub,
                    f"`{receiver}.{call_name(sub)}(0)` trims the view after each row "
                    f"{appender}() adds: once the view is full, every new row removes row 0, "
                    "which shifts all remaining rows (O(rows) per row added, on the GUI "
                    "thread); let it run 10 % over the limit and remove the surplus in one "
                    "call, or back the view with a model over a deque(maxlen=N).",
                    related=(self._loop_step(line),),
                    impact=3,
                    frequency=4,
                )
                return
            self.report(
                sub,
                f"`{receiver}.{call_name(sub)}(0)` in a loop trims the view one row at a time: "
                "every removal shifts all remaining rows and re-lays out the view; remove the "
                "surplus in one call or trim in batches.",
                related=(self._loop_step(line),),
            )
            return
