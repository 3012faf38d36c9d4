"""Blocked-loop stretches and findings on sessions with known callbacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.sampling.blocking import RULE, blocked_loop_findings, blocked_stretches, stall_stacks
from tests.sampling.builders import LOOP, LOOP_WAIT, ROOT, STDLIB, SessionBuilder, f

TICK = (*LOOP, f("tick", f"{ROOT}/app.py", 20))
BLOCKED = (*TICK, f("load_config", f"{ROOT}/config.py", 8))
# a library frame below the project's: attribution must stay on the project line
BLOCKED_IN_LIB = (*BLOCKED, f("JSONDecoder.decode", f"{STDLIB}/json/decoder.py", 337))


def _session(tmp_path: Path, repeats: int = 3) -> SessionBuilder:
    b = SessionBuilder(tmp_path / "s.db")
    for _ in range(repeats):
        b.run(LOOP_WAIT, 200)
        b.run(TICK, 5).run(BLOCKED, 90).run(BLOCKED_IN_LIB, 10).run(TICK, 5)
    b.run(LOOP_WAIT, 200)
    b.run(TICK, 20)  # a short callback: under the threshold
    b.run(LOOP_WAIT, 100)
    return b


def test_stretches_span_the_whole_callback(tmp_path: Path) -> None:
    b = _session(tmp_path)
    stretches = blocked_stretches(b.session, ROOT, threshold_ms=50)
    assert [round(s.duration_ms) for s in stretches] == [110, 110, 110]
    assert stretches[0].start == pytest.approx(b.t0 + 0.2)
    assert stretches[0].callback.function == "tick"
    assert (stretches[0].culprit.file, stretches[0].culprit.line) == (f"{ROOT}/config.py", 8)


def test_threshold_is_respected(tmp_path: Path) -> None:
    b = _session(tmp_path)
    assert blocked_stretches(b.session, ROOT, threshold_ms=111) == []
    assert len(blocked_stretches(b.session, ROOT, threshold_ms=15)) == 4


def test_one_finding_per_culprit_line_with_duration_and_count(tmp_path: Path) -> None:
    b = _session(tmp_path)
    (finding,) = blocked_loop_findings(b.session, ROOT)
    assert (finding.rule, finding.kind, finding.location) == (RULE, "dynamic", "config.py:8")
    assert finding.symbol == "load_config"
    metrics = finding.evidence[0].metrics
    assert metrics["count"] == 3
    assert metrics["max_ms"] == pytest.approx(110, abs=0.5)
    assert [s.symbol for s in finding.chain] == ["tick", "load_config"]
    assert finding.priority.source == "measured"
    assert finding.priority.impact == 10  # 26.4 % of the loop thread's time (>= 25 %)
    assert finding.evidence[0].metrics["loop_share"] == pytest.approx(0.264, abs=1e-3)
    assert finding.area == 3


def test_area_comes_from_the_profile_when_given(tmp_path: Path) -> None:
    class Profile:
        def area_for(self, relpath: str) -> int | None:
            return 9 if relpath == "config.py" else None

    (finding,) = blocked_loop_findings(_session(tmp_path).session, ROOT, profile=Profile())
    assert finding.area == 9


def test_loop_lag_records_confirm_stretches(tmp_path: Path) -> None:
    b = _session(tmp_path)
    # the agent saw a 100 ms lag after the first block only
    b.session.append(
        [
            {"t": b.t0 + 0.35, "kind": "loop_lag", "lag_ms": [100.0], "max_ms": 100.0},
            {"t": b.t0 + 1.2, "kind": "loop_lag", "lag_ms": [1.0], "max_ms": 1.0},
        ]
    )
    (finding,) = blocked_loop_findings(b.session, ROOT)
    metrics = finding.evidence[0].metrics
    assert (metrics["lag_confirmed"], metrics["lag_covered"]) == (1, 3)
    assert "confirms 1 of 3" in finding.evidence[0].summary


def test_no_loop_thread_means_no_findings(tmp_path: Path) -> None:
    b = SessionBuilder(tmp_path / "s.db")
    b.run((f("main", f"{ROOT}/app.py", 1),), 500)
    assert blocked_loop_findings(b.session, ROOT) == []


def test_the_inspectors_own_agent_is_never_blamed_for_a_blocked_loop(tmp_path: Path) -> None:
    """Installing hooks on the Qt thread takes a moment once; that is our overhead."""
    hooking = (*LOOP, f("RepaintProbe._install", "/site/inspector/agent/probes/repaint.py", 94))
    b = SessionBuilder(tmp_path / "s.db")
    b.run(LOOP_WAIT, 200).run(hooking, 120).run(LOOP_WAIT, 200)
    assert len(blocked_stretches(b.session, ROOT, threshold_ms=50)) == 1
    assert blocked_loop_findings(b.session, ROOT) == []


def test_agent_timed_stalls_get_py_spys_stack_or_say_why_not(tmp_path: Path) -> None:
    b = _session(tmp_path, repeats=1)  # t0+0.2 .. t0+0.31: tick > load_config
    b.session.set_meta(sampling={"rate": 100, "weight_unit": "us", "gaps": [[b.t0 + 5, b.t0 + 6]]})
    t = b.t0

    def stall(end: float, ms: float) -> dict:
        return {"t": end, "kind": "slow_callback", "duration_ms": ms, "callable": "paintEvent"}

    records = [
        stall(t + 0.31, 110.0),  # covered by the blocked callback
        stall(t + 0.15, 100.0),  # the loop was waiting in its selector throughout
        stall(t + 5.6, 200.0),  # in a gap between py-spy's chunks
        stall(t + 60.0, 80.0),  # after sampling ended
    ]
    found = stall_stacks(b.session, ROOT, records)
    assert [s.reason[:30] for s in found] == [
        "",
        "py-spy saw the loop thread wai",
        "it fell in a gap between py-sp",
        "py-spy was not sampling then",
    ]
    covered = found[0]
    assert (covered.culprit.file, covered.culprit.line) == (f"{ROOT}/config.py", 8)
    assert covered.frames[-1].function in ("load_config", "JSONDecoder.decode")
