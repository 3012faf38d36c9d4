"""The real window, offscreen, on recorded sessions: panels, findings, source, export."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.core.session import Session
from tests.gui.session_factory import (
    BLOCKING_LINE,
    RUN_LINE,
    make_records,
)

TIMEOUT = 15_000


def _show_panel(window, name: str) -> None:
    panel = window.panel_by_name[name]
    window.pages.setCurrentWidget(window.tabs)
    window.tabs.setCurrentWidget(panel)
    return panel


def _table_rows(panel, index: int = 0) -> int:
    return panel.table_views[index].proxy.rowCount()


def test_reopened_session_fills_every_record_panel(window, qtbot, recorded_session) -> None:
    window.set_session(recorded_session)
    for name in ("event_bus", "repaint", "pools", "event_loop", "memory"):
        panel = _show_panel(window, name)
        qtbot.waitUntil(lambda p=panel: _table_rows(p) > 0, timeout=TIMEOUT)
        assert panel.empty_reason == ""
        assert any(
            c.getData()[0] is not None and len(c.getData()[0])
            for plot in panel.plots
            for c in plot.curves.values()
        ), f"{name} drew no curve"
    bus = window.panel_by_name["event_bus"]
    events = {r["event"] for r in bus.summary["types"]}
    assert {"NODE_ADDED", "SELECTION_CHANGED"} <= events
    slowest = bus.summary["handlers"][0]
    assert slowest["handler"] == "app.panels.PropertiesPanel.refresh"


def test_open_session_from_file_goes_through_the_worker(window, qtbot, tmp_path) -> None:
    from tests.gui.session_factory import build_session

    build_session(tmp_path / "other.session", tmp_path / "src2", seconds=10).close()
    with qtbot.waitSignal(window.session_opened, timeout=TIMEOUT):
        window.open_session(tmp_path / "other.session")
    assert window.source_root == tmp_path / "src2"
    assert window.settings.recent[0].path == str(tmp_path / "other.session")


def test_bad_session_file_is_one_line_in_the_message_bar(window, qtbot, tmp_path) -> None:
    bogus = tmp_path / "notes.session"
    bogus.write_text("not a database")
    with qtbot.waitSignal(window.failed, timeout=TIMEOUT) as blocker:
        window.open_session(bogus)
    message = blocker.args[0]
    assert message.startswith("Cannot open the session:")
    assert "Traceback" not in message and "\n" not in message
    assert window.message_bar.has_message


def test_messages_never_move_the_layout(window, qtbot, recorded_session) -> None:
    window.set_session(recorded_session)
    qtbot.waitUntil(lambda: window.tabs.isVisible(), timeout=TIMEOUT)
    top = window.tabs.mapTo(window, window.tabs.rect().topLeft()).y()
    height = window.tabs.height()
    window.message_bar.error("x " * 400, "details")  # a long message stays one line
    qtbot.wait(50)
    assert window.message_bar.text.startswith("x x")
    assert window.tabs.mapTo(window, window.tabs.rect().topLeft()).y() == top
    assert window.tabs.height() == height
    window.message_bar.clear()
    qtbot.wait(50)
    assert window.message_bar.text == ""
    assert window.tabs.mapTo(window, window.tabs.rect().topLeft()).y() == top


def test_panel_without_data_says_why(window, qtbot, tmp_path) -> None:
    session = Session.create(tmp_path / "bus-only.session")
    session.append([r for r in make_records(1.7e9, 5) if r["kind"] in ("bus", "agent")])
    window.set_session(session)
    pools = _show_panel(window, "pools")
    qtbot.waitUntil(lambda: "no pool traffic" in pools.empty_reason, timeout=TIMEOUT)
    cpu = _show_panel(window, "cpu")
    qtbot.waitUntil(lambda: "no py-spy samples" in cpu.empty_reason, timeout=TIMEOUT)


def test_time_range_in_one_panel_filters_the_others(window, qtbot, recorded_session) -> None:
    window.set_session(recorded_session)
    bus = _show_panel(window, "event_bus")
    qtbot.waitUntil(lambda: _table_rows(bus) > 0, timeout=TIMEOUT)
    full = sum(r["count"] for r in bus.summary["types"])
    t0 = window.metrics.t0
    # the user drags the region in the event-bus plot to the first ten seconds
    bus.plots[0].region.show()
    bus.plots[0].region.setRegion((0.0, 10.0))
    qtbot.waitUntil(lambda: window.time_range.range.since is not None, timeout=TIMEOUT)
    assert window.time_range.range.since == pytest.approx(t0)
    assert window.time_range.range.until == pytest.approx(t0 + 10.0)
    qtbot.waitUntil(lambda: sum(r["count"] for r in bus.summary["types"]) < full, timeout=TIMEOUT)
    pools = _show_panel(window, "pools")
    assert pools.plots[0].region.isVisible()
    assert pools.plots[0].region.getRegion() == pytest.approx((0.0, 10.0))
    with qtbot.waitSignal(window.snapshot_applied, timeout=TIMEOUT):
        pass
    qtbot.waitUntil(lambda: _table_rows(pools) > 0, timeout=TIMEOUT)
    acquires_in_range = sum(r["acquires"] for r in pools.summary["pools"])
    window.range_action.setChecked(True)
    window.range_action.setChecked(False)  # clearing: whole session again
    qtbot.waitUntil(
        lambda: sum(r["acquires"] for r in pools.summary["pools"]) > acquires_in_range,
        timeout=TIMEOUT,
    )


def test_clicking_a_finding_opens_its_file_at_its_line(window, qtbot, recorded_session) -> None:
    with qtbot.waitSignal(window.findings_loaded, timeout=TIMEOUT):
        window.set_session(recorded_session)
    window._show_tab(len(window.panels))
    view = window.findings_view
    assert view.proxy.rowCount() == 4
    top = view.visible_findings()[0]
    assert top.rule == "blocking-call-in-async"  # ranked by score
    rect = view.table.visualRect(view.proxy.index(0, 1))
    from PySide6.QtCore import Qt

    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    viewer = window.source_viewer
    qtbot.waitUntil(lambda: viewer.shown_path == "app/engine.py", timeout=TIMEOUT)
    assert viewer.code.current_line == BLOCKING_LINE
    line_text = viewer.code.textCursor().block().text()
    assert "time.sleep(0.05)" in line_text
    assert "Blocking sleep inside a coroutine" in viewer.explanation.toPlainText()
    assert "await asyncio.sleep(0.05)" in viewer.explanation.toPlainText()
    assert "31% of loop-thread samples" in viewer.explanation.toPlainText()
    # a call-chain step is a link that moves the viewer
    from PySide6.QtCore import QUrl

    viewer.explanation.anchorClicked.emit(QUrl("chain:0"))
    assert viewer.code.current_line == RUN_LINE
    # keyboard: Down moves to the next finding and the viewer follows
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: viewer.shown_path == "app/canvas.py", timeout=TIMEOUT)


def test_hot_lines_from_samples_are_marked(window, qtbot, recorded_session) -> None:
    with qtbot.waitSignal(window.findings_loaded, timeout=TIMEOUT):
        window.set_session(recorded_session)
    qtbot.waitUntil(lambda: "app/engine.py" in window.hot_by_file, timeout=TIMEOUT)
    window.show_finding(window.findings_view.visible_findings()[0])
    hot = window.source_viewer.code.hot_lines
    assert BLOCKING_LINE in hot and hot[BLOCKING_LINE] > 0.3


def test_findings_filter_by_severity_area_and_text(window, qtbot, recorded_session) -> None:
    with qtbot.waitSignal(window.findings_loaded, timeout=TIMEOUT):
        window.set_session(recorded_session)
    view = window.findings_view
    view.severity_box.setCurrentIndex(view.severity_box.findData("LOW"))
    assert [f.rule for f in view.visible_findings()] == ["open-without-encoding"]
    view.severity_box.setCurrentIndex(0)
    view.area_box.setCurrentIndex(view.area_box.findData(4))
    assert [f.rule for f in view.visible_findings()] == ["full-viewport-update"]
    view.area_box.setCurrentIndex(0)
    view.text_edit.setText("p95 selection")
    assert [f.rule for f in view.visible_findings()] == ["slow-event-handler"]


def test_cpu_panel_shows_hot_functions_and_flame_graph(window, qtbot, recorded_session) -> None:
    window.set_session(recorded_session)
    cpu = _show_panel(window, "cpu")
    qtbot.waitUntil(lambda: _table_rows(cpu) > 0, timeout=TIMEOUT)
    assert cpu.summary["functions"][0]["function"] == "WorkflowEngine.execute"
    assert cpu.flame.root is not None and cpu.flame.scene().items()
    # clicking a frame opens its source
    with qtbot.waitSignal(window.source_viewer.location_shown, timeout=TIMEOUT) as shown:
        cpu.frame_clicked.emit(
            f"{window.source_root}/app/engine.py", BLOCKING_LINE, "WorkflowEngine.execute"
        )
    assert shown.args == ["app/engine.py", BLOCKING_LINE]


def test_save_and_reopen_round_trip(window, qtbot, recorded_session, tmp_path) -> None:
    counts = recorded_session.record_counts()
    window.set_session(recorded_session)
    out = tmp_path / "saved" / "copy.session"
    window.save_session_as(out)
    qtbot.waitUntil(lambda: "Session saved" in window.message_bar.text, timeout=TIMEOUT)
    with qtbot.waitSignal(window.session_opened, timeout=TIMEOUT):
        window.open_session(out)
    assert window.session.record_counts() == counts
    assert window.session.path == out


def test_export_writes_the_report_or_says_why(window, qtbot, recorded_session, tmp_path) -> None:
    with qtbot.waitSignal(window.findings_loaded, timeout=TIMEOUT):
        window.set_session(recorded_session)
    assert window.default_report_path() == (
        tmp_path / "src" / "docs" / "performance" / "PERFORMANCE_AUDIT_REPORT.md"
    )
    try:
        from inspector.report import write_report  # noqa: F401
    except ImportError:
        with qtbot.waitSignal(window.failed, timeout=TIMEOUT) as blocker:
            window.export_report(tmp_path / "r" / "REPORT.md")
        assert "inspector.report.write_report is missing" in blocker.args[0]
        return
    out = tmp_path / "r" / "REPORT.md"
    with qtbot.waitSignal(window.report_written, timeout=60_000) as blocker:
        window.export_report(out, formats=("md", "json"))
    paths = [Path(p) for p in blocker.args[0]]
    assert out in paths and out.read_text(encoding="utf-8").strip()
    assert "blocking-call-in-async" in out.read_text(encoding="utf-8") or "engine.py" in (
        out.read_text(encoding="utf-8")
    )


def test_settings_persist_window_layout_and_recent(window, qtbot, tmp_path) -> None:
    from inspector.core.settings import load_settings

    window.resize(1111, 777)
    window.settings.editor_command = "code -g {path}:{line}"
    window.shutdown()
    saved = load_settings()
    assert saved.window_geometry and saved.editor_command == "code -g {path}:{line}"


def test_start_page_lists_this_python_process_family(window, qtbot) -> None:
    import subprocess
    import sys

    # A Python process of our own, so the list never depends on what else runs here.
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        window.show_start_page()
        page = window.start_page
        qtbot.waitUntil(lambda: not page.scanning, timeout=TIMEOUT)
        pids = {p.pid for p in page.model.processes}
        assert child.pid in pids
    finally:
        child.kill()
        child.wait()
    page.filter_edit.setText("no-such-process-name-xyz")
    assert page.proxy.rowCount() == 0
    page.filter_edit.clear()
    page.table.clearSelection()
    page._attach()  # nothing selected: a hint, not an error
    assert "Select a process" in page.status.text()


def test_open_in_editor_runs_the_configured_command(window, qtbot, recorded_session, tmp_path):
    import shlex
    import sys

    out = tmp_path / "editor-called.txt"
    script = "import sys; open(sys.argv[1], 'w').write(sys.argv[2])"
    window.settings.editor_command = (
        f"{shlex.quote(sys.executable)} -c {shlex.quote(script)} {shlex.quote(str(out))} "
        "{path}:{line}"
    )
    with qtbot.waitSignal(window.findings_loaded, timeout=TIMEOUT):
        window.set_session(recorded_session)
    window._show_tab(len(window.panels))
    window.findings_view.select_row(0)
    qtbot.waitUntil(lambda: window.source_viewer.editor_button.isEnabled(), timeout=TIMEOUT)
    window.source_viewer.editor_button.click()
    qtbot.waitUntil(lambda: out.exists() and bool(out.read_text()), timeout=TIMEOUT)
    assert out.read_text() == f"{tmp_path / 'src' / 'app' / 'engine.py'}:{BLOCKING_LINE}"


def _no_editors(window, monkeypatch, tmp_path, opener_result: bool) -> list:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    opened: list = []
    window.desktop_opener = lambda url: opened.append(url.toLocalFile()) or opener_result
    return opened


def test_without_any_editor_the_desktop_opener_gets_the_file(
    window, qtbot, recorded_session, monkeypatch, tmp_path
):
    opened = _no_editors(window, monkeypatch, tmp_path, opener_result=True)
    window.settings.editor_command = "no-such-editor-xyz {path}"
    with qtbot.waitSignal(window.findings_loaded, timeout=TIMEOUT):
        window.set_session(recorded_session)
    window.findings_view.select_row(0)
    with qtbot.waitSignal(window.editor_opened, timeout=TIMEOUT) as blocker:
        window.source_viewer.editor_button.click()
    engine = str(tmp_path / "src" / "app" / "engine.py")
    assert blocker.args[0] == ["(desktop opener)", engine]
    assert opened == [engine]
    assert "desktop's default application" in window.message_bar.text


def test_no_editor_and_no_opener_is_one_line_in_the_window(
    window, qtbot, recorded_session, monkeypatch, tmp_path
):
    _no_editors(window, monkeypatch, tmp_path, opener_result=False)
    window.settings.editor_command = "no-such-editor-xyz {path}"
    with qtbot.waitSignal(window.findings_loaded, timeout=TIMEOUT):
        window.set_session(recorded_session)
    window.findings_view.select_row(0)
    with qtbot.waitSignal(window.failed, timeout=TIMEOUT) as blocker:
        window.source_viewer.editor_button.click()
    assert blocker.args[0] == (
        "Cannot open engine.py: no editor found. Set one in Settings > Editor command."
    )
    assert "no-such-editor-xyz {path}: program not found" in window.message_bar.details


def test_findings_gain_evidence_from_samples_without_a_re_audit(window, qtbot, tmp_path) -> None:
    import dataclasses

    from analyzers.findings import Priority
    from tests.gui.session_factory import build_session, make_findings

    session = build_session(tmp_path / "ev.session", tmp_path / "src", seconds=30.0)
    bare = [
        dataclasses.replace(f, evidence=(), priority=Priority(8, 9, 2))
        for f in make_findings()
        if f.kind == "static"
    ]
    session.put_findings(bare, replace_kind="static")
    with qtbot.waitSignal(window.findings_loaded, timeout=TIMEOUT):
        window.set_session(session)
    blocking = next(f for f in window.findings_view.model.findings if f.line == BLOCKING_LINE)
    assert blocking.evidence == ()
    with qtbot.waitSignal(window.evidence_refreshed, timeout=60_000):
        window.findings_view.evidence_button.click()
    qtbot.waitUntil(
        lambda: any(
            f.line == BLOCKING_LINE and f.evidence for f in window.findings_view.model.findings
        ),
        timeout=TIMEOUT,
    )
    label = window.findings_view.evidence_label.text()
    assert label.startswith("evidence: ") and " samples (" in label


def test_unreadable_rows_are_counted_in_the_status_bar(window, qtbot, tmp_path) -> None:
    import sqlite3

    from tests.gui.session_factory import build_session

    path = tmp_path / "bad.session"
    build_session(path, tmp_path / "src", seconds=5.0).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE records SET data = '{broken' WHERE id IN (2, 3)")
    conn.commit()
    conn.close()
    with qtbot.waitSignal(window.session_opened, timeout=TIMEOUT):
        window.open_session(path)
    qtbot.waitUntil(
        lambda: "skipped unreadable rows" in window.records_label.text(), timeout=TIMEOUT
    )
    assert "skipped unreadable rows: 2 records" in window.records_label.text()
    assert window.message_bar.text == "Session bad.session: skipped unreadable rows: 2 records"


def test_a_refresh_keeps_the_selected_finding_selected(window, qtbot, recorded_session) -> None:
    with qtbot.waitSignal(window.findings_loaded, timeout=TIMEOUT):
        window.set_session(recorded_session)
    view = window.findings_view
    view.select_row(2)
    chosen = view.visible_findings()[2]
    findings = list(view.model.findings)
    view.set_findings(list(reversed(findings)))  # as a re-ranked refresh would arrive
    current = view.table.currentIndex()
    from inspector.gui.findings_table import FINDING_ROLE

    assert current.data(FINDING_ROLE) == chosen
