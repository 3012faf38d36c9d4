"""CIA304: recursion along a graph is a robustness limit, ranked LOW and saying so."""

from __future__ import annotations

from analyzers.runner import audit


def test_recursion_along_a_graph_is_low_and_says_it_is_a_depth_limit(tmp_path):
    (tmp_path / "graph.py").write_text(
        "class Graph:\n"
        "    def collect(self, node_id, seen):\n"
        "        seen.add(node_id)\n"
        "        for nxt in self.next_nodes(node_id):\n"
        "            if nxt not in seen:\n"
        "                self.collect(nxt, seen)\n"
    )
    result = audit(tmp_path, use_cache=False, jobs=1)
    found = [f for f in result.findings if f.rule == "CIA304"]
    assert [(f.line, f.severity.value, f.priority.score) for f in found] == [(6, "LOW", 24)]
    assert "robustness limit" in found[0].message
