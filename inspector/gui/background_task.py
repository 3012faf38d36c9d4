"""Run slow work off the GUI thread and get the answer back on it, with progress.

`run_in_background(fn, on_done, on_error, on_progress)` puts `fn` on the global QThreadPool;
`fn` receives a `progress(done, total)` callable. Results and errors come back through Qt
signals, so slots run on the GUI thread. The window keeps every running task referenced
(`BackgroundTask.running`) so Python does not collect its signal object mid-flight.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _TaskSignals(QObject):
    # No Python objects travel through these queued signals: PySide6 has had refcount bugs
    # with Signal(object) across threads (e.g. emitting None deallocates None on 3.11). The
    # result stays on the task; the signal only says "look".
    finished = Signal()
    progress = Signal(int, int)


class BackgroundTask(QRunnable):
    """One unit of work on the thread pool; see `run_in_background`."""

    running: set[BackgroundTask] = set()

    def __init__(self, fn: Callable[[Callable[[int, int], None]], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.signals = _TaskSignals()
        self.result: Any = None
        self.error: tuple[str, str] | None = None  # one-line message, details

    def run(self) -> None:
        try:
            self.result = self.fn(self.signals.progress.emit)
        except Exception as exc:  # every failure becomes a message in the window
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.error = (first, traceback.format_exc())
        try:
            self.signals.finished.emit()
        except RuntimeError:
            pass  # the application is shutting down and took the signal object with it


def run_in_background(
    fn: Callable[[Callable[[int, int], None]], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[str, str], None],
    on_progress: Callable[[int, int], None] | None = None,
) -> BackgroundTask:
    task = BackgroundTask(fn)
    BackgroundTask.running.add(task)

    def finished() -> None:
        BackgroundTask.running.discard(task)
        try:
            if task.error is not None:
                on_error(*task.error)
            else:
                on_done(task.result)
        except RuntimeError as exc:
            # the window that asked was closed and deleted while the work ran: drop the
            # answer; anything else is a real error and propagates
            if "already deleted" not in str(exc):
                raise

    task.signals.finished.connect(finished)
    if on_progress is not None:
        task.signals.progress.connect(on_progress)
    QThreadPool.globalInstance().start(task)
    return task
