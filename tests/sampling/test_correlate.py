"""Correlation of static findings with samples: evidence, measured priority, twins."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzers.findings import ChainStep, Finding, Priority
from inspector.sampling.blocking import RULE
from inspector.sampling.correlate import correlate
from tests.sampling.builders import LOOP, LOOP_WAIT, ROOT, SessionBuilder, f

TICK = (*LOOP, f("tick", f"{ROOT}/app.py", 20))
BLOCKED = (*TICK, f("load_config", f"{ROOT}/config.py", 8))
PAINT = (*LOOP, f("Canvas.paint", f"{ROOT}/canvas.py", 31))


def _static(rule: str, path: str, line: int, end_line: int = 0, **kw: object) -> Finding:
    return Finding(
        rule=rule,
        area=3,
        path=path,
        line=line,
        end_line=end_line,
        message=f"{rule} here",
        priority=Priority(impact=4, frequency=4, difficulty=6),
        **kw,  # type: ignore[arg-type]
    )


def _session(tmp_path: Path) -> SessionBuilder:
    b = SessionBuilder(tmp_path / "s.db")
    for _ in range(4):
        b.run(LOOP_WAIT, 100).run(BLOCKED, 120).run(LOOP_WAIT, 130).run(PAINT, 20)
    return b  # 1.48 s on the loop thread: 0.48 s blocked, 0.08 s painting


def test_static_finding_on_a_sampled_line_gets_evidence_and_measured_priority(
    tmp_path: Path,
) -> None:
    b = _session(tmp_path)
    paint = _static("A4-PAINT", "canvas.py", 30, 35, symbol="Canvas.paint")
    cold = _static("A1-COLD", "jobs.py", 5)
    b.session.put_findings([paint, cold])
    out = {x.rule: x for x in correlate(b.session, ROOT)}
    measured = out["A4-PAINT"]
    (ev,) = measured.evidence
    assert ev.source == "py-spy"
    assert ev.metrics["seconds"] == pytest.approx(0.08)
    assert ev.metrics["loop_share"] == pytest.approx(0.08 / 1.48, rel=1e-3)
    assert ev.metrics["entries"] == 4
    assert measured.priority.source == "measured"
    assert measured.priority.difficulty == 6  # kept from the rule
    assert measured.priority.impact == 8  # 5.4 % of loop time -> >= 5 %
    assert "loop share" in measured.priority.basis
    assert out["A1-COLD"] == cold  # never sampled: untouched


def test_blocked_loop_twin_merges_into_the_static_finding(tmp_path: Path) -> None:
    b = _session(tmp_path)
    # the static rule flagged the call site in the coroutine, with the chain to the sleep
    call_site = _static(
        "A3-SYNC-IN-ASYNC",
        "app.py",
        20,
        symbol="tick",
        chain=(ChainStep("app.py", 20, "tick"), ChainStep("config.py", 8, "load_config")),
    )
    b.session.put_findings([call_site])
    out = correlate(b.session, ROOT)
    assert [x.rule for x in out] == ["A3-SYNC-IN-ASYNC"]  # the dynamic twin was merged
    (static,) = out
    sources = [e.summary for e in static.evidence]
    assert any("blocked 4x" in s for s in sources)
    measured = next(e for e in static.evidence if "on the stack" in e.summary)
    assert measured.metrics["loop_share"] == pytest.approx(0.48 / 1.48, rel=1e-3)
    # impact: 120 ms blocks give 8, 32 % of loop time gives 10; the larger wins
    assert static.priority.impact == 10
    stored = {x.rule for x in b.session.findings()}
    assert stored == {"A3-SYNC-IN-ASYNC"}


def test_dynamic_finding_without_twin_is_kept_and_stored(tmp_path: Path) -> None:
    b = _session(tmp_path)
    b.session.put_findings([_static("A1-OTHER", "jobs.py", 3)])
    out = correlate(b.session, ROOT)
    dynamic = [x for x in out if x.kind == "dynamic"]
    assert [(x.rule, x.location) for x in dynamic] == [(RULE, "config.py:8")]
    assert [x.rule for x in b.session.findings("dynamic")] == [RULE]


def test_correlating_twice_gives_the_same_result(tmp_path: Path) -> None:
    b = _session(tmp_path)
    b.session.put_findings([_static("A4-PAINT", "canvas.py", 31)])
    first = correlate(b.session, ROOT)
    second = correlate(b.session, ROOT)
    assert [x.to_dict() for x in first] == [x.to_dict() for x in second]


def test_session_without_samples_is_left_alone(tmp_path: Path) -> None:
    b = SessionBuilder(tmp_path / "s.db")
    finding = _static("A1-X", "a.py", 1)
    b.session.put_findings([finding])
    assert correlate(b.session, ROOT) == [finding]


def test_enclosing_function_is_the_fallback_and_qualified_names_must_agree(
    tmp_path: Path,
) -> None:
    b = _session(tmp_path)
    # the rule pinned the def line, which samples never show; the function is hot
    on_def = _static("A4-ALLOC", "canvas.py", 25, symbol="Canvas.paint")
    other_class = _static("A4-OTHER", "canvas.py", 60, symbol="Minimap.paint")
    b.session.put_findings([on_def, other_class])
    out = {x.rule: x for x in correlate(b.session, ROOT)}
    (ev,) = out["A4-ALLOC"].evidence
    assert "its function Canvas.paint" in ev.summary
    assert ev.metrics["matched_by_line"] == 0.0
    assert ev.metrics["seconds"] == pytest.approx(0.08)
    assert out["A4-OTHER"] == other_class


def test_moving_between_lines_of_one_finding_is_one_entry_and_one_line_findings_match(
    tmp_path: Path,
) -> None:
    b = SessionBuilder(tmp_path / "s.db")
    paint_top = (*LOOP, f("Canvas.paint", f"{ROOT}/canvas.py", 31))
    paint_end = (*LOOP, f("Canvas.paint", f"{ROOT}/canvas.py", 33))
    for _ in range(3):  # three visits, each moving from line 31 to line 33 and back
        b.run(LOOP_WAIT, 100).run(paint_top, 10).run(paint_end, 10).run(paint_top, 10)
    whole = _static("A4-PAINT", "canvas.py", 30, 35, symbol="Canvas.paint")
    one_line = _static("A4-LINE", "canvas.py", 33, symbol="Canvas.paint")
    b.session.put_findings([whole, one_line])
    out = {x.rule: x for x in correlate(b.session, ROOT)}
    assert out["A4-PAINT"].evidence[0].metrics["entries"] == 3
    assert out["A4-PAINT"].evidence[0].metrics["seconds"] == pytest.approx(0.09)
    (line_ev,) = out["A4-LINE"].evidence
    assert line_ev.metrics["seconds"] == pytest.approx(0.03)  # its own line, not the function
    assert line_ev.metrics["entries"] == 3


def test_a_one_off_stall_lends_evidence_but_not_its_length_to_a_static_twin(
    tmp_path: Path,
) -> None:
    b = SessionBuilder(tmp_path / "s.db")
    b.run(LOOP_WAIT, 5000).run(BLOCKED, 120).run(LOOP_WAIT, 4880)  # 1.2 % of 10 s
    call_site = _static("A3-SYNC-IN-ASYNC", "config.py", 8, symbol="load_config")
    b.session.put_findings([call_site])
    (static,) = correlate(b.session, ROOT)
    assert any("blocked 1x (a one-off)" in e.summary for e in static.evidence)
    # impact from the 1.2 % share (6), not from the 120 ms stall (8)
    assert static.priority.impact == 6
    assert "max loop block" not in static.priority.basis


def test_time_our_workload_drove_is_labelled_not_called_the_apps(tmp_path: Path) -> None:
    b = _session(tmp_path)  # blocked runs start at 0.1, 0.47, 0.84 and 1.21 s
    workload = {"t": b.t0 + 0.95, "kind": "workload", "name": "canvas", "status": "ok"}
    b.session.append([{**workload, "results": {"elapsed_s": 0.95}}])
    call_site = _static("A3-SYNC-IN-ASYNC", "config.py", 8, symbol="load_config")
    b.session.put_findings([call_site])
    (static,) = correlate(b.session, ROOT)
    measured = next(e for e in static.evidence if "on the stack" in e.summary)
    assert measured.metrics["workload_seconds"] == pytest.approx(0.36)
    assert measured.metrics["under_workload"] == 1.0
    assert "0.36 s of it under the standard workload" in measured.summary
    assert "under the standard workload" in static.priority.basis
