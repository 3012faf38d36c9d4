from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzers.findings import AREAS, Priority
from inspector.report.locations import check_locations, line_at
from inspector.report.markdown import SECTION_HEADINGS, MarkdownRenderer
from inspector.report.model import ReportModel, build_model
from tests.report.builders import ENGINE, TREE, finding


def _headings(md: str) -> list[str]:
    return [line[3:] for line in md.splitlines() if line.startswith("## ")]


def test_sections_appear_once_each_in_the_plan_order_with_all_ten_areas(written):
    md = written["md"].read_text()
    heads = _headings(md)
    assert len(heads) == len(SECTION_HEADINGS)
    for head, expected in zip(heads, SECTION_HEADINGS, strict=True):
        assert head.startswith(expected), (head, expected)
    for area, name in AREAS.items():
        assert f"## Area {area}: {name}" in md
    # Empty areas still say so and what was checked.
    area2 = md.split("## Area 2:")[1].split("## Area 3:")[0]
    assert "_Checked:_" in area2 and "No findings." in area2
    for sub in (
        "### Top 3 quick wins",
        "### Top 3 long-term optimizations",
        "### Phase 1: Critical (days 1-5)",
        "### Phase 2: High priority (week 2)",
        "### Phase 3: Medium priority (weeks 3-4)",
        "### Phase 4: Long-term architecture",
        "### A. Async anti-pattern catalog",
        "### B. Memory profiling data",
        "### C. Code quality metrics",
        "### D. Test coverage gaps",
        "### Profiling tool",
        "### Pool sizing",
        "### Event-bus subscriber thresholds",
        "### Desktop automation alternatives",
        "### Projected improvements",
    ):
        assert sub in md, sub


def test_every_file_line_points_at_the_line_the_finding_names(written, model, tree):
    md = written["md"].read_text()
    refs, problems = check_locations(md, written["md"].parent, tree, model.findings)
    assert problems == []
    assert len(refs) >= len(model.findings)
    marks = {(f.path, f.line): f for f in model.findings}
    for (path, line), f in marks.items():
        text = line_at(refs, path, line)
        assert "# MARK:" in text, (f.rule, path, line, text)
        # The finding's own marker, not just any marked line.
        assert f.message.rstrip(".").replace(" ", "-") in text


def test_location_check_catches_wrong_lines_and_missing_files(tmp_path):
    md = (
        "[src/app/orchestrator/engine.py:9999](" + "src/app/orchestrator/engine.py#L9999) "
        "[src/nope.py:3](src/nope.py#L3) "
        "[src/app/orchestrator/engine.py:2](src/app/orchestrator/engine.py#L3)"
    )
    _, problems = check_locations(md, TREE, TREE)
    text = "\n".join(str(p) for p in problems)
    assert "past the end" in text and "does not exist" in text and "text says line 2" in text
    blank = ENGINE + ":2"  # line 2 of engine.py is blank
    _, problems = check_locations(f"[{blank}]({ENGINE}#L2)", TREE, TREE)
    assert [p.problem for p in problems] == ["line is blank"]


@pytest.mark.parametrize(
    ("priority", "score", "tag"),
    [
        (Priority(5, 5, 2), 71, "CRITICAL"),
        (Priority(5, 4, 1), 68, "HIGH"),
        (Priority(4, 3, 2), 51, "HIGH"),
        (Priority(4, 2, 1), 48, "MEDIUM"),
        (Priority(2, 2, 1), 28, "LOW"),
        (Priority(3, 1, 1), 33, "MEDIUM"),
    ],
)
def test_score_formula_and_category_appear_in_the_finding_entry(priority, score, tag):
    assert priority.impact * 10 + priority.frequency * 5 - priority.difficulty * 2 == score
    f = finding(ENGINE, "linear-dequeue", priority=priority)
    md = MarkdownRenderer().render(build_model([f], kind="static", source_root=TREE, plots=False))
    assert f"### [{tag}] " in md
    assert f"**score {score}**" in md
    assert "(inputs: rule defaults)" in md


def test_category_boundaries_exactly_at_70_50_30():
    # Inputs that land exactly on each boundary, found on the 1-10 grid.
    grid = [Priority(i, f, d) for i in range(1, 11) for f in range(1, 11) for d in range(1, 11)]
    by_score = {p.score: p for p in grid}
    for score, tag in (
        (70, "CRITICAL"),
        (69, "HIGH"),
        (50, "HIGH"),
        (49, "MEDIUM"),
        (30, "MEDIUM"),
        (29, "LOW"),
    ):
        f = finding(ENGINE, "linear-dequeue", priority=by_score[score])
        md = MarkdownRenderer().render(
            build_model([f], kind="static", source_root=TREE, plots=False)
        )
        assert f"### [{tag}] " in md and f"**score {score}**" in md


def test_one_ranking_across_areas_and_measured_inputs_are_labelled(model: ReportModel, written):
    scores = [f.score for f in model.findings]
    assert scores == sorted(scores, reverse=True)
    md = written["md"].read_text()
    assert "inputs: measured — py-spy: 31% of loop-thread samples" in md
    phase1 = md.split("### Phase 1")[1].split("### Phase 2")[0]
    ranks = [int(m) for m in re.findall(r"\(score (\d+)", phase1)]
    assert ranks == sorted(ranks, reverse=True) and all(r >= 70 for r in ranks)


def test_executive_summary_counts_and_picks(model: ReportModel, written):
    md = written["md"].read_text()
    summary = md.split("## Executive Summary")[1].split("## Area 1")[0]
    assert f"**Critical bottlenecks:** {len(model.critical)}" in summary
    assert f"**Async anti-patterns:** {len(model.async_patterns)}" in summary
    assert all(f.priority.difficulty <= 3 for f in model.quick_wins)
    assert all(f.priority.difficulty >= 5 and f.priority.impact >= 6 for f in model.long_term)
    assert len({f.rule for f in model.quick_wins}) == len(model.quick_wins)  # distinct fixes
    assert model.quick_wins[0].rule == "T902"  # highest score among the easy fixes


def test_conflict_resolution_and_cascade_are_in_the_report(written):
    md = written["md"].read_text()
    conflicts = md.split("### Conflicting recommendations and their resolution")[1].split("###")[0]
    assert "Resolution:" in conflicts and "concurrency" in conflicts
    assert "**Reconciled with `src/app/parallel/executor.py:" in md
    cascades = md.split("### Cascades across areas")[1].split("###")[0]
    assert "(area 9, `T902`)" in cascades and "symptoms in area 4" in cascades


def test_static_only_report_says_what_was_not_measured(tmp_path):
    f = finding(ENGINE, "linear-dequeue")
    md = MarkdownRenderer().render(build_model([f], kind="static", source_root=TREE, plots=False))
    assert "static-only audit" in md
    assert "Cascades need a session" in md
    assert "not measured in this session" in md
    assert "No coverage file was found" in md


def test_pools_without_traffic_are_said_plainly():
    records = {
        "pool": [
            {
                "t": 1.0,
                "kind": "pool",
                "pool": "app.Pool",
                "pool_id": "1",
                "size": 5,
                "in_use": 0,
                "waiters": 0,
                "acquires": 0,
                "releases": 0,
                "wait_ms": [],
            }
        ]
    }
    m = build_model([], kind="session", records_by_kind=records, source_root=TREE, plots=False)
    md = MarkdownRenderer().render(m)
    assert "saw no traffic" in md


def test_coverage_gaps_from_a_cobertura_file(tmp_path: Path):
    from inspector.report.coverage import load_coverage

    f = finding(ENGINE, "linear-dequeue")
    xml = (
        f'<coverage><packages><package><classes><class filename="{ENGINE}" line-rate="0.4">'
        f'<lines><line number="{f.line}" hits="0"/><line number="1" hits="1"/></lines>'
        "</class></classes></package></packages></coverage>"
    )
    (tmp_path / "coverage.xml").write_text(xml)
    cov = load_coverage(tmp_path / "coverage.xml")
    model = build_model([f], kind="static", source_root=TREE, coverage=cov, plots=False)
    md = MarkdownRenderer().render(model)
    gaps = md.split("### D. Test coverage gaps")[1]
    assert "1 finding sits" in gaps or "1 finding(s) sit" in gaps
    assert f"{ENGINE}:{f.line}" in gaps and "| 40% | no |" in gaps


def test_pool_sizing_comes_from_the_pools_workload(model: ReportModel, written):
    sizing = model.conclusion("pool_sizing")
    assert sizing.status == "measured"
    assert [f.text for f in sizing.figures if f.text.startswith("max_size")] == ["max_size 4"]
    assert sizing.figures[0].text.startswith("Recommended max size 4 for browser")
    # One row per size swept, the recommended one marked; no per-instance rows.
    assert sizing.table is not None
    assert [(r[1], r[6]) for r in sizing.table.rows] == [
        ("1", ""),
        ("2", ""),
        ("4", "recommended"),
        ("8", ""),
        ("16", ""),
    ]
    md = written["md"].read_text()
    answer = md.split("## Answers to the Open Questions")[1].split("### Pool sizing")[1]
    answer = answer.split("###")[0].strip()
    assert answer == sizing.statement
    assert "Recommended max size 4 for browser" in answer
    assert "](PERFORMANCE_AUDIT_REPORT_files/pool_sizing.png)" in md


def test_hot_functions_from_py_spy_samples_appear_with_repo_relative_files(tmp_path: Path):
    from inspector.core.session import Session
    from inspector.report.model import model_from_session
    from inspector.sampling.chrometrace import Frame, StackRun
    from inspector.sampling.store import SampleWriter
    from tests.report.builders import FUZZY, line_of, make_session

    path = tmp_path / "sampled.session"
    make_session(path).close()
    with Session.open(path) as session:
        hot = Frame("search", str(TREE / FUZZY), line_of(FUZZY, "quadratic-search"))
        main = Frame("main", str(TREE / "src/app/__main__.py"), 3)
        runs = [
            StackRun(1, 1, "MainThread", i * 10_000, (i + 1) * 10_000, (main, hot))
            for i in range(50)
        ]
        SampleWriter(session).write(runs, t0=1_700_000_001.0)
        model = model_from_session(session, plots=False)
    assert model.measurements.samples == 50
    assert abs(model.measurements.sampled_s - 0.5) < 1e-6
    table = model.conclusion("sampling").table
    assert table is not None and table.rows[0][:2] == ("`search`", FUZZY)
    md = MarkdownRenderer().render(model)
    hot_section = md.split("### Algorithmic hot spots")[1].split("### Correlated")[0]
    assert FUZZY in hot_section
    # No sampler settings recorded: not claimed to see native frames.
    assert (
        "py-spy (default rate, Python frames only (no native unwinding)) saw 0.5 s of active "
        "thread time" in md
    )


def test_findings_outside_the_tree_are_named_not_linked_and_never_quick_wins():
    inside = finding(ENGINE, "linear-dequeue", priority=Priority(5, 5, 3))
    stdlib = finding(
        ENGINE,
        "linear-dequeue",
        rule="DYN1",
        path="/usr/lib/python3.11/ssl.py",
        line=10,
        priority=Priority(10, 10, 1),
    )
    frozen = finding(
        ENGINE,
        "linear-dequeue",
        rule="DYN2",
        path="<frozen importlib._bootstrap>",
        line=5,
        priority=Priority(10, 9, 1),
    )
    model = build_model([inside, stdlib, frozen], kind="session", source_root=TREE, plots=False)
    assert model.outside == {stdlib.fingerprint, frozen.fingerprint}
    assert [f.rule for f in model.quick_wins] == ["T100"]
    md = MarkdownRenderer().render(model)
    assert "`/usr/lib/python3.11/ssl.py:10` in" not in md  # no symbol: plain code span
    assert "`/usr/lib/python3.11/ssl.py:10` (outside the audited tree" in md
    assert "](/usr/lib" not in md and "%3Cfrozen" not in md
    _, problems = check_locations(md, TREE, TREE, model.findings)
    assert problems == []


def test_short_sessions_do_not_extrapolate_memory_growth():
    records = {
        "memory": [
            {"t": 100.0 + i, "kind": "memory", "rss_bytes": 100_000_000 + i * 10**6}
            for i in range(30)
        ]
    }
    m = build_model([], kind="session", records_by_kind=records, source_root=TREE, plots=False)
    assert not m.measurements.memory.judgeable
    md = MarkdownRenderer().render(m)
    assert "too short to tell start-up growth from a leak" in md and " MB/h (" not in md
    long = {
        "memory": [
            {
                "t": 100.0 + 10 * i,
                "kind": "memory",
                "rss_bytes": 100_000_000 + (0 if i < 5 else (i - 5) * 10**6),
            }
            for i in range(30)
        ]
    }
    m = build_model([], kind="session", records_by_kind=long, source_root=TREE, plots=False)
    mem = m.measurements.memory
    assert mem.judgeable
    # After the first quarter RSS grows 1 MB per 10 s: 360 MB/h.
    assert abs(mem.growth_mb_per_h - 360.0) < 1e-6


def test_target_from_a_launch_record_reads_as_the_command():
    meta = {"target": {"pid": 42, "command": ["/usr/bin/python3", "-m", "app"]}}
    m = build_model([], kind="session", meta=meta, source_root=TREE, plots=False)
    assert m.target == "python3 -m app (pid 42)"
    assert m.title == "Performance Audit Report: python3 -m app (pid 42)"
