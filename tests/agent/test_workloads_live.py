"""Workloads in the real demo target: a child process with the agent launched into it.

The inspector side sends the workload command over the agent link; the records land in the
session exactly as in `casare-inspector record --workload ...`.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from inspector.attach.live import LiveRecording, demo_command
from inspector.core.session import Session
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
    def start(profile: Path = PROFILE) -> tuple[LiveRecording, Session]:
        session = Session.create(tmp_path / f"{profile.stem}.session")
        recording = LiveRecording(session, str(profile))
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

    started: list[LiveRecording] = []
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
    for i, (name, params) in enumerate(specs, start=1):
        recording.run_workload(name, params)
        _wait_for_workloads(session, i, timeout=60)  # one at a time: figures stay clean
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
    recording.run_workload("pools", {"sweep": "1", "seconds": 0.2, "repetitions": 1})
    failed = _wait_for_workloads(session, 1, timeout=60)[0]
    assert failed["status"] == "failed" and "PoolThatMoved" in failed["reason"]
    recording.run_workload("workflow_run", {"runs": 1, "repetitions": 1})
    after = _wait_for_workloads(session, 2, timeout=60)[1]
    assert after["status"] == "ok"
    assert recording.target_alive()


def test_two_runs_agree_within_their_reported_spread(live) -> None:
    """A loose, honest check: the second run's medians sit inside the first run's range,
    widened by the second run's own range and a 25 % allowance for a shared 2-core machine."""
    recording, session = live()
    params = {"sweep": "1,3", "clients": 3, "seconds": 0.4, "repetitions": 3}
    for i in (1, 2):
        recording.run_workload("pools", params)
        _wait_for_workloads(session, i, timeout=60)
    first, second = (r["results"]["pools"][0]["points"] for r in session.records("workload"))
    for a, b in zip(first, second, strict=True):
        ta, tb = a["throughput_rps"], b["throughput_rps"]
        slack = (ta["max"] - ta["min"]) + (tb["max"] - tb["min"]) + 0.25 * ta["p50"]
        assert abs(ta["p50"] - tb["p50"]) <= slack, (a["size"], ta, tb)


def test_detaching_stops_a_running_workload_and_says_so(live) -> None:
    """A workload must not outlive the inspector that started it; its end is still recorded."""
    recording, session = live()
    recording.run_workload("event_bus", {"rate": 50, "seconds": 60, "repetitions": 1})
    deadline = time.monotonic() + 20
    while not session.records("bus") and time.monotonic() < deadline:
        time.sleep(0.1)
    recording.finish("test detach")
    [record] = _wait_for_workloads(session, 1, 10)
    assert record["status"] == "failed"
    assert "inspector detached" in record["reason"]
