"""A finding keeps its fingerprint when code moves above it or unrelated code changes.

Uses real rule output: every rule's own INVALID examples, and a whole audit of the fixture
tree, re-run after lines are inserted above every finding and an unrelated function is added.
"""

from __future__ import annotations

import shutil
import textwrap
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.findings import Finding, Priority
from analyzers.identity import normalize_statement, number_occurrences
from analyzers.registry import all_rules
from analyzers.rule import Rule
from analyzers.runner import audit
from inspector.core.session import Session
from inspector.report.comparison import compare_findings

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixture_project"
INVALID = [(r, i, ex) for r in all_rules() for i, ex in enumerate(r.INVALID)]

# Lines an editor inserts above everything (comments and blank lines keep any
# `from __future__` import legal) and an unrelated function added at the end.
ABOVE = "# a comment added above\n# and another one\n\n"
UNRELATED = "\n\ndef _unrelated_helper(value):\n    return value + 1\n"


def _moved(source: str) -> str:
    return ABOVE + source + UNRELATED


def _fingerprints(rule: type[Rule], code: str) -> Counter[str]:
    found = analyze_source(code, FileContext(relpath="example.py"), [rule])
    return Counter(f.fingerprint for f in found if f.rule == rule.ID)


@pytest.mark.parametrize(("rule", "i", "example"), INVALID, ids=lambda v: getattr(v, "ID", v))
def test_invalid_example_keeps_its_fingerprints_when_code_moves(rule, i, example):
    code = textwrap.dedent(example.code)
    before = _fingerprints(rule, code)
    assert before, f"{rule.ID} INVALID[{i}] reported nothing"
    assert _fingerprints(rule, _moved(code)) == before


def test_statement_text_is_normalized_without_indentation_spaces_or_comment():
    assert normalize_statement("        time.sleep( 1 )   # wait") == "time.sleep( 1 )"
    assert normalize_statement("x = '#not a comment'  # real") == "x = '#not a comment'"
    assert normalize_statement("    foo(a,\t b") == "foo(a, b"


def _finding(line: int, anchor: str = "time.sleep(1)", **kw) -> Finding:
    return Finding(
        rule="CIA001",
        area=2,
        path="a.py",
        line=line,
        message="m",
        priority=Priority(5, 5, 5),
        symbol="Worker.run",
        anchor=anchor,
        **kw,
    )


def test_repeats_of_one_statement_are_numbered_in_source_order():
    second, first, other = _finding(9), _finding(4), _finding(6, anchor="time.sleep(2)")
    numbered = number_occurrences([second, first, other])
    assert [f.occurrence for f in numbered] == [1, 0, 0]
    assert len({f.fingerprint for f in numbered}) == 3
    assert number_occurrences(numbered) == numbered  # idempotent


def test_two_identical_statements_in_one_function_are_two_findings():
    code = textwrap.dedent(
        """
        def drain(queue):
            while queue:
                queue.pop(0)
                queue.pop(0)
        """
    )
    rules = [r for r in all_rules() if r.ID == "CIA601"]
    found = analyze_source(code, FileContext(relpath="drain.py"), rules)
    assert [(f.line, f.occurrence, f.anchor) for f in found] == [
        (4, 0, "queue.pop(0)"),
        (5, 1, "queue.pop(0)"),
    ]
    assert len({f.fingerprint for f in found}) == 2


@pytest.fixture(scope="module")
def audits(tmp_path_factory):
    root = tmp_path_factory.mktemp("moved") / "fixture_project"
    shutil.copytree(FIXTURE, root)
    before = audit(root, "generic", use_cache=False, jobs=1)
    for path in root.rglob("*.py"):
        path.write_text(_moved(path.read_text(encoding="utf-8")), encoding="utf-8")
    after = audit(root, "generic", use_cache=False, jobs=1)
    return before, after


def test_audit_of_moved_tree_has_no_new_or_gone_findings(audits):
    before, after = audits
    assert len({f.rule for f in before.findings}) >= 40  # most rules fire in the fixture
    result = compare_findings(before.findings, after.findings)
    assert (len(result.new), len(result.gone)) == (0, 0)
    assert [f.line + 3 for f in before.findings] == [f.line for f in after.findings]


def test_audit_has_no_duplicate_fingerprints_and_the_session_stores_them_all(audits, tmp_path):
    before, _ = audits
    fingerprints = [f.fingerprint for f in before.findings]
    assert len(fingerprints) == len(set(fingerprints))
    session = Session.create(tmp_path / "s.session")
    session.put_findings(before.findings)
    assert len(session.findings()) == len(before.findings)
    session.close()


def test_session_keeps_findings_that_would_share_a_fingerprint(tmp_path):
    twins = [_finding(4), replace(_finding(4), line=8, message="another wording")]
    session = Session.create(tmp_path / "s.session")
    stored = session.put_findings(twins)
    assert len(session.findings()) == 2
    assert sorted(f.occurrence for f in stored) == [0, 1]
    session.close()
