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
            "results": {"events_per_s": 4100.0, "handler_p95_ms": 1.4},
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
) -> Session:
    session = Session.create(
        path,
        target="report-fixture",
        profile="demo",
        source_root=str(source_root),
        audit={
            "files": 6,
            "lines": 90,
            "elapsed_s": 0.2,
            "errors": [["src/app/broken.py", "line 3: invalid syntax"]],
        },
    )
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
