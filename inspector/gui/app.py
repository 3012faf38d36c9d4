"""Entry point of the inspector window: `casare-inspector` with no subcommand."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import pyqtgraph as pg
import qasync
from PySide6.QtWidgets import QApplication

from inspector.gui.main_window import InspectorWindow


def make_app() -> QApplication:
    """The QApplication with the inspector's look (created once per process)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("casare-inspector")
    app.setOrganizationName("casare-inspector")
    app.setStyle("Fusion")
    pg.setConfigOptions(background="w", foreground="#333333", antialias=False)
    return app


def start_window(args: argparse.Namespace) -> InspectorWindow:
    """Create, show and start the window on what `args` asks (demo, session, pid, or none)."""
    window = InspectorWindow()
    window.show()
    if getattr(args, "session", None):
        window.open_session(Path(args.session))
    elif getattr(args, "demo", False):
        window.launch_demo()
    elif getattr(args, "pid", None):
        window.attach_pid(int(args.pid), "generic")
    else:
        window.show_start_page()
    return window


def run_window(args: argparse.Namespace) -> int:
    """Open the window and run the Qt (qasync) event loop until it is closed."""
    app = make_app()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = start_window(args)
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    with loop:
        loop.run_until_complete(closed.wait())
    window.shutdown()
    return 0
