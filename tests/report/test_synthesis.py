from __future__ import annotations

from analyzers.findings import ChainStep, Finding, Priority
from inspector.report import synthesis
from tests.report.builders import BUS, TREE, fixture_findings, fixture_records, line_of


def _f(rule: str, path: str = "a.py", line: int = 1, **kw) -> Finding:
    base = dict(
        rule=rule,
        area=5,
        path=path,
        line=line,
        message=f"{rule} here.",
        priority=Priority(5, 5, 5),
        symbol=f"S.{rule}",
    )
    base.update(kw)
    return Finding(**base)


def test_conflict_fires_on_coupled_knobs_and_states_a_resolution():
    shrink = _f("P1", "pool.py", tags=("pool-oversized",), priority=Priority(4, 2, 2))
    raise_ = _f(
        "C1", "exec.py", area=6, tags=("hardcoded-concurrency",), priority=Priority(5, 5, 2)
    )
    conflicts = synthesis.detect_conflicts([shrink, raise_])
    assert len(conflicts) == 1
    c = conflicts[0]
    assert {c.knob, c.other_knob} == {"pool.max_size", "concurrency.limit"}
    assert "Resolution:" in c.resolution and "max_size" in c.resolution
    assert c.kept is raise_ and c.reconciled is shrink  # higher score wins without measurement


def test_measured_finding_wins_a_conflict_over_a_higher_default_score():
    measured = _f(
        "P1",
        tags=("pool-undersized",),
        priority=Priority(3, 3, 3, source="measured", basis="waiters seen"),
    )
    guess = _f("P2", tags=("pool-oversized",), priority=Priority(9, 9, 1))
    (c,) = synthesis.detect_conflicts([measured, guess])
    assert c.kept is measured
    assert "measured evidence" in c.resolution


def test_same_direction_and_other_scopes_do_not_conflict():
    a = _f("A", "x.py", tags=("pool-oversized",))
    b = _f("B", "y.py", tags=("pool-idle",))  # both lower the pool size: agreement
    c = _f("C", "x.py", tags=("polling",))
    d = _f("D", "y.py", tags=("stale-poll",))  # file-scoped knob, different files
    assert synthesis.detect_conflicts([a, b, c, d]) == []


def test_knob_tags_declare_directions_without_a_table_entry():
    up = _f("U", tags=("knob:batch.window:+",))
    down = _f("D", tags=("knob:batch.window:-",))
    assert synthesis.directions(up) == [("batch.window", 1)]
    (c,) = synthesis.detect_conflicts([up, down])
    assert c.knob == "batch.window"


def test_groups_join_findings_sharing_a_chain_end_or_passing_through_each_other():
    end = ChainStep("io.py", 9, "read_blocking")
    a = _f("A", "a.py", chain=(ChainStep("a.py", 1, "S.A"), end))
    b = _f("B", "b.py", chain=(ChainStep("b.py", 1, "S.B"), end))
    lone = _f("L", "c.py")
    groups = synthesis.correlate_groups([a, b, lone])
    assert len(groups) == 1 and set(groups[0].findings) == {a, b}
    assert "io.py:9" in groups[0].reason
    through = _f("T", "d.py", chain=(ChainStep("c.py", 2, "S.L"), ChainStep("e.py", 3, "g")))
    groups = synthesis.correlate_groups([lone, through])
    assert len(groups) == 1 and "passes through" in groups[0].reason


def test_cascade_links_a_blocking_handler_to_lag_and_repaint_stalls():
    records = fixture_records(1000.0, TREE)
    by_kind: dict[str, list] = {}
    for r in records:
        by_kind.setdefault(r["kind"], []).append(r)
    findings = fixture_findings()
    (cascade,) = synthesis.detect_cascades(findings, by_kind, str(TREE))
    assert cascade.cause is not None and cascade.cause.rule == "T902"
    assert cascade.location == f"{BUS}:{line_of(BUS, 'blocking-handler')}"
    assert cascade.cause_area == 9 and cascade.symptom_areas == (4,)
    assert cascade.occurrences == 4 and cascade.loop_lag_max_ms == 190.0
    assert cascade.repaint_stalls >= 4


def test_no_cascade_when_the_loop_was_not_lagging_at_the_time():
    records = [
        r
        for r in fixture_records(1000.0, TREE)
        if r["kind"] != "loop_lag" and r["kind"] != "repaint"
    ]
    by_kind: dict[str, list] = {}
    for r in records:
        by_kind.setdefault(r["kind"], []).append(r)
    assert synthesis.detect_cascades(fixture_findings(), by_kind, str(TREE)) == []


def test_rule_table_directions_find_conflicts_between_real_rule_ids():
    raise_limit = _f("CIA603", "exec.py", area=6)
    bound_gather = _f("CIA604", "runner.py", area=6)
    (c,) = synthesis.detect_conflicts([raise_limit, bound_gather])
    assert c.knob == c.other_knob == "concurrency.limit"
    assert "one configurable limit" in c.resolution


def test_a_block_in_our_own_workload_code_is_never_a_cascade_or_the_apps_callback():
    from inspector.report.model import build_model

    records = fixture_records(1000.0, TREE)
    ours = [
        {
            "t": r["t"],
            "kind": "slow_callback",
            "duration_ms": 185.0,
            "callable": "_measure.<locals>.client",
            "file": "/opt/venv/site-packages/inspector/agent/workloads/pools.py",
            "line": 166,
            "task": "",
            "origin": "asyncio",
        }
        for r in records
        if r["kind"] == "slow_callback"
    ]
    by_kind: dict[str, list] = {}
    for r in records + ours:
        by_kind.setdefault(r["kind"], []).append(r)
    cascades = synthesis.detect_cascades(fixture_findings(), by_kind, str(TREE))
    assert [c.location for c in cascades] == [f"{BUS}:{line_of(BUS, 'blocking-handler')}"]
    model = build_model([], kind="session", records_by_kind=by_kind, source_root=TREE, plots=False)
    assert model.conclusion("loop").statement.endswith(
        "4 callback(s) of the app over 50 ms (4 more in our own workload code, left out)."
        " Part of it was recorded while our workloads drove the app."
    )
