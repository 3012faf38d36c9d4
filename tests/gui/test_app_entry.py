"""`casare-inspector --session FILE` opens the window through run_window and exits cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.gui.session_factory import build_session

ROOT = Path(__file__).resolve().parents[2]


def test_run_window_opens_a_session_and_quits(tmp_path: Path) -> None:
    built = build_session(tmp_path / "s.session", tmp_path / "src", seconds=5)
    stored = len(built.findings())
    built.close()
    assert stored > 0
    code = textwrap.dedent(
        f"""
        import sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        from inspector.gui import app as gui_app

        tries = [0]

        def close_when_open():
            # findings arrive from a background load: wait for them (10 s at most)
            tries[0] += 1
            for w in QApplication.topLevelWidgets():
                if w.objectName() == "" and hasattr(w, "session") and w.session is not None:
                    rows = w.findings_view.model.rowCount()
                    if rows or tries[0] > 100:
                        print("opened", w.session.path.name, rows, flush=True)
                        w.close()
                        return
            QTimer.singleShot(100, close_when_open)

        gui_app.make_app()
        QTimer.singleShot(100, close_when_open)
        from inspector.cli import main
        sys.exit(main(["--session", {str(tmp_path / "s.session")!r}]))
        """
    )
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        CASARE_INSPECTOR_CONFIG_DIR=str(tmp_path / "cfg"),
        CASARE_INSPECTOR_DATA_DIR=str(tmp_path / "data"),
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"opened s.session {stored}" in result.stdout
    assert "Traceback" not in result.stderr
