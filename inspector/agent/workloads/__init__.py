"""Standard workloads the agent runs inside the target on the inspector's command.

`run_workload(name, params, config, emit)` returns at once. The workload runs on the thread it
needs (the Qt GUI thread for the canvas and the buses, the target's asyncio loop for pools, a
daemon thread for the lock-based job queue) and ends with exactly one record
`{"t", "kind": "workload", "name", "params", "status": "ok"|"failed"|"unsupported", "reason",
"results"}`. Any failure (an exception, a class a later CasareRPA moved, a time-out) becomes
status "failed" with the reason; the target keeps running.

Definitions (which classes, factories, parameters) come from the profile's [workloads] table,
so another app defines its own workloads without code. Standard library only.
`stop_all(reason)` ends every running workload (call it on detach); `cancel(run_id)` ends one
as "cancelled" (it undoes what it created at its next step). The inspector runs workloads one
at a time (`inspector.live`), naming each run with params["run_id"]; progress records:
`inspector.agent.workloads.run`.

Results (every repeated figure is a spread {"p50", "min", "max", "n"} over the repetitions):
- canvas: node_types, nodes, connections, paints, paints_per_s, frame_ms_p50, frame_ms_p95
  (paint time of the canvas viewport), frame_ms {p50, p95, max, n} over all paints,
  create_ms_per_node, create_ms_p95, create_wall_s, delete_ms_per_node, kib_per_node,
  kib_per_node_first (RSS delta; the first repetition pays for fresh memory).
- event_bus: buses: [{bus, class, target_rate, achieved_rate, published, publish_us_p50,
  publish_us_p95, publish_us_max, publisher_busy_share, by_type, subscribers, mix}].
- pools: sizes, clients, service {url, service_ms, capacity, requests_served}, pools: [{pool,
  class, kind, status, reason?, points: [{size, throughput_rps, wait_ms_p50, wait_ms_p95,
  exhausted, timeouts, errors, pool_stats}], knee, knee_reason, default_size}]
  (`inspector.core.pool_sizing` turns this into a recommendation and a plot series).
- job_queue: queue, jobs, robots, environments, dequeue_vs_backlog: [{backlog,
  dequeue_us_p50, dequeue_us_p95}], dequeue_growth, enqueue_us_p50, drain_dequeue_us_p50,
  enqueued, dequeued, retained_jobs_after_drain.
- workflow_run: runner, runs, run_ms_p50, run_ms_max.
All results also carry elapsed_s (wall time of the whole run).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

from inspector.agent.workloads.run import WorkloadRun

# Canonical name -> module under this package.
WORKLOADS: dict[str, str] = {
    "canvas": "canvas",
    "event_bus": "event_bus",
    "pools": "pools",
    "job_queue": "job_queue",
    "workflow_run": "workflow_run",
}
ALIASES: dict[str, str] = {
    "bus": "event_bus",
    "events": "event_bus",
    "pool": "pools",
    "queue": "job_queue",
    "jobs": "job_queue",
    "workflow": "workflow_run",
}
DEFAULT_TIMEOUT_S = 300.0
CONTROL_PARAMS = ("timeout_s", "run_id")  # for the run itself, not the workload's parameters

_active: list[WorkloadRun] = []  # runs not yet finished, for stop_all
_active_lock = threading.Lock()


def canonical_name(name: str) -> str | None:
    name = name.strip().lower().replace("-", "_")
    name = ALIASES.get(name, name)
    return name if name in WORKLOADS else None


def workload_module(name: str) -> Any:
    return importlib.import_module(f"{__name__}.{WORKLOADS[name]}")


def describe(name: str) -> dict[str, Any]:
    """{"name", "description", "params": {param: {"default", "help"}}} for listings."""
    module = workload_module(name)
    return {
        "name": name,
        "description": module.DESCRIPTION,
        "params": {
            key: {"default": default, "help": text}
            for key, (default, text) in module.PARAMS.items()
        },
    }


def coerce_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Defaults merged with `params`, each converted to its default's type; ValueError if bad."""
    declared: dict[str, tuple[Any, str]] = workload_module(name).PARAMS
    unknown = sorted(set(params) - set(declared) - set(CONTROL_PARAMS))
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(declared)}")
    merged: dict[str, Any] = {}
    for key, (default, _text) in declared.items():
        value = params.get(key, default)
        try:
            if isinstance(default, bool):
                value = (
                    value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
                )
            elif isinstance(default, int):
                value = int(value)
            elif isinstance(default, float):
                value = float(value)
            elif isinstance(default, str):
                value = str(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"parameter {key}={value!r} is not a {type(default).__name__}"
            ) from None
        merged[key] = value
    return merged


def _definition(name: str, config: dict[str, Any] | None) -> dict[str, Any] | None:
    """The workload's table from the profile's [workloads] table."""
    config = config or {}
    for key in (name, *[alias for alias, canon in ALIASES.items() if canon == name]):
        table = config.get(key)
        if isinstance(table, dict):
            return table
    return None


def run_workload(
    name: str,
    params: dict[str, Any],
    config: dict[str, Any],
    emit: Callable[[dict[str, Any]], None],
) -> None:
    """Start the named workload and return at once; it emits exactly one final record."""
    canonical = canonical_name(str(name))
    params = dict(params or {})
    run_id = str(params.pop("run_id", "") or "")
    definition = _definition(canonical, config) if canonical else None
    timeout_s = DEFAULT_TIMEOUT_S
    try:
        timeout_s = float(params.get("timeout_s", (definition or {}).get("timeout_s", timeout_s)))
    except (TypeError, ValueError):
        pass
    run = WorkloadRun(canonical or str(name), params, definition or {}, emit, timeout_s, run_id)
    if canonical is None:
        run.finish("failed", f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}")
        return
    if definition is None:
        run.finish("unsupported", f"this profile defines no [workloads.{canonical}]")
        return
    if definition.get("supported", True) is False:
        run.finish("unsupported", str(definition.get("reason", "not supported by this target")))
        return
    with _active_lock:
        _active[:] = [r for r in _active if not r.finished]
        _active.append(run)
    try:
        module = workload_module(canonical)
        run.params = coerce_params(canonical, params)
        run.start_watchdog()
        module.start(run)
    except Exception as exc:
        run.fail(exc)


def cancel(run_id: str, reason: str = "cancelled by the user") -> bool:
    """Cancel the running workload named `run_id` (every running one for ""); True if any."""
    with _active_lock:
        running = [r for r in _active if not r.done and (not run_id or r.run_id == run_id)]
    return any([run.cancel(reason) for run in running])


def stop_all(reason: str = "the inspector detached") -> int:
    """End every running workload as "failed" with `reason` (e.g. on detach); each one then
    stops at its next step and cleans up after itself. Returns how many were running."""
    with _active_lock:
        running = [r for r in _active if not r.finished]  # also those cleaning up
        _active.clear()
    for run in running:
        run.finish("failed", f"stopped: {reason}")
    return len(running)
