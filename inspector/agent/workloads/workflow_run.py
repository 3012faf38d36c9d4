"""Workflow-run workload: run a bundled workflow through the app's own runner, when it can.

Targets that cannot run workflows say so in their profile (`supported = false` with a
`reason`), and the workload ends "unsupported" with that reason before anything starts. When
supported, `runs` runs are awaited one after another on the target's loop and timed.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from inspector.agent.workloads.resolve import WorkloadSetupError, find_instance, resolve
from inspector.agent.workloads.run import WorkloadRun, drive_on_loop
from inspector.agent.workloads.summary import distribution, spread

DESCRIPTION = "run a bundled workflow through the app's runner (or say why the app cannot)"
PARAMS: dict[str, tuple[Any, str]] = {
    "runs": (5, "workflow runs per repetition"),
    "repetitions": (3, "times the measurement is repeated"),
}


def start(run: WorkloadRun) -> None:
    drive_on_loop(run, lambda: _run(run))


async def _run(run: WorkloadRun) -> None:
    p = run.params
    if p["runs"] < 1 or p["repetitions"] < 1:
        raise ValueError("runs and repetitions must be at least 1")
    spec = run.definition
    if "runner" not in spec:
        raise WorkloadSetupError("the profile's [workloads.workflow_run] gives no `runner`")
    runner = find_instance(str(spec["runner"]))
    method = getattr(runner, str(spec.get("method", "run")), None)
    if method is None:
        raise WorkloadSetupError(f"{type(runner).__qualname__} has no {spec.get('method', 'run')}")
    workflow = resolve(str(spec["workflow"])) if spec.get("workflow") else None
    reps: list[list[float]] = []
    for _ in range(p["repetitions"]):
        durations = []
        for _ in range(p["runs"]):
            t0 = time.perf_counter()
            result = method(workflow) if workflow is not None else method()
            if asyncio.iscoroutine(result):
                await result
            durations.append((time.perf_counter() - t0) * 1000.0)
        reps.append(durations)
        await asyncio.sleep(0.05)
    run.finish(
        "ok",
        "",
        {
            "runner": f"{type(runner).__module__}.{type(runner).__qualname__}",
            "runs": p["runs"],
            "repetitions": len(reps),
            "run_ms_p50": spread([distribution(r)["p50"] for r in reps], 2),
            "run_ms_max": spread([max(r) for r in reps], 2),
        },
    )
