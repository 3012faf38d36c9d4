"""From a pools-workload result to a recommended pool size, with its reasoning and a series
ready to plot (size against throughput and acquire wait).

The knee (the size past which throughput stops rising beyond its measured noise) is found by
the same `find_knee` the agent uses, so the session and the report agree. The recommendation
starts at the knee and moves up only if the acquire wait p95 there is above the budget and a
larger size in the sweep brings it under the budget without losing throughput.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inspector.agent.workloads.summary import find_knee

DEFAULT_WAIT_BUDGET_MS = 50.0


@dataclass(frozen=True)
class PoolSizing:
    """The answer for one pool: the size to use, why, and the measured curve."""

    pool: str
    pool_class: str
    status: str  # "ok" | "unsupported" | "failed"
    recommended: int | None
    knee: int | None
    reasoning: str
    series: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pool": self.pool,
            "class": self.pool_class,
            "status": self.status,
            "recommended": self.recommended,
            "knee": self.knee,
            "reasoning": self.reasoning,
            "series": self.series,
        }


def _p50(cell: Any) -> float:
    return float(cell["p50"]) if isinstance(cell, Mapping) else float(cell or 0.0)


def series(points: list[Mapping[str, Any]]) -> dict[str, list[float]]:
    """Plot-ready columns, one entry per size, sizes ascending."""
    ordered = sorted(points, key=lambda pt: pt["size"])
    cols: dict[str, list[float]] = {
        "size": [],
        "throughput_rps": [],
        "throughput_min": [],
        "throughput_max": [],
        "wait_ms_p50": [],
        "wait_ms_p95": [],
        "exhausted": [],
        "timeouts": [],
    }
    for pt in ordered:
        tput = pt.get("throughput_rps", {})
        cols["size"].append(float(pt["size"]))
        cols["throughput_rps"].append(_p50(tput))
        cols["throughput_min"].append(float(tput.get("min", _p50(tput))))
        cols["throughput_max"].append(float(tput.get("max", _p50(tput))))
        cols["wait_ms_p50"].append(_p50(pt.get("wait_ms_p50")))
        cols["wait_ms_p95"].append(_p50(pt.get("wait_ms_p95")))
        cols["exhausted"].append(_p50(pt.get("exhausted")))
        cols["timeouts"].append(_p50(pt.get("timeouts")))
    return cols


def recommend(
    pool_result: Mapping[str, Any],
    conditions: Mapping[str, Any] | None = None,
    wait_budget_ms: float = DEFAULT_WAIT_BUDGET_MS,
) -> PoolSizing:
    """The recommendation for one entry of a pools result's "pools" list."""
    name = str(pool_result.get("pool", "pool"))
    cls = str(pool_result.get("class", ""))
    status = str(pool_result.get("status", "ok"))
    if status != "ok":
        reason = str(pool_result.get("reason", "no measurement"))
        return PoolSizing(name, cls, status, None, None, f"Not measured: {reason}.")
    points = list(pool_result.get("points") or [])
    if not points:
        return PoolSizing(name, cls, "failed", None, None, "Not measured: no sizes were run.")
    cols = series(points)
    sizes = [int(s) for s in cols["size"]]
    tput = cols["throughput_rps"]
    spans = zip(cols["throughput_max"], cols["throughput_min"], strict=True)
    noise = [(hi - lo) / 2 for hi, lo in spans]
    knee, knee_why = find_knee(sizes, tput, noise)
    if knee is None:
        return PoolSizing(name, cls, "failed", None, None, f"No recommendation: {knee_why}.", cols)
    k = sizes.index(knee)
    chosen = k
    wait_note = ""
    if cols["wait_ms_p95"][k] > wait_budget_ms:
        better = [
            j
            for j in range(k + 1, len(sizes))
            if cols["wait_ms_p95"][j] <= wait_budget_ms and tput[j] >= tput[k] - noise[k]
        ]
        if better:
            chosen = better[0]
            wait_note = (
                f" At the knee the acquire wait p95 is {cols['wait_ms_p95'][k]:.0f} ms, above the "
                f"{wait_budget_ms:.0f} ms budget; size {sizes[chosen]} keeps it at "
                f"{cols['wait_ms_p95'][chosen]:.0f} ms for the same throughput."
            )
        else:
            wait_note = (
                f" The acquire wait p95 stays above the {wait_budget_ms:.0f} ms budget at every "
                f"size tried ({cols['wait_ms_p95'][k]:.0f} ms at the knee): the service, not "
                "the pool, is the bottleneck, and more connections would only queue there."
            )
    size = sizes[chosen]
    at_edge = knee == sizes[-1] and len(sizes) > 1
    lead = (
        f"At least max size {size} for {name} ({cls}); rerun with a wider sweep to find the knee"
        if at_edge
        else f"Recommended max size {size} for {name} ({cls})"
    )
    text = (
        f"{lead}. Knee at size {knee}: {knee_why}."
        f"{wait_note} At size {size}: {tput[chosen]:.0f} requests/s, acquire wait p50 "
        f"{cols['wait_ms_p50'][chosen]:.1f} ms / p95 {cols['wait_ms_p95'][chosen]:.1f} ms, "
        f"{cols['exhausted'][chosen]:.0f} acquires found the pool exhausted, "
        f"{cols['timeouts'][chosen]:.0f} timed out."
    )
    default = pool_result.get("default_size")
    if isinstance(default, int):
        relation = "matches" if default == size else ("is above" if default > size else "is below")
        text += f" The app's default ({default}) {relation} this."
    if conditions:
        text += (
            f" Measured with {conditions.get('clients', '?')} concurrent clients against a "
            f"loopback service of {conditions.get('service_ms', '?')} ms per request serving "
            f"{conditions.get('capacity', '?')} at once; size for your real concurrency and "
            "backend."
        )
    return PoolSizing(name, cls, "ok", size, knee, text, cols)


def size_pools(
    workload: Mapping[str, Any], wait_budget_ms: float = DEFAULT_WAIT_BUDGET_MS
) -> list[PoolSizing]:
    """Every pool of a pools-workload record (or of its "results")."""
    results = workload.get("results", workload)
    conditions = dict(results.get("service") or {})
    if "clients" in results:
        conditions["clients"] = results["clients"]
    return [recommend(p, conditions, wait_budget_ms) for p in results.get("pools") or []]
