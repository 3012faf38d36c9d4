"""The demo app built in-process: the canvas paints, the workload drives every service."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QObject

from inspector.demo.app import DemoApp, current_app, get_event_bus
from inspector.demo.canvas import VIEWPORT_OBJECT_NAME
from inspector.demo.event_bus import NODE_MOVED, EventBus
from inspector.demo.job_queue import Job, JobQueue, Robot
from inspector.demo.pool import ConnectionPool, PoolExhaustedError


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


@pytest.fixture
def demo(qtbot) -> Iterator[DemoApp]:
    app = DemoApp(nodes=16, workload=False)
    qtbot.addWidget(app.window)
    yield app
    app._workload_timer.stop()
    app._loop.close()
    asyncio.set_event_loop(None)


def test_window_shows_the_canvas_and_repaints_when_a_node_moves(demo, qtbot, tmp_path) -> None:
    demo.start()
    qtbot.waitExposed(demo.window)
    viewport = demo.canvas.viewport()
    assert viewport.objectName() == VIEWPORT_OBJECT_NAME
    assert type(viewport).__name__ == "QWidget"
    counter = PaintCounter()
    viewport.installEventFilter(counter)
    demo.canvas.all_nodes()[0].moveBy(30, 0)
    qtbot.waitUntil(lambda: counter.paints > 0, timeout=5000)
    assert len(demo.canvas.all_nodes()) == 16
    assert len(demo.canvas.all_pipes()) == 15
    shot = tmp_path / "demo.png"
    assert demo.window.grab().save(str(shot))
    assert shot.stat().st_size > 1000
    assert current_app() is demo and get_event_bus() is demo.bus


def test_workload_ticks_publish_events_and_feed_the_job_queue(demo) -> None:
    for _ in range(40):
        demo._workload_tick()
    assert demo.activity.counts[NODE_MOVED] == 40
    assert demo.autosave.calls >= 40
    stats = demo.job_queue.get_queue_stats()
    # Deliberate defect: completed jobs stay in _jobs.
    assert stats["known"] == 60 and stats["pending"] < stats["known"]
    demo.quit()
    demo._loop.run_forever()  # runs the shutdown task, which stops the loop
    assert not demo._tasks


def test_bus_history_is_capped_and_a_raising_handler_does_not_stop_the_others() -> None:
    bus = EventBus(max_history=10)
    seen: list[str] = []

    def bad(event) -> None:
        raise ValueError("boom")

    bus.subscribe("x", bad)
    bus.subscribe("x", lambda e: seen.append(e.event_type))
    for i in range(25):
        bus.emit("x", {"i": i})
    assert len(seen) == 25
    assert len(bus.get_history()) == 10 and bus.get_history()[0].data == {"i": 15}


def test_pool_bounds_connections_and_times_out_when_exhausted() -> None:
    async def scenario() -> dict:
        pool = ConnectionPool(max_size=2, health_check_s=0)
        a, b = await pool.acquire(), await pool.acquire()
        with pytest.raises(PoolExhaustedError):
            await pool.acquire(timeout=0.05)
        waiter = asyncio.ensure_future(pool.acquire(timeout=2))
        await asyncio.sleep(0.01)
        assert pool.get_stats()["waiters"] == 1
        await pool.release(a)
        c = await waiter
        assert c is a
        await pool.release(b)
        await pool.release(c)
        return pool.get_stats()

    stats = asyncio.run(scenario())
    assert stats["size"] == 2 and stats["in_use"] == 0 and stats["idle"] == 2


def test_job_queue_gives_robots_only_jobs_of_their_environment_by_priority() -> None:
    queue = JobQueue()
    queue.enqueue(Job("a", environment="prod", priority=1))
    queue.enqueue(Job("b", environment="test", priority=5))
    queue.enqueue(Job("c", environment="prod", priority=3))
    job = queue.dequeue(Robot("r1", environment="prod"))
    assert job is not None and job.workflow == "c"
    queue.complete(job.job_id)
    assert queue.dequeue(Robot("r2", environment="dev")) is None
    assert queue.get_queue_stats() == {"pending": 2, "known": 3}


def test_long_painting_does_not_exhaust_none_refcount(qtbot) -> None:
    """PySide6 6.12 on Python 3.11 drops a None reference per void call; the demo guards it."""
    import sys

    from PySide6.QtGui import QImage, QPainter

    import inspector.demo.app  # noqa: F401  (importing the app installs the guard)

    image = QImage(64, 64, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    for _ in range(20_000):
        painter.drawLine(1, 2, 3, 4)
    painter.end()
    assert sys.getrefcount(None) > 10_000
