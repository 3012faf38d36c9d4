"""Screenshots of the main views from the real window on a live demo session.

`python -m tests.gui.screenshots [OUT_DIR]` (default docs/screenshots): launches the demo
target with the agent from the window, lets the panels fill, runs the pool workload, opens
the top finding, and saves one PNG per main view. Not a test: run it when the views change.
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


def _wait_until(predicate, timeout_s: float) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        _wait(100)
    return False


def _save(widget, path: Path) -> None:  # noqa: ANN001
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
    window.show_start_page()
    _wait_until(lambda: not window.start_page.scanning and window.start_page.model.rowCount(), 20)
    _save(window, out / "start_page.png")

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
    _wait_until(lambda: window.findings_view.proxy.rowCount() > 0, 90)
    window._show_tab(len(window.panels))
    window.findings_view.select_row(0)
    _wait(1_500)
    _save(window, out / "findings_source.png")
    window.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
