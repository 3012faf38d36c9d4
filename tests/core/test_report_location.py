"""The exported report's default place: the repository root's docs/performance/."""

from __future__ import annotations

from pathlib import Path

from inspector.core.report_location import (
    default_report_path,
    ensure_report_folder,
    repository_root,
)


def test_package_folder_walks_up_to_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "CasareRPA"
    package = repo / "src" / "casare_rpa"
    package.mkdir(parents=True)
    (repo / "pyproject.toml").write_text("[project]\nname='x'\n")
    assert repository_root(package) == repo.resolve()
    assert default_report_path(package, tmp_path / "sessions") == (
        repo.resolve() / "docs" / "performance" / "PERFORMANCE_AUDIT_REPORT.md"
    )


def test_git_folder_marks_the_root_even_without_pyproject(tmp_path: Path) -> None:
    repo = tmp_path / "app"
    (repo / ".git").mkdir(parents=True)
    (repo / "pkg").mkdir()
    assert repository_root(repo / "pkg") == repo.resolve()


def test_no_repository_uses_the_source_root_then_the_fallback(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    # tmp_path has no markers up to / on a test machine's temp folder
    found = repository_root(loose)
    expected_base = found if found is not None else loose
    assert default_report_path(loose, tmp_path) == (
        expected_base / "docs" / "performance" / "PERFORMANCE_AUDIT_REPORT.md"
    )
    assert default_report_path(None, tmp_path / "s") == (
        tmp_path / "s" / "docs" / "performance" / "PERFORMANCE_AUDIT_REPORT.md"
    )


def test_folder_is_created(tmp_path: Path) -> None:
    target = tmp_path / "r" / "docs" / "performance" / "PERFORMANCE_AUDIT_REPORT.md"
    assert ensure_report_folder(target) == target
    assert target.parent.is_dir()
