"""Rules whose static guess blind judges found inflated rank MEDIUM until measured."""

from __future__ import annotations

import textwrap

import pytest

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.a1_container_grows_per_event import ContainerGrowsPerEvent
from analyzers.rules.a3_graph_scan_per_node import GraphScanPerNode


@pytest.mark.parametrize(
    ("rule", "score"),
    [(GraphScanPerNode, 44), (ContainerGrowsPerEvent, 49)],
    ids=lambda v: getattr(v, "ID", str(v)),
)
def test_first_invalid_example_is_medium_with_its_score(rule: type, score: int) -> None:
    example = rule.INVALID[0]
    findings = analyze_source(
        textwrap.dedent(example.code), FileContext(relpath="example.py"), [rule]
    )
    assert {(f.severity.value, f.priority.score) for f in findings} == {("MEDIUM", score)}
