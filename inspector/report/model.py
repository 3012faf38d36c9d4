"""The report's plain data model, built once from a session (or a static audit).

Everything a reader sees is decided here: the one ranking, per-area sections, measured
summaries, synthesis (groups, cascades, conflicts), the action plan, projections and the
answers to the audit plan's open questions. Renderers only format a `ReportModel`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import tomllib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from analyzers.findings import AREAS, Finding, Severity, rank
from inspector.report import synthesis
from inspector.report.coverage import CoverageData, CoverageGap, coverage_gaps, find_coverage
from inspector.report.measured import (
    DEFAULT_TARGETS,
    TARGET_LABELS,
    Measurements,
    group_by_kind,
    recommended_pool_size,
    summarize,
)
from inspector.report.plots import Plot, make_plots

REPORT_TITLE = "Performance Audit Report"

# What each area's audit looks at: the audit plan's focus, so an empty area still says what
# was checked.
AREA_CHECKS: Mapping[int, str] = {
    1: "threading locks in async code, heapq/priority-queue use, growth of job-tracking dicts, "
    "persist-loop I/O, linear dequeue scans, WebSocket connection handling",
    2: "webhook server, file-watcher polling, concurrent triggers, event propagation latency, "
    "unclosed watchers/connections, cooldown bookkeeping",
    3: "variable lookups and storage, execution-history growth, dependency-graph traversal, "
    "state snapshot/serialization cost, resource lifecycle",
    4: "large-graph rendering, excessive repaints, signal/slot cost, qasync integration, "
    "minimap update rate, input event handling, widget lifecycle",
    5: "asyncio.Lock contention, pool sizing (min/max), stale-context cleanup, unreleased "
    "resources, exhaustion, health-check overhead, eviction",
    6: "semaphore concurrency limits, topological sort, asyncio.gather patterns, "
    "dependency-graph construction, BFS traversal, hard-coded limits",
    7: "blocking UIAutomation calls in async code, element search polling and timeouts, "
    "selector healing retries, screen-capture processing, element caching, handle leaks",
    8: "node execute() async patterns, blocking I/O, error/retry overhead, large payloads, "
    "loop nodes, per-node context acquisition, variable interpolation",
    9: "event fan-out, batching window, Qt signal bridge marshalling, synchronous handlers on "
    "the UI thread, subscriber lifecycle and weak references, event-history memory",
    10: "fuzzy search (Levenshtein) cost, config loading and caching, metrics-collection "
    "overhead, selector healing retries, rate limiting, matching complexity",
}

TAG_LABELS: Mapping[str, str] = {
    "async": "Async/await patterns",
    "memory": "Memory management",
    "pooling": "Resource pooling",
    "algorithmic": "Algorithmic hot spots",
}

NOT_MEASURED = "not measured in this session"


@dataclass(frozen=True)
class MetricRow:
    """Current vs expected for one figure relevant to a finding."""

    name: str
    current: str
    expected: str
    source: str  # "agent", "py-spy", "workload", "evidence" or NOT_MEASURED


@dataclass(frozen=True)
class AreaSection:
    area: int
    name: str
    checked: str
    rules: tuple[str, ...]
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class AuditStats:
    """Code-quality figures from the static audit (files, lines, unparsable files)."""

    files: int = 0
    lines: int = 0
    elapsed_s: float = 0.0
    errors: tuple[tuple[str, str], ...] = ()
    rules_run: int = 0

    @property
    def known(self) -> bool:
        return self.files > 0


@dataclass(frozen=True)
class Projection:
    """An estimated improvement and exactly how it was estimated."""

    what: str
    current: str
    projected: str
    method: str


@dataclass(frozen=True)
class Phase:
    name: str
    window: str
    findings: tuple[Finding, ...]


@dataclass
class ReportModel:
    """Everything the renderers show, as plain data."""

    kind: str  # "session" or "static"
    generated: str
    target: str
    profile: str
    source_root: str
    session_name: str
    findings: list[Finding]
    areas: list[AreaSection]
    measurements: Measurements
    targets: Mapping[str, float]
    groups: list[synthesis.Group]
    cascades: list[synthesis.Cascade]
    conflicts: list[synthesis.Conflict]
    patterns: list[synthesis.Pattern]
    audit: AuditStats
    metrics: dict[str, tuple[MetricRow, ...]]
    plots: list[Plot] = field(default_factory=list)
    projections: list[Projection] = field(default_factory=list)
    answers: list[tuple[str, str]] = field(default_factory=list)
    coverage: CoverageData | None = None
    gaps: list[CoverageGap] = field(default_factory=list)
    hot_functions: list[Mapping[str, Any]] | None = None
    hot_functions_note: str = ""
    pool_sizing: list[Mapping[str, Any]] | None = None
    pool_sizing_note: str = ""
    pool_curves: list[Mapping[str, Any]] = field(default_factory=list)
    async_rules: list[tuple[str, str]] = field(default_factory=list)
    # Fingerprints of findings whose file is not in the audited tree (stdlib, site-packages,
    # frozen modules seen by py-spy): reported, but never picked as a quick win.
    outside: set[str] = field(default_factory=set)
    title: str = REPORT_TITLE

    # -- derived views ------------------------------------------------------------------------
    def severity_counts(self, findings: Sequence[Finding] | None = None) -> dict[Severity, int]:
        counts = Counter(f.severity for f in (self.findings if findings is None else findings))
        return {s: counts.get(s, 0) for s in Severity}

    def tagged(self, *tags: str) -> list[Finding]:
        return [f for f in self.findings if any(t in f.tags for t in tags)]

    @property
    def critical(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.CRITICAL]

    @property
    def memory_risks(self) -> list[Finding]:
        return self.tagged("memory", "leak")

    @property
    def async_patterns(self) -> list[Finding]:
        return self.tagged("async")

    def sites(self, rule: str) -> int:
        return sum(1 for f in self.findings if f.rule == rule)

    @property
    def quick_wins(self) -> list[Finding]:
        """High score for little work: difficulty <= 3, best score first; one per rule, so
        the three are three different fixes rather than one fix at three sites."""
        easy = sorted(
            (
                f
                for f in self.findings
                if f.priority.difficulty <= 3 and f.fingerprint not in self.outside
            ),
            key=lambda f: (-f.score, -f.priority.impact),
        )
        return _one_per_rule(easy)[:3]

    @property
    def long_term(self) -> list[Finding]:
        """High impact that takes real work (impact >= 6, difficulty >= 5), one per rule."""
        hard = sorted(
            (
                f
                for f in self.findings
                if f.priority.difficulty >= 5
                and f.priority.impact >= 6
                and f.fingerprint not in self.outside
            ),
            key=lambda f: (-f.priority.impact, -f.score),
        )
        return _one_per_rule(hard)[:3]

    @property
    def widespread(self) -> list[tuple[str, int, Finding]]:
        """(rule, sites, worst finding) for patterns at 5 or more sites, most sites first:
        candidates for one structural fix instead of many local edits."""
        out = [(f.rule, self.sites(f.rule), f) for f in _one_per_rule(self.findings)]
        return sorted((o for o in out if o[1] >= 5), key=lambda o: (-o[1], o[0]))

    @property
    def reconciled(self) -> dict[str, synthesis.Conflict]:
        """Fingerprint -> the conflict that overrides this finding's own recommendation."""
        return {c.reconciled.fingerprint: c for c in self.conflicts}

    @property
    def phases(self) -> list[Phase]:
        """Action plan: architecture-sized work (difficulty >= 7) goes to phase 4 whatever
        its score; the rest by category. LOW findings go to phase 4's backlog."""
        long_term = [f for f in self.findings if f.priority.difficulty >= 7]
        rest = [f for f in self.findings if f.priority.difficulty < 7]
        by = defaultdict(list)
        for f in rest:
            by[f.severity].append(f)
        return [
            Phase("Phase 1: Critical", "days 1-5", tuple(by[Severity.CRITICAL])),
            Phase("Phase 2: High priority", "week 2", tuple(by[Severity.HIGH])),
            Phase("Phase 3: Medium priority", "weeks 3-4", tuple(by[Severity.MEDIUM])),
            Phase(
                "Phase 4: Long-term architecture",
                "after week 4",
                tuple(long_term + by[Severity.LOW]),
            ),
        ]


# -- building -------------------------------------------------------------------------------


def _one_per_rule(findings: Sequence[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for f in findings:
        if f.rule not in seen:
            seen.add(f.rule)
            out.append(f)
    return out


def _async_rules() -> list[tuple[str, str]]:
    """(id, title) of every registered rule tagged "async": the catalog's checked list."""
    try:
        from analyzers.registry import all_rules

        return [(r.ID, r.TITLE) for r in all_rules() if "async" in getattr(r, "TAGS", ())]
    except Exception:  # a broken rule module must not stop the report
        return []


def _rules_by_area() -> dict[int, list[str]]:
    try:
        from analyzers.registry import all_rules

        rules = all_rules()
    except Exception:  # a broken rule module must not stop the report
        return {}
    out: dict[int, list[str]] = defaultdict(list)
    for rule in rules:
        out[int(getattr(rule, "AREA", 0))].append(f"{rule.ID} {rule.TITLE}")
    return out


def _fmt_ms(v: float) -> str:
    return f"{v:.1f} ms"


def _finding_metrics(
    f: Finding, m: Measurements, targets: Mapping[str, float]
) -> tuple[MetricRow, ...]:
    rows: list[MetricRow] = []
    for ev in f.evidence:
        for key, value in ev.metrics.items():
            expected = "—"
            if "lag" in key:
                expected = f"<= {targets['loop_lag_max_ms']:.0f} ms"
            elif key.endswith("_ms") and "blocked" in key:
                expected = f"<= {targets['slow_callback_ms']:.0f} ms per call on the loop thread"
            elif "stall" in key:
                expected = "0"
            rows.append(MetricRow(key, f"{value:g}", expected, ev.source))
    symbol_tail = f.symbol.rsplit(".", 1)[-1] if f.symbol else ""
    cls = f.symbol.split(".", 1)[0] if f.symbol else ""
    for h in m.bus.handlers:
        same_file = h.file and (
            h.file.replace("\\", "/").endswith("/" + f.path) or h.file == f.path
        )
        if same_file and symbol_tail and h.handler.rsplit(".", 1)[-1] == symbol_tail:
            rows.append(
                MetricRow(
                    f"handler `{h.handler}` p95",
                    _fmt_ms(h.durations.p95),
                    f"<= {targets['handler_p95_ms']:.0f} ms",
                    "agent",
                )
            )
    if f.area == 5 or "pooling" in f.tags:
        for p in m.pools.pools:
            if cls and p.pool.rsplit(".", 1)[-1] == cls:
                rows.append(
                    MetricRow(
                        f"`{cls}` peak in use / max size",
                        f"{p.peak_in_use} / {p.max_size}",
                        "peak < max size",
                        "agent",
                    )
                )
                rows.append(
                    MetricRow(
                        f"`{cls}` wait p95",
                        _fmt_ms(p.wait_ms.p95),
                        f"<= {targets['pool_wait_p95_ms']:.0f} ms",
                        "agent",
                    )
                )
    if f.area == 4:
        for w in m.repaint.widgets:
            if cls and w.widget_class == cls:
                rows.append(  # noqa: PERF401
                    MetricRow(
                        f"`{cls}` paint p95",
                        _fmt_ms(w.paint_ms.p95),
                        f"<= {targets['paint_ms_p95']:.1f} ms (one frame)",
                        "agent",
                    )
                )
    if rows:
        return tuple(rows)
    # Nothing specific measured: state the figure that would show the fix, and that it is
    # not measured, rather than inventing one.
    if "async" in f.tags or f.area in (4, 9):
        if m.loop.measured:
            return (
                MetricRow(
                    "loop lag p95 (whole session)",
                    _fmt_ms(m.loop.lag_ms.p95),
                    f"<= {targets['loop_lag_p95_ms']:.0f} ms",
                    "agent",
                ),
            )
        return (
            MetricRow(
                "event-loop lag p95",
                NOT_MEASURED,
                f"<= {targets['loop_lag_p95_ms']:.0f} ms",
                NOT_MEASURED,
            ),
        )
    if "memory" in f.tags or "leak" in f.tags:
        if m.memory.measured and m.memory.judgeable:
            return (
                MetricRow(
                    "RSS growth",
                    f"{m.memory.growth_mb_per_h:.1f} MB/h",
                    f"<= {targets['rss_growth_mb_per_h']:.0f} MB/h",
                    "agent",
                ),
            )
        return (
            MetricRow(
                "RSS growth",
                NOT_MEASURED,
                f"<= {targets['rss_growth_mb_per_h']:.0f} MB/h",
                NOT_MEASURED,
            ),
        )
    if "pooling" in f.tags or f.area == 5:
        return (
            MetricRow(
                "pool wait p95",
                NOT_MEASURED,
                f"<= {targets['pool_wait_p95_ms']:.0f} ms",
                NOT_MEASURED,
            ),
        )
    return (
        MetricRow(
            "time in this code", NOT_MEASURED, "sample with py-spy under a workload", NOT_MEASURED
        ),
    )


def _optional(module: str, name: str) -> Any | None:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _as_row(item: Any) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    if hasattr(item, "_asdict"):
        return dict(item._asdict())
    if hasattr(item, "__dataclass_fields__"):
        return {k: getattr(item, k) for k in item.__dataclass_fields__}
    return {"value": str(item)}


def _hot_row(row: Mapping[str, Any], root: str) -> Mapping[str, Any]:
    """A py-spy HotEntry as report columns (shares as percentages, paths repo-relative)."""
    if "function" not in row:
        return row
    out: dict[str, Any] = {
        "function": row["function"],
        "file": synthesis.relative_to_root(str(row.get("file", "")), root),
    }
    if "self_share" in row:
        out["self %"] = f"{100.0 * float(row['self_share']):.1f}"
    if "total_share" in row:
        out["total %"] = f"{100.0 * float(row['total_share']):.1f}"
    if "self_s" in row:
        out["self s"] = f"{float(row['self_s']):.2f}"
    if "total_samples" in row:
        out["samples"] = row["total_samples"]
    return out


def _hot_functions(session: Any, root: str) -> tuple[list[Mapping[str, Any]] | None, str]:
    fn = _optional("inspector.sampling.profile_data", "hot_functions")
    if fn is None:
        return (
            None,
            "Sample-based hot functions: not measured in this session "
            "(sampling support not in this build).",
        )
    try:
        rows = [_hot_row(_as_row(r), root) for r in fn(session, limit=15)]
    except Exception as exc:
        return None, f"Sample-based hot functions: could not be read from the session ({exc})."
    if not rows:
        return None, "Sample-based hot functions: not measured in this session (no py-spy samples)."
    return rows, ""


def _pool_sizing(
    workloads: Sequence[Mapping[str, Any]],
) -> tuple[list[Mapping[str, Any]] | None, list[Mapping[str, Any]], str]:
    """Rows (pool, class, status, recommended, knee, reasoning) and plot series from the
    session's pools-sweep workload records, via `inspector.core.pool_sizing.size_pools`."""
    size_pools = _optional("inspector.core.pool_sizing", "size_pools")
    if size_pools is None:
        return (
            None,
            [],
            (
                "Pool sizing from workloads: not measured in this session "
                "(pool-sizing analysis not in this build)."
            ),
        )
    sweeps = [w for w in workloads if (w.get("results") or {}).get("pools")]
    if not sweeps:
        tried = [w for w in workloads if w.get("name") == "pools"]
        if tried:
            w = tried[-1]
            return (
                None,
                [],
                (
                    f"Pool sizing: not measured in this session — the pools workload ended "
                    f"`{w.get('status')}`: {w.get('reason') or 'no result'}."
                ),
            )
        return None, [], "Pool sizing: not measured in this session (no pools workload ran)."
    rows: list[Mapping[str, Any]] = []
    curves: list[Mapping[str, Any]] = []
    for workload in sweeps:
        try:
            sizings = size_pools(workload)
        except Exception as exc:  # a malformed workload result must not stop the report
            return None, [], f"Pool sizing: could not be computed from the workload ({exc})."
        for sizing in sizings:
            data = sizing.to_dict() if hasattr(sizing, "to_dict") else _as_row(sizing)
            curves.append({"pool": data.get("pool"), "series": data.get("series") or {}})
            rows.append({k: v for k, v in data.items() if k != "series"})
    return rows, curves, ""


def _samples_count(session: Any) -> tuple[int, float]:
    """(stack runs, seconds of thread time) in the session's py-spy samples table."""
    try:
        with session.lock:
            runs, weight = session.conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(weight), 0) FROM samples"
            ).fetchone()
    except Exception:  # an older or foreign file without the table: nothing sampled
        return 0, 0.0
    return int(runs), float(weight) / 1e6  # weights are microseconds (inspector.sampling)


def _projections(model: ReportModel) -> list[Projection]:
    m, t = model.measurements, model.targets
    out: list[Projection] = []
    for c in model.cascades[:5]:
        after = max(c.loop_lag_max_ms - c.blocked_ms_max, m.loop.lag_ms.p95)
        out.append(
            Projection(
                f"loop lag around `{c.location}`",
                f"{c.loop_lag_max_ms:.0f} ms max",
                f"~{after:.0f} ms max",
                f"Measured worst lag minus the longest measured block at this location "
                f"({c.blocked_ms_max:.0f} ms), floored at the session's lag p95 "
                f"({m.loop.lag_ms.p95:.1f} ms); assumes the fix moves that work off the loop "
                "thread.",
            )
        )
    for h in m.bus.handlers[:5]:
        if h.durations.p95 > t["handler_p95_ms"] and m.bus.span_s > 0:
            rate = h.calls / m.bus.span_s
            freed = rate * (h.durations.p95 - t["handler_p95_ms"])
            out.append(
                Projection(
                    f"handler `{h.handler}`",
                    f"p95 {h.durations.p95:.1f} ms at {rate:.1f} calls/s",
                    f"p95 <= {t['handler_p95_ms']:.0f} ms; ~{freed:.0f} ms of loop time "
                    "freed per second",
                    "calls/s x (measured p95 - target): the loop time the handler would no "
                    "longer hold once its slow part is deferred or offloaded.",
                )
            )
    for p in m.pools.pools:
        if p.peak_waiters or p.wait_ms.p95 > t["pool_wait_p95_ms"]:
            out.append(  # noqa: PERF401
                Projection(
                    f"pool `{p.pool}` waits",
                    f"wait p95 {p.wait_ms.p95:.1f} ms, {p.peak_waiters} peak waiters",
                    f"wait p95 ~0 ms with max_size {recommended_pool_size(p)}",
                    "Measured peak in-use + peak waiters (+1 spare) is the size at which no "
                    "acquire would have waited.",
                )
            )
    if (
        m.memory.measured
        and m.memory.judgeable
        and m.memory.growth_mb_per_h > t["rss_growth_mb_per_h"]
    ):
        out.append(
            Projection(
                "RSS growth",
                f"{m.memory.growth_mb_per_h:.0f} MB/h",
                f"<= {t['rss_growth_mb_per_h']:.0f} MB/h",
                "Bounding the containers that grew most in the session (appendix B) caps the "
                "growth they account for; the rest needs a tracemalloc diff to attribute.",
            )
        )
    if not out:
        reason = (
            "This is a static-only audit: projections need measured baselines. Record a session "
            "(`casare-inspector record`) under a workload to quantify each fix."
            if not m.any
            else "No measured figure exceeded its target, so no improvement is projected "
            "from the data."
        )
        out.append(Projection("all findings", "—", "—", reason))
    return out


def _answers(model: ReportModel) -> list[tuple[str, str]]:
    m, t = model.measurements, model.targets
    tools = []
    if m.samples:
        tools.append(
            f"py-spy sampling ({m.sampled_s:.1f} s of thread time in {m.samples} stack runs; "
            "no code changes, sees idle and native frames)"
        )
    if any(k in m.record_counts for k in ("bus", "handler", "repaint", "loop_lag", "pool")):
        tools.append("the in-process agent (event-bus, repaint, pool and event-loop probes)")
    if m.memory.tracemalloc_top:
        tools.append("tracemalloc snapshots")
    if tools:
        profiling = "Used: " + "; ".join(tools) + ". "
    else:
        profiling = "No runtime profiler ran: this report is static analysis only. "
    profiling += (
        "Recommendation: py-spy for CPU and blocking (sampling, attachable to a running "
        "process, negligible overhead); tracemalloc for allocation growth; cProfile only for "
        "isolated micro-benchmarks (its per-call overhead distorts async and Qt timing); "
        "memory_profiler is line-by-line and too slow for a live UI."
    )
    if m.workloads:
        items = "; ".join(
            f"`{w.get('name')}` {json.dumps(w.get('params') or {})} -> {w.get('status')}"
            + (f" ({w.get('reason')})" if w.get("reason") else "")
            for w in m.workloads
        )
        workload = f"Workloads run in this session: {items}."
    else:
        workload = (
            "No workload ran in this session. Proposed standard workload: a 100-node workflow "
            "(linear chain plus 4-way parallel branches) executed 10 times while panning the "
            "canvas, with the agent recording; the profile's [workloads] section defines it."
        )
    targets = "; ".join(f"{TARGET_LABELS.get(k, k)} {v:.3g}" for k, v in t.items())
    measured = []
    if m.loop.measured:
        measured.append(f"loop lag p95 {m.loop.lag_ms.p95:.1f} ms / max {m.loop.lag_ms.max:.0f} ms")
    if m.bus.measured:
        measured.append(f"handler p95 {m.bus.handler_p95_ms:.1f} ms")
    if m.repaint.measured:
        measured.append(f"paint p95 {m.repaint.paint_ms.p95:.1f} ms")
    targets_answer = f"Targets used: {targets}." + (
        f" Measured: {', '.join(measured)}." if measured else f" Measured: {NOT_MEASURED}."
    )
    if model.pool_sizing:
        pool = "From the pools workload: " + "; ".join(
            f"`{row.get('pool')}` ({row.get('class', '')}): "
            + (
                f"max size {row.get('recommended')}"
                if row.get("recommended")
                else str(row.get("status"))
            )
            + f" — {row.get('reasoning', '')}"
            for row in model.pool_sizing
        )
    elif m.pools.measured and m.pools.traffic:
        pool = (
            "From live pool records: "
            + "; ".join(
                f"`{p.pool}` peak in use {p.peak_in_use}/{p.max_size}, peak waiters "
                f"{p.peak_waiters}, wait p95 {p.wait_ms.p95:.1f} ms -> max_size "
                f"{recommended_pool_size(p)} (peak in use + peak waiters + 1 spare)"
                for p in m.pools.pools
            )
            + "."
        )
    elif m.pools.measured:
        pool = (
            "Pools were instrumented but saw no traffic in this session, so sizing cannot be "
            "derived from it; run the pool-sizing workload."
        )
    else:
        pool = (
            f"Pool sizing: {NOT_MEASURED}. Empirical test needed: run the pool-sizing workload "
            "at concurrency 1, 2, 4, 8, 16 and take the smallest max_size with wait p95 under "
            f"{t['pool_wait_p95_ms']:.0f} ms."
        )
    if m.bus.measured and m.bus.max_subscribers:
        worst = max(m.bus.max_subscribers.items(), key=lambda kv: kv[1])
        p95 = max(m.bus.handler_p95_ms, 0.01)
        limit = int((1000.0 / 60.0) // p95)
        bus = (
            f"Measured: most subscribers on `{worst[0]}` ({worst[1]}); handler p95 "
            f"{m.bus.handler_p95_ms:.2f} ms. Threshold: a synchronous fan-out must fit a "
            f"16.7 ms frame, so at most {limit} subscribers per event type at this p95; above "
            "that, batch or dispatch asynchronously."
        )
    else:
        bus = (
            f"Subscriber counts: {NOT_MEASURED}. Threshold to apply: subscribers x handler p95 "
            "<= 16.7 ms (one frame) for synchronous dispatch."
        )
    area7 = [f for f in model.findings if f.area == 7]
    desktop = (
        (
            f"{len(area7)} desktop-automation finding(s), top: `{area7[0].location}` "
            f"({area7[0].title or area7[0].rule})."
            if area7
            else "No desktop-automation finding in this audit."
        )
        + " UIAutomation was not measured (it needs Windows). Alternatives from the findings: "
        "keep UIAutomation but run it on a dedicated COM STA worker thread "
        "(`asyncio.to_thread`/a single-thread executor) so it never blocks the loop; cache "
        "element handles with a validity check instead of re-searching; for web targets use "
        "Playwright, and for image-based steps a region-limited screenshot with OpenCV "
        "template matching instead of full-screen capture."
    )
    return [
        ("Profiling tool", profiling),
        ("Benchmark workload", workload),
        ("Performance targets", targets_answer),
        ("Pool sizing", pool),
        ("Event-bus subscriber thresholds", bus),
        ("Desktop automation alternatives", desktop),
    ]


def _conflict_context(m: Measurements) -> str:
    if m.pools.measured and m.pools.traffic:
        return (
            "Measured: "
            + "; ".join(
                f"`{p.pool}` peak in use {p.peak_in_use} of {p.max_size}, "
                f"peak waiters {p.peak_waiters}"
                for p in m.pools.pools
            )
            + "."
        )
    return ""


def in_tree(path: str, root: str) -> bool:
    """Whether a finding's path names a file of the audited tree."""
    if path.startswith("<") or Path(path).is_absolute():
        return False
    if not root:
        return True  # no tree to check against: relative paths are taken as the tree's
    return (Path(root) / path).is_file()


def _outside_tree(findings: Sequence[Finding], root: str) -> set[str]:
    if not root:
        return set()
    known: dict[str, bool] = {}
    out = set()
    for f in findings:
        if f.path not in known:
            known[f.path] = in_tree(f.path, root)
        if not known[f.path]:
            out.add(f.fingerprint)
    return out


def _target_label(target: Any, root: str) -> str:
    """A short name for the target: the recorded name, the project's name, or the command."""
    if isinstance(target, str) and target:
        return target
    name = _project_name(root) if root and (Path(root) / "pyproject.toml").is_file() else ""
    if name:
        return name
    if isinstance(target, Mapping):
        command = [str(c) for c in target.get("command") or ()]
        if command:
            shown = " ".join([Path(command[0]).name, *command[1:]])
            pid = f" (pid {target['pid']})" if target.get("pid") else ""
            return shown + pid
    return _project_name(root) or "unknown target"


def _project_name(root: str) -> str:
    """The audited project's name from its pyproject.toml, else its folder's name."""
    if not root:
        return ""
    try:
        with (Path(root) / "pyproject.toml").open("rb") as fh:
            name = tomllib.load(fh).get("project", {}).get("name")
    except (OSError, tomllib.TOMLDecodeError):
        name = None
    return str(name or Path(root).name)


def _audit_error(entry: Any) -> tuple[str, str]:
    """An audit error as (path, message), from a pair or a {"path", "message"} mapping."""
    if isinstance(entry, Mapping):
        return str(entry.get("path", "?")), str(entry.get("message", ""))
    items = list(entry)
    return str(items[0]), str(items[1]) if len(items) > 1 else ""


def build_model(
    findings: Sequence[Finding],
    *,
    kind: str,
    records_by_kind: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    samples: int = 0,
    sampled_s: float = 0.0,
    span: tuple[float, float] | None = None,
    meta: Mapping[str, Any] | None = None,
    audit_meta: Mapping[str, Any] | None = None,
    source_root: str | Path = "",
    session: Any = None,
    targets: Mapping[str, float] | None = None,
    coverage: CoverageData | None = None,
    plots: bool = True,
) -> ReportModel:
    """Assemble the model; `session` only feeds the optional sampling/pool-sizing views."""
    meta = dict(meta or {})
    records_by_kind = records_by_kind or {}
    root = str(source_root or meta.get("source_root") or "")
    all_targets = {**DEFAULT_TARGETS, **(targets or {})}
    measurements = summarize(records_by_kind, samples=samples, sampled_s=sampled_s, span=span)
    findings = list(findings)
    cascades = synthesis.detect_cascades(
        findings, records_by_kind, root, threshold_ms=all_targets["slow_callback_ms"]
    )
    extra = defaultdict(list)
    for c in cascades:
        if c.cause is not None:
            extra[c.cause.fingerprint].append(synthesis.cascade_evidence(c))
    if extra:
        findings = [
            f.with_evidence(*extra[f.fingerprint]) if f.fingerprint in extra else f
            for f in findings
        ]
        by_fp = {f.fingerprint: f for f in findings}
        cascades = [
            c if c.cause is None else replace(c, cause=by_fp[c.cause.fingerprint]) for c in cascades
        ]
    ranked = rank(findings)
    rules = _rules_by_area()
    per_area: dict[int, list[Finding]] = defaultdict(list)
    for f in ranked:
        per_area[f.area].append(f)
    areas = [
        AreaSection(a, name, AREA_CHECKS[a], tuple(rules.get(a, ())), tuple(per_area[a]))
        for a, name in AREAS.items()
    ]
    audit_meta = dict(audit_meta or meta.get("audit") or {})
    errors = tuple(_audit_error(e) for e in audit_meta.get("errors") or ())
    audit = AuditStats(
        files=int(audit_meta.get("files") or 0),
        lines=int(audit_meta.get("lines") or 0),
        elapsed_s=float(audit_meta.get("elapsed_s") or 0.0),
        errors=errors,
        rules_run=int(audit_meta.get("rules") or sum(len(v) for v in rules.values())),
    )
    if coverage is None and root:
        coverage = find_coverage(Path(root))
    target = _target_label(meta.get("target"), root)
    profile = str(meta.get("profile") or audit_meta.get("profile") or "generic")
    model = ReportModel(
        title=("CasareRPA " + REPORT_TITLE)
        if profile == "casare_rpa"
        else f"{REPORT_TITLE}: {target}",
        kind=kind,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        target=target,
        profile=profile,
        source_root=root,
        session_name=str(meta.get("session_name") or ""),
        findings=ranked,
        areas=areas,
        measurements=measurements,
        targets=all_targets,
        groups=synthesis.correlate_groups(ranked),
        cascades=cascades,
        conflicts=synthesis.detect_conflicts(ranked, _conflict_context(measurements)),
        patterns=synthesis.repeated_patterns(ranked),
        audit=audit,
        metrics={f.fingerprint: _finding_metrics(f, measurements, all_targets) for f in ranked},
        coverage=coverage,
        gaps=coverage_gaps(ranked, coverage) if coverage else [],
    )
    if session is not None:
        model.hot_functions, model.hot_functions_note = _hot_functions(session, root)
        model.pool_sizing, model.pool_curves, model.pool_sizing_note = _pool_sizing(
            measurements.workloads
        )
    else:
        model.hot_functions_note = (
            "Sample-based hot functions: not measured (static-only audit, no py-spy samples)."
        )
        model.pool_sizing_note = "Pool sizing: not measured (static-only audit)."
    if plots:
        model.plots = make_plots(ranked, records_by_kind, model.pool_curves)
    model.async_rules = _async_rules()
    model.outside = _outside_tree(ranked, root)
    model.projections = _projections(model)
    model.answers = _answers(model)
    return model


def model_from_session(
    session: Any,
    source_root: str | Path | None = None,
    coverage: CoverageData | None = None,
    plots: bool = True,
) -> ReportModel:
    """The model of a recorded session: its findings, records, samples and meta."""
    meta = dict(session.meta)
    meta.setdefault("session_name", Path(session.path).name)
    records = group_by_kind(session.records())
    runs, sampled_s = _samples_count(session)
    return build_model(
        session.findings(),
        kind="session",
        records_by_kind=records,
        samples=runs,
        sampled_s=sampled_s,
        span=session.time_span(),
        meta=meta,
        source_root=source_root or meta.get("source_root") or "",
        session=session,
        targets=meta.get("targets"),
        coverage=coverage,
        plots=plots,
    )


def model_from_static(
    findings: Sequence[Finding],
    audit_meta: Mapping[str, Any],
    source_root: str | Path,
    coverage: CoverageData | None = None,
    plots: bool = True,
) -> ReportModel:
    """The model of a static-only audit (no session): measured sections say so."""
    root = Path(source_root)
    return build_model(
        findings,
        kind="static",
        meta={"profile": audit_meta.get("profile", "generic")},
        audit_meta=audit_meta,
        source_root=str(root),
        coverage=coverage,
        plots=plots,
    )
