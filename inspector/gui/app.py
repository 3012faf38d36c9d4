"""Entry point of the inspector window: `casare-inspector` with no subcommand."""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import sys
from pathlib import Path

import pyqtgraph as pg
import qasync
from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtWidgets import QApplication

from inspector.gui.main_window import InspectorWindow


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's per-thread malloc arenas (no-op elsewhere); whether it applied.

    The follower, the agent link and the pool's workers each allocate many small JSON
    objects; glibc gives busy threads their own arenas (up to 8 per core) and returns little
    of them to the OS, so the inspector's RSS kept climbing under a heavy stream although the
    Python-level buffers are bounded. Two arenas keep RSS near what Python actually holds.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(-8, arenas))  # -8 is M_ARENA_MAX
    except (OSError, AttributeError):
        return False


_collector: GarbageCollector | None = None


def collect_on_gui_thread() -> None:
    """Run the cyclic garbage collector only on the GUI thread, on a timer.

    Python collects in whichever thread happens to allocate. When a worker thread (the
    session follower, a background task) collects a cycle holding a Qt widget, the widget's
    C++ destructor runs on that thread: it takes Qt's connection lock and waits for the GIL,
    while the GUI thread holds the GIL and waits for that lock - a deadlock, seen in the
    window tests once finished background tasks stopped keeping old windows alive.
    pyqtgraph's GarbageCollector turns automatic collection off and collects from a QTimer.
    """
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=0.5)


def settle_gc() -> None:
    """Move everything alive after start-up out of the collector's way, collect less often.

    Qt, pyqtgraph and numpy leave hundreds of thousands of long-lived objects; without
    `gc.freeze` every full collection walks them again, and a collection holds the GIL, so
    the GUI thread stalls for its whole length. The follower's records are short-lived or
    untracked (see LiveMetrics), so a larger first threshold only batches cheap work.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    if _collector is not None:
        _collector.threshold = gc.get_threshold()  # it compares counts with these


def make_app() -> QApplication:
    """The QApplication with the inspector's look (created once per process)."""
    app = QApplication.instance()
    if app is None:
        limit_malloc_arenas()
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("casare-inspector")
    app.setOrganizationName("casare-inspector")
    app.setStyle("Fusion")
    # Qt calls back into Python for every pyqtgraph item it paints, and each call must win the
    # GIL back from the threads that follow the session; at the default 5 ms switch interval
    # a frame with hundreds of callbacks waits seconds under a heavy record stream.
    sys.setswitchinterval(0.0005)
    pg.setConfigOptions(background="w", foreground="#333333", antialias=False)
    collect_on_gui_thread()
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
    settle_gc()
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    with loop:
        loop.run_until_complete(closed.wait())
    window.shutdown()
    return 0
