"""The whole path a maintainer takes, on the demo target, through the real window.

Launch (agent attached) -> a workload with parameters from its form, cancelled from the status
bar -> the static audit -> click a finding -> File > Export report, which lands in the target
repository's docs/performance/ -> the target exits and the window stops saying "live".
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import Qt

from inspector.gui.main_window import demo_source_root
from inspector.gui.workload_view import WorkloadDialog

TIMEOUT = 90_000


@pytest.fixture
def demo_repo(tmp_path: Path) -> Path:
    """A copy of the demo's sources inside a repository of its own (pyproject at its root),
    so the exported report lands there and never in this checkout."""
    repo = tmp_path / "demo-repo"
    source = repo / "src" / "demo_app"
    shutil.copytree(demo_source_root(), source, ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "pyproject.toml").write_text('[project]\nname = "demo-app"\n', encoding="utf-8")
    return repo


def test_launch_workload_cancel_audit_finding_export_and_exit(
    window, qtbot, demo_repo, monkeypatch
) -> None:
    source_root = demo_repo / "src" / "demo_app"
    checkout = demo_source_root().parents[1]
    with qtbot.waitSignal(window.attached, timeout=TIMEOUT):
        window.launch(
            [sys.executable, "-m", "inspector.demo", "--duration", "240"],
            str(checkout),
            "demo",
            source_root=source_root,
        )
    conn = window.connection
    assert conn is not None and conn.connected
    assert window.target_label.text().startswith("● live: ")

    # a workload with parameters from its form, then Cancel in the status bar
    def run_dialog(dialog: WorkloadDialog) -> int:
        dialog.set_value("nodes", 400)
        dialog.set_value("repetitions", 5)
        return 1

    monkeypatch.setattr(WorkloadDialog, "exec", run_dialog)
    window._fill_workloads_menu()
    action = next(a for a in window.workloads_menu.actions() if a.text() == "canvas…")
    assert action.isEnabled()
    with qtbot.waitSignal(window.workload_started, timeout=TIMEOUT) as started:
        action.trigger()
    assert started.args[0].name == "canvas"
    assert started.args[0].params == {"nodes": 400, "repetitions": 5}
    progress = window.workload_progress
    assert progress.isVisible() and progress.run_id == started.args[0].run_id
    qtbot.waitUntil(lambda: "step " in progress.label.text(), timeout=TIMEOUT)
    assert " left" in progress.label.text()
    with qtbot.waitSignal(window.workload_finished, timeout=TIMEOUT) as finished:
        qtbot.mouseClick(progress.cancel_button, Qt.MouseButton.LeftButton)
    assert finished.args[0].status == "cancelled"
    assert not progress.isVisible()

    # the static audit ran by itself on the source root; click the top finding
    view = window.findings_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() > 0, timeout=TIMEOUT)
    window._show_tab(len(window.panels))
    rect = view.table.visualRect(view.proxy.index(0, 1))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    finding = view.visible_findings()[0]
    viewer = window.source_viewer
    qtbot.waitUntil(lambda: viewer.shown_path == finding.path, timeout=TIMEOUT)
    source = (source_root / finding.path).read_text(encoding="utf-8").splitlines()
    assert viewer.code.textCursor().block().text() == source[finding.line - 1]

    # File > Export report: the dialog opens in the repository's docs/performance (created)
    expected = demo_repo / "docs" / "performance" / "PERFORMANCE_AUDIT_REPORT.md"
    offered: list[str] = []

    def save_dialog(_parent, _title, path, _filter):
        offered.append(path)
        return path, _filter

    monkeypatch.setattr("inspector.gui.main_window.QFileDialog.getSaveFileName", save_dialog)
    # checked before exporting, so a wrong default can never write into this checkout
    assert window.default_report_path().resolve() == expected.resolve()
    with qtbot.waitSignal(window.report_written, timeout=TIMEOUT) as written:
        window.export_action.trigger()
    assert [Path(p) for p in offered] == [expected.resolve()]
    assert expected.resolve() in [Path(p).resolve() for p in written.args[0]]
    assert expected.is_file() and finding.path in expected.read_text(encoding="utf-8")

    # the target exits: within a second or so the window no longer says live, and no zombie
    pid = conn.pid
    assert pid is not None
    psutil.Process(pid).terminate()
    exited = time.monotonic()
    with qtbot.waitSignal(window.target_ended, timeout=5_000):
        pass
    assert time.monotonic() - exited < 2.0
    assert "live" not in window.target_label.text()
    assert "(ended: target exited" in window.target_label.text()
    qtbot.waitUntil(lambda: not psutil.pid_exists(pid), timeout=5_000)
