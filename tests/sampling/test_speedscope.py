"""Speedscope export: balanced events at the runs' real times."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.sampling.speedscope import SCHEMA, write_speedscope
from tests.sampling.builders import LOOP, ROOT, SessionBuilder, f


def test_evented_profile_per_thread_with_balanced_events(tmp_path: Path) -> None:
    b = SessionBuilder(tmp_path / "s.db")
    a = (*LOOP, f("tick", f"{ROOT}/app.py", 20))
    c = (*a, f("load", f"{ROOT}/config.py", 8))
    b.run(a, 10).run(c, 100).run(a, 10)
    b.run((f("work", f"{ROOT}/w.py", 1),), 120, thread="w", tid=7)
    data = json.loads(write_speedscope(b.session, tmp_path / "out.json").read_text())
    assert data["$schema"] == SCHEMA
    assert len(data["profiles"]) == 2
    frames = data["shared"]["frames"]
    for profile in data["profiles"]:
        depth, last_at = [], 0.0
        for ev in profile["events"]:
            assert ev["at"] >= last_at
            last_at = ev["at"]
            if ev["type"] == "O":
                depth.append(ev["frame"])
            else:
                assert depth.pop() == ev["frame"]
        assert depth == []
        assert profile["endValue"] == pytest.approx(0.12)
    main = next(p for p in data["profiles"] if p["name"].startswith("MainThread"))
    load = next(i for i, fr in enumerate(frames) if fr["name"] == "load")
    opened = [e["at"] for e in main["events"] if e["frame"] == load and e["type"] == "O"]
    closed = [e["at"] for e in main["events"] if e["frame"] == load and e["type"] == "C"]
    assert (opened, closed) == ([pytest.approx(0.01)], [pytest.approx(0.11)])
