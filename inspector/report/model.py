"""The report's plain data model, built once from a session (or a static audit).

Everything a reader sees is decided here: the one ranking, per-area sections, measured
summaries, synthesis (groups, cascades, conflicts), the action plan, and every conclusion
about the session (`processors.PROCESSORS`: session state, provenance, pool sizing, memory
trend, ... and the answers, which quote them). Renderers only format a `ReportModel`.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import sys
import tomllib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from analyzers.findings import AREAS, Finding, Severity, rank
from inspector.report import synthesis
from inspector.report.conclusions import Conclusion, iter_figures
from inspector.report.coverage import CoverageData, CoverageGap, coverage_gaps, find_coverage
from inspector.report.measured import DEFAULT_TARGETS, Measurements, group_by_kind, summarize
from inspector.report.plots import Plot, make_plots
from inspector.report.processors import (
    ReportInputs,
    SamplingFacts,
    conclude,
    severity_from_share,
)
from inspector.sampling.attribution import OVERHEAD
from inspector.sampling.profile_data import hot_functions

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
    source: str  # which records (and window) the figure comes from


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
    unassigned_files: int = 0  # files no area pattern of the profile matches
    warnings: tuple[str, ...] = ()  # profile entries that match nothing in the tree

    @property
    def known(self) -> bool:
        return self.files > 0


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
    # topic -> the one conclusion every section and format shows for it (processors.py)
    conclusions: dict[str, Conclusion] = field(default_factory=dict)
    plots: list[Plot] = field(default_factory=list)
    coverage: CoverageData | None = None
    gaps: list[CoverageGap] = field(default_factory=list)
    async_rules: list[tuple[str, str]] = field(default_factory=list)
    # Fingerprints of findings whose file is not in the audited tree (stdlib, site-packages,
    # frozen modules seen by py-spy): reported, but never picked as a quick win.
    outside: set[str] = field(default_factory=set)
    title: str = REPORT_TITLE

    # -- derived views ------------------------------------------------------------------------
    def conclusion(self, topic: str) -> Conclusion:
        return self.conclusions[topic]

    def figures(self) -> list:
        """Every sourced figure of the report (conclusions and per-finding metrics)."""
        return list(iter_figures(list(self.conclusions.values())))

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
    f: Finding, m: Measurements, targets: Mapping[str, float], inputs: ReportInputs
) -> tuple[MetricRow, ...]:
    """Only figures specific to this finding: its own evidence, the handler, pool or widget
    it names. Session-wide figures (loop lag, RSS) are in the baseline, once."""
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
            shown = f"{value:g}" if isinstance(value, (int, float)) else str(value)
            rows.append(MetricRow(key, shown, expected, f"{ev.source} evidence of this finding"))
    symbol_tail = f.symbol.rsplit(".", 1)[-1] if f.symbol else ""
    cls = f.symbol.split(".", 1)[0] if f.symbol else ""
    for h in m.bus.handlers:
        same_file = h.file and (
            h.file.replace("\\", "/").endswith("/" + f.path) or h.file == f.path
        )
        if same_file and symbol_tail and h.handler.rsplit(".", 1)[-1] == symbol_tail:
            src = inputs.source("handler").describe()
            if h.durations.count:
                rows.append(
                    MetricRow(
                        f"handler `{h.handler}` p95",
                        _fmt_ms(h.durations.p95),
                        f"<= {targets['handler_p95_ms']:.0f} ms",
                        src,
                    )
                )
            if h.errors:
                rows.append(MetricRow(f"handler `{h.handler}` exceptions", str(h.errors), "0", src))
    if f.area == 5 or "pooling" in f.tags:
        for p in m.pools.pools:
            if cls and p.acquires and p.pool.replace(":", ".").rsplit(".", 1)[-1] == cls:
                src = inputs.source("pool").describe()
                rows.append(
                    MetricRow(
                        f"`{cls}` peak in use / max size",
                        f"{p.peak_in_use} / {p.max_size}",
                        "peak < max size",
                        src,
                    )
                )
                rows.append(
                    MetricRow(
                        f"`{cls}` wait p95",
                        _fmt_ms(p.wait_ms.p95),
                        f"<= {targets['pool_wait_p95_ms']:.0f} ms",
                        src,
                    )
                )
    if f.area == 4:
        for w in m.repaint.widgets:
            if cls and w.widget_class == cls and w.paint_ms.count:
                rows.append(  # noqa: PERF401
                    MetricRow(
                        f"`{cls}` paint p95",
                        _fmt_ms(w.paint_ms.p95),
                        f"<= {targets['paint_ms_p95']:.1f} ms (one frame)",
                        inputs.source("repaint").describe(),
                    )
                )
    return tuple(rows)


def _specific_metrics(
    metrics: Mapping[str, tuple[MetricRow, ...]],
) -> dict[str, tuple[MetricRow, ...]]:
    """Drop a metric that has the same value on every finding carrying it (more than two):
    a threshold or a session-wide flag, not a figure of any one finding."""
    values: dict[str, set[str]] = defaultdict(set)
    carriers: Counter[str] = Counter()
    for rows in metrics.values():
        for row in rows:
            values[row.name].add(row.current)
            carriers[row.name] += 1
    constant = {name for name, vals in values.items() if len(vals) == 1 and carriers[name] > 2}
    return {fp: tuple(r for r in rows if r.name not in constant) for fp, rows in metrics.items()}


_INSTALLED = re.compile(r"/(?:site|dist)-packages/")
_STDLIB_DIR = re.compile(r"/(?:lib/python3\.\d+|Lib)/")


def _display_path(file: str, root: str) -> str:
    """Repo-relative under the audited root; an installed package or the standard library
    from its own folder (`NodeGraphQt/...`, `asyncio/...`), never this machine's prefix."""
    file = file.replace("\\", "/")
    rel = synthesis.relative_to_root(file, root)
    if rel != file:
        return rel
    for pattern, label in ((_INSTALLED, ""), (_STDLIB_DIR, " (stdlib)")):
        parts = pattern.split(file, maxsplit=1)
        if len(parts) == 2 and parts[1]:
            return parts[1] + label
    return file


def _hot_row(row: Mapping[str, Any], root: str, app_s: float) -> Mapping[str, Any]:
    """A py-spy HotEntry as report columns: shares of the app's active time (our agent's
    own work taken out of the denominator), paths repo-relative."""
    denom = app_s or 1.0
    return {
        "function": row["function"],
        "file": _display_path(str(row.get("file", "")), root),
        "self %": f"{100.0 * float(row['self_s']) / denom:.1f}",
        "total %": f"{100.0 * float(row['total_s']) / denom:.1f}",
        "self s": f"{float(row['self_s']):.2f}",
    }


def _sampling_facts(session: Any, root: str) -> SamplingFacts:
    """Stack runs and thread time (all threads, and active ones) from the py-spy samples
    table; the hot functions over active threads; how py-spy was run (session meta)."""
    try:
        with session.lock:
            runs, weight, first, last = session.conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(weight), 0), MIN(t), MAX(t) FROM samples"
            ).fetchone()
    except sqlite3.Error:  # an older or foreign file without the table: nothing sampled
        return SamplingFacts()
    settings = session.meta.get("sampling")
    settings = dict(settings) if isinstance(settings, Mapping) else {}
    if not runs:
        return SamplingFacts(settings=settings)
    # Self times partition the active time as the views attribute it (native paints the
    # agent timed count as active there, though the raw rows saw the thread waiting in
    # exec()), so the shares and the active total come from the same rows.
    entries = hot_functions(session, limit=sys.maxsize)
    active_s = sum(e.self_s for e in entries)
    # The agent's own work ends in the OVERHEAD pseudo-frame: never a hot spot of the app.
    own = sum(e.self_s for e in entries if e.file == OVERHEAD.file)
    app_s = max(active_s - own, 0.0)
    hot = tuple(_hot_row(asdict(e), root, app_s) for e in entries if e.file != OVERHEAD.file)[:15]
    # weights are microseconds (inspector.sampling)
    return SamplingFacts(
        int(runs),
        float(weight) / 1e6,
        active_s,
        own,
        settings,
        hot,
        span=(float(first), float(last)),
    )


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
    sampling: SamplingFacts | None = None,
    span: tuple[float, float] | None = None,
    meta: Mapping[str, Any] | None = None,
    audit_meta: Mapping[str, Any] | None = None,
    source_root: str | Path = "",
    targets: Mapping[str, float] | None = None,
    coverage: CoverageData | None = None,
    plots: bool = True,
) -> ReportModel:
    """Assemble the model: summaries, synthesis, then every processor's conclusion."""
    meta = dict(meta or {})
    records_by_kind = records_by_kind or {}
    sampling = sampling or SamplingFacts()
    root = str(source_root or meta.get("source_root") or "")
    all_targets = {**DEFAULT_TARGETS, **(targets or {})}
    if span is None:
        times = [float(r["t"]) for recs in records_by_kind.values() for r in recs if "t" in r]
        span = (min(times), max(times)) if times else None
    measurements = summarize(
        records_by_kind, samples=sampling.runs, sampled_s=sampling.active_s, span=span
    )
    findings = severity_from_share(list(findings))
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
        unassigned_files=int(audit_meta.get("unassigned_files") or 0),
        warnings=tuple(str(w) for w in audit_meta.get("warnings") or ()),
    )
    if coverage is None and root:
        coverage = find_coverage(Path(root))
    target = _target_label(meta.get("target"), root)
    profile = str(meta.get("profile") or audit_meta.get("profile") or "generic")
    inputs = ReportInputs(
        kind=kind,
        measurements=measurements,
        records_by_kind=records_by_kind,
        meta=meta,
        targets=all_targets,
        findings=ranked,
        source_root=root,
        sampling=sampling,
        cascades=cascades,
    )
    conclusions = conclude(inputs)
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
        metrics=_specific_metrics(
            {f.fingerprint: _finding_metrics(f, measurements, all_targets, inputs) for f in ranked}
        ),
        conclusions=conclusions,
        coverage=coverage,
        gaps=coverage_gaps(ranked, coverage) if coverage else [],
    )
    if plots:
        sizing = conclusions["pool_sizing"]
        curves = [] if sizing.table is None else _sweep_curves(sizing)
        # A flat line at zero is no figure: channels without traffic are said in words.
        quiet = {"bus": conclusions["bus"], "pool": conclusions["pools"]}
        plotted = {
            kind: recs
            for kind, recs in records_by_kind.items()
            if kind not in quiet or quiet[kind].status != "no_traffic"
        }
        model.plots = make_plots(ranked, plotted, curves)
    model.async_rules = _async_rules()
    model.outside = _outside_tree(ranked, root)
    return model


def _sweep_curves(sizing: Conclusion) -> list[Mapping[str, Any]]:
    """Plot series per pool from the pool-sizing table (size, requests/s, wait p95)."""
    per: dict[str, dict[str, list[float]]] = {}
    assert sizing.table is not None
    for row in sizing.table.rows:
        cols = per.setdefault(
            row[0].strip("`"), {"size": [], "throughput_rps": [], "wait_ms_p95": []}
        )
        cols["size"].append(float(row[1]))
        cols["throughput_rps"].append(float(row[2]))
        cols["wait_ms_p95"].append(float(row[3].split()[0]))
    return [{"pool": name, "series": series} for name, series in per.items()]


def model_from_session(
    session: Any,
    source_root: str | Path | None = None,
    coverage: CoverageData | None = None,
    plots: bool = True,
) -> ReportModel:
    """The model of a recorded session: its findings, records, samples and meta."""
    meta = dict(session.meta)
    meta.setdefault("session_name", Path(session.path).name)
    root = str(source_root or meta.get("source_root") or "")
    records = group_by_kind(session.records())
    findings = session.findings()
    # what could not be read (bad rows skipped, a damaged file): the report says so
    summary = getattr(session, "unreadable_summary", None)
    if summary is not None and summary():
        meta["unreadable"] = summary()
    return build_model(
        findings,
        kind="session",
        records_by_kind=records,
        sampling=_sampling_facts(session, root),
        span=session.time_span(),
        meta=meta,
        source_root=root,
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
