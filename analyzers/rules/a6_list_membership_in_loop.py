"""CIA602: `x in some_list` tested inside a loop (visited lists in graph walks)."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    LOOP_HEAD,
    body_nodes,
    call_name,
    dotted,
    enclosing_loop,
    indented_under,
)


def _list_locals(func: cst.FunctionDef) -> dict[str, bool]:
    """Local names bound to a list: name -> True if only ever bound to lists."""
    out: dict[str, bool] = {}
    for node, _ in body_nodes(func):
        if not isinstance(node, (cst.Assign, cst.AnnAssign)) or node.value is None:
            continue
        targets = (
            [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        )
        value = node.value
        is_list = isinstance(value, (cst.List, cst.ListComp)) or (
            isinstance(value, cst.Call) and call_name(value) == "list"
        )
        for t in targets:
            name = dotted(t)
            if name is None:
                continue
            out[name] = out.get(name, True) and is_list
    grown: set[str] = set()
    for node, _ in body_nodes(func):
        if isinstance(node, cst.Call) and call_name(node) in ("append", "extend", "insert"):
            receiver = dotted(node.func.value) if isinstance(node.func, cst.Attribute) else None
            if receiver:
                grown.add(receiver)
        elif (
            isinstance(node, cst.AugAssign)
            and isinstance(node.operator, cst.AddAssign)
            and (name := dotted(node.target)) is not None
        ):
            grown.add(name)
    # Only lists that grow while the function runs: a constant list literal stays small.
    return {name: ok for name, ok in out.items() if ok and name in grown}


class ListMembershipInLoop(Rule):
    """Membership in a growing list is a linear scan per test."""

    ID = "CIA602"
    AREA = 6
    TITLE = "Membership test against a list inside a loop"
    RATIONALE = (
        "`x in visited` on a list scans it element by element. Inside a traversal or "
        "per-item loop whose list grows with the graph, each test is O(n) and the loop "
        "O(n^2): dependency analysis and cycle checks slow down sharply on large workflows."
    )
    IMPACT = 3
    FREQUENCY = 4
    DIFFICULTY = 1
    RECOMMENDATION = (
        "Keep a `set` for membership (`visited = set()`, `visited.add(x)`), alongside the "
        "list only if order is also needed."
    )
    EXAMPLE_BEFORE = """\
visited = []
for node in order:
    if node not in visited:
        visited.append(node)
"""
    EXAMPLE_AFTER = """\
visited = set()
for node in order:
    if node not in visited:
        visited.add(node)
"""
    TAGS = ("algorithmic", "per-call")
    TRIGGERS = ("append(", "extend(", "insert(", "+=")
    VALID = (
        Valid(
            """\
            def walk(nodes):
                visited = set()
                for n in nodes:
                    if n not in visited:
                        visited.add(n)
            """
        ),
        # A constant list literal is small: not reported.
        Valid(
            """\
            def kinds(items):
                for item in items:
                    if item.kind in ["a", "b"]:
                        yield item
            """
        ),
        Valid(
            """\
            def once(path):
                parts = []
                return "x" in parts
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            def dfs(graph, start):
                visited = []
                stack = [start]
                while stack:
                    node = stack.pop()
                    if node in visited:
                        continue
                    visited.append(node)
            """,
            line=6,
            message_contains="visited",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # A list local that is the right side of an `in` test indented under a loop.
        if not super().wants(source):
            return False
        names = set(re.findall(r"^\s*(\w+)\s*(?::[^=]+)?= (?:\[|list\()", source, re.M))
        names &= set(re.findall(r"\bin (\w+)\b", source))  # one scan, not one per name
        if not names:
            return False
        test = re.compile(r"\bin (?:" + "|".join(map(re.escape, names)) + r")\b")
        comprehension = re.compile(r"\bfor \w+ in [^\n]*\bif [^\n]*" + test.pattern)
        return indented_under(source, LOOP_HEAD, test) or bool(comprehension.search(source))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        lists = _list_locals(node)
        if not lists:
            return
        reported: set[str] = set()
        for sub, ancestors in body_nodes(node):
            if not isinstance(sub, cst.Comparison):
                continue
            for target in sub.comparisons:
                if not isinstance(target.operator, (cst.In, cst.NotIn)):
                    continue
                name = dotted(target.comparator)
                if name is None or name not in lists or name in reported:
                    continue
                if enclosing_loop(sub, ancestors, comprehensions=True) is None:
                    continue
                reported.add(name)
                self.report(
                    sub,
                    f"`{name}` is a list, so `in {name}` scans it on every iteration: keep "
                    f"a set for membership (`{name} = set()`, `.add()`).",
                )
