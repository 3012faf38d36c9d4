"""CIA605: dependencies built by scanning all connections once per node (O(V*E))."""

from __future__ import annotations

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, dotted, enclosing_loop, source_of

# Collections whose size grows with the workflow.
_GRAPH_WORDS = ("connection", "edge", "link", "pipe", "node", "depend", "job", "robot")


def _target_names(target: cst.BaseAssignTargetExpression) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    return {n.value for n, _ in body_nodes(target) if isinstance(n, cst.Name)}


class NestedScanJoin(Rule):
    """A join done by nested loops instead of an index built once."""

    ID = "CIA605"
    AREA = 6
    TITLE = "Quadratic dependency construction: inner scan filtered by the outer item"
    RATIONALE = (
        "For each node the code walks every connection (or every other node) and keeps "
        "the ones whose source/target equals the outer item. That is O(V*E) work to build "
        "adjacency that one pass can build in O(V+E); on large workflows it dominates "
        "validation, dependency analysis and execution planning."
    )
    IMPACT = 5
    FREQUENCY = 5
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Index once, then look up: build `by_source = defaultdict(list)` (and/or "
        "`by_target`) in one pass over the connections, then use `by_source[node_id]` "
        "inside the node loop; cache the index on the graph and invalidate it on edits."
    )
    EXAMPLE_BEFORE = """\
for node_id in nodes:
    deps = [c.source for c in connections if c.target == node_id]
"""
    EXAMPLE_AFTER = """\
by_target = defaultdict(list)
for c in connections:
    by_target[c.target].append(c.source)
for node_id in nodes:
    deps = by_target[node_id]
"""
    TAGS = ("algorithmic",)
    TRIGGERS = ("connection", "edge", "link", "pipe", "node", "depend", "job", "robot")
    VALID = (
        Valid(
            """\
            def build(nodes, connections):
                by_target = defaultdict(list)
                for c in connections:
                    by_target[c.target].append(c.source)
                for n in nodes:
                    deps = by_target[n.id]
            """
        ),
        # Inner loop over the outer item's own children: linear overall.
        Valid(
            """\
            def walk(nodes):
                for node in nodes:
                    for port in node.ports:
                        if port.name == "x":
                            yield port
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            def dependencies(nodes, connections):
                result = {}
                for node_id in nodes:
                    result[node_id] = [
                        c.source_node for c in connections if c.target_node == node_id
                    ]
                return result
            """,
            line=4,
            message_contains="connections",
        ),
        Invalid(
            """\
            def link(self):
                for node in self.nodes:
                    for conn in self.connections:
                        if conn.target_id == node.id:
                            node.deps.append(conn.source_id)
            """,
            line=3,
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        reported: set[int] = set()
        for sub, ancestors in body_nodes(node):
            inner_iter: cst.BaseExpression | None = None
            inner_vars: set[str] = set()
            conditions: list[cst.BaseExpression] = []
            if isinstance(sub, cst.For):
                inner_iter = sub.iter
                inner_vars = _target_names(sub.target)
                conditions = [n.test for n, _ in body_nodes(sub.body) if isinstance(n, cst.If)]
            elif isinstance(sub, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
                inner_iter = sub.for_in.iter
                inner_vars = _target_names(sub.for_in.target)
                conditions = [cond.test for cond in sub.for_in.ifs]
            if inner_iter is None or not conditions:
                continue
            inner_name = dotted(inner_iter) or ""
            if not any(w in inner_name.lower() for w in _GRAPH_WORDS) or "()" in inner_name:
                continue
            outer = enclosing_loop(sub, ancestors)
            if not isinstance(outer, cst.For) or id(outer) in reported:
                continue
            # Both sides must grow with the workflow; a handful of ports or status groups
            # times the connections is linear, not quadratic.
            outer_name = (source_of(outer.iter, 80)).lower()
            if not any(w in outer_name for w in _GRAPH_WORDS):
                continue
            outer_vars = _target_names(outer.target)
            # The inner collection must not depend on the outer item (node.ports is fine).
            if {n.value for n, _ in body_nodes(inner_iter) if isinstance(n, cst.Name)} & outer_vars:
                continue
            if isinstance(inner_iter, cst.Name) and inner_iter.value in outer_vars:
                continue
            joined = any(_equality_between(test, inner_vars, outer_vars) for test in conditions)
            if not joined:
                continue
            reported.add(id(outer))
            self.report(
                sub,
                f"For every `{source_of(outer.target, 30)}` this scans all of "
                f"`{inner_name}` and filters by equality (O(V*E)): build a dict index of "
                f"`{inner_name}` once before the loop and look items up.",
            )


def _equality_between(test: cst.BaseExpression, inner: set[str], outer: set[str]) -> bool:
    for node, _ in body_nodes(test) if not isinstance(test, cst.Comparison) else [(test, ())]:
        if not isinstance(node, cst.Comparison):
            continue
        if not any(isinstance(c.operator, cst.Equal) for c in node.comparisons):
            continue
        names = {n.value for n, _ in body_nodes(node) if isinstance(n, cst.Name)}
        if names & inner and names & outer:
            return True
    return False
