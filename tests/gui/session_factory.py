"""Sessions filled with realistic records, findings and samples, for GUI tests and demos.

Follows inspector/core/records.py (the agent's record kinds) and the sampling store's layout,
so the views are exercised on the same shapes the live agent and py-spy produce.
"""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

from analyzers.findings import ChainStep, Evidence, Finding, Priority
from inspector.core.session import Session
from inspector.sampling.chrometrace import Frame, StackRun
from inspector.sampling.store import SampleWriter

ENGINE_PY = textwrap.dedent(
    '''\
    """Workflow engine of the fixture target."""

    import asyncio
    import time


    class WorkflowEngine:
        """Runs nodes one after another."""

        def __init__(self, bus):
            self.bus = bus
            self.results = []

        async def run(self, nodes):
            for node in nodes:
                await self.execute(node)
                self.bus.publish("NODE_EXECUTED", node)

        async def execute(self, node):
            started = time.perf_counter()
            time.sleep(0.05)  # blocks the event loop: the finding points here
            self.results.append((node, time.perf_counter() - started))
            return node


    def load_config(path):
        with open(path) as fh:
            return fh.read()
    '''
)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


BLOCKING_LINE = _line_of(ENGINE_PY, "time.sleep(0.05)")
RUN_LINE = _line_of(ENGINE_PY, "async def run")
EXECUTE_LINE = _line_of(ENGINE_PY, "async def execute")
CONFIG_LINE = _line_of(ENGINE_PY, "return fh.read()")

CANVAS_PY = textwrap.dedent(
    '''\
    """Canvas of the fixture target."""


    class Canvas:
        def paintEvent(self, event):
            for item in self.items:
                item.paint()

        def on_node_added(self, node):
            self.items.append(node)
            self.viewport().update()  # full repaint per node
    '''
)
CANVAS_LINE = _line_of(CANVAS_PY, "viewport().update()")
PAINT_LINE = _line_of(CANVAS_PY, "item.paint()")

EVENTS = ("NODE_ADDED", "SELECTION_CHANGED", "WORKFLOW_STARTED", "VARIABLE_SET", "NODE_EXECUTED")
HANDLERS = (
    ("NODE_ADDED", "app.canvas.Canvas.on_node_added", "app/canvas.py", CANVAS_LINE - 1),
    ("SELECTION_CHANGED", "app.panels.PropertiesPanel.refresh", "app/panels.py", 40),
    ("NODE_EXECUTED", "app.engine.WorkflowEngine.run", "app/engine.py", RUN_LINE),
    ("VARIABLE_SET", "app.panels.VariablesPanel.on_set", "app/panels.py", 88),
)


def write_source_tree(root: Path) -> Path:
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "engine.py").write_text(ENGINE_PY)
    (root / "app" / "canvas.py").write_text(CANVAS_PY)
    return root


def make_findings() -> list[Finding]:
    return [
        Finding(
            rule="blocking-call-in-async",
            area=1,
            path="app/engine.py",
            line=BLOCKING_LINE,
            symbol="WorkflowEngine.execute",
            title="Blocking sleep inside a coroutine",
            message="time.sleep() in async def execute blocks the qasync event loop",
            root_cause="time.sleep holds the thread; with qasync the Qt GUI freezes meanwhile.",
            recommendation="Await asyncio.sleep, or move blocking work to a thread.",
            example_before="time.sleep(0.05)",
            example_after="await asyncio.sleep(0.05)",
            priority=Priority(8, 9, 2, "measured", "py-spy: 31% of loop-thread samples"),
            kind="static",
            chain=(
                ChainStep("app/engine.py", RUN_LINE, "WorkflowEngine.run", "awaits execute"),
                ChainStep("app/engine.py", EXECUTE_LINE, "WorkflowEngine.execute", "sleeps"),
            ),
            evidence=(
                Evidence(
                    "py-spy",
                    "31% of loop-thread samples on this line (2.4 s of 7.7 s)",
                    {"share": 0.31, "seconds": 2.4},
                ),
            ),
        ),
        Finding(
            rule="full-viewport-update",
            area=4,
            path="app/canvas.py",
            line=CANVAS_LINE,
            symbol="Canvas.on_node_added",
            title="Full viewport repaint per node",
            message="viewport().update() repaints the whole canvas for every added node",
            root_cause="Each update() without a rect invalidates the whole viewport.",
            recommendation="Update only the item's bounding rect, or batch with a timer.",
            priority=Priority(6, 7, 3),
            kind="static",
        ),
        Finding(
            rule="slow-event-handler",
            area=9,
            path="app/panels.py",
            line=40,
            symbol="PropertiesPanel.refresh",
            message="handler PropertiesPanel.refresh p95 38 ms on SELECTION_CHANGED",
            priority=Priority(5, 8, 4, "measured", "agent: 1,204 calls"),
            kind="dynamic",
            evidence=(Evidence("agent", "p95 38.2 ms over 1,204 calls", {"p95_ms": 38.2}),),
        ),
        Finding(
            rule="open-without-encoding",
            area=10,
            path="app/engine.py",
            line=CONFIG_LINE - 1,
            symbol="load_config",
            message="open() without encoding in load_config",
            priority=Priority(2, 2, 1),
            kind="static",
        ),
    ]


def make_records(t0: float, seconds: float, seed: int = 1, step: float = 0.25) -> list[dict]:
    """Records as the agent would flush them every `step` seconds for `seconds`."""
    rnd = random.Random(seed)
    out: list[dict] = [
        {
            "t": t0,
            "kind": "agent",
            "event": "hello",
            "detail": "fixture",
            "python": "3.12",
            "hooks": ["bus", "repaint", "pool", "loop"],
        }
    ]
    rss = 180e6
    n = int(seconds / step)
    for i in range(1, n + 1):
        t = t0 + i * step
        burst = 3.0 if (i // 20) % 3 == 1 else 1.0  # a busy stretch every 15 s
        events = {e: rnd.randint(0, int(12 * burst)) for e in EVENTS}
        out.append(
            {
                "t": t,
                "kind": "bus",
                "bus": "EventBus",
                "events": events,
                "subscribers": {e: 1 + k for k, e in enumerate(EVENTS)},
                "history": 1000,
                "interval_s": step,
            }
        )
        for event, handler, file, line in HANDLERS:
            count = events.get(event, 0)
            if count:
                ms = [
                    round(rnd.lognormvariate(1.2 if "refresh" not in handler else 2.8, 0.6), 2)
                    for _ in range(min(count, 32))
                ]
                out.append(
                    {
                        "t": t,
                        "kind": "handler",
                        "bus": "EventBus",
                        "event": event,
                        "handler": handler,
                        "file": file,
                        "line": line,
                        "count": count,
                        "errors": 0,
                        "durations_ms": ms,
                        "max_ms": max(ms),
                    }
                )
        paints = rnd.randint(4, int(14 * burst))
        out.append(
            {
                "t": t,
                "kind": "repaint",
                "widget_class": "NodeGraphView",
                "object_name": "canvas",
                "paints": paints,
                "update_requests": paints + 3,
                "paint_ms": [round(rnd.gauss(9 * burst, 2.5), 2) for _ in range(paints)],
                "area_px": 1920 * 1080,
                "full_updates": paints,
                "partial_updates": 0,
                "is_canvas": True,
            }
        )
        out.append(
            {
                "t": t,
                "kind": "repaint",
                "widget_class": "PropertiesPanel",
                "object_name": "properties",
                "paints": rnd.randint(0, 3),
                "update_requests": 2,
                "paint_ms": [round(rnd.uniform(0.4, 2.0), 2)],
                "area_px": 300 * 800,
                "full_updates": 0,
                "partial_updates": 1,
                "is_canvas": False,
            }
        )
        for pool, pid, size in (("DatabasePool", "db1", 10), ("HttpSessionPool", "http1", 20)):
            in_use = min(size, int(rnd.uniform(0, size * 0.6 * burst)))
            out.append(
                {
                    "t": t,
                    "kind": "pool",
                    "pool": pool,
                    "pool_id": pid,
                    "size": size,
                    "in_use": in_use,
                    "idle": size - in_use,
                    "waiters": max(0, int(rnd.gauss(burst - 1, 1))),
                    "acquires": rnd.randint(0, 8),
                    "releases": rnd.randint(0, 8),
                    "wait_ms": [round(rnd.expovariate(1 / (2 * burst)), 2) for _ in range(4)],
                    "created": 0,
                    "closed": 0,
                    "evicted": 0,
                }
            )
        lag = [round(abs(rnd.gauss(2 * burst, 1.5)), 2) for _ in range(5)]
        out.append(
            {
                "t": t,
                "kind": "loop_lag",
                "lag_ms": lag,
                "max_ms": max(lag),
                "tasks": 12,
                "loop": "qasync",
            }
        )
        if i % 9 == 0:
            out.append(
                {
                    "t": t,
                    "kind": "slow_callback",
                    "duration_ms": round(rnd.uniform(55, 140) * burst, 1),
                    "callable": "WorkflowEngine.execute",
                    "file": "app/engine.py",
                    "line": BLOCKING_LINE,
                    "task": "Task-7",
                    "source": "asyncio",
                    "stack": [
                        f"app/engine.py:{RUN_LINE + 2} WorkflowEngine.run",
                        f"app/engine.py:{BLOCKING_LINE} WorkflowEngine.execute",
                    ],
                }
            )
        if i % 4 == 0:
            rss += rnd.uniform(0, 0.6e6) * burst
            out.append(
                {
                    "t": t,
                    "kind": "memory",
                    "rss_bytes": int(rss),
                    "gc_counts": [rnd.randint(0, 700), rnd.randint(0, 10), i // 40],
                    "gc_pause_ms": [round(rnd.uniform(0.1, 4.0), 2)],
                    "containers": {
                        "EventBus._history": min(1000, i * 3),
                        "WorkflowEngine.results": i * 2,
                        "Canvas.items": 40 + i // 8,
                    },
                }
            )
        if i % 40 == 0:
            out.append(
                {
                    "t": t,
                    "kind": "pool_leak",
                    "pool": "DatabasePool",
                    "pool_id": "db1",
                    "held_s": round(rnd.uniform(30, 90), 1),
                    "stack": [
                        f"app/engine.py:{RUN_LINE + 2} WorkflowEngine.run",
                        "app/nodes/db.py:31 QueryNode.execute",
                    ],
                }
            )
    return out


def add_samples(session: Session, source_root: Path, t0: float, seconds: float) -> int:
    """py-spy-like runs: the main thread mostly in the blocking sleep, some in paintEvent."""
    root = str(source_root)
    main = Frame("<module>", f"{root}/run.py", 3)
    loop = Frame("_run_once", "/usr/lib/python3.12/asyncio/base_events.py", 1922)
    run = Frame("WorkflowEngine.run", f"{root}/app/engine.py", RUN_LINE + 2)
    execute = Frame("WorkflowEngine.execute", f"{root}/app/engine.py", BLOCKING_LINE)
    paint = Frame("Canvas.paintEvent", f"{root}/app/canvas.py", PAINT_LINE)
    config = Frame("load_config", f"{root}/app/engine.py", CONFIG_LINE)
    stacks = [
        ((main, loop, run, execute), 0.45),
        ((main, paint), 0.30),
        ((main, loop, config), 0.10),
        ((main, loop, Frame("select", "/usr/lib/python3.12/selectors.py", 468)), 0.15),
    ]
    runs = []
    us, end = 0, int(seconds * 1e6)
    rnd = random.Random(3)
    while us < end:
        frames = rnd.choices([s for s, _ in stacks], [w for _, w in stacks])[0]
        dur = rnd.randint(10_000, 120_000)
        runs.append(
            StackRun(
                pid=4242, tid=1, thread="MainThread", start_us=us, end_us=us + dur, frames=frames
            )
        )
        us += dur
    writer = SampleWriter(session)
    n = writer.write(runs, t0)
    session.set_meta(sampling={"tool": "py-spy", "rate": 100, "rows": n, "error": None})
    return n


def build_session(
    path: Path, source_root: Path, seconds: float = 60.0, t0: float = 1.7e9, samples: bool = True
) -> Session:
    """A complete recorded session over a fixture source tree."""
    write_source_tree(source_root)
    session = Session.create(
        path,
        profile="generic",
        source_root=str(source_root),
        target={"pid": 4242, "command": ["python", "run.py"]},
    )
    session.append(make_records(t0, seconds))
    session.put_findings(make_findings())
    if samples:
        add_samples(session, source_root, t0, seconds)
    return session
