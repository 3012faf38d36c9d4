"""Launch and attach on the real demo target: every live series must be non-zero."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from inspector.attach import ptrace_call
from inspector.core.session import Session
from inspector.live.engine import LiveEngine, demo_command
from tests.agent.helpers import ROOT, LineWatcher, child_env, stop


def _assert_all_series(session: Session) -> None:
    counts = session.record_counts()
    bus = session.records("bus")
    assert sum(sum(r["events"].values()) for r in bus) > 0, counts
    handlers = session.records("handler")
    assert any(r["count"] > 0 and r["file"].endswith(".py") and r["line"] > 0 for r in handlers)
    assert sum(r["errors"] for r in handlers) > 0  # the demo's autosave handler raises
    canvas = [r for r in session.records("repaint") if r["is_canvas"]]
    assert sum(r["paints"] for r in canvas) > 0, counts
    assert any(r["paint_ms"] for r in canvas)
    pools = session.records("pool")
    assert sum(r["acquires"] for r in pools) > 0, counts
    lag = session.records("loop_lag")
    assert lag and all(r["loop"] == "qasync" for r in lag)
    assert sum(len(r["lag_ms"]) for r in lag) > 10
    memory = session.records("memory")
    assert memory and all(r["rss_bytes"] > 10_000_000 for r in memory)
    assert any(r["containers"] for r in memory)
    assert sum(r["enqueues"] for r in session.records("queue")) > 0
    events = [r["event"] for r in session.records("agent")]
    assert events[0] == "hello" and "detached" in events


def test_launch_demo_records_every_series(tmp_path: Path) -> None:
    session = Session.create(tmp_path / "launch.session")
    recording = LiveEngine(session, "demo")
    recording.launch(
        demo_command(["--duration", "20"]),
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    reason = recording.wait(5.0)
    recording.finish(reason)
    assert reason == "duration reached"
    _assert_all_series(session)
    meta = session.meta
    assert meta["profile"] == "demo" and meta["target"]["pid"] == recording.pid
    assert meta["source_root"].endswith("demo") and meta["ended"] >= meta["started"]


@pytest.mark.skipif(not ptrace_call.supported(), reason="attach by PID needs Linux x86-64 here")
def test_attach_demo_by_pid_then_detach_leaves_it_running(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector.demo", "--duration", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=child_env(),
        cwd=ROOT,
    )
    try:
        LineWatcher(proc).wait_for("demo pid=")
        session = Session.create(tmp_path / "attach.session")
        recording = LiveEngine(session, "demo")
        recording.attach(proc.pid)
        reason = recording.wait(5.0)
        recording.finish(reason, terminate_launched=False)
        _assert_all_series(session)
        assert session.meta["mode"] == "attach"
        assert proc.poll() is None  # detaching never ends the target
    finally:
        stop(proc)
