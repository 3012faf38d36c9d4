"""After the rules: honest severities, unassigned areas, profile warnings and one finding
per root cause (`analyzers.runner`), pinned on small sources and hand-made findings."""

from __future__ import annotations

import textwrap
from dataclasses import replace

from analyzers.findings import ChainStep, Finding, Priority
from analyzers.profile import Profile
from analyzers.project import ProjectModel, summarize_source
from analyzers.runner import (
    AuditResult,
    calibrate_severity,
    deduplicate,
    mark_unassigned,
    profile_warnings,
)

SOURCE = """\
import subprocess
import sys


def hot_loop():
    subprocess.run(["a"])


def cold_path():
    subprocess.run(["b"])
    if sys.platform == "darwin":
        subprocess.run(["c"])


def setup():
    subprocess.run(["d"])
"""


def _model() -> ProjectModel:
    return ProjectModel.build([summarize_source(textwrap.dedent(SOURCE), "pkg/mod.py")])


def _finding(line: int, symbol: str, impact: int = 9, **kw) -> Finding:
    return Finding(
        rule=kw.pop("rule", "CIA001"),
        area=8,
        path=kw.pop("path", "pkg/mod.py"),
        line=line,
        message="`subprocess.run()` blocks.",
        priority=Priority(impact=impact, frequency=6, difficulty=2),
        symbol=symbol,
        tags=kw.pop("tags", ("async", "blocking")),
        **kw,
    )


def _profile(**raw) -> Profile:
    return Profile(name="t", raw=raw)


def test_critical_only_on_a_hot_path():
    model = _model()
    profile = _profile(entry_points={"hot": ["pkg.mod.hot_loop"]})
    hot, cold = calibrate_severity(
        [_finding(6, "hot_loop"), _finding(10, "cold_path")], model, profile
    )
    assert (hot.score, hot.severity.value, hot.priority.frequency) == (126, "CRITICAL", 8)
    assert hot.priority.basis == "on a profile hot path"
    # Frequency goes first, then impact, with frequency given back where the cap allows.
    assert (cold.priority.impact, cold.priority.frequency) == (6, 2)
    assert (cold.score, cold.severity.value) == (66, "HIGH")
    assert cold.priority.basis == "not on a profile hot path"


def test_other_os_code_says_so_and_is_capped():
    model = _model()
    anywhere = calibrate_severity([_finding(12, "cold_path")], model, _profile())[0]
    assert anywhere.message == "`subprocess.run()` blocks. Runs only on macOS."
    assert "platform:macOS" in anywhere.tags
    assert anywhere.score == 66
    windows_users = _profile(static={"platforms": ["Windows"]})
    capped = calibrate_severity([_finding(12, "cold_path")], model, windows_users)[0]
    assert (capped.score, capped.severity.value) == (46, "MEDIUM")


def test_a_blocking_call_in_set_up_code_is_at_most_medium():
    model = _model()
    profile = _profile(entry_points={"hot": ["pkg.mod.setup"]})
    found = calibrate_severity([_finding(16, "setup")], model, profile)[0]
    assert (found.score, found.severity.value) == (46, "MEDIUM")
    assert found.priority.basis == (
        "on a profile hot path; runs once: set-up code (`setup` runs once per object)"
    )


def test_measured_priorities_are_left_alone():
    model = _model()
    measured = _finding(10, "cold_path")
    measured = measured.with_priority(replace(measured.priority, source="measured"))
    assert calibrate_severity([measured], model, _profile()) == [measured]


def test_unassigned_files_are_tagged_and_counted():
    profile = _profile(areas={"orchestrator/**": 1})
    result = AuditResult(root=".", profile="t")
    findings = [_finding(6, "hot_loop"), _finding(3, "x", path="orchestrator/q.py")]
    tagged = mark_unassigned(findings, profile, result, ["pkg/mod.py", "orchestrator/q.py"])
    assert [("unassigned-area" in f.tags) for f in tagged] == [True, False]
    assert result.unassigned_files == ["pkg/mod.py"]
    # A profile without areas (generic) files findings under their rules' areas on purpose.
    assert mark_unassigned(findings, _profile(), result, ["pkg/mod.py"]) == findings


def test_profile_entries_that_match_nothing_are_warned_about():
    profile = _profile(
        areas={"pkg/**": 3, "orchestrator/**": 1},
        entry_points={"hot": ["pkg.mod.hot_loop", "pkg.gone.Engine.run"]},
    )
    assert profile_warnings(profile, _model(), ["pkg/mod.py"]) == [
        "profile t: entry point pkg.gone.Engine.run matches no function",
        "profile t: area pattern 'orchestrator/**' matches no file",
    ]


def test_chains_to_one_blocking_call_are_one_finding_with_the_other_callers():
    end = ChainStep("pkg/helper.py", 9, "pkg.helper.fetch", "requests.get")
    findings = [
        _finding(
            line,
            symbol,
            rule="CIA002",
            path=path,
            tags=("async", "blocking", "cross-function"),
            chain=(ChainStep(path, line, symbol, "pkg.helper.fetch"), end),
        )
        for path, line, symbol in (("a.py", 5, "A.run"), ("b.py", 7, "B.run"), ("c.py", 2, "C"))
    ]
    merged = deduplicate(findings)
    assert len(merged) == 1
    assert (merged[0].path, merged[0].line) == ("a.py", 5)
    assert [(r.path, r.line, r.note) for r in merged[0].related] == [
        ("b.py", 7, "also reached from"),
        ("c.py", 2, "also reached from"),
    ]


def test_same_kind_calls_in_one_function_are_one_finding_with_several_lines():
    def call(line: int, name: str) -> Finding:
        return replace(_finding(line, "Node.execute"), message=f"`{name}()` blocks.")

    merged = deduplicate(
        [call(12, "smtplib.SMTP"), call(10, "smtplib.SMTP_SSL"), call(20, "time.sleep")]
    )
    assert [(f.line, f.message) for f in merged] == [
        (10, "`smtplib.SMTP_SSL()` blocks."),
        (20, "`time.sleep()` blocks."),
    ]
    assert [(r.line, r.note) for r in merged[0].related] == [(12, "same kind of call")]
