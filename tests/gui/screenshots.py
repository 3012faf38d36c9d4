"""Screenshots of the main views from the real window on a live demo session.

`python -m tests.gui.screenshots [OUT_DIR]` (default docs/screenshots): launches the demo
target with the agent from the window, lets the panels fill, runs the pool workload, opens
the top finding, and saves one PNG per main view. Not a test: run it when the views change.
`--attach PID [OUT_DIR]` attaches to a running CasareRPA from the start page instead and
checks that a finding lands on its source line.
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
    out = Path(argv[0]) if argv else Path("docs/screenshots")
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


def attach_and_check(pid: int, out: Path, profile: str = "casare_rpa") -> int:
    """Attach to a running target from the start page, then open the top finding and check
    the source viewer shows exactly that line of that file; screenshots prefixed `casare_`."""
    from inspector.core.settings import Settings
    from inspector.gui.app import make_app, settle_gc
    from inspector.gui.main_window import InspectorWindow

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
    page.profile_box.setCurrentText(profile)
    _save(window, out / "casare_start_page.png")
    page.attach_button.click()  # as the user does
    if not _wait_until(lambda: window.connection is not None and window.connection.connected, 90):
        print("attach failed:", window.message_bar.text, file=sys.stderr)
        return 1
    settle_gc()
    print("attached; source root", window.source_root, flush=True)
    for name in ("canvas", "event_bus"):
        window.run_workload(name, {})
        _wait(20_000)
    _wait_until(lambda: window.findings_view.proxy.rowCount() > 0, 300)
    print("findings", window.findings_view.proxy.rowCount(), flush=True)
    for name, filename in (
        ("repaint", "casare_repaint.png"),
        ("event_bus", "casare_event_bus.png"),
        ("cpu", "casare_cpu.png"),
    ):
        window.pages.setCurrentWidget(window.tabs)
        window.tabs.setCurrentWidget(window.panel_by_name[name])
        _wait(3_500)
        _save(window, out / filename)
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
    _save(window, out / "casare_findings_source.png")
    window.shutdown()
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--attach":
        sys.exit(
            attach_and_check(
                int(sys.argv[2]), Path(sys.argv[3] if len(sys.argv) > 3 else "docs/screenshots")
            )
        )
    sys.exit(main(sys.argv[1:]))
