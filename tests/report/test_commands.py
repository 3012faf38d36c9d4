from __future__ import annotations

from pathlib import Path

from inspector.cli import main


def test_report_command_writes_every_format(session_path: Path, tmp_path: Path, capsys):
    out = tmp_path / "r" / "REPORT.md"
    assert main(["report", str(session_path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for suffix in (".md", ".json", ".sarif", ".html"):
        assert out.with_suffix(suffix).is_file()
        assert str(out.with_suffix(suffix)) in printed
    assert "CRITICAL" in printed


def test_report_command_single_format(session_path: Path, tmp_path: Path):
    out = tmp_path / "only.md"
    assert main(["report", str(session_path), "--out", str(out), "--format", "sarif"]) == 0
    assert out.with_suffix(".sarif").is_file() and not out.exists()


def test_report_command_errors_are_one_line(tmp_path: Path, session_path: Path, capsys):
    assert main(["report", str(tmp_path / "missing.session")]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no session file" in err
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    assert main(["report", str(session_path), "--out", str(blocker / "x.md")]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write the report" in err
    assert main(["report"]) != 0
    assert "SESSION" in capsys.readouterr().err


def test_compare_command_prints_and_writes(session_path: Path, tmp_path: Path, capsys):
    assert main(["compare", str(session_path), str(session_path)]) == 0
    assert "0 new, 0 gone, 0 changed" in capsys.readouterr().out
    out = tmp_path / "cmp.json"
    assert main(["compare", str(session_path), str(session_path), "--out", str(out), "--json"]) == 0
    assert out.read_text().startswith("{")


def test_report_from_a_session_recorded_elsewhere_falls_back_to_the_cwd(
    tmp_path: Path, capsys, monkeypatch
):
    from tests.report.builders import make_session

    path = tmp_path / "moved.session"
    make_session(path, source_root=tmp_path / "gone").close()
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(path), "--format", "md"]) == 0
    assert "is not here" in capsys.readouterr().err
    assert (tmp_path / "docs" / "performance" / "PERFORMANCE_AUDIT_REPORT.md").is_file()


def test_report_check_passes_on_a_recorded_session(session_path: Path, tmp_path: Path, capsys):
    out = tmp_path / "checked" / "REPORT.md"
    assert main(["report", str(session_path), "--out", str(out), "--check"]) == 0
    assert "report check: 0 problem(s)" in capsys.readouterr().out
