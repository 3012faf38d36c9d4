"""Run slow work off the GUI thread and get the answer back on it, with progress.

`run_in_background(fn, on_done, on_error, on_progress)` puts `fn` on the global QThreadPool;
`fn` receives a `progress(done, total)` callable. Results and errors come back through Qt
signals, so the callbacks run on the GUI thread.

A task is plain Python and owns no Qt object. Workers report to one long-lived QObject
(`_TaskEvents`) by task id; `BackgroundTask.running` holds each task from start until its
answer is delivered, and nothing holds it after. An earlier design gave every task its own
QObject whose signal was connected to a closure over the task: Qt's connection held the
closure, the closure held the task, and Python's collector cannot see through a Qt
connection, so every task stayed alive for good with its result. The window starts about
one task a second while it follows a live session (a panel snapshot each), which made the
inspector grow by 15 MB a minute after five minutes of a heavy stream.
"""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot


class _TaskEvents(QObject):
    """Lives on the GUI thread for the whole process; workers emit task ids to it."""

    # Only ints cross threads: PySide6 has had refcount bugs with Signal(object) across
    # threads (e.g. emitting None deallocates None on 3.11).
    finished = Signal(int)
    progress = Signal(int, int, int)  # task id, done, total

    def __init__(self) -> None:
        super().__init__()
        self.finished.connect(self._on_finished)
        self.progress.connect(self._on_progress)

    @Slot(int)
    def _on_finished(self, task_id: int) -> None:
        task = BackgroundTask.running.pop(task_id, None)
        if task is not None:
            task.deliver()

    @Slot(int, int, int)
    def _on_progress(self, task_id: int, done: int, total: int) -> None:
        task = BackgroundTask.running.get(task_id)
        if task is not None and task.on_progress is not None:
            task.on_progress(done, total)


_events: _TaskEvents | None = None


def _task_events() -> _TaskEvents:
    """The one `_TaskEvents`, created on first use (always from the GUI thread)."""
    global _events
    if _events is None:
        _events = _TaskEvents()
    return _events


class BackgroundTask:
    """One unit of work on the thread pool and the callbacks for its answer."""

    running: ClassVar[dict[int, BackgroundTask]] = {}
    _ids = itertools.count(1)

    def __init__(
        self,
        fn: Callable[[Callable[[int, int], None]], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[str, str], None],
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.id = next(self._ids)
        self.fn: Callable[[Callable[[int, int], None]], Any] | None = fn
        self.on_done: Callable[[Any], None] | None = on_done
        self.on_error: Callable[[str, str], None] | None = on_error
        self.on_progress = on_progress
        self.result: Any = None
        self.error: tuple[str, str] | None = None  # one-line message, details
        self.events = _task_events()

    def run(self) -> None:
        """On a pool thread: call `fn`, keep its answer here, tell the GUI thread."""
        fn = self.fn
        assert fn is not None
        try:
            self.result = fn(self._report_progress)
        except Exception as exc:  # every failure becomes a message in the window
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.error = (first, traceback.format_exc())
        del fn
        try:
            self.events.finished.emit(self.id)
        except RuntimeError:
            pass  # the application is shutting down and took the events object with it

    def _report_progress(self, done: int, total: int) -> None:
        try:
            self.events.progress.emit(self.id, done, total)
        except RuntimeError:
            pass

    def deliver(self) -> None:
        """On the GUI thread: hand the answer over, then let go of everything.

        The worker may still hold the task for a moment after it reported; dropping the
        result, the work and the callbacks here means it holds only this empty shell.
        """
        result, error = self.result, self.error
        on_done, on_error = self.on_done, self.on_error
        self.result = self.fn = self.on_done = self.on_error = self.on_progress = None
        try:
            if error is not None:
                assert on_error is not None
                on_error(*error)
            else:
                assert on_done is not None
                on_done(result)
        except RuntimeError as exc:
            # the window that asked was closed and deleted while the work ran: drop the
            # answer; anything else is a real error and propagates
            if "already deleted" not in str(exc):
                raise


def run_in_background(
    fn: Callable[[Callable[[int, int], None]], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[str, str], None],
    on_progress: Callable[[int, int], None] | None = None,
) -> BackgroundTask:
    task = BackgroundTask(fn, on_done, on_error, on_progress)
    BackgroundTask.running[task.id] = task
    QThreadPool.globalInstance().start(task.run)
    return task
