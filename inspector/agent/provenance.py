"""Which records describe the app and which describe what our own workloads drove.

Two granularities, both cheap enough for hot paths:
- per call: while a workload's own code runs (a Qt-thread step, a coroutine and every task it
  starts, a worker thread), `driving()` returns its label. A `ContextVar` follows asyncio
  tasks and never leaks into the app's own tasks, so a bus publication made inside a workload
  step is ours even when the handlers it reaches are the app's.
- per interval: `interval_source()` says whether any workload ran since the previous flush;
  every record the agent sends carries it as `source` ("app" or "workload:<name>#<run>").
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import threading
import time
from collections.abc import Iterator

APP = "app"

_driving: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "casare_inspector_workload", default=None
)
_run_ids = itertools.count(1)
_lock = threading.Lock()
_running: dict[str, float] = {}  # label -> start (monotonic)
_finished: dict[str, float] = {}  # label -> end, kept until the next flush has seen it


def new_label(name: str, run_id: str = "") -> str:
    """ "workload:<name>#<run_id>" (the inspector's run id, else a number unique here)."""
    return f"workload:{name}#{run_id or next(_run_ids)}"


def driving() -> str | None:
    """The label of the workload whose code is running right now, or None (the app's code)."""
    return _driving.get()


@contextlib.contextmanager
def as_workload(label: str) -> Iterator[None]:
    """Everything called inside this block, and tasks it creates, is the workload's doing."""
    token = _driving.set(label)
    try:
        yield
    finally:
        _driving.reset(token)


def run_started(label: str) -> None:
    with _lock:
        _running[label] = time.monotonic()


def run_finished(label: str) -> None:
    with _lock:
        if _running.pop(label, None) is not None:
            _finished[label] = time.monotonic()


def interval_source() -> str:
    """ "app", or the labels (comma-joined) of workloads that ran during the current interval.

    Called once per flush: labels of workloads that finished are forgotten after it.
    """
    with _lock:
        labels = sorted(set(_running) | set(_finished))
        _finished.clear()
    return ",".join(labels) if labels else APP


def peek_source() -> str:
    """Like `interval_source` without forgetting finished runs (for records emitted off-flush)."""
    with _lock:
        labels = sorted(set(_running) | set(_finished))
    return ",".join(labels) if labels else APP


def reset() -> None:
    """Forget every run (on detach: a new attachment starts clean)."""
    with _lock:
        _running.clear()
        _finished.clear()
