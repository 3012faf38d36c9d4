"""The demo's planted faults show up in the agent's records with the right line and number.

Each test runs the real agent probes in-process on the demo app (no socket: records stay in
the agent's buffer), makes the planted fault happen, flushes, and pins what the records say:
the raising handler's exceptions, the viewport paint that is over a frame's budget, and the
memory that deleted nodes leave behind.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

import inspector.demo.app as demo_app
import inspector.demo.canvas as demo_canvas
from inspector.agent import provenance
from inspector.agent.runtime import Agent
from inspector.agent.workloads import run_workload
from inspector.demo.app import BreakpointBadge, DemoApp
from inspector.demo.canvas import NodeCanvasView
from inspector.demo.event_bus import NODE_MOVED

ROOT = Path(__file__).resolve().parents[2]
PROFILE = tomllib.loads((ROOT / "resources/profiles/demo.toml").read_text())


def _line_of(module: Any, text: str) -> int:
    lines = Path(module.__file__).read_text().splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if text in line]
    assert len(hits) == 1, (text, hits)
    return hits[0]


@pytest.fixture
def demo(qtbot) -> Iterator[DemoApp]:
    app = DemoApp(nodes=6, workload=False)
    qtbot.addWidget(app.window)
    app.start()
    qtbot.waitExposed(app.window)
    yield app
    app._loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def agent(demo) -> Iterator[Agent]:
    probes = dict(PROFILE["probes"])
    probes["repaint"] = {**probes["repaint"], "bursts": False}
    agent = Agent({"probes": probes, "workloads": PROFILE["workloads"], "mode": "launch"})
    agent._install()
    yield agent
    agent._cleanup()


def _records(agent: Agent, kind: str) -> list[dict[str, Any]]:
    agent.flush()  # no transport: the records stay in the buffer
    return [r for r in agent.buffer if r.get("kind") == kind]


def test_a_handler_that_raises_on_every_call_is_counted_with_its_line_and_traceback(
    demo, agent
) -> None:
    for i in range(7):
        demo.bus.emit(NODE_MOVED, {"x": i}, node_id=f"node-{i}")
    handlers = [
        r
        for r in _records(agent, "handler")
        if r["handler"].endswith("BreakpointBadge.on_node_moved")
    ]
    assert [(r["count"], r["errors"], r["source"]) for r in handlers] == [(7, 7, "app")]
    record = handlers[0]
    assert record["error_types"] == {"AttributeError": 7}
    assert record["file"] == demo_app.__file__
    assert record["line"] == inspect.getsourcelines(BreakpointBadge.on_node_moved)[1]
    first = record["first_error"]
    assert first["type"] == "AttributeError"
    assert first["file"] == demo_app.__file__
    assert first["line"] == _line_of(demo_app, 'has no breakpoint badge ({PLANTED})")')
    assert "planted fault" in first["message"]
    assert first["traceback"].startswith("Traceback") and "on_node_moved" in first["traceback"]
    # The first traceback rides on one record only; later ones keep counting.
    demo.bus.emit(NODE_MOVED, {"x": 0}, node_id="node-0")
    again = [r for r in _records(agent, "handler") if r["handler"].endswith("on_node_moved")][-1]
    assert (again["errors"], "first_error" in again) == (1, False)


def test_publications_made_by_a_workload_are_marked_as_ours(demo, agent) -> None:
    demo.bus.emit(NODE_MOVED, {"x": 1}, node_id="a")
    with provenance.as_workload("workload:event_bus#t1"):
        demo.bus.emit(NODE_MOVED, {"x": 2}, node_id="b")
        demo.bus.emit(NODE_MOVED, {"x": 3}, node_id="c")
    buses = {r["source"]: r["events"] for r in _records(agent, "bus")}
    assert buses == {"app": {"node_moved": 1}, "workload:event_bus#t1": {"node_moved": 2}}
    counts = {
        r["source"]: r["count"]
        for r in agent.buffer
        if r.get("kind") == "handler" and r["handler"].endswith("on_node_moved")
    }
    assert counts == {"app": 1, "workload:event_bus#t1": 2}


def test_an_over_budget_viewport_paint_is_timed_without_our_frame_in_it(demo, agent, qtbot) -> None:
    nodes = demo_canvas.OVERLAY_FROM_NODES + 4  # 44 nodes: >= 22 ms of planted overlay a paint
    for i in range(nodes - len(demo.canvas.all_nodes())):
        demo.canvas.create_node("demo.basic.StartNode", pos=(i * 10.0, 0.0))
    repaint = agent.probe("repaint")
    repaint.poll()  # posts the installation to the Qt thread
    qtbot.waitUntil(lambda: repaint._installed, timeout=5000)
    repaint.poll()  # locates the view's source (off the GUI thread in a live agent)
    _records(agent, "repaint")  # start a fresh interval
    agent.buffer.clear()
    for _ in range(3):
        demo.canvas.viewport().update()
        qtbot.wait(120)
    timed = [r for r in _records(agent, "repaint") if r["timed"]]
    assert [r["widget_class"] for r in timed] == ["NodeCanvasView.viewport"]
    record = timed[0]
    assert record["paints"] == 3 and len(record["paint_ms"]) == 3
    assert record["full_updates"] == 3 and record["partial_updates"] == 0
    assert min(record["paint_ms"]) >= nodes * demo_canvas.OVERLAY_MS_PER_NODE
    assert record["paint_clock"] == "posted_marker"
    assert record["viewport"]["update_mode"] == "FullViewportUpdate"
    assert record["viewport"]["viewport_class"] == "QWidget"
    assert record["viewport"]["opengl"] is False
    source = record["view_source"]
    assert source["file"] == demo_canvas.__file__
    assert source["line"] == inspect.getsourcelines(NodeCanvasView)[1]
    configures = {c["call"]: c["line"] for c in source["configures"]}
    assert configures["setViewportUpdateMode"] == _line_of(
        demo_canvas, "self.setViewportUpdateMode("
    )


def test_memory_kept_by_deleted_nodes_is_found_at_its_line_per_node(demo) -> None:
    records: list[dict[str, Any]] = []
    lock = threading.Lock()

    def emit(record: dict[str, Any]) -> None:
        with lock:
            records.append(record)
        if record["kind"] == "workload":
            demo._loop.call_soon_threadsafe(demo._loop.stop)

    params = {"nodes": 20, "repetitions": 1, "steps": 2, "tracemalloc": True}
    demo._loop.call_soon(run_workload, "canvas", params, PROFILE["workloads"], emit)
    QTimer.singleShot(120_000, demo._loop.stop)
    demo._loop.run_forever()
    final = [r for r in records if r["kind"] == "workload"]
    assert [r["status"] for r in final] == ["ok"], final
    after_delete = [
        r for r in records if r["kind"] == "tracemalloc" and r["phase"] == "after_delete"
    ]
    assert len(after_delete) == 1
    record = after_delete[0]
    assert (record["items"], record["base"], record["workload"]) == (20, "before_create", "canvas")
    preview_line = _line_of(demo_canvas, "node.preview = bytearray(PREVIEW_BYTES)")
    sites = [
        s for s in record["top"] if (s["file"], s["line"]) == (demo_canvas.__file__, preview_line)
    ]
    assert len(sites) == 1
    # per node two blocks, all still held: the bytearray object and its 32 KiB + NUL buffer
    assert sites[0]["count_diff"] == 2 * 20
    assert sites[0]["bytes_per_item"] == sys.getsizeof(bytearray(demo_canvas.PREVIEW_BYTES))
    assert len(demo.canvas._undo_stack) == 20


def _raising_slot() -> None:
    raise KeyError("slot fault")


@pytest.mark.qt_no_exception_capture
def test_an_exception_escaping_a_qt_slot_is_counted_at_the_slot_and_chained(
    demo, agent, qtbot
) -> None:
    chained: list[str] = []
    exceptions = agent.probe("exceptions")
    real_previous = exceptions._previous_hook  # pytest-qt's, here
    exceptions._previous_hook = lambda t, v, tb: chained.append(t.__name__)
    for _ in range(3):
        QTimer.singleShot(0, _raising_slot)
    qtbot.waitUntil(lambda: len(chained) == 3, timeout=5000)
    records = _records(agent, "exception")
    assert [(r["origin"], r["type"], r["count"]) for r in records] == [("slot", "KeyError", 3)]
    record = records[0]
    assert record["handler"] == f"{__name__}._raising_slot"
    assert (record["file"], record["line"]) == (__file__, _raising_slot.__code__.co_firstlineno)
    assert record["raised_line"] == _raising_slot.__code__.co_firstlineno + 1
    assert record["first_error"]["type"] == "KeyError"
    exceptions._previous_hook = real_previous
    agent._cleanup()
    assert sys.excepthook is real_previous  # put back exactly


def test_detaching_leaves_nothing_of_the_agent_behind(demo, qtbot) -> None:
    import gc
    import tracemalloc

    from PySide6.QtWidgets import QApplication

    from inspector.agent.runtime import STATE_KEY

    app = QApplication.instance()

    def state() -> dict[str, Any]:
        return {
            "meta_path": list(sys.meta_path),
            "gc_callbacks": list(gc.callbacks),
            "excepthook": sys.excepthook,
            "handle_run": asyncio.events.Handle.__dict__["_run"],
            "publish": type(demo.bus).__dict__["publish"],
            "threads": sorted(t.name for t in threading.enumerate()),
            "tracemalloc": tracemalloc.is_tracing(),
            "app_children": sorted(type(c).__name__ for c in app.children()),
            "agent_on_sys": hasattr(sys, STATE_KEY),
        }

    before = state()
    probes = dict(PROFILE["probes"])
    probes["repaint"] = {**probes["repaint"], "burst_every_s": 0.0, "burst_s": 0.05}
    agent = Agent({"probes": probes, "workloads": PROFILE["workloads"], "mode": "launch"})
    setattr(sys, STATE_KEY, agent)
    agent._install()
    agent.probe("memory").tracemalloc_start()
    repaint = agent.probe("repaint")
    repaint.poll()
    qtbot.waitUntil(lambda: repaint._installed, timeout=5000)
    repaint.poll()  # starts a burst: an application-wide filter for 50 ms
    demo.canvas.viewport().update()
    qtbot.wait(100)
    assert state() != before  # the agent really was hooked in
    agent._cleanup()
    qtbot.wait(50)  # deleteLater of the filters and markers runs on the GUI thread
    assert state() == before
