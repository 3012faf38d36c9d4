"""The workload queue on its own: a fake agent (a list of sent commands) and a fake clock."""

from __future__ import annotations

from typing import Any

import pytest

from inspector.core.workload_specs import WorkloadSpecError, estimate_s
from inspector.live.events import (
    EngineEvent,
    WorkloadFinished,
    WorkloadProgress,
    WorkloadQueued,
    WorkloadStarted,
)
from inspector.live.workload_queue import WorkloadQueue, profile_workloads

TABLE: dict[str, Any] = {
    "canvas": {"adapter": "methods"},
    "event_bus": {"buses": []},
    "pools": {"pools": [{"name": "a"}, {"name": "b"}, {"name": "c", "supported": False}]},
    "workflow_run": {"supported": False, "reason": "the app cannot run workflows here"},
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def queue() -> tuple[WorkloadQueue, list[dict[str, Any]], list[EngineEvent], FakeClock]:
    sent: list[dict[str, Any]] = []
    events: list[EngineEvent] = []
    clock = FakeClock()
    return WorkloadQueue(sent.append, events.append, TABLE, clock), sent, events, clock


def final(run_id: str, status: str = "ok", reason: str = "") -> dict[str, Any]:
    return {"kind": "workload", "run_id": run_id, "name": "x", "status": status, "reason": reason}


def test_workloads_are_sent_one_at_a_time_in_order(queue) -> None:
    q, sent, events, clock = queue
    first = q.submit("canvas", {"nodes": 10})
    second = q.submit("bus", {"seconds": 1.0})
    assert [c["name"] for c in sent] == ["canvas"]  # the second waits
    assert sent[0]["params"] == {"nodes": 10, "run_id": "w1", "timeout_s": 300.0}
    assert [e.position for e in events if isinstance(e, WorkloadQueued)] == [0, 1]
    clock.now = 130.0
    q.on_records([final("w1")])
    assert [c["name"] for c in sent] == ["canvas", "event_bus"]
    assert (first.status, first.elapsed_s, second.status) == ("ok", 30.0, "running")
    q.on_records([final("w2", "failed", "TypeError: boom\n  traceback line")])
    assert (second.status, second.reason) == ("failed", "TypeError: boom")
    assert not q.busy
    kinds = [type(e).__name__ for e in events if isinstance(e, WorkloadStarted | WorkloadFinished)]
    assert kinds == ["WorkloadStarted", "WorkloadFinished"] * 2


def test_a_final_record_of_another_run_does_not_end_the_current_one(queue) -> None:
    q, sent, _events, _clock = queue
    ticket = q.submit("canvas", {})
    q.on_records([final("w9")])
    assert ticket.status == "running" and len(sent) == 1


def test_progress_gives_the_step_and_the_time_left(queue) -> None:
    q, _sent, events, clock = queue
    q.submit("canvas", {"nodes": 100})
    # before any step the estimate counts down: canvas nodes=100 is 99.5 s
    clock.now = 101.0
    q.heartbeat()
    clock.now = 110.0
    q.on_records(
        [{"kind": "workload_progress", "run_id": "w1", "step": 25, "total": 100, "label": "x"}]
    )
    # a quiet agent: the heartbeat repeats its last step, the time left from the step rate
    clock.now = 112.0
    q.heartbeat()
    beat, step, again = [e for e in events if isinstance(e, WorkloadProgress)]
    assert (beat.step, beat.total, beat.label, beat.eta_s) == (0, 0, "running", 98.5)
    assert (step.step, step.total, step.fraction) == (25, 100, 0.25)
    assert (step.label, step.elapsed_s, step.eta_s) == ("x", 10.0, 30.0)
    assert (again.step, again.label, again.elapsed_s, again.eta_s) == (25, "x", 12.0, 36.0)


def test_past_its_estimate_without_steps_the_time_left_is_unknown(queue) -> None:
    q, _sent, events, clock = queue
    q.submit("bus", {"seconds": 1.0, "repetitions": 1})  # estimate 2 + 1.5 = 3.5 s
    clock.now = 104.0
    q.heartbeat()
    [late] = [e for e in events if isinstance(e, WorkloadProgress)]
    assert (late.elapsed_s, late.eta_s) == (4.0, None)


def test_cancel_drops_a_queued_run_and_asks_the_agent_to_stop_the_running_one(queue) -> None:
    q, sent, _events, _clock = queue
    running = q.submit("canvas", {})
    waiting = q.submit("canvas", {})
    assert q.cancel(waiting.run_id)
    assert (waiting.status, waiting.reason) == ("cancelled", "cancelled before it started")
    assert q.cancel(running.run_id)
    assert sent[-1] == {"type": "command", "cmd": "workload_cancel", "run_id": "w1"}
    assert running.status == "running"  # until the agent says it has cleaned up
    q.on_records([final("w1", "cancelled", "cancelled by the user")])
    assert running.status == "cancelled" and not q.busy
    assert [c.get("cmd") for c in sent] == ["workload", "workload_cancel"]


def test_closing_fails_what_runs_and_what_waits_with_the_reason(queue) -> None:
    q, _sent, _events, _clock = queue
    running, waiting = q.submit("canvas", {}), q.submit("pools", {})
    q.close("target exited (code 0)")
    assert (running.status, running.reason) == ("failed", "stopped: target exited (code 0)")
    assert (waiting.status, waiting.reason) == ("failed", "not started: target exited (code 0)")
    with pytest.raises(WorkloadSpecError, match="not started: target exited"):
        q.submit("canvas", {})


def test_bad_input_is_one_line(queue) -> None:
    q, sent, _events, _clock = queue
    with pytest.raises(WorkloadSpecError, match=r"^canvas: nodes=0 is outside 1\.\.2000$"):
        q.submit("canvas", {"nodes": 0})
    with pytest.raises(WorkloadSpecError, match="unknown workload 'paint'"):
        q.submit("paint", {})
    with pytest.raises(WorkloadSpecError, match=r"^workflow_run: the app cannot run workflows"):
        q.submit("workflow_run", {})
    assert sent == []


def test_estimates_come_from_the_parameters_and_the_pools_the_profile_drives(queue) -> None:
    q, _sent, _events, _clock = queue
    # canvas: 2 s setup + 3 x (100 x 0.08 + 90 frames x 0.25 + 2)
    assert q.estimate("canvas", {"nodes": 100}) == 99.5
    # pools: 2 s + 2 supported pools x 16 sizes x 3 repetitions x (0.5 + 0.35)
    assert q.estimate("pools", {"sweep": "1..16"}) == 83.6
    assert q.estimate("pools", {"sweep": "1..16", "pool": "a"}) == 42.8
    assert estimate_s("pools", {"sweep": "1..16"}) == 42.8


def test_profile_workloads_list_parameters_with_types_defaults_and_ranges() -> None:
    infos = {w.name: w for w in profile_workloads(TABLE)}
    assert infos["canvas"].available and not infos["job_queue"].available
    assert infos["job_queue"].reason == "not defined in this profile"
    nodes = next(p for p in infos["canvas"].params if p.name == "nodes")
    assert (nodes.type, nodes.default, nodes.minimum, nodes.maximum) == ("int", 200, 1, 2000)
    sweep = next(p for p in infos["pools"].params if p.name == "sweep")
    assert (sweep.type, sweep.minimum) == ("str", None)


def test_nothing_is_sent_before_the_agent_streams() -> None:
    sent: list[dict[str, Any]] = []
    q = WorkloadQueue(sent.append, lambda _e: None, TABLE, FakeClock(), ready=False)
    ticket = q.submit("canvas", {})
    assert sent == [] and ticket.status == "queued"
    q.mark_ready()
    assert [c["params"]["run_id"] for c in sent] == ["w1"] and ticket.status == "running"


def test_a_workload_is_progressing_while_it_reports_steps(queue) -> None:
    q, _sent, _events, clock = queue
    q.submit("canvas", {})
    assert not q.progressing(30.0)  # no step reported yet
    q.on_records([{"kind": "workload_progress", "run_id": "w1", "step": 1, "total": 9}])
    clock.now += 29.0
    assert q.progressing(30.0)
    clock.now += 2.0
    assert not q.progressing(30.0)
