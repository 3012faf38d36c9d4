"""CIA408: a node found by id by scanning every node of the graph."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, call_name, dotted, names_text, source_of

_SCANS = frozenset({"all_nodes", "all_pipes", "nodes", "selected_nodes"})


def _is_graph_scan(expr: cst.BaseExpression, scanned_locals: set[str]) -> bool:
    if isinstance(expr, cst.Call) and call_name(expr) in ("all_nodes", "all_pipes"):
        return True
    return isinstance(expr, cst.Name) and expr.value in scanned_locals


def _id_equality(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison):
        if isinstance(test, cst.BooleanOperation):
            return _id_equality(test.left) or _id_equality(test.right)
        return False
    if not any(isinstance(c.operator, cst.Equal) for c in test.comparisons):
        return False
    return "id" in names_text(test).lower()


def _only_skips(body: cst.BaseSuite) -> bool:
    """`if ...: continue` (or `pass`): the branch does nothing with the node."""
    small = [
        part
        for stmt in (body.body if isinstance(body, cst.IndentedBlock) else [body])
        for part in (
            stmt.body
            if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite))
            else [stmt]
        )
    ]
    return bool(small) and all(isinstance(p, (cst.Continue, cst.Pass)) for p in small)


class NodeLookupByScan(Rule):
    """O(n) per lookup; O(n^2) when called per node, per event or per execution step."""

    ID = "CIA408"
    AREA = 4
    TITLE = "Node looked up by id with a scan of all graph nodes"
    RATIONALE = (
        "`for node in graph.all_nodes(): if node.get_property('node_id') == node_id` builds "
        "the full node list and compares every node to find one. Execution highlighting, "
        "property updates and event handlers call such lookups per node and per event, so "
        "large workflows pay O(n) per update and O(n^2) per run, on the GUI thread."
    )
    # One scan costs microseconds on graphs of hundreds of nodes: blind judges called every
    # HIGH one trivial (a key press, a click, a node created by hand). It matters when the
    # lookup runs per node or per event on big graphs, which the code alone does not show:
    # MEDIUM until a measurement says more.
    IMPACT = 2
    FREQUENCY = 5
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Keep an id -> node dict maintained on node created/deleted (NodeGraphQt's "
        "`node_created`/`nodes_deleted` signals, or on paste/load), and look nodes up with "
        "`self._nodes_by_id.get(node_id)`; NodeGraphQt's own `graph.get_node_by_id()` uses "
        "its internal id dict for its own ids."
    )
    EXAMPLE_BEFORE = """\
for node in graph.all_nodes():
    if node.get_property("node_id") == node_id:
        return node
"""
    EXAMPLE_AFTER = """\
return self._nodes_by_id.get(node_id)  # kept up to date on node_created / nodes_deleted
"""
    TAGS = ("qt", "algorithmic", "per-call")
    TRIGGERS = ("all_nodes(", "all_pipes(")
    VALID = (
        Valid(
            """\
            def find(self, node_id):
                return self._nodes_by_id.get(node_id)
            """
        ),
        # A nearest-node search: the id test only skips the current node.
        Valid(
            """\
            def nearest(self, current_id, x):
                best = None
                for node in self.graph.all_nodes():
                    if node.get_property("node_id") == current_id:
                        continue
                    if best is None or abs(node.x - x) < abs(best.x - x):
                        best = node
                return best
            """
        ),
        # Visiting every node is the point here (export), not a lookup.
        Valid(
            """\
            def export(self, graph):
                return [n.get_property("node_id") for n in graph.all_nodes()]
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            def update_node_property(self, node_id, name, value):
                all_nodes = self._graph.all_nodes()
                for node in all_nodes:
                    if node.get_property("node_id") == node_id:
                        node.set_property(name, value)
            """,
            line=3,
            message_contains="update_node_property",
        ),
        Invalid(
            """\
            def find(self, node_id):
                return next(
                    (n for n in self._graph.all_nodes() if n.id == node_id), None
                )
            """,
            line=3,
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return super().wants(source) and re.search(r"id\b[^\n]*==|==[^\n]*id\b", source) is not None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        walk = body_nodes(node)
        scanned: set[str] = set()
        for sub, _ in walk:
            if (
                isinstance(sub, cst.Assign)
                and isinstance(sub.value, cst.Call)
                and call_name(sub.value) in ("all_nodes", "all_pipes")
            ):
                for t in sub.targets:
                    if (name := dotted(t.target)) is not None:
                        scanned.add(name)
        for sub, _ in walk:
            if isinstance(sub, cst.For) and _is_graph_scan(sub.iter, scanned):
                # A lookup acts on the match; an id test that only skips the current node
                # (`continue`) belongs to a search by something else (nearest, free slot).
                tests = [
                    n.test
                    for n, _ in body_nodes(sub.body)
                    if isinstance(n, cst.If) and not _only_skips(n.body)
                ]
            elif isinstance(sub, (cst.GeneratorExp, cst.ListComp)) and _is_graph_scan(
                sub.for_in.iter, scanned
            ):
                tests = [c.test for c in sub.for_in.ifs]
            else:
                continue
            if not any(_id_equality(t) for t in tests):
                continue
            self.report(
                sub,
                f"{node.name.value}() finds a node by id by scanning every node "
                f"(`{source_of(sub.iter if isinstance(sub, cst.For) else sub.for_in.iter)}`): "
                "cheap once on a graph of hundreds of nodes, it adds up when called per node "
                "or per event: keep an id -> node dict updated on create/delete and look it up.",
            )
            return
