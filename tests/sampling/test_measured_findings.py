"""Measured findings from the agent's records: repaint over budget, retained memory, handlers
that raise; provenance decides which rate a finding may call the app's. Constructed sessions
over a small source tree of our own, shaped like a Qt canvas app."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.core.session import Session
from inspector.sampling.measured_priority import measured_priority
from inspector.sampling.runtime_findings import (
    GROWTH_RULE,
    RAISES_RULE,
    REPAINT_RULE,
    RETAINED_RULE,
    configuring_lines,
    handler_error_findings,
    memory_growth_findings,
    repaint_findings,
    retained_memory_findings,
    runtime_findings,
)

VIEW_PY = """\
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtGui import QSurfaceFormat
from PySide6.QtWidgets import QGraphicsView


class GraphView(QGraphicsView):
    pass


def configure(view):
    view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
    view.setCacheMode(QGraphicsView.CacheMode.CacheBackground)
    fmt = QSurfaceFormat()
    fmt.setSamples(4)
    gl = QOpenGLWidget()
    gl.setFormat(fmt)
    view.setViewport(gl)
"""
CONTROLLER_PY = """\
class RunController:
    def on_node_event(self, event):
        return self.runner.state  # runner is None: AttributeError
"""
NODES_PY = """\
class ShapeNode:
    def __init__(self):
        self.cache = bytearray(500 * 1024)
"""
T0 = 1_700_000_000.0
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "{root}/ctl.py", line 3, in on_node_event\n'
    "    return self.runner.state\n"
    "AttributeError: 'NoneType' object has no attribute 'state'\n"
)


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "view.py").write_text(VIEW_PY, encoding="utf-8")
    (root / "ctl.py").write_text(CONTROLLER_PY, encoding="utf-8")
    (root / "nodes.py").write_text(NODES_PY, encoding="utf-8")
    return root


def _session(tmp_path: Path, records: list[dict]) -> Session:
    session = Session.create(tmp_path / "s.session")
    # 60 s of session: memory records at the start and the end
    bounds = [
        {"t": T0, "kind": "memory", "rss_bytes": 400 * 2**20},
        {"t": T0 + 60, "kind": "memory", "rss_bytes": 400 * 2**20},
    ]
    session.append(bounds + records)
    return session


def _paints(source: str = "workload:canvas#1") -> list[dict]:
    config = {
        "viewport_class": "QOpenGLWidget",
        "opengl": True,
        "samples": 4,
        "update_mode": "FullViewportUpdate",
        "cache_mode": "CacheBackground",
        "item_count": 1200,
        "gl_renderer": "llvmpipe (LLVM 15.0.7, 256 bits)",
    }
    return [
        {
            "t": T0 + 10 + i,
            "kind": "repaint",
            "widget_class": "GraphView.viewport",
            "paints": 2,
            "paint_ms": [100.0 + i, 240.0],
            "full_updates": 2,
            "partial_updates": 0,
            "is_canvas": True,
            "config": config,
            "source": source,
        }
        for i in range(10)
    ]


def test_repaint_over_budget_points_at_the_viewport_it_configures(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    with _session(tmp_path, _paints()) as s:
        (f,) = repaint_findings(s, str(root))
    assert (f.rule, f.path, f.line, f.symbol) == (REPAINT_RULE, "view.py", 17, "configure")
    assert [(r.line, r.symbol, r.note) for r in f.related] == [
        (11, "configure", "setViewportUpdateMode"),
        (12, "configure", "setCacheMode"),
        (13, "configure", "QSurfaceFormat"),
        (14, "configure", "setSamples"),
        (15, "configure", "QOpenGLWidget"),
    ]
    m = f.evidence[0].metrics
    assert (m["paints"], m["workload_paints"], m["app_paints"]) == (20, 20, 0)
    assert (m["p50_ms"], m["p95_ms"]) == (109.0, 240.0)
    assert m["over_budget"] == 14.4  # 240 ms / 16.67 ms
    assert (m["full_updates"], m["partial_updates"]) == (20, 0)
    assert (m["samples"], m["item_count"], m["software_renderer"]) == (4, 1200, 1)
    # 10 records x (mean of the two paints x 2 paints) over the 60 s session
    assert m["main_thread_share"] == pytest.approx(
        sum((100 + i + 240) for i in range(10)) / 1000 / 60, abs=1e-4
    )
    summary = f.evidence[0].summary
    assert "under the standard workload" in summary
    assert "llvmpipe" in summary and "pessimistic" in summary
    assert "under the standard workload" in f.priority.basis
    assert f.severity.value == "CRITICAL"
    # advice fitted to the live viewport: GL repaints in full whatever the mode, 4x MSAA
    assert "QOpenGLWidget viewport is repainted in full" in f.recommendation
    assert "(here FullViewportUpdate)" in f.recommendation
    assert "4x multisampling" in f.recommendation
    assert "to_thread" not in f.recommendation
    assert not any(ch.isdigit() for ch in f.message)


def test_paints_within_budget_are_no_finding(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    fast = [{**p, "paint_ms": [4.0, 6.0]} for p in _paints()]
    with _session(tmp_path, fast) as s:
        assert repaint_findings(s, str(root)) == []


def test_configuring_lines_prefers_the_file_naming_the_owner(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "other.py").write_text(
        "def f(v):\n    v.setCacheMode(1)\n    v.setCacheMode(2)\n    v.setCacheMode(3)\n"
        "    v.setViewport(None)\n    v.setSamples(2)\n    v.setSamples(8)\n    v.setSamples(16)\n"
        "    v.setViewport(None)\n",
        encoding="utf-8",
    )
    assert {s.path for s in configuring_lines(root, "GraphView.viewport")} == {"view.py"}
    assert {s.path for s in configuring_lines(root, "Unknown.viewport")} == {"other.py"}


def _handler_records(root: Path, source: str) -> list[dict]:
    return [
        {
            "t": T0 + 5 + i,
            "kind": "handler",
            "bus": "domain",
            "event": "NODE_STARTED",
            "handler": "app.ctl.RunController.on_node_event",  # as the agent names it
            "file": str(root / "ctl.py"),
            "line": 2,
            "count": 23,
            "errors": 23,
            "error_types": {"AttributeError": 23},
            "traceback": TRACEBACK.format(root=root) if i == 0 else "",
            "durations_ms": [0.05] * 23,
            "max_ms": 0.1,
            "source": source,
        }
        for i in range(30)
    ]


def test_a_handler_raising_on_every_call_is_a_finding_with_its_traceback(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    with _session(tmp_path, _handler_records(root, "workload:canvas#1")) as s:
        (f,) = handler_error_findings(s, str(root))
    assert (f.rule, f.path, f.line, f.symbol) == (
        RAISES_RULE,
        "ctl.py",
        2,
        "RunController.on_node_event",
    )
    m = f.evidence[0].metrics
    assert (m["calls"], m["errors"], m["error_ratio"]) == (690, 690, 1.0)
    assert (m["app_calls"], m["under_workload"]) == (0, 1)
    assert m["per_minute"] == 690.0  # 690 raises over the 60 s session
    assert [(c.path, c.line) for c in f.chain] == [("ctl.py", 3)]
    summary = f.evidence[0].summary
    assert "AttributeError x690" in summary
    assert summary.endswith("AttributeError: 'NoneType' object has no attribute 'state'")
    assert "under the standard workload" in summary
    assert f.priority.impact == 8


def test_a_handlers_rate_comes_from_the_apps_own_calls(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    app = _handler_records(root, "app")[:3]  # 69 calls by the app
    ours = [{**r, "t": r["t"] + 20} for r in _handler_records(root, "workload:canvas#1")]
    with _session(tmp_path, app + ours) as s:
        (f,) = handler_error_findings(s, str(root))
    m = f.evidence[0].metrics
    assert (m["calls"], m["app_calls"], m["app_errors"]) == (759, 69, 69)
    assert m["per_minute"] == 69.0
    assert m["under_workload"] == 0
    assert "by the app" in f.priority.basis


def _canvas_workload(retained: float = 412.0, after: int = 5) -> dict:
    return {
        "t": T0 + 50,
        "kind": "workload",
        "name": "canvas",
        "status": "ok",
        "results": {
            "nodes": 100,
            "repetitions": 2,
            "node_types": ["demo.nodes.ShapeNode"],
            "rss_retained_mib": retained,
            "kib_per_node_first": 770.5,
            "kib_per_node": {"min": 401.0, "median": 514.2, "max": 770.5},
            "scene_items": {"before": 5, "after": after},
        },
        "source": "workload:canvas#1",
    }


def test_memory_retained_after_the_workload_cleaned_up(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    sites = {
        "t": T0 + 49,
        "kind": "tracemalloc",
        "top": [
            {"file": "/usr/lib/python3.12/json/decoder.py", "line": 353, "size_diff": 9e6},
            {
                "file": str(root / "nodes.py"),
                "line": 3,
                "size_diff": 100 * 512000,
                "count_diff": 100,
            },
        ],
    }
    with _session(tmp_path, [_canvas_workload(), sites]) as s:
        (f,) = retained_memory_findings(s, str(root))
    assert (f.rule, f.path, f.line) == (RETAINED_RULE, "nodes.py", 3)
    m = f.evidence[0].metrics
    assert (m["retained_mib"], m["items"], m["kib_per_item"]) == (412.0, 200, 514.2)
    assert (m["kib_per_item_first"], m["top_site_kib"]) == (770.5, 50000.0)
    assert "nodes.py:3 +50000 KiB" in f.evidence[0].summary
    assert (f.priority.impact, f.priority.frequency) == (9, 7)


def test_without_tracemalloc_the_finding_sits_at_the_created_class(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    with _session(tmp_path, [_canvas_workload()]) as s:
        (f,) = retained_memory_findings(s, str(root))
    assert (f.path, f.line, f.symbol) == ("nodes.py", 1, "ShapeNode")
    assert "tracemalloc was off" in f.evidence[0].summary


def test_no_retained_finding_when_items_stayed_or_little_was_kept(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    with _session(tmp_path, [_canvas_workload(after=205)]) as s:
        assert retained_memory_findings(s, str(root)) == []
    with _session(tmp_path, [_canvas_workload(retained=3.0)]) as s:
        assert retained_memory_findings(s, str(root)) == []


def test_measured_findings_rank_above_a_one_off_stall(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    records = _paints() + _handler_records(root, "app") + [_canvas_workload()]
    with _session(tmp_path, records) as s:
        findings = runtime_findings(s, str(root))
    one_off = measured_priority(3, share=0.001, block_ms=137.0, per_minute=0.67, count=1)
    assert one_off.category.value == "LOW"
    assert {f.rule for f in findings} >= {REPAINT_RULE, RAISES_RULE, RETAINED_RULE}
    assert all(f.score > one_off.score for f in findings if f.rule != "DYN-SLOW-HANDLER")


def test_a_qt_stall_without_a_frame_is_placed_by_the_agents_stack(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    stall = {
        "kind": "slow_callback",
        "callable": "QTimer.timeout",
        "file": "",
        "line": 0,
        "origin": "qt-event",
        "stack": [
            f"{root / 'main.py'}:9 in main",
            "/venv/site-packages/qasync/__init__.py:404 in run_forever",
            f"{root / 'ctl.py'}:3 in RunController.on_node_event",
        ],
        "source": "app",
    }
    paint = {**stall, "callable": "native Qt paint of GraphView.viewport", "duration_ms": 300.0}
    records = [{**stall, "t": T0 + 10, "duration_ms": 137.0}, {**paint, "t": T0 + 20}]
    with _session(tmp_path, records) as s:
        (f,) = [f for f in runtime_findings(s, str(root)) if f.rule == "DYN-SLOW-CALLBACK"]
    assert (f.path, f.line, f.symbol) == ("ctl.py", 3, "RunController.on_node_event")
    assert [(c.path, c.line) for c in f.chain] == [("main.py", 9), ("ctl.py", 3)]
    # a Qt-dispatched handler gets Qt advice, never asyncio.to_thread
    assert "QTimer" in f.recommendation and "to_thread" not in f.recommendation
    m = f.evidence[0].metrics
    assert (m["count"], m["max_ms"], m["loop_share"]) == (1, 137.0, 0.00228)
    # a one-off 137 ms stall at 0.23 % of loop time: impact 3 (share cap), frequency 2, 30+10-8
    assert (f.priority.impact, f.priority.frequency, f.score) == (3, 2, 32)


def test_a_traced_site_that_kept_every_item_is_found_even_when_rss_hides_it(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    kept = {
        "t": T0 + 49,
        "kind": "tracemalloc",
        "phase": "after_delete",
        "workload": "canvas",
        "top": [
            {
                "file": str(root / "nodes.py"),
                "line": 3,
                "size_diff": 100 * 32825,
                "count_diff": 100,
                "bytes_per_item": 32825.0,
            }
        ],
    }
    with _session(tmp_path, [_canvas_workload(retained=2.5), kept]) as s:
        (f,) = retained_memory_findings(s, str(root))
    m = f.evidence[0].metrics
    assert (f.path, f.line, m["retained_mib"]) == ("nodes.py", 3, 2.5)
    assert (m["top_site_kib"], m["top_site_bytes_per_item"]) == (3205.6, 32825.0)
    assert f.priority.impact == 5  # 3.1 MiB traced: >= 1 MiB
    with _session(tmp_path, [_canvas_workload(retained=2.5), {**kept, "top": []}]) as s:
        assert retained_memory_findings(s, str(root)) == []


def test_paints_the_clock_missed_count_as_paints_at_the_median(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    untimed = {**_paints()[0], "t": T0 + 30, "paints": 3, "paint_ms": [], "timed": True}
    untimed["full_updates"] = 3
    with _session(tmp_path, [*_paints(), untimed]) as s:
        (f,) = repaint_findings(s, str(root))
    m = f.evidence[0].metrics
    assert (m["paints"], m["full_updates"], m["p50_ms"]) == (23, 23, 109.0)
    timed_ms = sum((100 + i + 240) for i in range(10))  # 3445 ms; the untimed 3 at p50 109
    assert m["main_thread_share"] == pytest.approx((timed_ms + 3 * 109.0) / 1000 / 60, abs=1e-4)


def test_steady_growth_over_the_apps_own_time_sits_at_the_growing_container(
    tmp_path: Path,
) -> None:
    root = _tree(tmp_path)
    (root / "bus.py").write_text("class EventBus:\n    _history = []\n", encoding="utf-8")
    mib = 2**20
    growing = [
        {
            "t": T0 + 10 * i,
            "kind": "memory",
            "rss_bytes": (400 + 8 * i) * mib,
            "containers": {"demo.bus:EventBus._history": 100 * i, "demo.jobs:Queue._q": 3},
            "source": "app",
        }
        for i in range(7)
    ]
    # a workload run in between: its 300 MiB are the retained-memory finding's, not growth
    ours = {**growing[3], "t": T0 + 35, "rss_bytes": 748 * mib, "source": "workload:canvas#1"}
    session = Session.create(tmp_path / "g.session")
    session.append(
        [*growing[:4], ours, *[{**g, "rss_bytes": g["rss_bytes"] + 300 * mib} for g in growing[4:]]]
    )
    with session:
        (f,) = memory_growth_findings(session, str(root))
    assert (f.rule, f.path, f.line, f.symbol) == (GROWTH_RULE, "bus.py", 1, "EventBus")
    m = f.evidence[0].metrics
    # app-only steps: 0->10->20->30 s and 40->50->60 s, 8 MiB each; the steps touching the
    # workload record are left out
    assert (m["growth_mib"], round(m["mib_per_min"], 1)) == (40.0, 48.0)
