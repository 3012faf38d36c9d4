"""The demo application: QApplication + qasync loop, a main window with the node canvas,
bus subscribers, a pool, a job queue, and a built-in activity workload.

Shaped like CasareRPA's `presentation/canvas/app.py CasareRPAApp`: one object owns `_app`
(the QApplication), `_loop` (a `qasync.QEventLoop` set as the asyncio loop) and
`_main_window`, and `run()` calls `loop.run_forever()`. `current_app()` and the
`get_*()` accessors give the in-process agent (and its workloads) the live objects, the way
CasareRPA's `get_event_bus()` does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import sys
from typing import Any

import PySide6
import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QWidget

from inspector.demo.canvas import NODE_TYPES, NodeCanvasView, NodeItem
from inspector.demo.event_bus import (
    NODE_ADDED,
    NODE_COMPLETED,
    NODE_MOVED,
    NODE_REMOVED,
    SELECTION_CHANGED,
    STATUS_REFRESHED,
    VARIABLE_SET,
    WORKFLOW_COMPLETED,
    WORKFLOW_STARTED,
    Event,
    EventBus,
)
from inspector.demo.job_queue import Job, JobQueue, Robot
from inspector.demo.pool import ConnectionPool
from inspector.demo.refcount_guard import guard_none_refcount
from inspector.demo.workflow import WorkflowRunner, refresh_status

logger = logging.getLogger(__name__)

# Before any painting: PySide6 6.12 on Python 3.11 would otherwise crash the demo (see module).
guard_none_refcount(PySide6.__version_info__)

_current: DemoApp | None = None


class ActivityLog:
    """A cheap subscriber: counts events by type."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def on_event(self, event: Event) -> None:
        self.counts[event.event_type] = self.counts.get(event.event_type, 0) + 1


class ExecutionMonitor:
    """A slow-ish synchronous subscriber: rebuilds a summary from the whole bus history on
    every execution event (serialising each event), so its cost grows with the history."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self.summary_bytes = 0

    def on_execution_event(self, event: Event) -> None:
        history = self._bus.get_history()
        self.summary_bytes = sum(
            len(json.dumps({"type": e.event_type, "data": e.data, "node": e.node_id}))
            for e in history
        )


PLANTED = "planted fault"  # every deliberate failure says so, in its message and at start-up


class AutosaveHandler:
    """A subscriber that fails now and then, like an autosave hitting a locked file."""

    def __init__(self, fail_every: int = 25) -> None:
        self._fail_every = fail_every
        self.calls = 0

    def on_graph_changed(self, event: Event) -> None:
        self.calls += 1
        if self.calls % self._fail_every == 0:
            raise RuntimeError(f"autosave target is locked ({PLANTED})")


class BreakpointBadge:
    """Planted fault: a subscriber that raises on every call, like CasareRPA's
    ExecutionController handlers (an AttributeError on every node event): it reads the
    badge of a node the canvas never gave one."""

    def __init__(self) -> None:
        self.badges: dict[str, str] = {}

    def on_node_moved(self, event: Event) -> None:
        badge = self.badges.get(event.node_id or "")
        if badge is None:
            raise AttributeError(f"node {event.node_id} has no breakpoint badge ({PLANTED})")


class DemoWindow(QMainWindow):
    """The main window: the canvas in the middle and a status line."""

    def __init__(self, bus: EventBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Inspector demo target")
        self.canvas = NodeCanvasView(bus, self)
        self.setCentralWidget(self.canvas)
        self.status_label = QLabel("starting")
        self.statusBar().addWidget(self.status_label)
        self.resize(1000, 640)

    def on_status_refreshed(self, event: Event) -> None:
        self.status_label.setText(f"robots: {(event.data or {}).get('robots', '?')}")


class DemoApp:
    """Owns the Qt application, the qasync loop, the window and the app's services."""

    def __init__(self, nodes: int = 12, workload: bool = True, seed: int = 7) -> None:
        global _current
        self._app = QApplication.instance() or QApplication(sys.argv[:1])
        self._loop = qasync.QEventLoop(self._app)
        asyncio.set_event_loop(self._loop)
        self.bus = EventBus()
        self.pool = ConnectionPool(max_size=4)
        self.job_queue = JobQueue()
        self.runner = WorkflowRunner(self.bus, self.pool)
        self.robots = [Robot(f"robot-{i}", environment=f"env-{i % 2}") for i in range(3)]
        self._main_window = DemoWindow(self.bus)
        self.canvas = self._main_window.canvas
        self.activity = ActivityLog()
        self.monitor = ExecutionMonitor(self.bus)
        self.autosave = AutosaveHandler()
        self.badge = BreakpointBadge()
        self._subscribe()
        self._rng = random.Random(seed)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._tick = 0
        self._workload_timer = QTimer()
        self._workload_timer.setInterval(100)
        self._workload_timer.timeout.connect(self._workload_tick)
        self._workload_enabled = workload
        self._quitting = False
        self._populate(nodes)
        _current = self

    # --- set-up -------------------------------------------------------------------------
    def _subscribe(self) -> None:
        for event_type in (NODE_ADDED, NODE_REMOVED, NODE_MOVED, SELECTION_CHANGED, VARIABLE_SET):
            self.bus.subscribe(event_type, self.activity.on_event)
        for event_type in (WORKFLOW_STARTED, NODE_COMPLETED, WORKFLOW_COMPLETED):
            self.bus.subscribe(event_type, self.activity.on_event)
            self.bus.subscribe(event_type, self.monitor.on_execution_event)
        for event_type in (NODE_ADDED, NODE_REMOVED, NODE_MOVED):
            self.bus.subscribe(event_type, self.autosave.on_graph_changed)
        self.bus.subscribe(STATUS_REFRESHED, self._main_window.on_status_refreshed)
        self.bus.subscribe(NODE_MOVED, self.badge.on_node_moved)

    def _populate(self, count: int) -> None:
        identifiers = list(NODE_TYPES)
        previous: NodeItem | None = None
        for i in range(count):
            node = self.canvas.create_node(identifiers[i % len(identifiers)])
            if previous is not None:
                self.canvas.connect_nodes(previous, node)
            previous = node
        if count:
            self.canvas.centerOn(self.canvas.scene().itemsBoundingRect().center())

    # --- the built-in activity workload ------------------------------------------------
    def _spawn(self, coro: Any) -> None:
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("demo task failed: %r", task.exception())

    def _workload_tick(self) -> None:
        """~10 Hz: events, a node move, pool traffic, jobs; every 2 s the blocking refresh."""
        self._tick += 1
        tick, rng = self._tick, self._rng
        nodes = self.canvas.all_nodes()
        if nodes:
            node = nodes[rng.randrange(len(nodes))]
            node.moveBy(rng.uniform(-12, 12), rng.uniform(-8, 8))
            self.bus.emit(NODE_MOVED, {"x": node.x(), "y": node.y()}, node_id=node.node_id)
            if tick % 5 == 0:
                node.setSelected(not node.isSelected())
        self.bus.emit(VARIABLE_SET, {"name": "counter", "value": tick})
        if tick % 3 == 0:
            self._spawn(self._pool_client(tick))
        self.job_queue.enqueue(Job("demo-order-check", environment=f"env-{tick % 2}"))
        if tick % 2 == 0:
            self.job_queue.enqueue(Job("demo-report", environment="env-0", priority=tick % 3))
        job = self.job_queue.dequeue(self.robots[tick % len(self.robots)])
        if job is not None:
            self.job_queue.complete(job.job_id)
        if tick % 20 == 0:
            self._spawn(refresh_status(self.bus))
        if tick % 30 == 15:
            self._spawn(self.runner.run())

    async def _pool_client(self, tick: int) -> None:
        conn = await self.pool.acquire()
        try:
            await conn.execute(f"SELECT {tick}")
        finally:
            await self.pool.release(conn)

    # --- lifecycle ----------------------------------------------------------------------
    @property
    def window(self) -> DemoWindow:
        return self._main_window

    def start(self) -> None:
        self._main_window.show()
        if self._workload_enabled:
            self._workload_timer.start()

    def quit(self) -> None:
        """Stop the workload, finish the app's tasks, close the pool and stop the loop."""
        if self._quitting:
            return
        self._quitting = True
        self._workload_timer.stop()
        self._loop.create_task(self._shutdown())

    async def _shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.pool.close()
        self._main_window.close()
        self._loop.stop()

    def run(self, duration_s: float = 0.0, on_ready: Any = None) -> int:
        """Show the window and run the loop until quit (or `duration_s` if > 0)."""
        self.start()
        if duration_s > 0:
            QTimer.singleShot(int(duration_s * 1000), self.quit)
        if on_ready is not None:
            self._loop.call_soon(on_ready)
        with self._loop:
            self._loop.run_forever()
        return 0


def current_app() -> DemoApp | None:
    """The running DemoApp, for the agent and its workloads."""
    return _current


def get_event_bus() -> EventBus | None:
    return _current.bus if _current else None


def get_canvas() -> NodeCanvasView | None:
    return _current.canvas if _current else None


def get_job_queue() -> JobQueue | None:
    return _current.job_queue if _current else None


def get_workflow_runner() -> WorkflowRunner | None:
    return _current.runner if _current else None


PLANTED_FAULTS = (
    "AutosaveHandler.on_graph_changed raises RuntimeError on every 25th graph event",
    "BreakpointBadge.on_node_moved raises AttributeError on every node_moved event",
    "NodeCanvasView keeps every deleted node (with its 32 KiB preview) in _undo_stack",
    "NodeCanvasView.drawForeground spends 0.5 ms per node once the canvas has 40 or more",
)


def log_planted_faults() -> None:
    """Say up front which failures are deliberate, so nobody mistakes them for bugs."""
    for fault in PLANTED_FAULTS:
        logger.warning("%s: %s", PLANTED, fault)


def print_ready() -> None:
    """The line launchers wait for: the PID and "ready", once the window is up and the loop runs."""
    print(f"demo pid={os.getpid()} ready", flush=True)
