"""Blocked stretches in the Event loop panel take their where and stack from py-spy."""

from __future__ import annotations

from pathlib import Path

from inspector.gui.loop_stretches import StretchCache, py_spy_stretches, with_stacks
from tests.gui.session_factory import BLOCKING_LINE, build_session


def test_a_qt_dispatch_without_a_stack_gets_the_matching_py_spy_stack(tmp_path: Path) -> None:
    root = tmp_path / "src"
    session = build_session(tmp_path / "s.session", root, seconds=20.0)
    cache = py_spy_stretches(session, str(root), StretchCache())
    assert len(cache.stretches) == 73
    first = cache.stretches[0]
    records = [
        {  # the agent's record of the first stretch, sent at its next flush
            "t": first.end + 0.2,
            "duration_ms": round(first.duration_ms * 1.1, 1),
            "callable": "Qt event dispatch",
            "file": "",
            "line": 0,
            "source": "qt-event",
            "stack": [],
        },
        {  # nothing py-spy saw looks like this one
            "t": first.end + 500.0,
            "duration_ms": 900.0,
            "callable": "Qt event dispatch",
            "file": "",
            "line": 0,
            "source": "qt-event",
            "stack": [],
        },
    ]
    out, cache2 = with_stacks({"slow_callbacks": records}, session, str(root), cache)
    assert cache2 is cache  # no new samples: the stretches are not recomputed
    rows = out["slow_callbacks"]
    matched = next(r for r in rows if r["source"] == "qt-event" and r["stack"])
    assert matched["file"].endswith("app/engine.py") and matched["line"] == BLOCKING_LINE
    assert matched["stack"][0].startswith(f"app/engine.py:{BLOCKING_LINE} ")
    lonely = next(r for r in rows if r["duration_ms"] == 900.0)
    assert lonely["stack"] == []
    assert lonely["stack_reason"] == (
        "py-spy saw no stretch of this length on the loop thread at that moment"
    )
    # the other py-spy stretches are rows of their own, each with its stack
    spy = [r for r in rows if r.get("origin") == "py-spy"]
    assert len(spy) == 72 and all(r["stack"] for r in spy)


def test_without_samples_the_reason_says_so(tmp_path: Path) -> None:
    root = tmp_path / "src"
    session = build_session(tmp_path / "s.session", root, seconds=5.0, samples=False)
    row = {"t": 1.7e9 + 3, "duration_ms": 120.0, "source": "qt-event", "stack": []}
    out, _cache = with_stacks({"slow_callbacks": [row]}, session, str(root), StretchCache())
    assert out["slow_callbacks"][0]["stack_reason"] == (
        "no py-spy samples in this session to take a stack from"
    )
