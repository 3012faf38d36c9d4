"""Baseline plots as PNG bytes (matplotlib, Agg backend, no pyplot global state).

The model holds the bytes; the Markdown renderer links them from a folder next to the report
and the HTML renderer embeds them as data URIs, so both show the same figures.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analyzers.findings import AREAS, Finding, Severity
from inspector.core.stats import percentile


@dataclass(frozen=True)
class Plot:
    """One figure: `name` is the file stem (e.g. "loop_lag"), `png` the encoded image."""

    name: str
    title: str
    caption: str
    png: bytes


_SEVERITY_COLORS = {
    Severity.CRITICAL: "#b2182b",
    Severity.HIGH: "#ef8a62",
    Severity.MEDIUM: "#fddbc7",
    Severity.LOW: "#d1e5f0",
}


def _figure(width: float = 7.5, height: float = 2.8) -> Any:
    # Imported lazily: matplotlib costs ~0.3 s to import and a JSON-only report needs none.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    # Fixed margins instead of tight_layout (which draws the figure twice) and light PNG
    # compression: plots are half the cost of a report otherwise.
    fig.subplots_adjust(left=0.09, right=0.9, bottom=0.17, top=0.9)
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 3})
    return buf.getvalue()


def _t0(records_by_kind: Mapping[str, Sequence[Mapping[str, Any]]]) -> float:
    times = [float(r["t"]) for recs in records_by_kind.values() for r in recs[:1]]
    return min(times) if times else 0.0


def findings_by_area(findings: Sequence[Finding]) -> Plot | None:
    if not findings:
        return None
    counts: dict[Severity, list[int]] = {s: [0] * 10 for s in Severity}
    for f in findings:
        counts[f.severity][f.area - 1] += 1
    fig = _figure(height=3.2)
    ax = fig.add_subplot(1, 1, 1)
    bottom = [0] * 10
    labels = [str(a) for a in AREAS]
    for sev in Severity:
        ax.bar(
            labels,
            counts[sev],
            bottom=bottom,
            label=sev.value,
            color=_SEVERITY_COLORS[sev],
            edgecolor="#555555",
            linewidth=0.4,
        )
        bottom = [b + c for b, c in zip(bottom, counts[sev], strict=True)]
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("area")
    ax.set_ylabel("findings")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max(bottom) * 1.08 + 0.5)
    # Legend above the axes so it never hides a bar.
    ax.legend(fontsize=7, ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    return Plot(
        "findings_by_area",
        "Findings per area by severity",
        "Stacked counts of findings in each of the ten audit areas.",
        _png(fig),
    )


def loop_lag(records: Sequence[Mapping[str, Any]], t0: float) -> Plot | None:
    if not records:
        return None
    xs = [float(r["t"]) - t0 for r in records]
    p95 = [percentile([float(v) for v in r.get("lag_ms") or ()], 95) for r in records]
    mx = [float(r.get("max_ms") or 0.0) for r in records]
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(xs, mx, color="#b2182b", linewidth=0.8, label="max per interval")
    ax.plot(xs, p95, color="#2166ac", linewidth=0.8, label="p95 per interval")
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("loop lag (ms)")
    ax.legend(fontsize=7)
    return Plot(
        "loop_lag", "Event-loop lag", "Lag of the event loop, per agent interval.", _png(fig)
    )


def bus_rate(records: Sequence[Mapping[str, Any]], t0: float) -> Plot | None:
    if not records:
        return None
    xs, ys = [], []
    for r in records:
        interval = float(r.get("interval_s") or 0.25)
        xs.append(float(r["t"]) - t0)
        ys.append(sum(int(c) for c in (r.get("events") or {}).values()) / max(interval, 1e-6))
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(xs, ys, color="#1b7837", linewidth=0.8)
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("bus events / s")
    return Plot("bus_rate", "Event-bus throughput", "Events published per second.", _png(fig))


def repaint_rate(records: Sequence[Mapping[str, Any]], t0: float) -> Plot | None:
    if not records:
        return None
    paints: dict[int, int] = defaultdict(int)
    ms: dict[int, list[float]] = defaultdict(list)
    for r in records:
        second = int(float(r["t"]) - t0)
        paints[second] += int(r.get("paints") or 0)
        ms[second].extend(float(v) for v in r.get("paint_ms") or ())
    xs = sorted(paints)
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(xs, [paints[x] for x in xs], color="#762a83", linewidth=0.8, label="paints/s")
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("paints / s")
    ax2 = ax.twinx()
    ax2.plot(
        xs,
        [percentile(ms[x], 95) for x in xs],
        color="#e08214",
        linewidth=0.8,
        label="paint ms p95",
    )
    ax2.axhline(1000.0 / 60.0, color="#999999", linewidth=0.6, linestyle="--")
    ax2.set_ylabel("paint ms p95 (dashed: 16.7 ms frame)")
    return Plot(
        "repaint", "Repaints", "Paints per second and p95 paint time per second.", _png(fig)
    )


def pool_usage(records: Sequence[Mapping[str, Any]], t0: float) -> Plot | None:
    if not records:
        return None
    series: dict[str, list[tuple[float, int, int]]] = defaultdict(list)
    for r in records:
        series[str(r.get("pool", "?"))].append(
            (float(r["t"]) - t0, int(r.get("in_use") or 0), int(r.get("waiters") or 0))
        )
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    for name, points in sorted(series.items()):
        short = name.rsplit(".", 1)[-1]
        ax.step(
            [p[0] for p in points],
            [p[1] for p in points],
            where="post",
            linewidth=0.8,
            label=f"{short} in use",
        )
        if any(p[2] for p in points):
            ax.step(
                [p[0] for p in points],
                [p[2] for p in points],
                where="post",
                linewidth=0.8,
                linestyle="--",
                label=f"{short} waiters",
            )
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("connections")
    ax.legend(fontsize=7)
    return Plot("pools", "Pool usage", "In-use connections and waiters per pool.", _png(fig))


def memory_rss(records: Sequence[Mapping[str, Any]], t0: float) -> Plot | None:
    if len(records) < 2:
        return None
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(
        [float(r["t"]) - t0 for r in records],
        [int(r.get("rss_bytes") or 0) / 1e6 for r in records],
        color="#01665e",
        linewidth=0.8,
    )
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("RSS (MB)")
    return Plot("memory", "Resident memory", "Resident set size of the target.", _png(fig))


def pool_sweep(curves: Sequence[Mapping[str, Any]]) -> Plot | None:
    """Throughput and acquire-wait p95 against pool size, from the pools workload."""
    usable = [c for c in curves if (c.get("series") or {}).get("size")]
    if not usable:
        return None
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    ax2 = ax.twinx()
    for curve in usable:
        s = curve["series"]
        name = str(curve.get("pool", "pool"))
        ax.plot(
            s["size"],
            s.get("throughput_rps", []),
            marker="o",
            linewidth=0.9,
            label=f"{name} throughput",
        )
        if s.get("wait_ms_p95"):
            ax2.plot(s["size"], s["wait_ms_p95"], marker="x", linestyle="--", linewidth=0.8)
    ax.set_xlabel("pool max size")
    ax.set_ylabel("throughput (req/s)")
    ax2.set_ylabel("acquire wait p95 (ms, dashed)")
    ax.legend(fontsize=7, loc="upper left")
    return Plot(
        "pool_sizing",
        "Pool sizing sweep",
        "Throughput (solid) and acquire wait p95 (dashed) per pool size, from the pools workload.",
        _png(fig),
    )


def make_plots(
    findings: Sequence[Finding],
    records_by_kind: Mapping[str, Sequence[Mapping[str, Any]]],
    pool_curves: Sequence[Mapping[str, Any]] = (),
) -> list[Plot]:
    t0 = _t0(records_by_kind)
    candidates = [
        findings_by_area(findings),
        loop_lag(records_by_kind.get("loop_lag", ()), t0),
        bus_rate(records_by_kind.get("bus", ()), t0),
        repaint_rate(records_by_kind.get("repaint", ()), t0),
        pool_usage(records_by_kind.get("pool", ()), t0),
        memory_rss(records_by_kind.get("memory", ()), t0),
        pool_sweep(pool_curves),
    ]
    return [p for p in candidates if p is not None]
