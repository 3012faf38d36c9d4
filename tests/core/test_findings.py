from __future__ import annotations

from dataclasses import replace

import pytest

from analyzers.findings import ChainStep, Evidence, Finding, Priority, Severity, rank


@pytest.mark.parametrize(
    ("impact", "frequency", "difficulty", "score", "category"),
    [
        (10, 10, 1, 148, Severity.CRITICAL),
        (6, 2, 1, 68, Severity.HIGH),
        (5, 2, 5, 50, Severity.HIGH),
        (5, 2, 6, 48, Severity.MEDIUM),
        (3, 1, 3, 29, Severity.LOW),
        (4, 1, 2, 41, Severity.MEDIUM),
        (4, 1, 10, 25, Severity.LOW),
        (6, 2, 5, 60, Severity.HIGH),
    ],
)
def test_score_formula_and_category_boundaries(impact, frequency, difficulty, score, category):
    p = Priority(impact, frequency, difficulty)
    assert p.score == impact * 10 + frequency * 5 - difficulty * 2 == score
    assert p.category is category


@pytest.mark.parametrize(
    "score,category",
    [(70, "CRITICAL"), (69, "HIGH"), (50, "HIGH"), (49, "MEDIUM"), (30, "MEDIUM"), (29, "LOW")],
)
def test_category_thresholds_exactly(score, category):
    assert Severity.from_score(score).value == category


def test_priority_rejects_out_of_scale_inputs():
    with pytest.raises(ValueError, match="impact"):
        Priority(11, 1, 1)
    with pytest.raises(ValueError, match="difficulty"):
        Priority(1, 1, 0)


def _finding(**kw) -> Finding:
    base = dict(
        rule="CIA101",
        area=1,
        path="a/b.py",
        line=3,
        message="m",
        priority=Priority(5, 5, 5),
        symbol="Q.f",
    )
    base.update(kw)
    return Finding(**base)


def test_round_trip_keeps_everything():
    f = _finding(chain=(ChainStep("a.py", 1, "f", "calls g"),), tags=("async",)).with_evidence(
        Evidence("py-spy", "12% of loop time", {"share": 0.12})
    )
    again = Finding.from_dict(f.to_dict())
    assert again == f
    assert again.to_dict()["priority"]["category"] == "HIGH"


def test_from_dict_ignores_unknown_keys_for_forward_compatibility():
    data = _finding().to_dict()
    data["something_new"] = 1
    assert Finding.from_dict(data).rule == "CIA101"


def test_fingerprint_is_stable_across_line_moves_but_not_rules():
    assert _finding(line=3).fingerprint == _finding(line=40).fingerprint
    assert _finding(rule="X").fingerprint != _finding().fingerprint


def test_fingerprint_ignores_wording_and_figures_but_not_the_flagged_statement():
    worded = _finding(message="blocked 12.3 ms in the loop", anchor="time.sleep(1)")
    reworded = _finding(message="blocked 98.1 ms, reworded", anchor="time.sleep(1)")
    assert worded.fingerprint == reworded.fingerprint
    assert worded.fingerprint != _finding(anchor="time.sleep(2)").fingerprint
    assert worded.fingerprint != replace(worded, occurrence=1).fingerprint
    assert worded.fingerprint != replace(worded, symbol="Other.method").fingerprint
    assert worded.fingerprint != replace(worded, path="other.py").fingerprint


def test_rank_is_one_ordering_across_areas():
    low = _finding(area=2, priority=Priority(1, 1, 1))
    high = _finding(area=9, priority=Priority(9, 9, 1))
    assert rank([low, high]) == [high, low]


def test_area_must_be_one_of_ten():
    with pytest.raises(ValueError):
        _finding(area=11)
