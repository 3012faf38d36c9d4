"""The window attached to a running demo target: panels fill, a finding lands on its line."""

from __future__ import annotations

import sys

import pytest

from inspector.core.session import Session
from inspector.gui.target_connection import TargetConnection
from inspector.live import LiveEngine, WorkloadFinished, WorkloadProgress, demo_command
from tests.agent.helpers import ROOT

TIMEOUT = 60_000


@pytest.fixture
def live_window(window, qtbot):
    yield window
    conn = window.connection
    if conn is not None and conn.process is not None and conn.process.poll() is None:
        conn.close(terminate=True)


def test_launch_demo_fill_panels_and_open_a_finding(
    live_window, qtbot, tmp_path, monkeypatch
) -> None:
    window = live_window
    with qtbot.waitSignal(window.attached, timeout=TIMEOUT) as attached:
        window.launch_demo()
    pid = attached.args[0]
    assert pid > 0 and window.connection is not None and window.connection.connected
    assert window.session.meta["target"]["command"][:3] == [sys.executable, "-m", "inspector.demo"]

    # live records flow: the event bus and repaint panels fill from the agent
    bus = window.panel_by_name["event_bus"]
    window.tabs.setCurrentWidget(bus)
    qtbot.waitUntil(lambda: bus.table_views[0].proxy.rowCount() > 0, timeout=TIMEOUT)
    assert bus.empty_reason == ""
    # a standard workload from the Workloads menu runs in the target and reports back
    # (its parameter form accepted as it opens: defaults)
    from inspector.gui.workload_view import WorkloadDialog

    monkeypatch.setattr(WorkloadDialog, "exec", lambda _self: 1)
    window._fill_workloads_menu()
    action = next(a for a in window.workloads_menu.actions() if a.text() == "event_bus…")
    assert action.isEnabled()
    action.trigger()
    qtbot.waitUntil(lambda: len(window.metrics.workloads) > 0, timeout=TIMEOUT)
    assert window.metrics.workloads[-1]["name"] == "event_bus"

    loop = window.panel_by_name["event_loop"]
    window.tabs.setCurrentWidget(loop)
    qtbot.waitUntil(lambda: loop.summary.get("lag_max_ms", 0) > 0, timeout=TIMEOUT)

    # the static audit ran by itself on the demo's source; click the top finding
    view = window.findings_view
    qtbot.waitUntil(lambda: view.proxy.rowCount() > 0, timeout=TIMEOUT)
    window._show_tab(len(window.panels))
    view.select_row(0)
    finding = view.visible_findings()[0]
    viewer = window.source_viewer
    qtbot.waitUntil(lambda: viewer.shown_path == finding.path, timeout=TIMEOUT)
    assert viewer.code.current_line == finding.line
    source = (window.source_root / finding.path).read_text(encoding="utf-8").splitlines()
    assert viewer.code.textCursor().block().text() == source[finding.line - 1]

    # export the report next to the demo's sources would touch the repo: write to tmp
    try:
        from inspector.report import write_report  # noqa: F401
    except ImportError:
        return
    out = tmp_path / "report" / "PERFORMANCE_AUDIT_REPORT.md"
    with qtbot.waitSignal(window.report_written, timeout=TIMEOUT):
        window.export_report(out, formats=("md",))
    assert out.is_file()


def test_the_window_runs_a_live_session_through_the_shared_engine(qtbot, tmp_path) -> None:
    """Progress, cancel and the target's exit reach the window as signals on its thread."""
    session = Session.create(tmp_path / "window.session")
    conn = TargetConnection(session, "demo")
    assert type(conn.engine) is LiveEngine  # the same engine as `casare-inspector record`
    try:
        pid = conn.launch(demo_command(["--duration", "120", "--no-workload"]), cwd=str(ROOT))
        assert pid > 0 and conn.connected
        infos = {w.name: w for w in conn.workloads()}
        assert infos["canvas"].available
        nodes = infos["canvas"].params[0]
        assert (nodes.name, nodes.type, nodes.minimum, nodes.maximum) == ("nodes", "int", 1, 2000)
        ticket = conn.start_workload("canvas", {"nodes": 60, "repetitions": 3, "steps": 40})
        with qtbot.waitSignal(
            conn.workload_progress,
            check_params_cb=lambda e: e.run_id == ticket.run_id and e.step > 80,
            timeout=TIMEOUT,
        ) as progressed:
            pass
        event = progressed.args[0]
        assert isinstance(event, WorkloadProgress) and event.total == 3 * (2 * 60 + 3 * 40)
        assert event.eta_s is not None and event.label.startswith("repetition 1/3")
        with qtbot.waitSignal(conn.workload_finished, timeout=TIMEOUT) as finished:
            assert conn.cancel_workload(ticket.run_id)
        done = finished.args[0]
        assert isinstance(done, WorkloadFinished)
        assert (done.status, done.reason) == ("cancelled", "cancelled by the user")
        # the target exits: the window hears it within a second and the child is reaped
        with qtbot.waitSignal(conn.ended, timeout=1000) as ended:
            conn.process.kill()  # type: ignore[union-attr]
        assert ended.args[0].startswith("target exited")
        assert not conn.connected and conn.process.poll() is not None  # type: ignore[union-attr]
    finally:
        conn.close(terminate=True)
        session.close()
