from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from analyzers.findings import Evidence, Priority
from inspector.report.comparison import ComparisonError, compare_findings, compare_paths
from tests.report.builders import TREE, fixture_findings, fixture_records, make_session


def test_new_gone_and_changed_by_fingerprint():
    old = fixture_findings()
    fixed, moved, remeasured, *rest = old
    added = replace(rest[0], rule="T999", message="a new one.")
    new = [
        replace(moved, line=moved.line + 3),  # moved only: unchanged
        remeasured.with_priority(
            Priority(9, 9, 1, source="measured", basis="samples")
        ).with_evidence(Evidence("py-spy", "40%", {"share": 0.4})),
        *rest,
        added,
    ]
    result = compare_findings(old, new)
    assert [f.fingerprint for f in result.new] == [added.fingerprint]
    assert [f.fingerprint for f in result.gone] == [fixed.fingerprint]
    (changed,) = result.changed
    assert changed.new.fingerprint == remeasured.fingerprint
    assert changed.score_delta == (9 * 10 + 9 * 5 - 1 * 2) - remeasured.score
    assert any("inputs default → measured" in w for w in changed.what)
    assert any("py-spy:share" in w for w in changed.what)
    assert result.unchanged == len(old) - 2
    md = result.to_markdown()
    assert "1 new, 1 gone, 1 changed" in md


def test_compare_two_sessions_reports_measured_headline(tmp_path: Path):
    t0 = 1_700_000_000.0
    before = make_session(tmp_path / "before.session")
    before.close()
    fast = [r for r in fixture_records(t0, TREE) if r["kind"] not in ("slow_callback",)]
    for r in fast:
        if r["kind"] == "loop_lag":
            r["lag_ms"] = [min(v, 5.0) for v in r["lag_ms"]]
            r["max_ms"] = max(r["lag_ms"])
        if r["kind"] == "handler":
            r["durations_ms"] = [min(v, 2.0) for v in r["durations_ms"]]
            r["max_ms"] = min(r["max_ms"], 2.0)
    fixed = [f for f in fixture_findings() if f.rule != "T902"]
    make_session(tmp_path / "after.session", findings=fixed, records=fast).close()
    result = compare_paths(tmp_path / "before.session", tmp_path / "after.session")
    assert [f.rule for f in result.gone] == ["T902"]
    lag = {m.name: m for m in result.metrics}["event-loop lag max (ms)"]
    assert lag.old == 190.0 and lag.new <= 5.0 and lag.improved


def test_compare_reads_json_reports_and_rejects_other_files(tmp_path: Path, written):
    result = compare_paths(written["json"], written["json"])
    assert not result.new and not result.gone and not result.changed
    bad = tmp_path / "x.txt"
    bad.write_text("hello")
    with pytest.raises(ComparisonError, match="neither a session"):
        compare_paths(bad, written["json"])
    assert json.loads(json.dumps(result.to_dict()))["unchanged"] == result.unchanged
