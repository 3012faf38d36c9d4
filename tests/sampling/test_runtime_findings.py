"""Dynamic findings from agent records, built on constructed sessions (no target needed)."""

from __future__ import annotations

from pathlib import Path

from inspector.core.session import Session
from inspector.sampling.runtime_findings import (
    CALLBACK_RULE,
    HANDLER_RULE,
    LEAK_RULE,
    runtime_findings,
)


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "handlers.py").write_text("def on_event(e):\n    pass\n", encoding="utf-8")
    return root


def _handler(root: Path, t: float, durations: list[float]) -> dict:
    return {
        "t": t,
        "kind": "handler",
        "bus": "domain",
        "event": "NODE_MOVED",
        "handler": "pkg.handlers.on_event",
        "file": str(root / "pkg" / "handlers.py"),
        "line": 1,
        "count": len(durations),
        "errors": 0,
        "durations_ms": durations,
        "max_ms": max(durations),
    }


def test_slow_handler_becomes_a_finding_at_its_line_with_measured_priority(tmp_path):
    root = _tree(tmp_path)
    with Session.create(tmp_path / "s.session") as s:
        s.append([_handler(root, 100.0 + i, [12.0, 14.0, 30.0]) for i in range(60)])
        findings = runtime_findings(s, root)
    [f] = findings
    assert (f.rule, f.path, f.line, f.kind) == (HANDLER_RULE, "pkg/handlers.py", 1, "dynamic")
    assert f.priority.source == "measured"
    assert f.evidence[0].metrics["calls"] == 180
    assert f.evidence[0].metrics["p95_ms"] == 30.0
    assert f.evidence[0].metrics["loop_share"] == 0.05695  # 180 calls x 18.67 ms in 59 s
    assert not any(ch.isdigit() for ch in f.message)


def test_fast_handlers_and_library_code_are_not_findings(tmp_path):
    root = _tree(tmp_path)
    fast = _handler(root, 1.0, [0.1, 0.2])
    library = {**_handler(root, 2.0, [40.0]), "file": "/usr/lib/python3/x.py"}
    with Session.create(tmp_path / "s.session") as s:
        s.append([fast, library])
        assert runtime_findings(s, root) == []


def test_slow_callbacks_group_by_line_and_qt_dispatches_without_frames_are_skipped(tmp_path):
    root = _tree(tmp_path)
    recs = [
        {
            "t": 1.0 + i,
            "kind": "slow_callback",
            "duration_ms": 80.0 + i,
            "callable": "refresh",
            "file": str(root / "pkg" / "handlers.py"),
            "line": 2,
            "task": None,
            "source": "asyncio",
        }
        for i in range(3)
    ] + [
        {
            "t": 5.0,
            "kind": "slow_callback",
            "duration_ms": 90.0,
            "callable": "paintEvent",
            "file": "",
            "line": 0,
            "task": None,
            "source": "qt-event",
        }
    ]
    with Session.create(tmp_path / "s.session") as s:
        s.append(recs)
        [f] = runtime_findings(s, root)
    assert (f.rule, f.line) == (CALLBACK_RULE, 2)
    assert f.evidence[0].metrics["count"] == 3
    assert f.priority.impact >= 7  # 82 ms blocks are hitches users notice


def test_leak_suspect_points_at_the_deepest_project_frame_with_its_chain(tmp_path):
    root = _tree(tmp_path)
    stack = [
        '  File "/usr/lib/python3.11/asyncio/events.py", line 80, in _run\n    x()',
        f'  File "{root / "pkg" / "handlers.py"}", line 1, in on_event\n    y()',
        f'  File "{root / "pkg" / "handlers.py"}", line 2, in on_event\n    z()',
    ]
    rec = {
        "t": 1.0,
        "kind": "pool_leak",
        "pool": "Pool",
        "pool_id": 1,
        "held_s": 42.0,
        "stack": stack,
    }
    with Session.create(tmp_path / "s.session") as s:
        s.append([rec, {**rec, "t": 2.0}])
        [f] = runtime_findings(s, root)
    assert (f.rule, f.path, f.line) == (LEAK_RULE, "pkg/handlers.py", 2)
    assert [c.line for c in f.chain] == [1, 2]
    assert "2 occurrences" in f.priority.basis
