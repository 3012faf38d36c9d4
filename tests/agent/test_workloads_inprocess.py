"""Every workload driven in-process against the demo app's real objects on its qasync loop.

The workload runs exactly as inside a target: `run_workload` returns at once, the work runs on
the Qt thread, the loop or a worker thread, and one final record arrives through `emit`.
"""

from __future__ import annotations

import asyncio
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from inspector.agent.workloads import run_workload
from inspector.demo.app import DemoApp

ROOT = Path(__file__).resolve().parents[2]
DEMO_WORKLOADS = tomllib.loads((ROOT / "resources/profiles/demo.toml").read_text())["workloads"]


@pytest.fixture
def demo(qtbot) -> Iterator[DemoApp]:
    app = DemoApp(nodes=6, workload=False)
    qtbot.addWidget(app.window)
    app.start()
    qtbot.waitExposed(app.window)
    yield app
    app._loop.close()
    asyncio.set_event_loop(None)


PROGRESS: list[dict[str, Any]] = []


def run(demo: DemoApp, name: str, params: dict[str, Any], config: dict | None = None) -> dict:
    """Start the workload from the loop and run the loop until its final record arrives."""
    records: list[dict[str, Any]] = []
    lock = threading.Lock()

    def emit(record: dict[str, Any]) -> None:
        if record["kind"] == "workload_progress":  # steps on the way; the final one counts
            PROGRESS.append(record)
            return
        with lock:
            records.append(record)
        demo._loop.call_soon_threadsafe(demo._loop.stop)

    config = DEMO_WORKLOADS if config is None else config
    PROGRESS.clear()
    demo._loop.call_soon(run_workload, name, params, config, emit)
    QTimer.singleShot(120_000, demo._loop.stop)  # a hung workload fails the test, not CI
    demo._loop.run_forever()
    assert len(records) == 1, records
    record = records[0]
    assert record["kind"] == "workload" and record["name"] == name
    return record


def test_canvas_creates_drives_and_deletes_nodes_and_counts_paints(demo) -> None:
    before = len(demo.canvas.all_nodes())
    rec = run(demo, "canvas", {"nodes": 40, "repetitions": 2, "steps": 8})
    assert rec["status"] == "ok", rec["reason"]
    res = rec["results"]
    assert res["nodes"] == 40 and res["connections"] == 39 and res["repetitions"] == 2
    assert res["paints"]["min"] > 0 and res["paints_per_s"]["p50"] > 0
    assert 0 < res["frame_ms_p50"]["p50"] <= res["frame_ms_p95"]["p50"]
    assert res["create_ms_per_node"]["p50"] > 0
    assert "kib_per_node" in res
    assert len(demo.canvas.all_nodes()) == before  # it cleaned up after itself
    assert demo.activity.counts["node_added"] >= before + 80  # the app's subscribers saw it
    # progress: 2 repetitions x (40 created + 3 x 8 frames + 40 deleted) steps; the first
    # report comes after the first batch of 10 nodes
    first = PROGRESS[0]
    assert (first["step"], first["total"]) == (10, 208)
    assert first["label"] == "repetition 1/2: creating nodes"
    steps = [r["step"] for r in PROGRESS]
    assert steps == sorted(steps) and steps[-1] <= 208


def test_event_bus_publishes_the_mix_at_the_rate_through_real_subscribers(demo) -> None:
    seen_before = dict(demo.activity.counts)
    rec = run(demo, "event_bus", {"rate": 150, "seconds": 0.6, "repetitions": 2})
    assert rec["status"] == "ok", rec["reason"]
    bus = rec["results"]["buses"][0]
    # activity log, autosave and the planted always-raising BreakpointBadge
    assert bus["bus"] == "demo" and bus["subscribers"]["node_moved"] == 3
    assert 100 <= bus["achieved_rate"]["p50"] <= 160
    assert bus["by_type"]["node_moved"] > bus["by_type"]["selection_changed"]
    assert bus["publish_us_p50"]["p50"] > 0
    moved = demo.activity.counts.get("node_moved", 0) - seen_before.get("node_moved", 0)
    assert moved >= bus["by_type"]["node_moved"]  # the real subscriber got them


def test_pools_sweep_reports_each_size_and_a_knee(demo) -> None:
    skipped = {"name": "browser", "supported": False, "reason": "no browser here"}
    config = {"pools": {"pools": [skipped, *DEMO_WORKLOADS["pools"]["pools"]]}}
    params = {"sweep": "1,2,6", "clients": 6, "seconds": 0.3, "repetitions": 2}
    rec = run(demo, "pools", params, config)
    assert rec["status"] == "ok", rec["reason"]
    assert rec["results"]["pools"][0]["status"] == "unsupported"
    pool = rec["results"]["pools"][1]
    sizes = [pt["size"] for pt in pool["points"]]
    assert sizes == [1, 2, 6]
    tput = [pt["throughput_rps"]["p50"] for pt in pool["points"]]
    assert tput[0] > 0 and tput[1] > tput[0]  # a second connection must help 6 clients
    assert pool["points"][0]["exhausted"]["p50"] > 0  # 6 clients on 1 connection
    assert pool["knee"] in sizes and pool["knee_reason"]
    assert rec["results"]["service"]["requests_served"] > 0
    # one progress step per measurement of the one pool driven: 3 sizes x 2 repetitions
    assert (PROGRESS[0]["step"], PROGRESS[0]["total"]) == (0, 6)
    assert {r["total"] for r in PROGRESS} == {6}
    assert all(r["run_id"] == "" for r in PROGRESS)  # no run id given in-process


def test_job_queue_dequeue_time_grows_with_the_backlog(demo) -> None:
    rec = run(demo, "job_queue", {"jobs": 1500, "robots": 3, "environments": 2, "repetitions": 2})
    assert rec["status"] == "ok", rec["reason"]
    res = rec["results"]
    curve = res["dequeue_vs_backlog"]
    assert [pt["backlog"] for pt in curve] == list(range(150, 1501, 150))
    # The demo's dequeue scans the whole backlog: ten times the backlog costs clearly more.
    assert curve[-1]["dequeue_us_p50"]["p50"] > 2 * curve[0]["dequeue_us_p50"]["p50"]
    assert res["dequeued"] == res["enqueued"]
    assert res["retained_jobs_after_drain"] == res["enqueued"]  # the deliberate _jobs leak


def test_workflow_run_runs_the_bundled_workflow(demo) -> None:
    runs_before = demo.runner.runs
    rec = run(demo, "workflow_run", {"runs": 2, "repetitions": 2})
    assert rec["status"] == "ok", rec["reason"]
    assert demo.runner.runs == runs_before + 4
    assert rec["results"]["run_ms_p50"]["p50"] > 0


def test_a_bad_class_path_is_reported_failed_and_the_app_keeps_running(demo) -> None:
    broken = {"pools": {"pools": [{"name": "gone", "class": "inspector.demo.pool:NoSuchPool"}]}}
    rec = run(demo, "pools", {"sweep": "1", "seconds": 0.1, "repetitions": 1}, broken)
    assert rec["status"] == "failed"
    assert "NoSuchPool" in rec["reason"]
    broken_canvas = {"canvas": {"adapter": "methods", "widget": "inspector.demo:Missing"}}
    rec = run(demo, "canvas", {"nodes": 5}, broken_canvas)
    assert rec["status"] == "failed" and "Missing" in rec["reason"]
    # The target is unharmed: the next workload runs normally.
    rec = run(demo, "workflow_run", {"runs": 1, "repetitions": 1})
    assert rec["status"] == "ok"


def test_unknown_undefined_unsupported_and_bad_params_end_in_one_record(demo) -> None:
    assert run(demo, "nope", {})["status"] == "failed"
    undefined = run(demo, "canvas", {}, {})
    assert undefined["status"] == "unsupported" and "[workloads.canvas]" in undefined["reason"]
    cannot = {"workflow_run": {"supported": False, "reason": "no runner at this commit"}}
    rec = run(demo, "workflow_run", {}, cannot)
    assert rec["status"] == "unsupported" and rec["reason"] == "no runner at this commit"
    rec = run(demo, "canvas", {"nodes": "many"})
    assert rec["status"] == "failed" and "nodes" in rec["reason"]


def test_a_workload_past_its_time_limit_fails_and_cleans_up(demo) -> None:
    before = len(demo.canvas.all_nodes())
    rec = run(demo, "canvas", {"nodes": 400, "batch": 1, "steps": 300, "timeout_s": 1.0})
    # still reporting steps at 1 s, so slow rather than stuck: its limit is granted 3 more
    # times (4 s in all; the whole run would take over 14 s), then it fails
    assert (rec["status"], rec["reason"]) == ("failed", "timed out after 4 s")
    assert rec["results"]["elapsed_s"] >= 4.0
    # The generator's clean-up runs on its next (Qt-thread) step.
    demo._loop.call_later(0.5, demo._loop.stop)
    demo._loop.run_forever()
    assert len(demo.canvas.all_nodes()) == before


def test_cancel_reports_only_after_the_workload_has_undone_its_nodes(demo) -> None:
    """The next workload starts on the final record: by then the canvas must be clean."""
    from inspector.agent.workloads import cancel

    before = len(demo.canvas.all_nodes())
    nodes_at_final: list[int] = []
    original_emit = demo._loop.call_soon_threadsafe

    def cancel_when_busy() -> None:
        assert len(demo.canvas.all_nodes()) > before  # mid-creation
        assert cancel("c1")

    demo._loop.call_later(0.3, cancel_when_busy)
    records: list[dict[str, Any]] = []

    def emit(record: dict[str, Any]) -> None:
        if record["kind"] == "workload":
            nodes_at_final.append(len(demo.canvas.all_nodes()))
            records.append(record)
            original_emit(demo._loop.stop)

    demo._loop.call_soon(
        run_workload, "canvas", {"nodes": 300, "batch": 1, "run_id": "c1"}, DEMO_WORKLOADS, emit
    )
    QTimer.singleShot(60_000, demo._loop.stop)
    demo._loop.run_forever()
    [record] = records
    assert (record["status"], record["reason"]) == ("cancelled", "cancelled by the user")
    assert record["run_id"] == "c1"
    assert nodes_at_final == [before]


def test_cancel_closes_every_pool_the_sweep_built_before_it_reports(demo, monkeypatch) -> None:
    from inspector.agent.workloads import cancel
    from inspector.demo.pool import ConnectionPool

    built: list[ConnectionPool] = []
    original_init = ConnectionPool.__init__

    def tracked_init(self: ConnectionPool, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(ConnectionPool, "__init__", tracked_init)
    open_at_final: list[int] = []
    records: list[dict[str, Any]] = []

    def emit(record: dict[str, Any]) -> None:
        if record["kind"] == "workload":
            open_at_final.append(sum(len(pool._all) for pool in built))
            records.append(record)
            demo._loop.call_soon_threadsafe(demo._loop.stop)

    params = {"sweep": "1..8", "clients": 6, "seconds": 0.3, "run_id": "p1"}
    demo._loop.call_soon(run_workload, "pools", params, DEMO_WORKLOADS, emit)
    demo._loop.call_later(0.5, cancel, "p1")  # mid-measurement: connections are held
    QTimer.singleShot(60_000, demo._loop.stop)
    demo._loop.run_forever()
    [record] = records
    assert (record["status"], record["reason"]) == ("cancelled", "cancelled by the user")
    assert 1 <= len(built) < 8 * 3  # it stopped early
    assert open_at_final == [0]  # every connection of every pool it built was closed


def test_stop_all_ends_a_running_workload_and_it_cleans_up(demo) -> None:
    from inspector.agent.workloads import stop_all

    before = len(demo.canvas.all_nodes())
    demo._loop.call_later(0.3, stop_all, "the inspector detached")
    rec = run(demo, "canvas", {"nodes": 300, "batch": 1})
    assert rec["status"] == "failed" and rec["reason"] == "stopped: the inspector detached"
    demo._loop.call_later(0.5, demo._loop.stop)
    demo._loop.run_forever()
    assert len(demo.canvas.all_nodes()) == before
