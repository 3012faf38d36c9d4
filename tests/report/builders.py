"""Findings, records and sessions for the report tests and the report benchmark.

Findings name lines of tests/data/report_tree by marker comments (`# MARK:<name>`), so a
test that checks "this link points at that line" never depends on a hard-coded number.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from analyzers.findings import ChainStep, Evidence, Finding, Priority
from inspector.core.session import Session

TREE = Path(__file__).resolve().parents[1] / "data" / "report_tree"


def line_of(relpath: str, mark: str, root: Path = TREE) -> int:
    for number, text in enumerate((root / relpath).read_text().splitlines(), 1):
        if f"# MARK:{mark}" in text:
            return number
    raise LookupError(f"no MARK:{mark} in {relpath}")


def finding(relpath: str, mark: str, **kw: Any) -> Finding:
    line = line_of(relpath, mark)
    base: dict[str, Any] = dict(
        rule="T100",
        area=1,
        path=relpath,
        line=line,
        message=f"{mark.replace('-', ' ')}.",
        priority=Priority(5, 5, 5),
        title=mark.replace("-", " ").capitalize(),
        root_cause="Root cause text.",
        recommendation="Change this to that.",
        symbol="",
    )
    base.update(kw)
    return Finding(**base)


ENGINE = "src/app/orchestrator/engine.py"
CANVAS = "src/app/canvas/graph_widget.py"
POOL = "src/app/pooling/browser_pool.py"
EXECUTOR = "src/app/parallel/executor.py"
BUS = "src/app/events/event_bus.py"
FUZZY = "src/app/utils/fuzzy.py"


def fixture_findings() -> list[Finding]:
    """A realistic spread: every severity, a call chain, measured priority, a conflict."""
    handler_line = line_of(BUS, "blocking-handler")
    return [
        finding(
            ENGINE,
            "thread-lock-in-async",
            rule="T101",
            area=1,
            symbol="JobEngine.submit",
            priority=Priority(7, 6, 3),
            tags=("async",),
            title="threading.Lock held in a coroutine",
            recommendation="Replace threading.Lock with asyncio.Lock in JobEngine.",
            example_before="with self._lock:\n    ...",
            example_after="async with self._alock:\n    ...",
        ),
        finding(
            ENGINE,
            "linear-dequeue",
            rule="T102",
            area=1,
            symbol="JobEngine.dequeue",
            priority=Priority(4, 5, 4),
            tags=("algorithmic",),
        ),
        finding(
            CANVAS,
            "full-viewport-update",
            rule="T401",
            area=4,
            symbol="GraphWidget.on_node_moved",
            priority=Priority(6, 8, 4),
            tags=("excessive-repaint",),
        ),
        finding(
            CANVAS,
            "minimap-every-tick",
            rule="T402",
            area=4,
            symbol="GraphWidget.minimap_tick",
            priority=Priority(3, 3, 2),
        ),
        finding(
            POOL,
            "pool-oversized",
            rule="T501",
            area=5,
            symbol="BrowserPool.__init__",
            priority=Priority(4, 2, 2),
            tags=("pooling", "pool-oversized"),
            recommendation="Shrink max_size from 10 to the measured peak.",
        ),
        finding(
            POOL,
            "lock-held-across-await",
            rule="T502",
            area=5,
            symbol="BrowserPool.acquire",
            priority=Priority(6, 7, 5),
            tags=("async", "pooling"),
        ),
        finding(
            EXECUTOR,
            "hardcoded-concurrency",
            rule="T601",
            area=6,
            symbol="ParallelExecutor.__init__",
            priority=Priority(5, 5, 2),
            tags=("hardcoded-concurrency",),
            recommendation="Raise max_concurrency from 4 and make it configurable.",
        ),
        finding(
            EXECUTOR,
            "unbounded-gather",
            rule="T602",
            area=6,
            symbol="ParallelExecutor.run_all",
            priority=Priority(7, 4, 8),
            tags=("async",),
        ),
        finding(
            BUS,
            "unbounded-history",
            rule="T901",
            area=9,
            symbol="EventBus.publish",
            priority=Priority(5, 9, 2),
            tags=("memory", "event-history"),
        ),
        finding(
            BUS,
            "blocking-handler",
            rule="T902",
            area=9,
            symbol="WorkflowController.on_node_executed",
            priority=Priority(
                9, 8, 3, source="measured", basis="py-spy: 31% of loop-thread samples"
            ),
            tags=("async",),
            title="Blocking sleep in an event-bus handler",
            chain=(
                ChainStep(
                    BUS,
                    line_of(BUS, "unbounded-history") + 2,
                    "EventBus.publish",
                    "dispatches synchronously",
                ),
                ChainStep(
                    BUS, handler_line, "WorkflowController.on_node_executed", "time.sleep(0.2)"
                ),
            ),
            example_before="time.sleep(0.2)",
            example_after="await asyncio.sleep(0.2)",
        ).with_evidence(
            Evidence("py-spy", "31% of loop-thread samples in time.sleep", {"share": 0.31})
        ),
        finding(
            FUZZY,
            "quadratic-search",
            rule="T1001",
            area=10,
            symbol="search",
            priority=Priority(6, 4, 6),
            tags=("algorithmic",),
        ),
    ]


def fixture_records(t0: float, source_root: Path, seconds: int = 20) -> list[dict[str, Any]]:
    """Agent records at 4 Hz; the slow handler fires every 5 s with loop lag and a stalled
    canvas in the same interval, the shape of an area-9 cause with area-4 symptoms."""
    rng = random.Random(7)
    bus_file = str(source_root / BUS)
    handler_line = line_of(BUS, "blocking-handler")
    out: list[dict[str, Any]] = [
        {
            "t": t0,
            "kind": "agent",
            "event": "hello",
            "python": "3.12.3",
            "hooks": ["bus", "repaint"],
        }
    ]
    for i in range(seconds * 4):
        t = t0 + (i + 1) * 0.25
        slow = i % 20 == 10
        out.append(
            {
                "t": t,
                "kind": "bus",
                "bus": "EventBus",
                "interval_s": 0.25,
                "events": {"NODE_EXECUTED": 12 + rng.randint(0, 4), "VARIABLE_SET": 3},
                "subscribers": {"NODE_EXECUTED": 7, "VARIABLE_SET": 2},
                "history": 500 + i * 15,
            }
        )
        out.append(
            {
                "t": t,
                "kind": "handler",
                "bus": "EventBus",
                "event": "NODE_EXECUTED",
                "handler": "MinimapController.on_node_executed",
                "file": str(source_root / CANVAS),
                "line": 8,
                "count": 12,
                "errors": 0,
                "durations_ms": [rng.uniform(0.2, 1.5) for _ in range(12)],
                "max_ms": 1.5,
            }
        )
        if slow:
            out.append(
                {
                    "t": t,
                    "kind": "handler",
                    "bus": "EventBus",
                    "event": "NODE_EXECUTED",
                    "handler": "WorkflowController.on_node_executed",
                    "file": bus_file,
                    "line": handler_line,
                    "count": 1,
                    "errors": 0,
                    "durations_ms": [201.0],
                    "max_ms": 201.0,
                }
            )
            out.append(
                {
                    "t": t,
                    "kind": "slow_callback",
                    "duration_ms": 201.0,
                    "callable": "WorkflowController.on_node_executed",
                    "file": bus_file,
                    "line": handler_line,
                    "task": "",
                    "source": "qt-event",
                }
            )
        lag = [rng.uniform(0.5, 4.0) for _ in range(8)] + ([190.0] if slow else [])
        out.append(
            {
                "t": t,
                "kind": "loop_lag",
                "lag_ms": lag,
                "max_ms": max(lag),
                "tasks": 14,
                "loop": "qasync",
            }
        )
        out.append(
            {
                "t": t,
                "kind": "repaint",
                "widget_class": "GraphWidget",
                "object_name": "canvas",
                "paints": 2 if slow else 15,
                "update_requests": 18 if slow else 15,
                "paint_ms": [rng.uniform(2.0, 9.0) for _ in range(15)] + ([41.0] if slow else []),
                "area_px": 1_500_000,
                "full_updates": 15,
                "partial_updates": 0,
                "is_canvas": True,
            }
        )
        out.append(
            {
                "t": t,
                "kind": "pool",
                "pool": "app.pooling.BrowserPool",
                "pool_id": "p1",
                "size": 10,
                "in_use": 2 + (i % 3),
                "idle": 8 - (i % 3),
                "waiters": 0,
                "acquires": 3,
                "releases": 3,
                "wait_ms": [rng.uniform(0.1, 0.8) for _ in range(3)],
                "created": 0,
                "closed": 0,
                "evicted": 0,
            }
        )
        if i % 4 == 0:
            out.append(
                {
                    "t": t,
                    "kind": "memory",
                    "rss_bytes": 180_000_000 + i * 400_000,
                    "gc_counts": [700, 10, 1],
                    "gc_pause_ms": [0.4, 1.2],
                    "containers": {"EventBus._history": 500 + i * 15},
                }
            )
    out.append(
        {
            "t": t0 + seconds,
            "kind": "tracemalloc",
            "top": [
                {
                    "file": bus_file,
                    "line": line_of(BUS, "unbounded-history"),
                    "size_diff": 2_400_000,
                    "count_diff": 30_000,
                }
            ],
        }
    )
    out.append(
        {
            "t": t0 + seconds,
            "kind": "workload",
            "name": "event_storm",
            "params": {"events": 10000},
            "status": "ok",
            "reason": "",
            "results": {"events_per_s": 4100.0, "handler_p95_ms": 1.4, "elapsed_s": 2.5},
        }
    )
    out.append(pools_workload(t0 + seconds))
    return out


def _cell(p50: float, spread: float = 0.0) -> dict[str, float]:
    return {"p50": p50, "min": p50 - spread, "max": p50 + spread}


def pools_workload(t: float) -> dict[str, Any]:
    """A pools sweep: throughput flattens at size 4 while waits keep falling a little."""
    curve = [
        (1, 95.0, 520.0),
        (2, 185.0, 260.0),
        (4, 360.0, 25.0),
        (8, 368.0, 11.0),
        (16, 366.0, 9.0),
    ]
    points = [
        {
            "size": size,
            "throughput_rps": _cell(tput, 6.0),
            "wait_ms_p50": _cell(p95 / 4),
            "wait_ms_p95": _cell(p95),
            "exhausted": _cell(50.0 / size),
            "timeouts": _cell(0.0),
        }
        for size, tput, p95 in curve
    ]
    return {
        "t": t,
        "kind": "workload",
        "name": "pools",
        "params": {"sizes": [1, 2, 4, 8, 16]},
        "status": "ok",
        "reason": "",
        "results": {
            "elapsed_s": 3.0,
            "clients": 16,
            "service": {"service_ms": 5.0, "capacity": 4},
            "pools": [
                {
                    "pool": "browser",
                    "class": "app.pooling.BrowserPool",
                    "status": "ok",
                    "default_size": 10,
                    "points": points,
                }
            ],
        },
    }


def make_session(
    path: Path,
    source_root: Path = TREE,
    findings: list[Finding] | None = None,
    records: list[dict[str, Any]] | None = None,
    t0: float = 1_700_000_000.0,
    meta: dict[str, Any] | None = None,
) -> Session:
    """A recorded session that ended normally; `meta` overrides (e.g. `ended=None` for one
    the inspector never closed)."""
    fields: dict[str, Any] = {
        "target": "report-fixture",
        "profile": "demo",
        "source_root": str(source_root),
        "started": t0,
        "ended": t0 + 20.5,
        "end_reason": "duration reached",
        "audit": {
            "files": 6,
            "lines": 90,
            "elapsed_s": 0.2,
            "errors": [["src/app/broken.py", "line 3: invalid syntax"]],
        },
    }
    fields.update(meta or {})
    session = Session.create(path, **fields)
    session.put_findings(fixture_findings() if findings is None else findings)
    session.append(fixture_records(t0, source_root) if records is None else records)
    return session


def synthetic_findings(n: int, seed: int = 1) -> list[Finding]:
    """`n` findings over all areas, ~60 rules and ~200 files (paths need not exist)."""
    rng = random.Random(seed)
    tags_pool = [("async",), ("memory",), ("pooling",), ("algorithmic",), ("async", "memory"), ()]
    out = []
    for i in range(n):
        area = i % 10 + 1
        rule = f"S{area}{i % 6:02d}"
        chain = ()
        if i % 7 == 0:
            chain = (
                ChainStep(f"src/pkg/a{area}/caller.py", 10 + i % 50, "Caller.run"),
                ChainStep("src/pkg/shared/io.py", 5 + i % 3, "read_blocking"),
            )
        f = Finding(
            rule=rule,
            area=area,
            path=f"src/pkg/a{area}/m{i % 20}.py",
            line=1 + (i * 7) % 400,
            message=f"synthetic finding {i}.",
            priority=Priority(rng.randint(1, 10), rng.randint(1, 10), rng.randint(1, 10)),
            symbol=f"C{i % 13}.f{i}",
            title=f"Pattern {rule}",
            root_cause="Synthetic root cause.",
            recommendation="Synthetic recommendation; do X instead of Y.",
            example_before="x = slow()",
            example_after="x = await fast()",
            tags=tags_pool[i % len(tags_pool)],
            chain=chain,
        )
        if i % 11 == 0:
            f = f.with_evidence(
                Evidence("py-spy", f"{i % 30}% of samples", {"share": (i % 30) / 100})
            )
        out.append(f)
    return out


# -- recorded sessions with the shapes the report must describe truthfully -------------------

T0 = 1_700_000_000.0


def failed_pools_records(t0: float = T0) -> list[dict[str, Any]]:
    """The pools workload ran from 10 s, drove pool instances of its own (records marked
    with its label), then failed; two bus handlers raised on every call meanwhile."""
    out = [r for r in fixture_records(t0, TREE) if r["kind"] != "workload"]
    for rec in out:
        if rec["kind"] == "pool":  # the app's own pool saw nothing
            rec.update(acquires=0, releases=0, wait_ms=[], in_use=0, source="app")
    label = "workload:pools#1"
    for i in range(8):
        out.append(
            {
                "t": t0 + 10 + i,
                "kind": "pool",
                "pool": "app.pooling.BrowserPool",
                "pool_id": f"sweep-{i}",
                "size": 16,
                "in_use": 16,
                "idle": 0,
                "waiters": 1,
                "acquires": 40,
                "releases": 40,
                "wait_ms": [3.0, 4.0],
                "created": 16,
                "closed": 16,
                "evicted": 0,
                "source": label,
            }
        )
        out.append(
            {
                "t": t0 + 10 + i,
                "kind": "handler",
                "bus": "EventBus",
                "event": "NODE_ADDED",
                "handler": "ExecutionController.on_node_added",
                "file": str(TREE / BUS),
                "line": 4,
                "count": 3,
                "errors": 3,
                "durations_ms": [0.3, 0.4, 0.2],
                "max_ms": 0.4,
                "source": "app",
                **(
                    {
                        "first_error": {
                            "type": "AttributeError",
                            "message": "'NoneType' object has no attribute 'id'",
                        }
                    }
                    if i == 0
                    else {}
                ),
            }
        )
    out.append(
        {
            "t": t0 + 12,
            "kind": "exception",
            "origin": "slot",
            "type": "KeyError",
            "handler": "GraphWidget.on_node_moved",
            "file": str(TREE / CANVAS),
            "line": 5,
            "count": 2,
            "first_error": {"type": "KeyError", "message": "'node-7'"},
            "source": "app",
        }
    )
    out.append(
        {
            "t": t0 + 18.5,
            "kind": "workload",
            "name": "pools",
            "params": {"sizes": [1, 2, 4, 8, 16]},
            "status": "failed",
            "reason": "the database service did not start",
            "results": {"elapsed_s": 8.5},
        }
    )
    return out


def workload_only_records(t0: float = T0) -> list[dict[str, Any]]:
    """A canvas workload drove every paint, bus event and handler call; the app idled."""
    label = "workload:canvas#1"
    out = fixture_records(t0, TREE)
    out = [r for r in out if r["kind"] not in ("workload", "pool")]
    for rec in out:
        if rec["kind"] in ("bus", "handler", "repaint", "memory", "loop_lag"):
            rec["source"] = label
    out.append(
        {
            "t": t0 + 20,
            "kind": "workload",
            "name": "canvas",
            "params": {"nodes": 100},
            "status": "ok",
            "reason": "",
            "results": {"elapsed_s": 20.0, "nodes_created": 100},
        }
    )
    return out


def session_variants(folder: Path) -> dict[str, Path]:
    """Recorded sessions, one per shape: complete, cut short (no end mark), a failed
    workload with handler exceptions, workload-only, and one with py-spy samples."""
    from inspector.sampling.chrometrace import Frame, StackRun
    from inspector.sampling.store import SampleWriter

    paths = {name: folder / f"{name}.session" for name in SESSION_SHAPES}
    make_session(paths["complete"]).close()
    make_session(paths["cut_short"], meta={"ended": None, "end_reason": None}).close()
    make_session(paths["failed_workload"], records=failed_pools_records()).close()
    make_session(paths["workload_only"], records=workload_only_records()).close()
    with make_session(
        paths["sampled"],
        meta={"sampling": {"tool": "py-spy", "rate": 100, "idle": True, "started": T0}},
    ) as session:
        hot = Frame("search", str(TREE / FUZZY), line_of(FUZZY, "quadratic-search"))
        wait = Frame("select", "/usr/lib/python3.12/selectors.py", 468)
        main = Frame("main", str(TREE / "src/app/__main__.py"), 3)
        ours = Frame("flush", "/site/inspector/agent/runtime.py", 10)
        runs = (
            [
                StackRun(1, 1, "MainThread", i * 10_000, (i + 1) * 10_000, (main, hot))
                for i in range(50)
            ]
            + [
                StackRun(1, 1, "MainThread", (50 + i) * 10_000, (51 + i) * 10_000, (main, ours))
                for i in range(20)
            ]
            + [
                StackRun(1, 2, "Worker", i * 10_000, (i + 1) * 10_000, (main, wait))
                for i in range(400)
            ]
        )
        SampleWriter(session).write(runs, t0=T0 + 1)
    return paths


SESSION_SHAPES = ("complete", "cut_short", "failed_workload", "workload_only", "sampled")
