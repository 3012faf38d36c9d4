"""Sampling the demo target: its deliberate blocking call must come out as a blocked loop."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzers.findings import ChainStep, Finding, Priority
from inspector.core.session import Session
from inspector.sampling.blocking import RULE
from inspector.sampling.correlate import correlate
from inspector.sampling.errors import SamplingError
from inspector.sampling.preflight import find_py_spy
from inspector.sampling.recorder import PySpyRecorder

DEMO = Path(__file__).resolve().parents[2] / "inspector" / "demo"

try:
    find_py_spy()
    HAVE_PY_SPY = True
except SamplingError:
    HAVE_PY_SPY = False
pytestmark = pytest.mark.skipif(not HAVE_PY_SPY, reason="py-spy is not installed")


def _line_of(path: Path, needle: str) -> int:
    """The code line (not a docstring mention) that starts with `needle`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.strip().startswith(needle))


@pytest.fixture(scope="module")
def demo_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector.demo", "--duration", "9"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert "ready" in proc.stdout.readline()
    session = Session.create(tmp_path_factory.mktemp("demo") / "s.db")
    recorder = PySpyRecorder(proc.pid, session, chunk_s=2.0)
    recorder.start()
    try:
        assert recorder.wait(60), "sampling did not end when the demo quit"
    finally:
        recorder.stop()
        proc.kill()
        proc.wait()
    assert recorder.error is None
    yield session
    session.close()


def test_blocking_call_found_at_its_line_with_its_duration(demo_session: Session) -> None:
    line = _line_of(DEMO / "settings_store.py", "time.sleep(0.08)")
    findings = [f for f in correlate(demo_session, DEMO) if f.rule == RULE]
    found = next(f for f in findings if f.path == "settings_store.py")
    assert (found.line, found.symbol) == (line, "read_settings")
    metrics = found.evidence[0].metrics
    assert metrics["count"] >= 2  # every ~2 s over ~8 s
    assert 60 <= metrics["mean_ms"] <= 120  # the sleep is 80 ms
    callers = [(step.path, step.symbol) for step in found.chain]
    assert ("workflow.py", "refresh_status") in callers


def test_static_twin_of_the_blocking_call_carries_the_sample_evidence(
    demo_session: Session,
) -> None:
    call = _line_of(DEMO / "workflow.py", "settings = read_settings()")
    sleep = _line_of(DEMO / "settings_store.py", "time.sleep(0.08)")
    # shaped like the static "blocking call reached from async def" finding
    static = Finding(
        rule="SYNC-CHAIN-FROM-ASYNC",
        area=3,
        path="workflow.py",
        line=call,
        symbol="refresh_status",
        message="refresh_status reaches time.sleep through read_settings",
        priority=Priority(impact=5, frequency=5, difficulty=3),
        chain=(
            ChainStep("workflow.py", call, "refresh_status"),
            ChainStep("settings_store.py", sleep, "read_settings", "time.sleep(0.08)"),
        ),
    )
    demo_session.put_findings([static], replace_kind="static")
    out = correlate(demo_session, DEMO)
    assert not any(f.rule == RULE and f.path == "settings_store.py" for f in out)
    (merged,) = [f for f in out if f.rule == "SYNC-CHAIN-FROM-ASYNC"]
    assert merged.priority.source == "measured"
    blocked = next(e for e in merged.evidence if "blocked" in e.summary)
    assert 60 <= blocked.metrics["max_ms"] <= 150
    assert merged.priority.impact >= 7  # blocks of 80 ms and more
