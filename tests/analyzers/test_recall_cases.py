"""The recall cases name rules that exist, areas of the plan, and tree-relative paths only."""

from __future__ import annotations

from analyzers.findings import AREAS
from analyzers.registry import all_rules
from tests.benchmarks.bench_recall import Case, Hit, found, load_cases, recall_by_area


def test_every_case_names_registered_rules_and_a_plan_area():
    ids = {rule.ID for rule in all_rules()}
    cases = load_cases()
    assert len(cases) == 70
    for case in cases:
        assert case.area in AREAS
        assert set(case.rules) <= ids, case
        assert not case.path.startswith(("/", "src/")) and "\\" not in case.path, case


def test_a_case_is_found_by_its_rule_in_its_symbol_or_a_nested_one():
    case = Case(2, "triggers/manager.py", "TriggerManager", ("CIA204",), "")
    assert found(case, [Hit("CIA204", "triggers/manager.py", "TriggerManager.start")])
    assert not found(case, [Hit("CIA204", "triggers/manager.py", "TriggerManagerV2.start")])
    assert not found(case, [Hit("CIA001", "triggers/manager.py", "TriggerManager.start")])
    assert not found(case, [Hit("CIA204", "triggers/base.py", "TriggerManager.start")])


def test_recall_is_counted_per_area():
    cases = [
        Case(1, "a.py", "A", ("CIA104",), ""),
        Case(1, "b.py", "B", ("CIA104",), ""),
        Case(9, "c.py", "C.f", (), ""),
    ]
    hits = [Hit("CIA104", "a.py", "A"), Hit("CIA999", "c.py", "C.f")]
    assert recall_by_area(cases, hits) == {1: (1, 2), 9: (1, 1)}
