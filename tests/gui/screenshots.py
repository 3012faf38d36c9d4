"""Screenshots of the main views from the real window on a live demo session.

`python -m tests.gui.screenshots [OUT_DIR]` (default out/demo-screenshots): launches the demo
target with the agent from the window, lets the panels fill, runs the pool workload, opens
the top finding, and saves one PNG per main view. Not a test: run it when the views change.
`--attach PID [OUT_DIR]` attaches to a running CasareRPA from the start page instead, drives
it with the standard workloads and saves every view as `casare_*.png` (the README's
screenshots), checks that a finding lands on its source line and exports the report.
`--launch WORK_DIR OUT_DIR DISPLAY` launches CasareRPA from the Launch dialog with its
environment and checks that its exit is noticed within a second.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _wait(ms: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _wait_until(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        _wait(100)
    return False


def _save(widget, path: Path) -> None:
    widget.grab().save(str(path), "PNG", 9)
    print(f"{path} {path.stat().st_size // 1024} KB", flush=True)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("out/demo-screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from inspector.core.settings import Settings
    from inspector.gui.app import make_app, settle_gc
    from inspector.gui.main_window import InspectorWindow

    make_app()
    window = InspectorWindow(Settings())
    window.resize(1440, 900)
    window.show()
    window.launch_demo()
    if not _wait_until(lambda: window.connection is not None and window.connection.connected, 60):
        print("the demo did not connect:", window.message_bar.text, file=sys.stderr)
        return 1
    settle_gc()
    _wait(15_000)  # the demo's own activity: canvas, bus, job queue
    window.run_workload("pools", {})
    _wait_until(lambda: window.metrics.kind_count("pool") > 20, 60)
    _wait(8_000)
    shots = {
        "event_bus": "live_event_bus.png",
        "repaint": "live_repaint.png",
        "pools": "live_pools.png",
        "event_loop": "live_event_loop.png",
        "memory": "live_memory.png",
        "cpu": "cpu_flame_graph.png",
    }
    for name, filename in shots.items():
        panel = window.panel_by_name[name]
        window.pages.setCurrentWidget(window.tabs)
        window.tabs.setCurrentWidget(panel)
        _wait(3_500 if name == "cpu" else 2_000)
        if name == "event_loop":  # show the shared time-range selection once
            lo, hi = window.metrics.t0, window.metrics.t_last
            if lo is not None and hi is not None:
                window.range_action.setChecked(True)
                window.time_range.set_range(lo + (hi - lo) * 0.45, lo + (hi - lo) * 0.8)
                _wait(2_500)
        _save(window, out / filename)
        window.range_action.setChecked(False)
    window.show_start_page()  # with the demo running: a Qt target in the list
    _wait_until(lambda: not window.start_page.scanning and window.start_page.model.rowCount(), 20)
    window.start_page.filter_edit.setText("pyside6")
    window.start_page.select_pid(window.connection.pid)
    _save(window, out / "start_page.png")
    _wait_until(lambda: window.findings_view.proxy.rowCount() > 0, 90)
    window._show_tab(len(window.panels))
    window.findings_view.select_row(0)
    _wait(1_500)
    _save(window, out / "findings_source.png")
    window.shutdown()
    return 0


def _run_workload(window, name: str, params: dict, timeout_s: float) -> str:
    """Queue a workload as the form would and wait for it to finish; returns its status."""
    done: list = []
    window.workload_finished.connect(lambda event: done.append(event))
    window.run_workload(name, params)
    _wait_until(lambda: bool(done) or window.connection is None, timeout_s)
    status = done[-1].status if done else "timeout"
    reason = done[-1].reason if done else ""
    print(f"workload {name} {params}: {status} {reason}".rstrip(), flush=True)
    return status


def _show(window, name: str) -> None:
    window.pages.setCurrentWidget(window.tabs)
    window.tabs.setCurrentWidget(window.panel_by_name[name])


def attach_and_check(pid: int, out: Path, profile: str = "casare_rpa") -> int:
    """Attach to a running CasareRPA from the start page, drive it with the standard workloads
    (from their forms' parameters), and save a screenshot of every view, prefixed `casare_`;
    checks that the top static finding opens at exactly its line."""
    from inspector.core.settings import Settings
    from inspector.gui.app import make_app, settle_gc
    from inspector.gui.main_window import InspectorWindow

    out.mkdir(parents=True, exist_ok=True)
    make_app()
    window = InspectorWindow(Settings())
    window.resize(1440, 900)
    window.show()
    window.show_start_page()
    page = window.start_page
    _wait_until(lambda: not page.scanning and page.model.rowCount(), 30)
    page.filter_edit.setText("casarerpa pyside6")
    if not page.select_pid(pid):
        print(f"PID {pid} is not in the process list", file=sys.stderr)
        return 1
    print("profile for the selected row:", page.profile_box.currentText(), flush=True)
    _save(window, out / "casare_start_page.png")
    page.attach_button.click()  # as the user does
    if not _wait_until(lambda: window.connection is not None and window.connection.connected, 90):
        print("attach failed:", window.message_bar.text, file=sys.stderr)
        return 1
    settle_gc()
    print("attached; source root", window.source_root, flush=True)
    print("report would go to", window.default_report_path(), flush=True)
    infos = {i.name: i for i in window.workload_infos()}
    form = window.workload_dialog(infos["canvas"])
    form.set_value("nodes", 80)
    form.set_value("repetitions", 1)
    form.resize(420, form.sizeHint().height())
    form.show()
    _wait(500)
    _save(form, out / "casare_workload_form.png")
    params = form.params()
    form.close()
    # the canvas run with its progress bar and Cancel in the status bar, mid-way
    done: list = []
    window.workload_finished.connect(lambda event: done.append(event))
    window.run_workload("canvas", params)
    _wait_until(lambda: "step " in window.workload_progress.label.text(), 60)
    _wait(3_000)
    _show(window, "repaint")
    _wait(2_500)
    _save(window, out / "casare_workload_progress.png")
    _wait_until(lambda: bool(done), 300)
    print("workload canvas", params, done[-1].status if done else "timeout", flush=True)
    _run_workload(window, "event_bus", {}, 120)
    _run_workload(window, "pools", {"sweep": "1,2,4,8"}, 300)
    _wait_until(lambda: window.findings_view.proxy.rowCount() > 0, 300)
    window.refresh_evidence()
    _wait_until(lambda: not window._evidence_running, 120)
    print("findings", window.findings_view.proxy.rowCount(), flush=True)
    print(window.findings_view.evidence_label.text(), flush=True)
    for name in ("event_bus", "repaint", "pools", "event_loop", "cpu", "memory"):
        _show(window, name)
        _wait(4_000 if name in ("cpu", "event_loop") else 2_500)
        _save(window, out / f"casare_{name}.png")
        print(f"{name}: {window.panel_by_name[name].headline_label.text()}", flush=True)
    window.evidence_every_s = float("inf")  # the ranking holds still while we check it
    _wait_until(lambda: not window._evidence_running, 120)
    _wait(1_500)
    window._show_tab(len(window.panels))
    view = window.findings_view
    view.text_edit.setText("static")  # the target's own code, not measured-only findings
    view.select_row(0)
    _wait(1_500)
    finding = view.visible_findings()[0]
    viewer = window.source_viewer
    expected = (window.source_root / finding.path).read_text(encoding="utf-8").splitlines()
    shown = viewer.code.textCursor().block().text()
    ok = (
        viewer.shown_path == finding.path
        and viewer.code.current_line == finding.line
        and shown == expected[finding.line - 1]
    )
    print(
        f"finding {finding.rule} {finding.path}:{finding.line}: viewer at "
        f"{viewer.shown_path}:{viewer.code.current_line} -> {'OK' if ok else 'MISMATCH'}"
    )
    print(f"  line: {shown.strip()}")
    view.text_edit.clear()
    view.select_row(0)
    _wait(1_500)
    _save(window, out / "casare_findings_source.png")
    # File > Export report with its default: the target repository's docs/performance/
    written: list = []
    window.report_written.connect(lambda paths: written.extend(paths))
    print("exporting to", window.default_report_path(), flush=True)
    window.export_report()
    _wait_until(lambda: bool(written) or bool(window.message_bar.level == "error"), 180)
    print("report written:", ", ".join(str(p) for p in written) or window.message_bar.text)
    window.shutdown()
    return 0 if ok and written else 1


def launch_and_check(work: Path, out: Path, display: str) -> int:
    """Launch CasareRPA from the Launch dialog (command, folder, profile from the command, the
    environment it needs), then stop it from outside and check the window stops saying live
    within a second and leaves no zombie. `work` holds app/, venv/, stubs/ and home/."""
    import psutil

    from inspector.core.settings import Settings
    from inspector.gui.app import make_app
    from inspector.gui.main_window import InspectorWindow

    out.mkdir(parents=True, exist_ok=True)
    make_app()
    window = InspectorWindow(Settings())
    window.auto_audit = False  # this check is about starting and stopping
    window.resize(1440, 900)
    window.show()
    dialog = window.launch_dialog()
    dialog.command_edit.setText(f"{work / 'venv' / 'bin' / 'python'} run.py")
    dialog.cwd_edit.setText(str(work / "app"))
    dialog.env_edit.setPlainText(
        f"HOME={work / 'home'}\nPYTHONPATH={work / 'app' / 'src'}:{work / 'stubs'}\n"
        f"DISPLAY={display}\nQT_QPA_PLATFORM=xcb"
    )
    print("profile from the command:", dialog.profile_box.currentText(), flush=True)
    dialog.show()
    _wait(500)
    _save(dialog, out / "casare_launch_dialog.png")
    dialog.accept()
    ended: list[float] = []
    window.target_ended.connect(lambda _r: ended.append(time.monotonic()))
    window.launch_from_dialog(dialog)
    if not _wait_until(lambda: window.connection is not None and window.connection.connected, 90):
        print("launch failed:", window.message_bar.text, file=sys.stderr)
        return 1
    pid = window.connection.pid
    print(f"launched PID {pid}: {window.target_label.text()}", flush=True)
    _wait(8_000)
    psutil.Process(pid).terminate()
    stopped = time.monotonic()
    _wait_until(lambda: bool(ended), 10)
    _wait_until(lambda: not psutil.pid_exists(pid), 5)
    zombie = psutil.pid_exists(pid) and psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    delay = ended[0] - stopped if ended else float("nan")
    print(
        f"target ended after {delay:.2f} s: {window.target_label.text()}; "
        f"zombie: {zombie}; still listed: {psutil.pid_exists(pid)}",
        flush=True,
    )
    _save(window, out / "casare_launch_ended.png")
    window.shutdown()
    return 0 if ended and delay <= 1.0 and not zombie else 1


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--launch":
        sys.exit(launch_and_check(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]))
    if len(sys.argv) > 2 and sys.argv[1] == "--attach":
        sys.exit(
            attach_and_check(
                int(sys.argv[2]), Path(sys.argv[3] if len(sys.argv) > 3 else "docs/screenshots")
            )
        )
    sys.exit(main(sys.argv[1:]))
