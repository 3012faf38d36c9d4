"""CIA803: a loop node materializes its whole sequence on every iteration."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, call_name, methods_of, source_of

_MATERIALIZE = frozenset({"list", "sorted", "tuple", "range"})


def _inside_first_iteration_branch(ancestors: tuple[cst.CSTNode, ...]) -> bool:
    """Inside `if key not in context.variables:` (the branch that initializes loop state)."""
    for anc in ancestors:
        if isinstance(anc, cst.If):
            for sub, _ in body_nodes(anc.test):
                if isinstance(sub, cst.ComparisonTarget) and isinstance(sub.operator, cst.NotIn):
                    return True
            if isinstance(anc.test, cst.Comparison) and any(
                isinstance(c.operator, cst.NotIn) for c in anc.test.comparisons
            ):
                return True
    return False


class LoopNodeRebuildsSequence(Rule):
    """O(n) setup repeated per iteration makes an n-item loop O(n^2)."""

    ID = "CIA803"
    AREA = 8
    TITLE = "Loop node rebuilds its item sequence on every iteration"
    RATIONALE = (
        "A loop-start node's execute() runs once per iteration (the loop-end node routes "
        "back to it). Building `list(range(start, end))` or `list(items)` before looking at "
        "the saved loop state repeats O(n) work and allocation per iteration, so an n-item "
        "loop costs O(n^2) before any body node runs."
    )
    # Copying n references (or n small ints) runs in C: microseconds per iteration for loops
    # of thousands of items, next to a node run's own overhead; it only shows near 1e5 items.
    # A true O(n^2), but MEDIUM at most (2*10 + 6*5 - 2*2 = 46), and the message says so.
    IMPACT = 2
    FREQUENCY = 6
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Look up the saved loop state first and build the sequence only on the first "
        "iteration (inside the `if state_key not in context.variables:` branch); for "
        "numeric loops store `start/end/step` and compute the current value instead of "
        "materializing a list."
    )
    EXAMPLE_BEFORE = """\
items = list(range(start, end, step))
if key not in context.variables:
    context.variables[key] = {"items": list(items), "index": 0}
"""
    EXAMPLE_AFTER = """\
state = context.variables.get(key)
if state is None:
    state = context.variables[key] = {"range": (start, end, step), "index": 0}
"""
    TAGS = ("algorithmic", "loops", "per-call")
    TRIGGERS = ("Loop", "loop")
    VALID = (
        Valid(
            """\
            class ForLoopStartNode:
                async def execute(self, context):
                    key = f"{self.node_id}_state"
                    if key not in context.variables:
                        items = list(self.get_input_value("items"))
                        context.variables[key] = {"items": items, "index": 0}
            """
        ),
        Valid(
            """\
            class SortNode:
                async def execute(self, context):
                    return sorted(self.get_input_value("items"))
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            class ForLoopStartNode:
                async def execute(self, context):
                    items = list(range(0, self.end))
                    key = f"{self.node_id}_loop_state"
                    if key not in context.variables:
                        context.variables[key] = {"items": items, "index": 0}
            """,
            line=3,
            message_contains="list(range(0, self.end))",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return super().wants(source) and re.search(r"class \w*Loop\w*", source) is not None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if "loop" not in node.name.value.lower():
            return
        execute = methods_of(node).get("execute")
        if execute is None:
            return
        walk = body_nodes(execute)
        keeps_state = any(
            (isinstance(sub, cst.SimpleString) and "loop_state" in sub.value)
            or (isinstance(sub, cst.FormattedStringText) and "loop_state" in sub.value)
            or (isinstance(sub, cst.Name) and sub.value == "loop_state_key")
            for sub, _ in walk
        ) or any(
            isinstance(sub, cst.Comparison)
            and any(isinstance(c.operator, cst.NotIn) for c in sub.comparisons)
            for sub, _ in walk
        )
        if not keeps_state:
            return
        for sub, ancestors in walk:
            if not isinstance(sub, cst.Call) or call_name(sub) not in _MATERIALIZE:
                continue
            if not isinstance(sub.func, cst.Name) or _inside_first_iteration_branch(ancestors):
                continue
            # Outermost materialization only: `list(range(...))` reports once, at `list`.
            if any(isinstance(a, cst.Call) and call_name(a) in _MATERIALIZE for a in ancestors):
                continue
            self.report(
                sub,
                f"`{source_of(sub, 50)}` runs on every iteration of {node.name.value} (its "
                f"execute() is re-entered per item): build the sequence only when the loop "
                f"state is first created. A copy in C: microseconds per iteration below some "
                f"thousands of items, it shows only in loops near 1e5 items.",
            )
            return
