"""Workload specs as typed on the command line: `canvas:nodes=200`, `pools:sweep=1..16`.

Grammar: NAME[:KEY=VALUE[,KEY=VALUE]...]. A comma-separated piece without "=" continues the
previous value, so `pools:sweep=1,2,4,clients=8` gives sweep="1,2,4" and clients=8. Values that
read as integers, floats or true/false become those; anything else stays a string. Names and
parameters are checked against the workloads the agent knows (aliases such as `bus` or
`queue` are accepted), and a bad spec raises `WorkloadSpecError` with one line saying why.
"""

from __future__ import annotations

from typing import Any

from inspector.agent.workloads import WORKLOADS, canonical_name, coerce_params


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
    try:
        coerce_params(name, params)
    except ValueError as exc:
        raise WorkloadSpecError(f"{name}: {exc}") from None
    if name == "pools" and "sweep" in params:
        from inspector.agent.workloads.pools import parse_sweep

        try:
            parse_sweep(str(params["sweep"]))
        except ValueError as exc:
            raise WorkloadSpecError(str(exc)) from None
    return name, params


def format_workload_spec(name: str, params: dict[str, Any]) -> str:
    """The inverse of `parse_workload_spec`, for labels and reports."""
    if not params:
        return name
    return f"{name}:" + ",".join(f"{key}={value}" for key, value in params.items())
