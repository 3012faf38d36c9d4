"""Workloads in the real demo target: a child process with the agent launched into it.

The live-session engine queues the workloads and sends them over the agent link one at a time;
the records land in the session exactly as in `casare-inspector record --workload ...`.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from inspector.core.session import Session
from inspector.live import (
    LiveEngine,
    WorkloadFinished,
    WorkloadProgress,
    WorkloadStarted,
    demo_command,
)
from tests.agent.helpers import ROOT, child_env

PROFILE = ROOT / "resources" / "profiles" / "demo.toml"


def _wait_for_workloads(session: Session, count: int, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = session.records("workload")
        if len(records) >= count:
            return records
        time.sleep(0.2)
    log = Path(session.path).with_suffix(".log")
    tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""
    raise AssertionError(
        f"{len(session.records('workload'))} workload records after {timeout} s; "
        f"records: {session.record_counts()}; target output:\n{tail}"
    )


@pytest.fixture
def live(tmp_path: Path):
    def start(profile: Path = PROFILE) -> tuple[LiveEngine, Session]:
        session = Session.create(tmp_path / f"{profile.stem}.session")
        recording = LiveEngine(session, str(profile))
        recording.events = []  # type: ignore[attr-defined]
        recording.subscribe(recording.events.append)  # type: ignore[attr-defined]
        log = (tmp_path / f"{profile.stem}.log").open("w", encoding="utf-8")
        logs.append(log)
        recording.launch(
            demo_command(["--duration", "120", "--no-workload"]),
            cwd=ROOT,
            env=child_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(recording)
        # Send commands only once the agent is streaming: a command written right behind the
        # link's welcome line can reach the agent in the same read (see the report).
        deadline = time.monotonic() + 30
        while not session.records("agent") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert session.records("agent"), "the agent sent nothing within 30 s"
        return recording, session

    logs: list[Any] = []

    started: list[LiveEngine] = []
    yield start
    for recording in started:
        recording.finish("test over")
    for log in logs:
        log.close()


def test_every_workload_runs_to_the_end_in_the_demo_process(live) -> None:
    recording, session = live()
    specs = [
        ("canvas", {"nodes": 30, "repetitions": 2, "steps": 6}),
        ("event_bus", {"rate": 100, "seconds": 0.5, "repetitions": 2}),
        ("pools", {"sweep": "1,4", "clients": 4, "seconds": 0.3, "repetitions": 2}),
        ("job_queue", {"jobs": 400, "repetitions": 2}),
        ("workflow_run", {"runs": 2, "repetitions": 2}),
    ]
    tickets = [recording.start_workload(name, params) for name, params in specs]
    assert recording.wait_workloads(120)
    assert [t.status for t in tickets] == ["ok"] * 5, [(t.name, t.reason) for t in tickets]
    # one at a time, in order: every start follows the previous workload's end
    order = [
        (type(e).__name__, e.name)
        for e in recording.events
        if isinstance(e, WorkloadStarted | WorkloadFinished)
    ]
    assert order == [
        (kind, name) for name, _ in specs for kind in ("WorkloadStarted", "WorkloadFinished")
    ]
    finals = session.records("workload")
    assert [r["run_id"] for r in finals] == [t.run_id for t in tickets]
    by_name = {r["name"]: r for r in session.records("workload")}
    assert set(by_name) == {name for name, _ in specs}
    for name, record in by_name.items():
        assert record["status"] == "ok", (name, record["reason"])
        assert record["results"], name
    canvas = by_name["canvas"]["results"]
    assert canvas["paints"]["min"] > 0 and canvas["create_ms_per_node"]["p50"] > 0
    assert by_name["event_bus"]["results"]["buses"][0]["published"]["min"] > 0
    assert by_name["pools"]["results"]["pools"][0]["points"][1]["throughput_rps"]["p50"] > 0
    assert by_name["job_queue"]["results"]["dequeued"] > 0
    # The agent's own probes saw the workload's traffic in the same session.
    assert sum(r["acquires"] for r in session.records("pool")) > 0
    assert recording.target_alive()


def test_a_failing_workload_is_reported_and_the_target_keeps_running(live, tmp_path) -> None:
    broken = tmp_path / "broken_demo.toml"
    text = PROFILE.read_text(encoding="utf-8")
    broken.write_text(
        text.replace(
            'class = "inspector.demo.pool:ConnectionPool"\nkind',
            'class = "inspector.demo.pool:PoolThatMoved"\nkind',
        ),
        encoding="utf-8",
    )
    assert "PoolThatMoved" in broken.read_text(encoding="utf-8")
    recording, session = live(broken)
    failing = recording.start_workload("pools", {"sweep": "1", "seconds": 0.2, "repetitions": 1})
    after = recording.start_workload("workflow_run", {"runs": 1, "repetitions": 1})
    assert recording.wait_workloads(60)
    failed = _wait_for_workloads(session, 1, timeout=60)[0]
    assert failed["status"] == "failed" and "PoolThatMoved" in failed["reason"]
    # the engine's one line says why, without the traceback
    assert failing.status == "failed" and "PoolThatMoved" in failing.reason
    assert "\n" not in failing.reason
    assert after.status == "ok"
    assert recording.target_alive()


def test_two_runs_agree_within_their_reported_spread(live) -> None:
    """A loose, honest check: the second run's medians sit inside the first run's range,
    widened by the second run's own range and a 25 % allowance for a shared 2-core machine."""
    recording, session = live()
    params = {"sweep": "1,3", "clients": 3, "seconds": 0.4, "repetitions": 3}
    recording.start_workload("pools", params)
    recording.start_workload("pools", params)
    assert recording.wait_workloads(120)
    first, second = (r["results"]["pools"][0]["points"] for r in session.records("workload"))
    for a, b in zip(first, second, strict=True):
        ta, tb = a["throughput_rps"], b["throughput_rps"]
        slack = (ta["max"] - ta["min"]) + (tb["max"] - tb["min"]) + 0.25 * ta["p50"]
        assert abs(ta["p50"] - tb["p50"]) <= slack, (a["size"], ta, tb)


def test_detaching_stops_a_running_workload_and_says_so(live) -> None:
    """A workload must not outlive the inspector that started it; its end is still recorded."""
    recording, session = live()
    ticket = recording.start_workload("event_bus", {"rate": 50, "seconds": 60, "repetitions": 1})
    deadline = time.monotonic() + 20
    while not session.records("bus") and time.monotonic() < deadline:
        time.sleep(0.1)
    recording.finish("test detach")
    [record] = _wait_for_workloads(session, 1, 10)
    assert record["status"] == "failed"
    assert "inspector detached" in record["reason"]
    assert (ticket.status, ticket.reason) == ("failed", "stopped: test detach")


def _canvas_items_before(session: Session, run_id: str) -> int:
    [record] = [r for r in session.records("workload") if r.get("run_id") == run_id]
    assert record["status"] == "ok", record["reason"]
    return int(record["results"]["scene_items"]["before"])


def test_cancel_stops_the_canvas_workload_and_leaves_the_canvas_clean(live) -> None:
    recording, session = live()
    probe = {"nodes": 4, "repetitions": 1, "steps": 2}
    first = recording.start_workload("canvas", probe)
    big = recording.start_workload("canvas", {"nodes": 60, "repetitions": 3, "steps": 40})
    queued = recording.start_workload("canvas", probe)  # cancelled before it starts
    last = recording.start_workload("canvas", probe)
    assert recording.cancel_workload(queued.run_id)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # cancel once the big run is well under way
        steps = [e for e in recording.events if isinstance(e, WorkloadProgress)]
        if any(e.run_id == big.run_id and e.step > 80 for e in steps):
            break
        time.sleep(0.05)
    assert recording.cancel_workload(big.run_id)
    assert recording.wait_workloads(60)
    assert (big.status, big.reason) == ("cancelled", "cancelled by the user")
    assert (queued.status, queued.reason) == ("cancelled", "cancelled before it started")
    progress = [e for e in recording.events if isinstance(e, WorkloadProgress)]
    big_steps = [e for e in progress if e.run_id == big.run_id and e.total]
    assert big_steps and big_steps[0].total == 3 * (2 * 60 + 3 * 40)
    assert all(e.eta_s is not None and e.eta_s >= 0 for e in big_steps)
    # the nodes the cancelled run had created are gone: the next run starts from the same scene
    assert _canvas_items_before(session, last.run_id) == _canvas_items_before(session, first.run_id)
    [cancelled] = [r for r in session.records("workload") if r["run_id"] == big.run_id]
    assert cancelled["status"] == "cancelled"
