"""Summaries of what a session measured, computed from its records (pure functions, no I/O).

Each summary is plain data the renderers only format. A summary that saw no records says so
(`measured=False`) rather than showing zeros, so the report never passes off "no traffic" or
"not recorded" as a measured figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inspector.core.stats import percentile

FRAME_BUDGET_MS = 1000.0 / 60.0
MIN_MEMORY_SPAN_S = 120.0  # shorter sessions show start-up growth, not a rate

# Targets a reader can hold the measurements against; a profile's [report.targets] overrides.
DEFAULT_TARGETS: Mapping[str, float] = {
    "loop_lag_p95_ms": 20.0,
    "loop_lag_max_ms": 100.0,
    "handler_p95_ms": 5.0,
    "paint_ms_p95": FRAME_BUDGET_MS,
    "pool_wait_p95_ms": 10.0,
    "rss_growth_mb_per_h": 50.0,
    "slow_callback_ms": 50.0,
    "queue_dequeue_p95_ms": 1.0,
}


TARGET_LABELS: Mapping[str, str] = {
    "loop_lag_p95_ms": "event-loop lag p95 (ms)",
    "loop_lag_max_ms": "event-loop lag max (ms)",
    "handler_p95_ms": "bus handler p95 (ms)",
    "paint_ms_p95": "paint time p95 (ms)",
    "pool_wait_p95_ms": "pool wait p95 (ms)",
    "rss_growth_mb_per_h": "RSS growth (MB/h)",
    "slow_callback_ms": "slow-callback threshold (ms)",
    "queue_dequeue_p95_ms": "queue dequeue p95 (ms)",
}


@dataclass(frozen=True)
class Distribution:
    """p50/p95/max over a set of durations in milliseconds."""

    count: int = 0
    p50: float = 0.0
    p95: float = 0.0
    max: float = 0.0

    @classmethod
    def of(cls, values: Sequence[float], extra_max: float = 0.0) -> Distribution:
        if not values and not extra_max:
            return cls()
        return cls(
            count=len(values),
            p50=percentile(values, 50),
            p95=percentile(values, 95),
            max=max([*values, extra_max]) if values else extra_max,
        )


@dataclass(frozen=True)
class HandlerStat:
    handler: str
    event: str
    file: str
    line: int
    calls: int
    errors: int
    durations: Distribution


@dataclass(frozen=True)
class BusSummary:
    measured: bool = False
    span_s: float = 0.0
    events_total: int = 0
    events_per_s: float = 0.0
    by_event: Mapping[str, int] = field(default_factory=dict)
    max_subscribers: Mapping[str, int] = field(default_factory=dict)
    history_max: int | None = None
    handlers: tuple[HandlerStat, ...] = ()
    handler_p95_ms: float = 0.0
    handler_max_ms: float = 0.0


@dataclass(frozen=True)
class WidgetPaintStat:
    widget_class: str
    is_canvas: bool
    paints: int
    paints_per_s: float
    update_requests: int
    full_updates: int
    paint_ms: Distribution


@dataclass(frozen=True)
class RepaintSummary:
    measured: bool = False
    span_s: float = 0.0
    paints_total: int = 0
    paints_per_s: float = 0.0
    paint_ms: Distribution = field(default_factory=Distribution)
    widgets: tuple[WidgetPaintStat, ...] = ()


@dataclass(frozen=True)
class LoopSummary:
    measured: bool = False
    loop: str = ""
    lag_ms: Distribution = field(default_factory=Distribution)
    max_tasks: int = 0
    slow_callbacks: int = 0
    slowest: tuple[Mapping[str, Any], ...] = ()
    hazards: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PoolStat:
    pool: str
    pool_id: str
    max_size: int
    peak_in_use: int
    peak_waiters: int
    acquires: int
    releases: int
    wait_ms: Distribution
    created: int
    closed: int
    evicted: int


def recommended_pool_size(pool: PoolStat) -> int:
    """The size at which no measured acquire would have waited, plus one spare for bursts."""
    return max(pool.peak_in_use + pool.peak_waiters, 1) + 1


@dataclass(frozen=True)
class PoolSummary:
    measured: bool = False
    pools: tuple[PoolStat, ...] = ()
    leaks: tuple[Mapping[str, Any], ...] = ()

    @property
    def traffic(self) -> bool:
        return any(p.acquires for p in self.pools)


@dataclass(frozen=True)
class MemorySummary:
    measured: bool = False
    span_s: float = 0.0
    rss_first: int = 0
    rss_last: int = 0
    rss_peak: int = 0
    gc_pause_ms: Distribution = field(default_factory=Distribution)
    container_growth: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    tracemalloc_top: tuple[Mapping[str, Any], ...] = ()
    # RSS and time where the steady state starts (after the first quarter: start-up and
    # import growth is not a leak and must not be extrapolated as one).
    steady_rss: int = 0
    steady_span_s: float = 0.0

    @property
    def growth_bytes(self) -> int:
        return self.rss_last - self.rss_first

    @property
    def judgeable(self) -> bool:
        """Long enough for a growth rate to mean something."""
        return self.span_s >= MIN_MEMORY_SPAN_S

    @property
    def growth_mb_per_h(self) -> float:
        """Steady-state growth rate (after the first quarter of the session)."""
        if self.steady_span_s <= 0:
            return 0.0
        return (self.rss_last - self.steady_rss) / 1e6 / (self.steady_span_s / 3600.0)


@dataclass(frozen=True)
class QueueStat:
    queue: str
    enqueues: int
    dequeues: int
    max_depth: int
    dequeue_ms: Distribution


@dataclass(frozen=True)
class Measurements:
    """Everything measured in a session, per concern; `span` is (first, last) record time."""

    span: tuple[float, float] | None = None
    record_counts: Mapping[str, int] = field(default_factory=dict)
    samples: int = 0  # py-spy stack runs stored (each covers one or more samples)
    sampled_s: float = 0.0  # thread time those runs cover
    bus: BusSummary = field(default_factory=BusSummary)
    repaint: RepaintSummary = field(default_factory=RepaintSummary)
    loop: LoopSummary = field(default_factory=LoopSummary)
    pools: PoolSummary = field(default_factory=PoolSummary)
    memory: MemorySummary = field(default_factory=MemorySummary)
    queues: tuple[QueueStat, ...] = ()
    workloads: tuple[Mapping[str, Any], ...] = ()
    agent: Mapping[str, Any] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return bool(self.record_counts) or self.samples > 0


def _span_of(records: Sequence[Mapping[str, Any]]) -> float:
    """Seconds covered by interval records: sum of their intervals, else first-to-last."""
    total = sum(float(r.get("interval_s") or 0.0) for r in records)
    if total > 0:
        return total
    if len(records) < 2:
        return 0.0
    times = [float(r["t"]) for r in records]
    return max(times) - min(times)


def summarize_bus(
    bus: Sequence[Mapping[str, Any]], handlers: Sequence[Mapping[str, Any]]
) -> BusSummary:
    if not bus and not handlers:
        return BusSummary()
    by_event: dict[str, int] = defaultdict(int)
    subscribers: dict[str, int] = {}
    history: int | None = None
    for rec in bus:
        for name, count in (rec.get("events") or {}).items():
            by_event[name] += int(count)
        for name, n in (rec.get("subscribers") or {}).items():
            subscribers[name] = max(subscribers.get(name, 0), int(n))
        if rec.get("history") is not None:
            history = max(history or 0, int(rec["history"]))
    span = _span_of(bus)
    total = sum(by_event.values())
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    all_durations: list[float] = []
    overall_max = 0.0
    for rec in handlers:
        key = (str(rec.get("handler", "?")), str(rec.get("event", "")))
        slot = grouped.setdefault(
            key,
            {
                "file": rec.get("file", ""),
                "line": int(rec.get("line") or 0),
                "calls": 0,
                "errors": 0,
                "durations": [],
                "max": 0.0,
            },
        )
        slot["calls"] += int(rec.get("count") or 0)
        slot["errors"] += int(rec.get("errors") or 0)
        durations = [float(d) for d in rec.get("durations_ms") or ()]
        slot["durations"].extend(durations)
        slot["max"] = max(slot["max"], float(rec.get("max_ms") or 0.0))
        all_durations.extend(durations)
        overall_max = max(overall_max, slot["max"])
    stats = tuple(
        sorted(
            (
                HandlerStat(
                    h,
                    e,
                    s["file"],
                    s["line"],
                    s["calls"],
                    s["errors"],
                    Distribution.of(s["durations"], s["max"]),
                )
                for (h, e), s in grouped.items()
            ),
            key=lambda h: (-h.durations.p95, h.handler),
        )
    )
    return BusSummary(
        measured=True,
        span_s=span,
        events_total=total,
        events_per_s=total / span if span > 0 else 0.0,
        by_event=dict(sorted(by_event.items(), key=lambda kv: -kv[1])),
        max_subscribers=dict(sorted(subscribers.items(), key=lambda kv: -kv[1])),
        history_max=history,
        handlers=stats,
        handler_p95_ms=percentile(all_durations, 95),
        handler_max_ms=max([overall_max, *all_durations]) if all_durations else overall_max,
    )


def summarize_repaint(records: Sequence[Mapping[str, Any]]) -> RepaintSummary:
    if not records:
        return RepaintSummary()
    times = [float(r["t"]) for r in records]
    span = max(max(times) - min(times), 1e-9) if len(records) > 1 else 0.0
    per: dict[str, dict[str, Any]] = {}
    all_ms: list[float] = []
    for rec in records:
        slot = per.setdefault(
            str(rec.get("widget_class", "?")),
            {"canvas": False, "paints": 0, "updates": 0, "full": 0, "ms": []},
        )
        slot["canvas"] = slot["canvas"] or bool(rec.get("is_canvas"))
        slot["paints"] += int(rec.get("paints") or 0)
        slot["updates"] += int(rec.get("update_requests") or 0)
        slot["full"] += int(rec.get("full_updates") or 0)
        ms = [float(v) for v in rec.get("paint_ms") or ()]
        slot["ms"].extend(ms)
        all_ms.extend(ms)
    widgets = tuple(
        sorted(
            (
                WidgetPaintStat(
                    name,
                    s["canvas"],
                    s["paints"],
                    s["paints"] / span if span else 0.0,
                    s["updates"],
                    s["full"],
                    Distribution.of(s["ms"]),
                )
                for name, s in per.items()
            ),
            key=lambda w: (-w.paints, w.widget_class),
        )
    )
    total = sum(w.paints for w in widgets)
    return RepaintSummary(
        True, span, total, total / span if span else 0.0, Distribution.of(all_ms), widgets
    )


def summarize_loop(
    lag: Sequence[Mapping[str, Any]],
    slow: Sequence[Mapping[str, Any]],
    hazards: Sequence[Mapping[str, Any]],
) -> LoopSummary:
    if not lag and not slow and not hazards:
        return LoopSummary()
    values = [float(v) for rec in lag for v in rec.get("lag_ms") or ()]
    rec_max = max((float(r.get("max_ms") or 0.0) for r in lag), default=0.0)
    slowest = sorted(slow, key=lambda r: -float(r.get("duration_ms") or 0.0))[:10]
    hazard_counts: dict[str, int] = defaultdict(int)
    for rec in hazards:
        hazard_counts[str(rec.get("hazard", "?"))] += 1
    return LoopSummary(
        measured=True,
        loop=str(lag[-1].get("loop", "")) if lag else "",
        lag_ms=Distribution.of(values, rec_max),
        max_tasks=max((int(r.get("tasks") or 0) for r in lag), default=0),
        slow_callbacks=len(slow),
        slowest=tuple({k: v for k, v in r.items() if k != "_id"} for r in slowest),
        hazards=dict(hazard_counts),
    )


def summarize_pools(
    records: Sequence[Mapping[str, Any]], leaks: Sequence[Mapping[str, Any]]
) -> PoolSummary:
    if not records and not leaks:
        return PoolSummary()
    per: dict[str, dict[str, Any]] = {}
    for rec in records:
        # A pool class with no live object reports pool_id None: key it by its class, so two
        # such classes are not merged into one.
        pid = str(rec.get("pool_id") or rec.get("pool", "?"))
        slot = per.setdefault(
            pid,
            {
                "pool": str(rec.get("pool", "?")),
                "size": 0,
                "in_use": 0,
                "waiters": 0,
                "acq": 0,
                "rel": 0,
                "wait": [],
                "created": 0,
                "closed": 0,
                "evicted": 0,
            },
        )
        slot["size"] = max(slot["size"], int(rec.get("size") or 0))
        slot["in_use"] = max(slot["in_use"], int(rec.get("in_use") or 0))
        slot["waiters"] = max(slot["waiters"], int(rec.get("waiters") or 0))
        slot["acq"] += int(rec.get("acquires") or 0)
        slot["rel"] += int(rec.get("releases") or 0)
        slot["wait"].extend(float(v) for v in rec.get("wait_ms") or ())
        for key in ("created", "closed", "evicted"):
            slot[key] += int(rec.get(key) or 0)
    pools = tuple(
        PoolStat(
            s["pool"],
            pid,
            s["size"],
            s["in_use"],
            s["waiters"],
            s["acq"],
            s["rel"],
            Distribution.of(s["wait"]),
            s["created"],
            s["closed"],
            s["evicted"],
        )
        for pid, s in sorted(per.items(), key=lambda kv: kv[1]["pool"])
    )
    return PoolSummary(
        True, pools, tuple({k: v for k, v in r.items() if k != "_id"} for r in leaks)
    )


def summarize_memory(
    memory: Sequence[Mapping[str, Any]], traces: Sequence[Mapping[str, Any]]
) -> MemorySummary:
    if not memory and not traces:
        return MemorySummary()
    rss = [int(r.get("rss_bytes") or 0) for r in memory]
    pauses = [float(v) for r in memory for v in r.get("gc_pause_ms") or ()]
    containers: dict[str, tuple[int, int]] = {}
    for rec in memory:
        for name, size in (rec.get("containers") or {}).items():
            first = containers.get(name, (int(size), int(size)))[0]
            containers[name] = (first, int(size))
    growth = dict(sorted(containers.items(), key=lambda kv: -(kv[1][1] - kv[1][0])))
    times = [float(r["t"]) for r in memory]
    top = tuple(traces[-1].get("top") or ()) if traces else ()
    steady_rss, steady_span = 0, 0.0
    if len(times) > 1:
        cut = times[0] + (times[-1] - times[0]) / 4.0
        k = next(i for i, t in enumerate(times) if t >= cut)
        k = min(k, len(times) - 2)
        steady_rss, steady_span = rss[k], times[-1] - times[k]
    return MemorySummary(
        measured=bool(memory) or bool(traces),
        span_s=(max(times) - min(times)) if len(times) > 1 else 0.0,
        rss_first=rss[0] if rss else 0,
        rss_last=rss[-1] if rss else 0,
        rss_peak=max(rss) if rss else 0,
        gc_pause_ms=Distribution.of(pauses),
        container_growth=growth,
        tracemalloc_top=top,
        steady_rss=steady_rss,
        steady_span_s=steady_span,
    )


def summarize_queues(records: Sequence[Mapping[str, Any]]) -> tuple[QueueStat, ...]:
    per: dict[str, dict[str, Any]] = {}
    for rec in records:
        slot = per.setdefault(
            str(rec.get("queue", "?")), {"enq": 0, "deq": 0, "depth": 0, "ms": []}
        )
        slot["enq"] += int(rec.get("enqueues") or 0)
        slot["deq"] += int(rec.get("dequeues") or 0)
        slot["depth"] = max(slot["depth"], int(rec.get("depth") or 0))
        slot["ms"].extend(float(v) for v in rec.get("dequeue_ms") or ())
    return tuple(
        QueueStat(name, s["enq"], s["deq"], s["depth"], Distribution.of(s["ms"]))
        for name, s in sorted(per.items())
    )


def summarize(
    records_by_kind: Mapping[str, Sequence[Mapping[str, Any]]],
    samples: int = 0,
    sampled_s: float = 0.0,
    span: tuple[float, float] | None = None,
) -> Measurements:
    """Summaries of every record kind; `records_by_kind` maps kind -> records in time order."""

    def get(kind: str) -> Sequence[Mapping[str, Any]]:
        return records_by_kind.get(kind, ())

    agent: dict[str, Any] = {}
    for rec in get("agent"):
        if rec.get("event") == "hello":
            agent.update({k: rec.get(k) for k in ("python", "hooks", "detail") if rec.get(k)})
        agent["dropped"] = agent.get("dropped", 0) + int(rec.get("dropped") or 0)
    return Measurements(
        span=span,
        record_counts={k: len(v) for k, v in records_by_kind.items() if v},
        samples=samples,
        sampled_s=sampled_s,
        bus=summarize_bus(get("bus"), get("handler")),
        repaint=summarize_repaint(get("repaint")),
        loop=summarize_loop(get("loop_lag"), get("slow_callback"), get("hazard")),
        pools=summarize_pools(get("pool"), get("pool_leak")),
        memory=summarize_memory(get("memory"), get("tracemalloc")),
        queues=summarize_queues(get("queue")),
        workloads=tuple({k: v for k, v in r.items() if k != "_id"} for r in get("workload")),
        agent=agent,
    )


def group_by_kind(records: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for rec in records:
        out[str(rec.get("kind"))].append(rec)
    return dict(out)
