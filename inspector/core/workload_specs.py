"""Workload specs as typed on the command line: `canvas:nodes=200`, `pools:sweep=1..16`.

Grammar: NAME[:KEY=VALUE[,KEY=VALUE]...]. A comma-separated piece without "=" continues the
previous value, so `pools:sweep=1,2,4,clients=8` gives sweep="1,2,4" and clients=8. Values that
read as integers, floats or true/false become those; anything else stays a string. Names and
parameters are checked against the workloads the agent knows (aliases such as `bus` or
`queue` are accepted), and a bad spec raises `WorkloadSpecError` with one line saying why.

`workload_params(name)` describes each parameter (type, default, allowed range, help) for a
form; `estimate_s(name, params, pools=N)` says roughly how long a run takes, so `record` can
tell up front how long its workloads need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspector.agent.workloads import WORKLOADS, canonical_name, coerce_params, workload_module


class WorkloadSpecError(ValueError):
    """A workload spec that cannot be used; the message is one line for the user."""


def _value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            continue
    return text


def parse_workload_spec(text: str) -> tuple[str, dict[str, Any]]:
    """ "canvas:nodes=200" -> ("canvas", {"nodes": 200}). Raises WorkloadSpecError."""
    name_part, _, params_part = str(text).strip().partition(":")
    name = canonical_name(name_part) if name_part.strip() else None
    if name is None:
        raise WorkloadSpecError(
            f"unknown workload {name_part.strip()!r} in {text!r}; known: {', '.join(WORKLOADS)}"
        )
    params: dict[str, Any] = {}
    last_key: str | None = None
    for piece in params_part.split(","):
        if not piece.strip():
            continue
        if "=" in piece:
            key, _, value = piece.partition("=")
            key = key.strip()
            if not key:
                raise WorkloadSpecError(f"empty parameter name in {text!r}")
            params[key] = value.strip()
            last_key = key
        elif last_key is not None:
            params[last_key] = f"{params[last_key]},{piece.strip()}"
        else:
            raise WorkloadSpecError(f"expected KEY=VALUE after '{name_part}:' in {text!r}")
    params = {key: _value(str(value)) for key, value in params.items()}
    check_params(name, params)
    return name, params


@dataclass(frozen=True)
class WorkloadParam:
    """One parameter of a workload, as a form shows it."""

    name: str
    type: str  # "int", "float", "bool" or "str"
    default: Any
    minimum: float | None
    maximum: float | None
    description: str


# Allowed ranges: wide enough for any real use, narrow enough that a typo cannot ask a
# target for a million nodes. Parameters not listed have no numeric range.
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("canvas", "nodes"): (1, 2000),
    ("canvas", "repetitions"): (1, 10),
    ("canvas", "steps"): (1, 300),
    ("canvas", "batch"): (1, 500),
    ("event_bus", "rate"): (1, 10000),
    ("event_bus", "seconds"): (0.1, 60),
    ("event_bus", "repetitions"): (1, 10),
    ("pools", "clients"): (1, 512),
    ("pools", "seconds"): (0.05, 30),
    ("pools", "repetitions"): (1, 10),
    ("pools", "service_ms"): (0, 1000),
    ("pools", "capacity"): (1, 256),
    ("pools", "acquire_timeout"): (0.01, 60),
    ("job_queue", "jobs"): (1, 100000),
    ("job_queue", "robots"): (1, 256),
    ("job_queue", "environments"): (1, 64),
    ("job_queue", "probes"): (1, 1000),
    ("job_queue", "repetitions"): (1, 10),
    ("workflow_run", "runs"): (1, 1000),
    ("workflow_run", "repetitions"): (1, 10),
}


def workload_params(name: str) -> tuple[WorkloadParam, ...]:
    """The parameters of workload `name` (canonical or alias) in declaration order."""
    canonical = canonical_name(name)
    if canonical is None:
        raise WorkloadSpecError(f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}")
    declared: dict[str, tuple[Any, str]] = workload_module(canonical).PARAMS
    out = []
    for key, (default, text) in declared.items():
        low, high = RANGES.get((canonical, key), (None, None))
        kind = type(default).__name__ if isinstance(default, bool | int | float) else "str"
        out.append(WorkloadParam(key, kind, default, low, high, text))
    return tuple(out)


def check_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Defaults merged with `params`, typed and range-checked; WorkloadSpecError if bad."""
    canonical = canonical_name(name)
    if canonical is None:
        raise WorkloadSpecError(f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}")
    try:
        merged = coerce_params(canonical, params)
    except (ValueError, KeyError) as exc:
        raise WorkloadSpecError(f"{canonical}: {exc}") from None
    for key, value in merged.items():
        low, high = RANGES.get((canonical, key), (None, None))
        if low is not None and high is not None and not low <= value <= high:
            raise WorkloadSpecError(f"{canonical}: {key}={value} is outside {low:g}..{high:g}")
    if canonical == "pools":
        from inspector.agent.workloads.pools import parse_sweep

        try:
            parse_sweep(str(merged["sweep"]))
        except ValueError as exc:
            raise WorkloadSpecError(str(exc)) from None
    return merged


# Seconds per unit of work, measured on the real CasareRPA canvas under Xvfb with software
# OpenGL on a busy 2-core machine (canvas:nodes=100 took 106 s: 5-7 s creating 100 nodes,
# 13-46 s for 90 interaction frames, 2 s deleting, per repetition; pools:sweep=1..16 on one
# pool took 43 s for 48 half-second measurements).
CANVAS_S_PER_NODE = 0.08  # create + connect + delete, the app's repaints included
CANVAS_S_PER_FRAME = 0.25  # one drag/pan/zoom step including the viewport's paint
CANVAS_S_PER_REPETITION = 2.0
POOLS_S_PER_POINT = 0.35  # building, closing and settling one pool around a measurement
EVENT_BUS_S_PER_REPETITION = 0.5
JOB_QUEUE_S_PER_JOB = 0.002
WORKFLOW_S_PER_RUN = 2.0
SETUP_S = 2.0  # finding the app's classes, waiting for its event loop, one round trip


def estimate_s(name: str, params: dict[str, Any], pools: int = 1) -> float:
    """Rough seconds one run of workload `name` takes with `params` (`pools` it drives)."""
    canonical = canonical_name(name) or name
    p = check_params(canonical, params)
    if canonical == "canvas":
        per_rep = (
            p["nodes"] * CANVAS_S_PER_NODE
            + 3 * p["steps"] * CANVAS_S_PER_FRAME
            + CANVAS_S_PER_REPETITION
        )
        work = p["repetitions"] * per_rep
    elif canonical == "pools":
        from inspector.agent.workloads.pools import parse_sweep

        points = len(parse_sweep(str(p["sweep"]))) * p["repetitions"]
        work = max(1, pools) * points * (p["seconds"] + POOLS_S_PER_POINT)
    elif canonical == "event_bus":
        work = p["repetitions"] * (p["seconds"] + EVENT_BUS_S_PER_REPETITION)
    elif canonical == "job_queue":
        work = p["repetitions"] * p["jobs"] * JOB_QUEUE_S_PER_JOB
    elif canonical == "workflow_run":
        work = p["repetitions"] * p["runs"] * WORKFLOW_S_PER_RUN
    else:
        work = 0.0
    return round(SETUP_S + work, 1)


def format_workload_spec(name: str, params: dict[str, Any]) -> str:
    """The inverse of `parse_workload_spec`, for labels and reports."""
    if not params:
        return name
    return f"{name}:" + ",".join(f"{key}={value}" for key, value in params.items())
