"""Processors: pure functions that each decide one kind of conclusion from a session's data.

As in pyinstrument, a processor reads plain data and returns new data; nothing here formats
for a particular output or does I/O. `PROCESSORS` runs in order; a later processor may read
the conclusions decided before it (the answers read pool sizing, they never recompute it).
Every figure carries its `Source`, so the report can say which records (and which window of
the session) a number comes from, or that it is an estimate and how it was made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from analyzers.findings import Finding, Priority, Severity
from inspector.core.pool_sizing import size_pools
from inspector.report.conclusions import (
    MEASURED,
    NOT_MEASURED,
    Conclusion,
    Figure,
    Source,
    Table,
)
from inspector.report.measured import (
    FRAME_BUDGET_MS,
    MIN_MEMORY_SPAN_S,
    TARGET_LABELS,
    Distribution,
    Measurements,
    summarize_memory,
)
from inspector.report.synthesis import OUR_CODE, relative_to_root
from inspector.sampling.measured_priority import impact_from_share

NOT_MEASURED_TEXT = "not measured in this session"
# Record kinds whose records show activity (traffic), with how a record's amount is counted.
TRAFFIC: Mapping[str, Callable[[Mapping[str, Any]], int]] = {
    "bus": lambda r: sum(int(v) for v in (r.get("events") or {}).values()),
    "handler": lambda r: int(r.get("count") or 0),
    "repaint": lambda r: int(r.get("paints") or 0),
    "pool": lambda r: int(r.get("acquires") or 0),
}
CHANNEL_LABELS: Mapping[str, str] = {
    "bus": "event-bus events",
    "handler": "bus handler calls",
    "repaint": "paints",
    "pool": "pool acquires",
}


@dataclass(frozen=True)
class SamplingFacts:
    """What py-spy recorded: stack runs, thread time (all and active), how it was run."""

    runs: int = 0
    thread_s: float = 0.0
    active_s: float = 0.0
    own_s: float = 0.0  # active time whose innermost Python frame is our agent's
    settings: Mapping[str, Any] = field(default_factory=dict)
    hot: tuple[Mapping[str, Any], ...] = ()
    span: tuple[float, float] | None = None  # first and last sample time


@dataclass(frozen=True)
class ReportInputs:
    """Everything the processors read: plain data taken from a session (or a static audit)."""

    kind: str  # "session" or "static"
    measurements: Measurements
    records_by_kind: Mapping[str, Sequence[Mapping[str, Any]]]
    meta: Mapping[str, Any]
    targets: Mapping[str, float]
    findings: Sequence[Finding]
    sampling: SamplingFacts = field(default_factory=SamplingFacts)
    cascades: Sequence[Any] = ()  # synthesis.Cascade, detected before the processors run
    source_root: str = ""

    def where(self, file: str, line: int) -> str:
        """A measured file:line, repo-relative when it lies under the audited root."""
        return f"{relative_to_root(str(file), self.source_root)}:{line}"

    @property
    def t0(self) -> float:
        """The session's start: when recording started, else its first record."""
        started = self.meta.get("started")
        if isinstance(started, (int, float)):
            return float(started)
        span = self.measurements.span
        return span[0] if span else 0.0

    def window(self, records: Sequence[Mapping[str, Any]]) -> tuple[float, float] | None:
        times = [float(r["t"]) for r in records if "t" in r]
        if not times:
            return None
        t0 = self.t0
        first = min(times) - float(records[0].get("interval_s") or 0.0)
        return (max(first - t0, 0.0), max(times) - t0)

    def source(self, *kinds: str, origin: str = "") -> Source:
        """The records of `kinds`: how many, their window, and whose activity they show
        ("workload" when every one was recorded while our workloads ran, "mixed" when
        some were)."""
        recs = [r for k in kinds for r in self.records_by_kind.get(k, ())]
        recs.sort(key=lambda r: float(r.get("t", 0.0)))
        if not origin and recs and self.records_by_kind.get("workload"):
            windows = workload_windows(self)
            ours = sum(1 for r in recs if _driven_by_workload(r, windows))
            origin = "workload" if ours == len(recs) else ("mixed" if ours else "")
        return Source(tuple(kinds), len(recs), self.window(recs), origin=origin)


Processor = Callable[[ReportInputs, Mapping[str, Conclusion]], Conclusion]


def _fig(key: str, label: str, text: str, source: Source) -> Figure:
    return Figure(key, label, text, source)


def _num(v: float) -> str:
    """A target as people write it: 20, 16.7, 0.5."""
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _ms(v: float) -> str:
    return f"{v:.1f} ms"


def _renderer(records: Sequence[Mapping[str, Any]]) -> str:
    """Which OpenGL renderer painted the timed viewport: software GL makes paints slower
    than on a user's GPU, so the figure says so."""
    for r in records:
        view = r.get("viewport")
        if isinstance(view, Mapping) and view.get("gl_renderer"):
            kind = "software" if view.get("software_gl") else "hardware"
            return f" Painted by {view['gl_renderer']} ({kind} OpenGL)."
    return ""


def _while_ours(src: Source) -> str:
    """How much of a topic's records our workloads drove, said in the statement itself."""
    if src.origin == "workload":
        return " All of it was recorded while our workloads drove the app."
    if src.origin == "mixed":
        return " Part of it was recorded while our workloads drove the app."
    return ""


def _dist(d: Distribution) -> str:
    return f"p50 {d.p50:.1f} / p95 {d.p95:.1f} / max {d.max:.1f} ms"


# -- workloads and provenance ----------------------------------------------------------------


def workload_windows(inputs: ReportInputs) -> list[tuple[str, float, float]]:
    """(name, start, end) in epoch seconds of each workload that ran: it ends at its record's
    time and lasted its `elapsed_s` (from the session's start when that is unknown)."""
    out = []
    for w in inputs.records_by_kind.get("workload", ()):
        end = float(w.get("t") or 0.0)
        elapsed = (w.get("results") or {}).get("elapsed_s")
        start = end - float(elapsed) if isinstance(elapsed, (int, float)) else inputs.t0
        out.append((str(w.get("name")), start, end))
    return out


def _driven_by_workload(
    rec: Mapping[str, Any], windows: Sequence[tuple[str, float, float]]
) -> bool:
    """The agent marks each interval record `source`: "app" or "workload:<name>#<run>";
    older sessions lack it, so a record inside a workload's window counts as driven by it."""
    source = rec.get("source")
    if isinstance(source, str) and (source == "app" or source.startswith("workload:")):
        return source != "app"
    t = float(rec.get("t") or 0.0)
    return any(start <= t <= end for _, start, end in windows)


def _flatten(results: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """A workload's results as (key, value) cells; a distribution over repetitions
    ({p50, min, max, n}) is one value, nested data becomes dotted keys, long lists a count,
    so a table cell never holds JSON."""
    out: list[tuple[str, str]] = []
    for key, value in results.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and "p50" in value and "p95" in value:
            shown = f"p50 {float(value['p50']):g} / p95 {float(value['p95']):g}"
            if "max" in value:
                shown += f" / max {float(value['max']):g}"
            out.append((name, shown + (f" (n {value['n']})" if "n" in value else "")))
        elif isinstance(value, Mapping) and "p50" in value:
            n = int(value.get("n") or 1)
            shown = f"{float(value['p50']):g}"
            if n > 1 and "min" in value and "max" in value:
                shown += f" (p50 of {n}; {float(value['min']):g}-{float(value['max']):g})"
            out.append((name, shown))
        elif isinstance(value, Mapping):
            out += _flatten(value, name + ".")
        elif isinstance(value, (list, tuple)):
            if all(isinstance(v, (int, float)) for v in value) and len(value) <= 8:
                out.append((name, ", ".join(f"{v:g}" for v in value)))
            else:
                out.append((name, f"{len(value)} entries"))
        elif isinstance(value, float):
            out.append((name, f"{value:g}"))
        else:
            out.append((name, str(value)))
    return out


def workloads(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    runs = inputs.records_by_kind.get("workload", ())
    if not runs:
        return Conclusion(
            "workloads",
            "Workloads",
            NOT_MEASURED,
            "No workload ran in this session: every measurement shows what the app did on its own.",
        )
    windows = workload_windows(inputs)
    t0 = inputs.t0
    src = Source(
        ("workload",),
        len(runs),
        (min(w[1] for w in windows) - t0, max(w[2] for w in windows) - t0),
    )
    rows = []
    for w, (_, start, end) in zip(runs, windows, strict=True):
        params = ", ".join(f"{k}={v}" for k, v in (w.get("params") or {}).items()) or "—"
        results = dict(w.get("results") or {})
        results.pop("pools", None)  # the sweep is the pool-sizing table, not a cell
        status = str(w.get("status"))
        if w.get("reason"):
            status += f": {w.get('reason')}"
        t0 = inputs.t0
        rows.append(
            (
                f"`{w.get('name')}`",
                params,
                status,
                f"{start - t0:.0f}-{end - t0:.0f} s",
            )
        )
    failed = [w for w in runs if w.get("status") != "ok"]
    if failed:
        statement = (
            f"{len(failed)} of {len(runs)} workload(s) did not complete: "
            + "; ".join(
                f"`{w.get('name')}` {w.get('status')} ({w.get('reason') or 'no reason'})"
                for w in failed
            )
            + ". Results that need a finished run (for example pool sizing) are not measured."
        )
        status = "failed"
    else:
        statement = (
            f"{len(runs)} workload(s) ran to completion: "
            + ", ".join(f"`{w.get('name')}`" for w in runs)
            + "."
        )
        status = MEASURED
    table = Table(("Workload", "Parameters", "Status", "Window"), tuple(rows), src)
    return Conclusion("workloads", "Workloads", status, statement, (), table)


def severity(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    """The severity spread, how much of it rests on measurements, and a caveat when most of
    it is CRITICAL on rule defaults alone."""
    findings = inputs.findings
    n = len(findings)
    counts = {s: 0 for s in Severity}
    for f in findings:
        counts[f.severity] += 1
    measured = sum(1 for f in findings if f.priority.source == "measured")
    statement = (
        ", ".join(f"{counts[s]} {s.value}" for s in Severity)
        + f". {measured} finding(s) ranked on measured inputs, {n - measured} on rule defaults."
    )
    critical_defaults = sum(
        1 for f in findings if f.severity is Severity.CRITICAL and f.priority.source != "measured"
    )
    if n and critical_defaults > n / 2:
        statement += (
            f" Note: {critical_defaults} of {n} findings are CRITICAL on the rules' default "
            "inputs alone. Defaults describe the pattern, not this codebase's load, so treat "
            "those scores as upper bounds; a recorded session replaces them with measured "
            "inputs and separates the hot sites from the cold ones."
        )
    return Conclusion("severity", "Severity", MEASURED, statement)


def workload_results(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    """What each workload reported, one row per result (a pools sweep is the pool-sizing
    table instead)."""
    title = "Workload results"
    runs = inputs.records_by_kind.get("workload", ())
    rows = []
    for w in runs:
        results = dict(w.get("results") or {})
        results.pop("pools", None)
        rows += [(f"`{w.get('name')}`", key, value) for key, value in _flatten(results)]
    if not rows:
        return Conclusion("workload_results", title, NOT_MEASURED, "")
    src = inputs.source("workload", origin="workload")
    table = Table(("Workload", "Result", "Value"), tuple(rows), src)
    return Conclusion(
        "workload_results",
        title,
        MEASURED,
        "What each workload reported, as it reported it (driven by our workloads).",
        (),
        table,
    )


def provenance(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    """Per channel (bus, handlers, repaints, pools): traffic the app produced on its own vs
    traffic recorded while our workloads drove it."""
    windows = workload_windows(inputs)
    rows = []
    figures = []
    app_total = 0
    any_recorded = False
    # rows: (channel, app amount, workload amount, source)
    for kind, amount in TRAFFIC.items():
        recs = inputs.records_by_kind.get(kind, ())
        if not recs:
            continue
        any_recorded = True
        ours = sum(amount(r) for r in recs if _driven_by_workload(r, windows))
        total = sum(amount(r) for r in recs)
        app = total - ours
        app_total += app
        src = inputs.source(kind)
        figures.append(_fig(f"provenance.{kind}.app", f"{kind} app", str(app), src))
        figures.append(_fig(f"provenance.{kind}.workload", f"{kind} workload", str(ours), src))
        rows.append((CHANNEL_LABELS[kind], str(app), str(ours), src.describe()))
    if not any_recorded:
        return Conclusion(
            "provenance",
            "What the app did vs what our workloads drove",
            NOT_MEASURED,
            "No bus, handler, repaint or pool records: the app's own activity was "
            f"{NOT_MEASURED_TEXT}.",
        )
    quiet = [r[0] for r in rows if r[1] == "0"]
    driven = [r[0] for r in rows if r[1] == "0" and r[2] != "0"]
    mostly = [r for r in rows if r[1] != "0" and int(r[2]) > int(r[1])]
    parts = []
    if quiet:
        parts.append("The app itself produced no " + ", no ".join(quiet) + " in this session")
    if driven:
        parts.append(
            "every " + ", every ".join(x.rstrip("s") for x in driven) + " recorded came from "
            "our workloads and is not the app's own behaviour"
        )
    if mostly:
        parts.append(
            ", ".join(f"{r[2]} of {int(r[1]) + int(r[2])} {r[0]}" for r in mostly)
            + " were recorded while our workloads drove the app"
        )
    if not parts:
        parts.append("The app produced most of the traffic on every instrumented channel")
    statement = "; ".join(parts) + "."
    ours_total = sum(int(r[2]) for r in rows)
    if not app_total and not ours_total:
        status = "no_traffic"
        statement = (
            "No traffic on any instrumented channel: neither the app nor our workloads "
            "published an event, called a handler, painted or acquired from a pool."
        )
    else:
        status = MEASURED if app_total else "no_app_traffic"
    table = Table(("Channel", "App on its own", "While our workloads ran", "Source"), tuple(rows))
    return Conclusion(
        "provenance",
        "What the app did vs what our workloads drove",
        status,
        statement,
        tuple(figures),
        table,
    )


def session_state(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    """Complete, cut short, or workload-only; and how long the recorded data spans."""
    if inputs.kind == "static":
        return Conclusion(
            "session",
            "Session",
            "static",
            "Static-only audit: no runtime session was recorded.",
        )
    meta, m = inputs.meta, inputs.measurements
    span = (m.span[1] - m.span[0]) if m.span else 0.0
    src = Source(
        ("all records",),
        sum(m.record_counts.values()),
        inputs.window([{"t": m.span[0]}, {"t": m.span[1]}]) if m.span else None,
    )
    figures = [_fig("session.span_s", "recorded span", f"{span:.0f} s", src)]
    notes: list[str] = []
    live = "started" in meta or "mode" in meta
    ended = meta.get("ended")
    status = "complete"
    if live and not isinstance(ended, (int, float)):
        status = "cut_short"
        notes.append(
            f"This session was cut short: it has no end mark (the recording stopped without "
            f"closing it, for example the inspector was killed), so every figure covers only "
            f"the {span:.0f} s recorded"
        )
    elif meta.get("end_reason"):
        notes.append(f"Recorded {span:.0f} s; the recording ended: {meta.get('end_reason')}")
    else:
        notes.append(f"Recorded {span:.0f} s")
    sampling = inputs.meta.get("sampling")
    if isinstance(sampling, Mapping) and sampling.get("error"):
        notes.append(f"py-spy {sampling.get('error')}")
    if meta.get("unreadable"):
        notes.append(f"Part of the session file could not be read ({meta['unreadable']})")
    work = done.get("workloads")
    if work is not None and work.status == "failed":
        notes.append(work.statement.rstrip("."))
        if status == "complete":
            status = "workload_failed"
    prov = done.get("provenance")
    if (
        prov is not None
        and prov.status == "no_app_traffic"
        and inputs.records_by_kind.get("workload")
    ):
        notes.append(
            "Workload-only session: all recorded traffic came from our workloads, none from "
            "the app on its own"
        )
        if status == "complete":
            status = "workload_only"
    return Conclusion("session", "Session", status, ". ".join(notes) + ".", tuple(figures))


# -- measured topics ----------------------------------------------------------------------------


def sampling(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    s = inputs.sampling
    if not s.runs:
        return Conclusion(
            "sampling",
            "py-spy sampling",
            NOT_MEASURED,
            f"py-spy sampling: {NOT_MEASURED_TEXT} (no samples).",
        )
    settings = s.settings
    native = bool(settings.get("native"))
    src = Source(
        ("py-spy samples",),
        s.runs,
        inputs.window([{"t": s.span[0]}, {"t": s.span[1]}]) if s.span else None,
    )
    app_s = max(s.active_s - s.own_s, 0.0)
    figures = (
        _fig("sampling.active_s", "active thread time", f"{app_s:.1f} s", src),
        _fig("sampling.thread_s", "thread time incl. idle", f"{s.thread_s:.1f} s", src),
        _fig("sampling.own_s", "our agent's own time", f"{s.own_s:.1f} s", src),
    )
    rate = settings.get("rate")
    if rate:
        meta_src = Source(meta_key="sampling.rate")
        figures += (_fig("sampling.rate", "sampling rate", f"{rate} Hz", meta_src),)
    how = f"{rate} Hz" if rate else "default rate"
    how += ", native frames" if native else ", Python frames only (no native unwinding)"
    statement = (
        f"py-spy ({how}) saw {app_s:.1f} s of active thread time in the app "
        f"(threads waiting in select, locks or an idle event loop excluded, {s.thread_s:.1f} s "
        f"including them; our agent's own work, {s.own_s:.1f} s, excluded)."
    )
    table = None
    if s.hot:
        table = Table(
            ("Function", "File", "Self %", "Total %", "Self s"),
            tuple(
                (
                    f"`{r['function']}`",
                    str(r.get("file", "")),
                    r.get("self %", ""),
                    r.get("total %", ""),
                    r.get("self s", ""),
                )
                for r in s.hot
            ),
            src,
        )
    return Conclusion("sampling", "py-spy sampling", MEASURED, statement, figures, table)


def loop(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    lp, t = inputs.measurements.loop, inputs.targets
    if not lp.measured:
        return Conclusion(
            "loop", "Event-loop lag", NOT_MEASURED, f"Event-loop lag: {NOT_MEASURED_TEXT}."
        )
    src = inputs.source("loop_lag")
    slow_src = inputs.source("slow_callback")
    slow = inputs.records_by_kind.get("slow_callback", ())
    # A callback in our own agent or workload code is ours, not the app's.
    ours = sum(1 for r in slow if OUR_CODE.search(str(r.get("file") or "")))
    figures = (
        _fig("loop.lag_p95", "event-loop lag p95", _ms(lp.lag_ms.p95), src),
        _fig("loop.lag_max", "event-loop lag max", _ms(lp.lag_ms.max), src),
        _fig("loop.slow_callbacks", "slow callbacks", str(len(slow) - ours), slow_src),
    )
    over = lp.lag_ms.p95 > t["loop_lag_p95_ms"]
    statement = (
        f"Event-loop lag p95 {_ms(lp.lag_ms.p95)}, max {_ms(lp.lag_ms.max)} "
        f"({'over' if over else 'within'} the {t['loop_lag_p95_ms']:.0f} ms target); "
        f"{len(slow) - ours} callback(s) of the app over {t['slow_callback_ms']:.0f} ms"
        + (f" ({ours} more in our own workload code, left out)" if ours else "")
        + "."
    ) + _while_ours(src)
    return Conclusion(
        "loop", "Event-loop lag", "over_target" if over else MEASURED, statement, figures
    )


def bus(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    b = inputs.measurements.bus
    if not b.measured:
        return Conclusion("bus", "Event bus", NOT_MEASURED, f"Event bus: {NOT_MEASURED_TEXT}.")
    src = inputs.source("bus")
    figures = [_fig("bus.events", "bus events", str(b.events_total), src)]
    if not b.events_total:
        return Conclusion(
            "bus",
            "Event bus",
            "no_traffic",
            "The event bus was instrumented but no event was published in this session.",
            tuple(figures),
        )
    figures.append(_fig("bus.rate", "bus events/s", f"{b.events_per_s:.1f}/s", src))
    return Conclusion(
        "bus",
        "Event bus",
        MEASURED,
        f"{b.events_total} bus events ({b.events_per_s:.1f}/s).",
        tuple(figures),
    )


def handlers(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    b, t = inputs.measurements.bus, inputs.targets
    timed = [h for h in b.handlers if h.durations.count]
    if not b.handlers:
        return Conclusion(
            "handlers",
            "Bus handlers",
            NOT_MEASURED,
            "Bus handler timings: no handler ran in this session, so they are not measured.",
        )
    src = inputs.source("handler")
    figures = [
        _fig("handlers.calls", "handler calls", str(sum(h.calls for h in b.handlers)), src),
    ]
    rows = [
        (
            f"`{h.handler}`",
            h.event,
            str(h.calls),
            str(h.errors),
            _dist(h.durations) if h.durations.count else "—",
        )
        for h in b.handlers[:10]
    ]
    table = Table(("Handler", "Event", "Calls", "Errors", "Durations"), tuple(rows), src)
    if not timed:
        return Conclusion(
            "handlers",
            "Bus handlers",
            "no_timings",
            "Bus handlers ran but none was timed.",
            tuple(figures),
            table,
        )
    figures.append(_fig("handlers.p95", "handler p95", f"{b.handler_p95_ms:.2f} ms", src))
    over = b.handler_p95_ms > t["handler_p95_ms"]
    return Conclusion(
        "handlers",
        "Bus handlers",
        "over_target" if over else MEASURED,
        f"Bus handler p95 {b.handler_p95_ms:.2f} ms ({'over' if over else 'within'} the "
        f"{t['handler_p95_ms']:.0f} ms target).",
        tuple(figures),
        table,
    )


def _first_error_types(records: Sequence[Mapping[str, Any]], key: str) -> dict[str, str]:
    """handler -> "Type: message" of the first error the agent sent for it."""
    out: dict[str, str] = {}
    for r in records:
        first = r.get("first_error")
        name = str(r.get(key) or "?")
        if isinstance(first, Mapping) and name not in out:
            message = " ".join(str(first.get("message") or "").split())[:120]
            out[name] = f"{first.get('type') or '?'}: {message}".rstrip(": ")
    return out


def handler_errors(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    """Exceptions raised in bus handlers (the bus catches them) and in Qt slots and loop
    callbacks (kind="exception"), with the first error's type and message."""
    title = "Handler exceptions"
    b = inputs.measurements.bus
    exc_records = inputs.records_by_kind.get("exception", ())
    if not b.handlers and not exc_records:
        return Conclusion(
            "handler_errors",
            title,
            NOT_MEASURED,
            f"Handler exceptions: {NOT_MEASURED_TEXT} (no handler ran, no exception hook fired).",
        )
    rows: list[tuple[str, ...]] = []
    figures: list[Figure] = []
    parts: list[str] = []
    failing = sorted((h for h in b.handlers if h.errors), key=lambda h: -h.errors)
    if failing:
        src = inputs.source("handler")
        firsts = _first_error_types(inputs.records_by_kind.get("handler", ()), "handler")
        errors = sum(h.errors for h in failing)
        figures.append(_fig("handler_errors.total", "bus handler exceptions", str(errors), src))
        rows += [
            (
                f"`{h.handler}`",
                f"bus {h.event}",
                str(h.errors),
                str(h.calls),
                firsts.get(h.handler, "—"),
                inputs.where(h.file, h.line),
            )
            for h in failing
        ]
        parts.append(
            f"{errors} bus handler call(s) raised, in {len(failing)} handler(s): "
            + "; ".join(
                f"`{h.handler}` on {h.event} ({h.errors} of {h.calls} calls)" for h in failing[:5]
            )
        )
    if exc_records:
        src = inputs.source("exception")
        per: dict[tuple[str, str], int] = {}
        where: dict[tuple[str, str], str] = {}
        for r in exc_records:
            key = (str(r.get("handler") or "?"), str(r.get("origin") or "?"))
            per[key] = per.get(key, 0) + int(r.get("count") or 1)
            where.setdefault(key, inputs.where(str(r.get("file", "?")), int(r.get("line") or 0)))
        firsts = _first_error_types(exc_records, "handler")
        total = sum(per.values())
        figures.append(_fig("handler_errors.hooks", "slot/callback exceptions", str(total), src))
        ranked = sorted(per.items(), key=lambda kv: -kv[1])
        rows += [
            (f"`{h}`", origin, str(n), "—", firsts.get(h, "—"), where[(h, origin)])
            for (h, origin), n in ranked
        ]
        parts.append(
            f"{total} exception(s) escaped Qt slots or loop callbacks: "
            + "; ".join(f"`{h}` ({origin}, {n})" for (h, origin), n in ranked[:5])
        )
    if not parts:
        calls = sum(h.calls for h in b.handlers)
        src = inputs.source("handler")
        return Conclusion(
            "handler_errors",
            title,
            MEASURED,
            f"No bus handler raised in {calls} calls.",
            (_fig("handler_errors.calls", "handler calls", str(calls), src),),
        )
    table = Table(
        ("Handler", "Where", "Exceptions", "Calls", "First error", "Location"), tuple(rows)
    )
    return Conclusion(
        "handler_errors", title, "errors", ". ".join(parts) + ".", tuple(figures), table
    )


def subscriber_budget(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    b = inputs.measurements.bus
    rule = (
        "Threshold: subscribers x handler p95 must fit one 16.7 ms frame for synchronous "
        "dispatch; above that, batch or dispatch asynchronously."
    )
    timed = [d for h in b.handlers for d in ([h.durations.p95] if h.durations.count else [])]
    if not b.measured or not b.max_subscribers:
        return Conclusion(
            "subscriber_budget",
            "Event-bus subscriber thresholds",
            NOT_MEASURED,
            f"Subscriber counts: {NOT_MEASURED_TEXT}. {rule}",
        )
    worst_event, worst_n = max(b.max_subscribers.items(), key=lambda kv: kv[1])
    src = inputs.source("bus")
    figures = [_fig("subscribers.max", "most subscribers", str(worst_n), src)]
    if not timed:
        return Conclusion(
            "subscriber_budget",
            "Event-bus subscriber thresholds",
            "no_timings",
            f"Most subscribers on `{worst_event}`: {worst_n}. No handler was timed in this "
            f"session, so the per-event budget is not measured. {rule}",
            tuple(figures),
        )
    p95 = b.handler_p95_ms
    hsrc = inputs.source("handler")
    figures.append(_fig("subscribers.handler_p95", "handler p95", f"{p95:.2f} ms", hsrc))
    limit = int(FRAME_BUDGET_MS // max(p95, 0.01))
    figures.append(
        _fig(
            "subscribers.limit",
            "subscriber limit",
            str(limit),
            Source(estimate="16.7 ms frame / measured handler p95"),
        )
    )
    return Conclusion(
        "subscriber_budget",
        "Event-bus subscriber thresholds",
        MEASURED,
        f"Most subscribers on `{worst_event}`: {worst_n}; handler p95 {p95:.2f} ms, so at most "
        f"{limit} subscribers per event type fit one frame at this p95. {rule}",
        tuple(figures),
    )


def repaint(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    r, t = inputs.measurements.repaint, inputs.targets
    if not r.measured:
        return Conclusion("repaint", "Repaints", NOT_MEASURED, f"Repaints: {NOT_MEASURED_TEXT}.")
    src = inputs.source("repaint")
    timed = [w for w in r.widgets if w.paint_ms.count]
    figures = [_fig("repaint.paints", "paints", str(r.paints_total), src)]
    rows = tuple(
        (
            f"`{w.widget_class}`",
            "yes" if w.is_canvas else "no",
            str(w.paints),
            str(w.update_requests),
            _dist(w.paint_ms) if w.paint_ms.count else "not timed",
        )
        for w in r.widgets[:10]
    )
    table = Table(("Widget", "Canvas", "Paints", "Update requests", "Paint time"), rows, src)
    if not timed:
        return Conclusion(
            "repaint",
            "Repaints",
            "no_timings",
            f"{r.paints_total} paints recorded; none was timed.",
            tuple(figures),
            table,
        )
    figures.append(_fig("repaint.p95", "paint p95", _ms(r.paint_ms.p95), src))
    over = r.paint_ms.p95 > t["paint_ms_p95"]
    worst = max(timed, key=lambda w: w.paint_ms.p95)
    figures.append(_fig("repaint.worst_p95", "worst widget p95", _ms(worst.paint_ms.p95), src))
    statement = (
        f"Paint time p95 {_ms(r.paint_ms.p95)} over the timed paints "
        f"({'over' if over else 'within'} the {t['paint_ms_p95']:.1f} ms frame); slowest "
        f"widget `{worst.widget_class}` at p95 {_ms(worst.paint_ms.p95)}."
        + _renderer(inputs.records_by_kind.get("repaint", ()))
    ) + _while_ours(src)
    return Conclusion(
        "repaint", "Repaints", "over_target" if over else MEASURED, statement, tuple(figures), table
    )


def pools(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    """The app's pools as live records show them; pools only our workload touched are named
    as such, and a pool without acquires gets no size."""
    p = inputs.measurements.pools
    if not p.measured:
        return Conclusion("pools", "Pool usage", NOT_MEASURED, f"Pool usage: {NOT_MEASURED_TEXT}.")
    windows = workload_windows(inputs)
    recs = inputs.records_by_kind.get("pool", ())
    app_acq = sum(int(r.get("acquires") or 0) for r in recs if not _driven_by_workload(r, windows))
    ours = sum(int(r.get("acquires") or 0) for r in recs if _driven_by_workload(r, windows))
    src = inputs.source("pool")
    figures = (
        _fig("pools.app_acquires", "app acquires", str(app_acq), src),
        _fig("pools.workload_acquires", "workload acquires", str(ours), src),
    )

    # The agent names a class "module:Class" and a live pool "module.Class": one pool.
    def key(name: str) -> str:
        return name.replace(":", ".")

    never = {key(str(r.get("pool"))) for r in recs if r.get("hooked") is False}
    ours_by_pool: dict[str, int] = {}
    for r in recs:
        if _driven_by_workload(r, windows):
            k = key(str(r.get("pool")))
            ours_by_pool[k] = ours_by_pool.get(k, 0) + int(r.get("acquires") or 0)
    by_name: dict[str, list[Any]] = {}
    for stat in p.pools:
        by_name.setdefault(key(stat.pool), []).append(stat)
    rows = []
    for name, stats in by_name.items():
        live = [s for s in stats if s.pool_id not in ("None", s.pool) or s.acquires or s.max_size]
        acq = sum(s.acquires for s in live)
        if not live:
            state = "never imported by the app" if name in never else "no live pool"
            rows.append((f"`{name}`", "0", "—", "—", "0", state))
            continue
        if not acq:
            state = "no acquires"
        elif ours_by_pool.get(name, 0) == acq:
            state = "used by our workload only"
        else:
            state = "used by the app"
        rows.append(
            (
                f"`{name}`",
                str(len(live)),
                str(max(s.max_size for s in live)),
                str(max(s.peak_in_use for s in live)),
                str(acq),
                state,
            )
        )
    table = Table(
        ("Pool", "Instances", "Max size", "Peak in use", "Acquires", "State"), tuple(rows), src
    )
    if not app_acq and not ours:
        statement = (
            "The app's pools saw no traffic in this session (no acquire recorded), so their "
            "live behaviour is not measured here."
        )
        status = "no_traffic"
    elif not app_acq:
        statement = (
            f"The app's pools saw no traffic of their own; all {ours} acquires came from our "
            "workloads, so they describe the workload, not the app."
        )
        status = "no_app_traffic"
    else:
        statement = f"The app's pools served {app_acq} acquires on their own."
        status = MEASURED
    return Conclusion("pools", "Pool usage", status, statement, figures, table)


def pool_sizing(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    """The size to use per pool, from the pools-sweep workload only: a sweep of sizes is the
    before/after a recommendation needs. One table row per size tried."""
    title = "Pool sizing"
    runs = [w for w in inputs.records_by_kind.get("workload", ()) if w.get("name") == "pools"]
    if inputs.kind == "static":
        return Conclusion(
            "pool_sizing",
            title,
            NOT_MEASURED,
            "Pool sizing: not measured (static-only audit). Run the pools workload "
            "at several sizes and take the smallest max_size whose acquire wait "
            "stays within budget.",
        )
    if not runs:
        return Conclusion(
            "pool_sizing",
            title,
            NOT_MEASURED,
            f"Pool sizing: {NOT_MEASURED_TEXT} (no pools workload ran). Run the "
            "pools workload to size the pools from a sweep.",
        )
    sweeps = [w for w in runs if (w.get("results") or {}).get("pools")]
    if not sweeps:
        w = runs[-1]
        return Conclusion(
            "pool_sizing",
            title,
            "failed",
            f"Pool sizing: not measured - the pools workload ended `{w.get('status')}` "
            f"({w.get('reason') or 'no result'}).",
        )
    src = inputs.source("workload", origin="workload")
    src = replace(src, records=("workload `pools`",), count=len(sweeps))
    rows: list[tuple[str, ...]] = []
    figures: list[Figure] = []
    sentences: list[str] = []
    curves: list[Mapping[str, Any]] = []
    for w in sweeps:
        for sizing in size_pools(w):
            curves.append({"pool": sizing.pool, "series": sizing.series})
            sentences.append(sizing.reasoning)
            # The sweep's reasoning is quoted as it stands, with the record it comes from.
            figures.append(
                _fig(f"pool_sizing.{sizing.pool}.reasoning", sizing.pool, sizing.reasoning, src)
            )
            if sizing.recommended is not None:
                figures.append(
                    _fig(
                        f"pool_sizing.{sizing.pool}",
                        f"{sizing.pool} size",
                        f"max_size {sizing.recommended}",
                        src,
                    )
                )
            cols = sizing.series
            for i, size in enumerate(cols.get("size", [])):
                mark = "recommended" if sizing.recommended == int(size) else ""
                rows.append(
                    (
                        f"`{sizing.pool}`",
                        str(int(size)),
                        f"{cols['throughput_rps'][i]:.0f}",
                        f"{cols['wait_ms_p95'][i]:.1f} ms",
                        f"{cols['exhausted'][i]:.0f}",
                        f"{cols['timeouts'][i]:.0f}",
                        mark,
                    )
                )
    status = MEASURED if any(f.text.startswith("max_size") for f in figures) else "failed"
    table = Table(
        ("Pool", "Size", "Requests/s", "Wait p95", "Exhausted", "Timeouts", "Choice"),
        tuple(rows),
        src,
    )
    return Conclusion(
        "pool_sizing",
        title,
        status,
        "From the pools workload's sweep: " + " ".join(sentences),
        tuple(figures),
        table,
    )


def memory_trend(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    mem, t = inputs.measurements.memory, inputs.targets
    title = "Memory trend"
    if not mem.measured or not mem.span_s:
        return Conclusion("memory", title, NOT_MEASURED, f"Memory growth: {NOT_MEASURED_TEXT}.")
    src = inputs.source("memory")
    figures = [
        _fig("memory.first", "RSS first", f"{mem.rss_first / 1e6:.1f} MB", src),
        _fig("memory.last", "RSS last", f"{mem.rss_last / 1e6:.1f} MB", src),
        _fig("memory.span", "memory span", f"{mem.span_s:.0f} s", src),
    ]
    text = (
        f"RSS {mem.rss_first / 1e6:.1f} MB -> {mem.rss_last / 1e6:.1f} MB over {mem.span_s:.0f} s"
    )
    if src.origin == "workload":
        text += ", all of it while our workloads ran"
    elif src.origin == "mixed":
        text += ", partly while our workloads ran"
    # A growth rate describes the app only over its own time: growth while our workloads
    # created and deleted things is the workload's effect (see its results), not a leak rate.
    windows = workload_windows(inputs)
    own = [
        r for r in inputs.records_by_kind.get("memory", ()) if not _driven_by_workload(r, windows)
    ]
    app_mem = summarize_memory(own, ()) if src.origin else mem
    if app_mem.judgeable:
        rate = app_mem.growth_mb_per_h
        rate_src = (
            inputs.source("memory")
            if not src.origin
            else replace(src, count=len(own), window=inputs.window(own), origin="app")
        )
        figures.append(_fig("memory.rate", "steady growth", f"{rate:.1f} MB/h", rate_src))
        over = rate > t["rss_growth_mb_per_h"]
        text += (
            "; steady-state growth after the first quarter"
            + (" of the app's own time" if src.origin else "")
            + f" {rate:.1f} MB/h ({'over' if over else 'within'} the "
            f"{t['rss_growth_mb_per_h']:.0f} MB/h target)."
        )
        status = "over_target" if over else MEASURED
    elif src.origin and mem.judgeable:
        text += (
            f"; no growth rate: the app ran on its own for less than {MIN_MEMORY_SPAN_S:.0f} s "
            "of it, and growth while our workloads ran is theirs to explain (see the workload "
            "results), not a leak rate."
        )
        status = "workload_driven"
    else:
        text += (
            f"; too short to tell start-up growth from a leak (a rate needs at least "
            f"{MIN_MEMORY_SPAN_S:.0f} s), so no rate is given."
        )
        status = "too_short"
    grown = [(k, a, b) for k, (a, b) in mem.container_growth.items() if b > a][:5]
    if grown:
        text += " Containers that grew: " + ", ".join(f"`{k}` {a} -> {b}" for k, a, b in grown)
        text += "."
        for k, a, b in grown:
            figures.append(_fig(f"memory.container.{k}", k, f"{a} -> {b}", src))
    table = None
    top = [r for r in mem.tracemalloc_top if not OUR_CODE.search(str(r.get("file") or ""))]
    if top:
        # tracemalloc's top growth in the app's code; our agent's allocations are left out.
        table = Table(
            ("Location", "Size diff", "Count diff"),
            tuple(
                (
                    f"`{inputs.where(str(r.get('file', '')), int(r.get('line') or 0))}`",
                    f"{int(r.get('size_diff') or 0):,} B",
                    f"{int(r.get('count_diff') or 0):,}",
                )
                for r in top[:15]
            ),
            inputs.source("tracemalloc"),
        )
    return Conclusion("memory", title, status, text, tuple(figures), table)


# -- baseline and projections -------------------------------------------------------------------


def baseline(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    """The baseline table: one row per figure, with its target, status and source."""
    if inputs.kind == "static" or not inputs.measurements.any:
        return Conclusion(
            "baseline",
            "Baseline measurements",
            NOT_MEASURED,
            f"Runtime baselines: {NOT_MEASURED_TEXT} (static-only audit).",
        )
    t = inputs.targets
    rows: list[tuple[str, ...]] = []

    def row(topic: str, key: str, target: float | None, unit: str = "ms") -> None:
        c = done.get(topic)
        fig = c.figure(key) if c else None
        if fig is None:
            return
        value = float(fig.text.split()[0].rstrip("/s"))
        status = "—" if target is None else ("meets target" if value <= target else "over target")
        shown = "—" if target is None else f"{_num(target)} {unit}".strip()
        rows.append((fig.label, fig.text, shown, status, fig.source.describe()))

    row("loop", "loop.lag_p95", t["loop_lag_p95_ms"])
    row("loop", "loop.lag_max", t["loop_lag_max_ms"])
    row("loop", "loop.slow_callbacks", 0, "")
    row("handlers", "handlers.p95", t["handler_p95_ms"])
    row("repaint", "repaint.p95", t["paint_ms_p95"])
    row("memory", "memory.rate", t["rss_growth_mb_per_h"], "MB/h")
    row("sampling", "sampling.active_s", None)
    table = Table(("Metric", "Measured", "Target", "Status", "Source"), tuple(rows))
    not_measured = [
        c.title
        for k, c in done.items()
        if k in ("loop", "handlers", "repaint", "pools", "memory") and not c.figures
    ]
    statement = "Figures measured in this session, each with its records and window."
    if not_measured:
        statement += " Not measured: " + ", ".join(not_measured) + "."
    return Conclusion("baseline", "Baseline measurements", MEASURED, statement, (), table)


def cascades(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    """Whose activity the cascades were measured under (their figures are in the list)."""
    title = "Cascades across areas"
    if not inputs.cascades:
        return Conclusion("cascades", title, NOT_MEASURED, "")
    src = inputs.source("slow_callback")
    n = len(inputs.cascades)
    if src.origin == "workload":
        statement = (
            f"All {n} cascade(s) were measured while our workloads drove the app: they show "
            "what the app's code costs under that load, not how often users meet it."
        )
    elif src.origin == "mixed":
        statement = f"The {n} cascade(s) were measured partly while our workloads drove the app."
    else:
        statement = f"The {n} cascade(s) were measured on the app's own activity."
    return Conclusion("cascades", title, MEASURED, statement, (), None)


def projections(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    """Only where a before/after exists in the data (a pools sweep measured both sizes) or an
    explicit model over measured figures (a cascade's measured block removed from its lag)."""
    rows: list[tuple[str, ...]] = []
    figures: list[Figure] = []
    sizing = done.get("pool_sizing")
    if sizing is not None and sizing.measured and sizing.table is not None:
        by_pool: dict[str, list[tuple[str, ...]]] = {}
        for r in sizing.table.rows:
            by_pool.setdefault(r[0], []).append(r)
        for pool, prows in by_pool.items():
            rec = [r for r in prows if r[6] == "recommended"]
            if rec and len(prows) > 1:
                smallest = prows[0]
                rows.append(
                    (
                        f"{pool} acquire wait",
                        f"{smallest[3]} at size {smallest[1]}",
                        f"{rec[0][3]} at size {rec[0][1]}",
                        "measured at both sizes by the pools sweep",
                    )
                )
    lp = inputs.measurements.loop
    for c in inputs.cascades[:5]:
        after = max(c.loop_lag_max_ms - c.blocked_ms_max, lp.lag_ms.p95)
        fig = _fig(
            f"projection.cascade.{c.location}",
            "lag after fix",
            f"~{after:.0f} ms",
            Source(
                estimate="measured worst lag minus the longest measured block at this "
                "location, floored at the session's lag p95"
            ),
        )
        figures.append(fig)
        rows.append(
            (
                f"loop lag around `{c.location}`",
                f"{c.loop_lag_max_ms:.0f} ms max",
                fig.text,
                fig.source.describe(),
            )
        )
    if not rows:
        return Conclusion(
            "projections",
            "Projected improvements",
            NOT_MEASURED,
            "No projection: nothing in this session measured a before and an after, and no "
            "explicit model covers the findings. Measure again after a fix to quantify it.",
        )
    table = Table(("What", "Now", "Projected", "Basis"), tuple(rows))
    return Conclusion(
        "projections",
        "Projected improvements",
        MEASURED,
        "Projections backed by a measured before/after or an explicit model.",
        tuple(figures),
        table,
    )


# -- answers (read the conclusions above, never the raw data) ------------------------------------


def answers(inputs: ReportInputs, done: Mapping[str, Conclusion]) -> Conclusion:
    """The audit plan's open questions, each answered from the conclusion that decides it."""
    s = done["sampling"]
    used = []
    if s.measured:
        used.append(s.statement)
    probes = {
        "bus": "event-bus",
        "handler": "bus handler",
        "repaint": "repaint",
        "pool": "pool",
        "loop_lag": "event-loop",
        "exception": "exception",
        "memory": "memory",
    }
    recorded = [label for kind, label in probes.items() if inputs.records_by_kind.get(kind)]
    if recorded:
        used.append(f"The in-process agent recorded {', '.join(recorded)} figures.")
    profiling = " ".join(used) if used else "No runtime profiler ran: static analysis only."
    profiling += (
        " Recommendation: py-spy for CPU and blocking (sampling, attachable, low overhead; "
        "add --native to see C extension frames); tracemalloc for allocation growth; cProfile "
        "only for isolated micro-benchmarks (its per-call overhead distorts async and Qt "
        "timing); memory_profiler is too slow for a live UI."
    )
    work = done["workloads"]
    targets = "; ".join(f"{TARGET_LABELS.get(k, k)} {_num(v)}" for k, v in inputs.targets.items())
    area7 = [f for f in inputs.findings if f.area == 7]
    desktop = (
        f"{len(area7)} desktop-automation finding(s), top: `{area7[0].location}` "
        f"({area7[0].title or area7[0].rule})."
        if area7
        else "No desktop-automation finding in this audit."
    ) + (
        " UIAutomation was not measured (it needs Windows). Alternatives: run UIAutomation on "
        "a dedicated COM STA worker thread (`asyncio.to_thread`/a single-thread executor) so it "
        "never blocks the loop; cache element handles with a validity check instead of "
        "re-searching; for web targets use Playwright, and for image-based steps a "
        "region-limited screenshot with OpenCV template matching instead of full-screen capture."
    )
    rows = (
        ("Profiling tool", profiling, ""),
        ("Benchmark workload", work.statement, "workloads"),
        (
            "Performance targets",
            f"Targets used: {targets}. The measured values and their status are in the "
            "baseline table.",
            "",
        ),
        ("Pool sizing", done["pool_sizing"].statement, "pool_sizing"),
        (
            "Event-bus subscriber thresholds",
            done["subscriber_budget"].statement,
            "subscriber_budget",
        ),
        ("Desktop automation alternatives", desktop, ""),
    )
    return Conclusion(
        "answers",
        "Answers to the open questions",
        MEASURED,
        "Each answer quotes the conclusion that decides it.",
        (),
        Table(("Question", "Answer", "Topic"), rows),
    )


PROCESSORS: tuple[Processor, ...] = (
    severity,
    workloads,
    workload_results,
    provenance,
    session_state,
    sampling,
    loop,
    bus,
    handlers,
    handler_errors,
    subscriber_budget,
    repaint,
    pools,
    pool_sizing,
    memory_trend,
    baseline,
    cascades,
    projections,
    answers,
)


def conclude(inputs: ReportInputs) -> dict[str, Conclusion]:
    """Run every processor in order; each sees the conclusions decided before it."""
    done: dict[str, Conclusion] = {}
    for processor in PROCESSORS:
        c = processor(inputs, done)
        done[c.topic] = c
    return done


# -- findings processor ------------------------------------------------------------------------


def measured_share(f: Finding) -> float | None:
    """The share of loop/sampled time a finding's evidence measured, if any."""
    shares = [
        float(v)
        for ev in f.evidence
        for k, v in ev.metrics.items()
        if k in ("share", "loop_share", "thread_share") and isinstance(v, (int, float))
    ]
    return max(shares) if shares else None


def severity_from_share(findings: Sequence[Finding]) -> list[Finding]:
    """A finding ranked on rule defaults that carries a measured share of time: Impact
    follows the share, and since a share already counts how often the code ran, Frequency
    may not rank it above what that impact supports (a cheap call that runs often is still
    a small share). A priority already measured (`measured_priority`, which weighs share,
    longest block and rate) is that decision and is kept as it is."""
    out = []
    for f in findings:
        share = measured_share(f)
        p = f.priority
        if share is None or p.source == "measured":
            out.append(f)
            continue
        impact = impact_from_share(share)
        frequency = min(p.frequency, impact)
        notes = [f"measured share {100 * share:.2f} % of sampled time -> impact {impact}"]
        if frequency < p.frequency:
            notes.append(f"frequency capped at {impact}: the share already counts repetitions")
        new = Priority(impact, frequency, p.difficulty, source="measured", basis="; ".join(notes))
        out.append(replace(f, priority=new))
    return out
