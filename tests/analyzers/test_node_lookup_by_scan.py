"""CIA408: a node found by scanning every node is reported, MEDIUM until measured."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.a4_node_lookup_by_scan import NodeLookupByScan


def test_a_lookup_by_scan_is_medium_with_its_score() -> None:
    code = """\
        class Highlighter:
            def _find(self, node_id):
                for node in self.graph.all_nodes():
                    if node.get_property("node_id") == node_id:
                        return node
        """
    findings = analyze_source(
        textwrap.dedent(code), FileContext(relpath="highlight.py"), [NodeLookupByScan]
    )
    assert [(f.line, f.severity.value, f.priority.score) for f in findings] == [(3, "MEDIUM", 39)]
    assert "cheap once on a graph of hundreds of nodes" in findings[0].message
