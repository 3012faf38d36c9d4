"""CIA602: `x in some_list` tested inside a loop (visited lists in graph walks)."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    LOOP_HEAD,
    Ancestors,
    body_nodes,
    call_name,
    dotted,
    enclosing_loop,
    indented_under,
)


def _loops_around(node: cst.CSTNode, ancestors: Ancestors) -> list[cst.For | cst.While]:
    """Every loop whose body holds `node`, innermost first."""
    chain = (*ancestors, node)
    return [
        anc
        for anc, child in zip(chain[-2::-1], chain[:0:-1], strict=True)
        if isinstance(anc, (cst.For, cst.While)) and child is anc.body
    ]


def _len_of(expr: cst.BaseExpression, name: str) -> bool:
    return (
        isinstance(expr, cst.Call)
        and call_name(expr) == "len"
        and bool(expr.args)
        and dotted(expr.args[0].value) == name
    )


def _compares_len(test: cst.BaseExpression, name: str) -> bool:
    """`len(found) < wanted`, `limit <= len(found)`."""
    return isinstance(test, cst.Comparison) and (
        _len_of(test.left, name) or any(_len_of(c.comparator, name) for c in test.comparisons)
    )


def _counted(loop: cst.For | cst.While, name: str) -> bool:
    """A loop that runs a count of times, not once per item of data: `range(retries)`, a
    literal, a constant slice `items[:10]`, or `while len(found) < wanted` (the list caps
    itself)."""
    if isinstance(loop, cst.While):
        return _compares_len(loop.test, name)
    items = loop.iter
    if isinstance(items, (cst.List, cst.Tuple, cst.Set)):
        return True
    if isinstance(items, cst.Call) and call_name(items) == "range":
        # `range(len(data))` walks the data; `range(self._max_retries + 1)` counts.
        return not any(
            isinstance(n, cst.Call) and call_name(n) == "len" for n, _ in body_nodes(items)
        )
    if isinstance(items, cst.Subscript) and len(items.slice) == 1:
        part = items.slice[0].slice
        return (
            isinstance(part, cst.Slice)
            and part.lower is None
            and isinstance(part.upper, cst.Integer)
        )
    return False


def _capped(func: cst.FunctionDef, name: str) -> bool:
    """`if len(found) >= limit: break` (or return) in a loop: the list stops growing there.
    The same test after the loop (`if len(found) <= 1: return`) caps nothing."""
    for node, ancestors in body_nodes(func):
        if not isinstance(node, cst.If) or not _compares_len(node.test, name):
            continue
        if enclosing_loop(node, ancestors) is None:
            continue
        if any(isinstance(n, (cst.Break, cst.Return)) for n, _ in body_nodes(node.body)):
            return True
    return False


def _unhashable_fallback(ancestors: Ancestors) -> bool:
    """Inside `except TypeError:`: the list is there because the items cannot go in a set."""
    for anc in ancestors:
        if isinstance(anc, cst.ExceptHandler) and anc.type is not None:
            caught = anc.type.elements if isinstance(anc.type, cst.Tuple) else [anc.type]
            for c in caught:
                value = c.value if isinstance(c, cst.Element) else c
                if dotted(value) == "TypeError":
                    return True
    return False


def _list_locals(func: cst.FunctionDef) -> set[str]:
    """Local lists that grow with the data the function walks: appended per item of a data
    loop (not a count of retries, a literal, a constant slice or a self-capped `while len(x)
    < n`), or extended by a whole collection. Literals and small capped lists stay small."""
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
    for node, ancestors in body_nodes(func):
        name, whole = None, None
        if isinstance(node, cst.Call) and call_name(node) in ("append", "extend", "insert"):
            if isinstance(node.func, cst.Attribute):
                name = dotted(node.func.value)
                whole = node.args[0].value if call_name(node) == "extend" and node.args else None
        elif isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.AddAssign):
            name, whole = dotted(node.target), node.value
        if name is None or not out.get(name):
            continue
        loops = _loops_around(node, ancestors)
        if any(not _counted(loop, name) for loop in loops):
            grown.add(name)
        elif not loops and whole is not None and not isinstance(whole, (cst.List, cst.Tuple)):
            grown.add(name)  # `found.extend(rows)`: as long as the data
    return {name for name in grown if not _capped(func, name)}


_WALK_IMPACT = 3
_WALK_FREQUENCY = 4


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
    # LOW by default: most lists deduped this way hold a handful of items. A visited list in
    # a worklist walk grows with the graph and is tested once per visit: MEDIUM.
    IMPACT = 2
    FREQUENCY = 2
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
        # Capped lists stay small: a count of retries, a self-capped draw, an early break.
        Valid(
            """\
            import random
            def pick_worker(self, job, workers):
                tried = []
                for attempt in range(self.max_retries + 1):
                    worker = self.choose([w for w in workers if w.id not in tried])
                    tried.append(worker.id)

            def sample_ports(count):
                ports = []
                while len(ports) < count:
                    port = random.randint(1024, 65535)
                    if port not in ports:
                        ports.append(port)
                return ports

            def suggestions(titles, limit):
                found = []
                for title in titles:
                    if title not in found:
                        found.append(title)
                        if len(found) >= limit:
                            break
                return found
            """
        ),
        # The list is there because the items cannot be hashed: a set is no fix.
        Valid(
            """\
            def unique(values):
                try:
                    return list(dict.fromkeys(values))
                except TypeError:
                    kept = []
                    for value in values:
                        if value not in kept:
                            kept.append(value)
                    return kept
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
        # A dedupe in one pass over data: reported, LOW unless the data is large.
        Invalid(
            """\
            def targets(edges, source):
                found = []
                for edge in edges:
                    if edge.source == source and edge.target not in found:
                        found.append(edge.target)
                return found
            """,
            line=4,
            message_contains="found",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # A list local that is the right side of an `in` test indented under a loop.
        if not super().wants(source):
            return False
        # Both scans start from a literal ("= [", "in "), which `re` finds fast; the same
        # tests anchored at every line start or word boundary were most of this prefilter.
        names: set[str] = set()
        for built in re.finditer(r"= (?:\[|list\()", source):
            line_start = source.rfind("\n", 0, built.start()) + 1
            local = re.fullmatch(
                r"[ \t]*(\w+)[ \t]*(?::[^=\n]+)?", source[line_start : built.start()]
            )
            if local:
                names.add(local.group(1))
        if not names:
            return False
        names &= set(re.findall(r"in (?<!\win )(\w+)", source))  # one scan, not one per name
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
                if _unhashable_fallback(ancestors):
                    continue
                reported.add(name)
                # A worklist walk (`while stack:`) tests a visited list that grows with the
                # whole graph: quadratic in its size. A dedupe inside one pass over a
                # collection costs as much only when that collection is large.
                walk = any(
                    isinstance(loop, cst.While) and not _counted(loop, name)
                    for loop in _loops_around(sub, ancestors)
                )
                self.report(
                    sub,
                    f"`{name}` is a list that grows with the data, so `in {name}` scans it on "
                    f"every iteration: keep a set for membership (`{name} = set()`, "
                    f"`.add()`).",
                    impact=_WALK_IMPACT if walk else None,
                    frequency=_WALK_FREQUENCY if walk else None,
                )
