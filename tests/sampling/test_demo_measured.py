"""A live recording of the demo (launched by `record`, agent and py-spy on, the canvas workload
with tracemalloc) must turn the demo's planted faults into measured findings at their lines:
the handler that raises on every call, the nodes kept after deletion, the viewport paint over
a frame's budget; and no frame of the inspector's own is left on any stack shown.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import inspector.demo.app as demo_app
import inspector.demo.canvas as demo_canvas
from analyzers.findings import Finding
from analyzers.profile import load_profile
from inspector.core.session import Session
from inspector.sampling.attribution import OVERHEAD, is_own, own_share
from inspector.sampling.errors import SamplingError
from inspector.sampling.preflight import find_py_spy
from inspector.sampling.runtime_findings import (
    RAISES_RULE,
    REPAINT_RULE,
    RETAINED_RULE,
    runtime_findings,
)
from inspector.sampling.store import load_samples

try:
    find_py_spy()
    HAVE_PY_SPY = True
except SamplingError:
    HAVE_PY_SPY = False
pytestmark = pytest.mark.skipif(not HAVE_PY_SPY, reason="py-spy is not installed")

NODES = demo_canvas.OVERLAY_FROM_NODES  # from this many nodes on the planted overlay is paid
DEMO = Path(demo_app.__file__).resolve().parent


def _line_of(module: object, text: str) -> int:
    lines = Path(module.__file__).read_text(encoding="utf-8").splitlines()  # type: ignore[attr-defined]
    hits = [i for i, line in enumerate(lines, 1) if text in line]
    assert len(hits) == 1, (text, hits)
    return hits[0]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    path = tmp_path_factory.mktemp("measured") / "demo.session"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    spec = f"canvas:nodes={NODES},repetitions=1,steps=10,tracemalloc=true"
    command = [sys.executable, "-m", "inspector", "record", "--demo", "--duration", "5"]
    proc = subprocess.run(
        [*command, "--workload", spec, "--session", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=400,
    )
    assert path.exists(), proc.stderr[-2000:]
    with Session.open(path) as opened:
        (workload,) = opened.records("workload")
        assert workload["status"] == "ok", workload
        yield opened


@pytest.fixture(scope="module")
def findings(session: Session) -> list[Finding]:
    return runtime_findings(session, DEMO, load_profile("demo"))


def _one(findings: list[Finding], rule: str, path: str, line: int) -> Finding:
    hits = [f for f in findings if (f.rule, f.path, f.line) == (rule, path, line)]
    assert len(hits) == 1, [(f.rule, f.location) for f in findings]
    return hits[0]


def test_the_handler_raising_on_every_call_is_found_at_its_def(findings) -> None:
    line = inspect.getsourcelines(demo_app.BreakpointBadge.on_node_moved)[1]
    f = _one(findings, RAISES_RULE, "app.py", line)
    m = f.evidence[0].metrics
    assert m["errors"] == m["calls"] > 0
    assert m["error_ratio"] == 1.0
    assert "AttributeError x" in f.evidence[0].summary
    raised_at = _line_of(demo_app, 'has no breakpoint badge ({PLANTED})")')
    assert ("app.py", raised_at) in [(c.path, c.line) for c in f.chain]
    assert f.priority.impact == 8


def test_the_nodes_kept_after_deletion_are_found_at_the_allocation(findings) -> None:
    line = _line_of(demo_canvas, "node.preview = bytearray(PREVIEW_BYTES)")
    f = _one(findings, RETAINED_RULE, "canvas.py", line)
    m = f.evidence[0].metrics
    assert m["items"] == NODES
    assert m["top_site_bytes_per_item"] == sys.getsizeof(bytearray(demo_canvas.PREVIEW_BYTES))
    assert "under-workload" in f.tags


def test_the_over_budget_viewport_paint_is_found_at_its_setup(findings) -> None:
    line = _line_of(demo_canvas, "self.setViewport(viewport)")
    f = _one(findings, REPAINT_RULE, "canvas.py", line)
    m = f.evidence[0].metrics
    assert m["p95_ms"] > 1000.0 / 60.0
    assert m["partial_updates"] == 0 and m["full_updates"] == m["paints"] > 0
    assert "update_mode=FullViewportUpdate" in f.evidence[0].summary
    # a raster viewport asking for full updates: the advice is to ask for less
    assert "switch to SmartViewportUpdate" in f.recommendation
    mode = _line_of(demo_canvas, "self.setViewportUpdateMode(")
    assert ("canvas.py", mode) in [(r.path, r.line) for r in f.related]
    assert f.severity.value == "CRITICAL"


def test_no_frame_of_ours_is_left_on_a_stack_and_our_share_is_measured(session) -> None:
    raw = {r.stack_id: r.frames for r in load_samples(session, raw=True)}
    assert any(is_own(f.file) for frames in raw.values() for f in frames)  # sampled...
    shown = load_samples(session)
    assert not any(is_own(f.file) for r in shown for f in r.frames)  # ...and never shown
    # what is charged to us had a frame of ours on it: the app's time is never ours
    ours = [r for r in shown if r.frames and r.frames[-1] == OVERHEAD]
    assert ours and all(any(is_own(f.file) for f in raw[r.stack_id]) for r in ours)
    share = own_share(session)
    assert share is not None and share.active_s > 1.0
    # the share is of active time: a sample of ours that py-spy saw idle costs the target nothing
    assert share.own_s == pytest.approx(
        sum(r.duration_s for r in ours if r.tid == r.pid and r.active)
    )
    assert session.meta["attribution"]["own_share"] == round(share.share, 5)
