"""Every rule's own VALID and INVALID examples, generated from the registry (as Fixit does)."""

from __future__ import annotations

import textwrap

import pytest

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.registry import all_rules
from analyzers.rule import Invalid, Rule

VALID = [(r, i, ex) for r in all_rules() for i, ex in enumerate(r.VALID)]
INVALID = [(r, i, ex) for r in all_rules() for i, ex in enumerate(r.INVALID)]


def _run(rule: type[Rule], code: str, path: str = "example.py"):
    return analyze_source(textwrap.dedent(code), FileContext(relpath=path), [rule])


@pytest.mark.parametrize(("rule", "i", "example"), VALID, ids=lambda v: getattr(v, "ID", v))
def test_valid_examples_are_not_reported(rule, i, example):
    assert _run(rule, example.code) == [], f"{rule.ID} VALID[{i}] was reported"


@pytest.mark.parametrize(("rule", "i", "example"), INVALID, ids=lambda v: getattr(v, "ID", v))
def test_invalid_examples_are_reported_at_their_line(rule, i, example: Invalid):
    findings = [f for f in _run(rule, example.code, example.path) if f.rule == rule.ID]
    assert findings, f"{rule.ID} INVALID[{i}] was not reported"
    assert example.line in [f.line for f in findings], [f.line for f in findings]
    if example.message_contains:
        assert any(example.message_contains in f.message for f in findings)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.ID)
def test_rule_metadata_is_complete(rule):
    for attr in (
        "ID",
        "AREA",
        "TITLE",
        "RATIONALE",
        "RECOMMENDATION",
        "EXAMPLE_BEFORE",
        "EXAMPLE_AFTER",
    ):
        assert getattr(rule, attr, None), f"{rule.__name__}.{attr} missing"
    for attr in ("IMPACT", "FREQUENCY", "DIFFICULTY"):
        assert 1 <= getattr(rule, attr) <= 10
    assert 1 <= rule.AREA <= 10
    assert rule.VALID and rule.INVALID, f"{rule.ID} needs VALID and INVALID examples"
