"""Job-queue workload: enqueue and dequeue M jobs across R robots and E environments through
the app's own queue class; how dequeue time grows with the backlog.

A fresh queue per repetition (so every run starts from the same empty state). The backlog is
grown in ten steps to M jobs; at each step `probes` dequeues are timed (round-robin over the
robots, each finished job completed and replaced so the backlog holds), then the queue is
drained. Runs on a daemon thread: the queue is lock-based and thread-safe by design, and the
GUI thread must not wait for it.
"""

from __future__ import annotations

import time
from typing import Any

from inspector.agent.workloads.resolve import WorkloadSetupError, resolve
from inspector.agent.workloads.run import WorkloadRun, drive_on_thread
from inspector.agent.workloads.summary import percentile, spread

DESCRIPTION = "enqueue/dequeue M jobs across R robots and E environments; dequeue time vs backlog"
PARAMS: dict[str, tuple[Any, str]] = {
    "jobs": (2000, "backlog reached (M)"),
    "robots": (4, "robots taking jobs (R)"),
    "environments": (2, "environments jobs and robots are spread over (E)"),
    "probes": (20, "dequeues timed at each backlog step"),
    "repetitions": (3, "times the measurement is repeated"),
}
STEPS = 10


def start(run: WorkloadRun) -> None:
    drive_on_thread(run, lambda: _work(run))


def fill(template: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Substitute {i}, {env}, {robot}, {priority} in a template; "{x}" alone keeps x's type."""
    out: dict[str, Any] = {}
    for key, value in template.items():
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            name = value[1:-1]
            if name in values:
                out[key] = values[name]
                continue
        out[key] = value.format(**values) if isinstance(value, str) else value
    return out


class _QueueDriver:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.queue_cls = resolve(str(spec.get("queue", "")))
        self.job_factory = resolve(str(spec.get("job_factory", "")))
        self.robot_factory = resolve(str(spec.get("robot_factory", "")))
        self.job_template = dict(spec.get("job_template") or {})
        self.robot_template = dict(spec.get("robot_template") or {})
        if not self.job_template or not self.robot_template:
            raise WorkloadSetupError("the profile needs `job_template` and `robot_template`")
        self.enqueue_kwargs = dict(spec.get("enqueue_kwargs") or {})
        self.job_id_attr = str(spec.get("job_id_attr", "job_id"))
        self.complete = str(spec.get("complete", "complete"))
        self.jobs_attr = str(spec.get("jobs_attr", "_jobs"))
        self.serial = 0

    def job(self, env: str, priority: int) -> Any:
        self.serial += 1
        return self.job_factory(
            fill(self.job_template, {"i": self.serial, "env": env, "priority": priority})
        )


def _one_repetition(run: WorkloadRun, d: _QueueDriver) -> dict[str, Any]:
    p = run.params
    envs = [f"env-{e}" for e in range(p["environments"])]
    robots = [
        d.robot_factory(fill(d.robot_template, {"robot": r, "env": envs[r % len(envs)]}))
        for r in range(p["robots"])
    ]
    queue = d.queue_cls()
    enqueue_us: list[float] = []
    curve: list[dict[str, Any]] = []
    got = 0
    backlog_target = 0
    step_size = max(1, p["jobs"] // STEPS)

    def enqueue(n: int) -> None:
        for k in range(n):
            job = d.job(envs[k % len(envs)], k % 3)
            t0 = time.perf_counter()
            queue.enqueue(job, **d.enqueue_kwargs)
            enqueue_us.append((time.perf_counter() - t0) * 1e6)

    for _step in range(STEPS):
        if run.done:
            return {}
        enqueue(step_size)
        backlog_target += step_size
        times: list[float] = []
        for k in range(p["probes"]):
            robot = robots[k % len(robots)]
            t0 = time.perf_counter()
            job = queue.dequeue(robot)
            times.append((time.perf_counter() - t0) * 1e6)
            if job is not None:
                got += 1
                getattr(queue, d.complete)(getattr(job, d.job_id_attr))
                enqueue(1)  # keep the backlog where this step put it
        curve.append(
            {
                "backlog": backlog_target,
                "dequeue_us_p50": percentile(times, 0.5),
                "dequeue_us_p95": percentile(times, 0.95),
            }
        )
    drain_us: list[float] = []
    empty_rounds = 0
    while empty_rounds < len(robots) and not run.done:
        robot = robots[len(drain_us) % len(robots)]
        t0 = time.perf_counter()
        job = queue.dequeue(robot)
        drain_us.append((time.perf_counter() - t0) * 1e6)
        if job is None:
            empty_rounds += 1
            continue
        empty_rounds = 0
        got += 1
        getattr(queue, d.complete)(getattr(job, d.job_id_attr))
    jobs_table = getattr(queue, d.jobs_attr, None)
    return {
        "curve": curve,
        "enqueue_us_p50": percentile(enqueue_us, 0.5),
        "drain_us_p50": percentile(drain_us, 0.5),
        "dequeued": got,
        "enqueued": len(enqueue_us),
        "retained_jobs": len(jobs_table) if hasattr(jobs_table, "__len__") else None,
    }


def _work(run: WorkloadRun) -> None:
    p = run.params
    if min(p["jobs"], p["robots"], p["environments"], p["probes"], p["repetitions"]) < 1:
        raise ValueError("jobs, robots, environments, probes and repetitions must be at least 1")
    driver = _QueueDriver(run.definition)
    reps = []
    for _ in range(p["repetitions"]):
        rep = _one_repetition(run, driver)
        if not rep:
            return
        reps.append(rep)
    curve = []
    for i, point in enumerate(reps[0]["curve"]):
        curve.append(
            {
                "backlog": point["backlog"],
                "dequeue_us_p50": spread([r["curve"][i]["dequeue_us_p50"] for r in reps], 1),
                "dequeue_us_p95": spread([r["curve"][i]["dequeue_us_p95"] for r in reps], 1),
            }
        )
    first, last = curve[0]["dequeue_us_p50"]["p50"], curve[-1]["dequeue_us_p50"]["p50"]
    results = {
        "queue": f"{driver.queue_cls.__module__}.{driver.queue_cls.__qualname__}",
        "jobs": p["jobs"],
        "robots": p["robots"],
        "environments": p["environments"],
        "repetitions": len(reps),
        "dequeue_vs_backlog": curve,
        "dequeue_growth": round(last / first, 2) if first > 0 else None,
        "enqueue_us_p50": spread([r["enqueue_us_p50"] for r in reps], 1),
        "drain_dequeue_us_p50": spread([r["drain_us_p50"] for r in reps], 1),
        "enqueued": reps[-1]["enqueued"],
        "dequeued": reps[-1]["dequeued"],
        "retained_jobs_after_drain": reps[-1]["retained_jobs"],
    }
    run.finish("ok", "", results)
