"""`casare-inspector audit` end to end: outputs, session, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from analyzers.findings import Finding
from inspector.cli import main
from inspector.core.session import Session

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixture_project"
FINDING_KEYS = {
    "rule",
    "area",
    "severity",
    "path",
    "line",
    "end_line",
    "symbol",
    "message",
    "recommendation",
    "priority",
}


def test_json_output_has_every_required_field(tmp_path, capsys):
    out = tmp_path / "audit.json"
    code = main(["audit", str(FIXTURE), "--json", str(out), "--no-cache", "--jobs", "1"])
    assert code == 0
    data = json.loads(out.read_text())
    assert data["findings"], "the fixture has planted defects"
    for item in data["findings"]:
        assert set(item) >= FINDING_KEYS
        assert set(item["priority"]) >= {"impact", "frequency", "difficulty", "score", "category"}
        assert not Path(item["path"]).is_absolute()
        Finding.from_dict(item)  # round-trips
    assert data["audit"]["files"] == data["audit"]["analyzed"]
    assert data["errors"] == []
    stdout = capsys.readouterr().out
    assert f"{len(data['findings'])} findings" in stdout


def test_findings_and_meta_go_into_the_session(tmp_path):
    session_path = tmp_path / "s.casare-session"
    code = main(["audit", str(FIXTURE), "--session", str(session_path), "--no-cache"])
    assert code == 0
    with Session.open(session_path) as session:
        stored = session.findings(kind="static")
        meta = session.meta
    assert stored and all(f.kind == "static" for f in stored)
    assert meta["audit"]["finding_count"] == len(stored)
    assert Path(meta["source_root"]) == FIXTURE


def test_unanalyzable_files_make_exit_code_1_and_are_listed(tmp_path, capsys):
    (tmp_path / "bad.py").write_text("def f(:\n")
    (tmp_path / "ok.py").write_text("x = 1\n")
    assert main(["audit", str(tmp_path), "--no-cache"]) == 1
    assert "bad.py: syntax error" in capsys.readouterr().out


def test_missing_path_and_unknown_profile_are_usage_errors(tmp_path, capsys):
    assert main(["audit", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["audit", str(tmp_path), "--profile", "nonesuch"]) == 2
    assert "unknown profile" in capsys.readouterr().err


def test_sarif_and_report_outputs_are_written(tmp_path):
    sarif = tmp_path / "out.sarif"
    report = tmp_path / "report.md"
    code = main(
        ["audit", str(FIXTURE), "--sarif", str(sarif), "--report", str(report), "--no-cache"]
    )
    assert code == 0
    data = json.loads(sarif.read_text())
    assert data["version"] == "2.1.0"
    assert data["runs"][0]["results"]
    assert "CIA" in report.read_text()
